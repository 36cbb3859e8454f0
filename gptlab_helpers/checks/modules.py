"""Comparar as classes do aluno com as de referência do pacote, camada por camada.

Cada `compare_*` cria a classe do aluno e a de referência com a mesma configuração pequena,
copia os pesos da referência para a do aluno e compara as saídas. Quando diferem, tenta
reconhecer o engano típico (variância sem viés, Post-LN, atalho esquecido...) para dizer
ao aluno onde olhar. Todas levantam `Feedback` quando algo não bate.
"""

import contextlib
import math
import types

import torch
import torch.nn.functional as F

from .. import gpt, layers
from ..attention import MultiHeadAttention
from .answers import build, copy_parameters, max_difference, same_output
from .base import Feedback, format_decimal, run_quietly

# Um GPT minúsculo: as mesmas contas do de 124M, em milissegundos.
TINY_CONFIG = {
    "vocab_size": 50,
    "context_length": 8,
    "emb_dim": 16,
    "n_heads": 4,
    "n_layers": 2,
    "drop_rate": 0.1,
    "qkv_bias": False,
}


def seeded(factory, *args, seed=123):
    torch.manual_seed(seed)
    return factory(*args)


def call(module, *inputs):
    """Roda o módulo do aluno guardando seus prints (a saída é o que importa aqui)."""
    return run_quietly(module, *inputs)[0]


def compare_layer_norm(cls, emb_dim=8, shape=(2, 3), seed=0, scale=3.0):
    """LayerNorm do aluno contra `gptlab_helpers.LayerNorm`: (*shape, emb_dim) -> mesma forma.

    A entrada é randn * scale + 1, sorteada com `seed`; o corretor também confere com outros valores.
    """
    norm = build(cls, emb_dim)
    params = list(norm.parameters())
    if len(params) != 2 or any(tuple(p.shape) != (emb_dim,) for p in params):
        raise Feedback(
            "a LayerNorm deve ter exatamente dois parâmetros treináveis de forma (emb_dim,): "
            "scale (começa em uns) e shift (começa em zeros), criados com nn.Parameter"
        )
    reference = seeded(layers.LayerNorm, emb_dim)
    with torch.no_grad():  # scale e shift diferentes de 1 e 0, para que apareçam na conta
        reference.scale.copy_(torch.linspace(0.5, 2.0, emb_dim))
        reference.shift.copy_(torch.linspace(-1.0, 1.0, emb_dim))
    copy_parameters(reference, norm, "a sua LayerNorm")
    torch.manual_seed(seed)
    x = torch.randn(*shape, emb_dim) * scale + 1
    given, expected = call(norm, x), reference(x)
    if not same_output(given, expected, "a LayerNorm", atol=1e-5 * max(1.0, scale / 3)):
        biased_var = x.var(dim=-1, keepdim=True, unbiased=True)
        unbiased_version = (x - x.mean(dim=-1, keepdim=True)) / torch.sqrt(biased_var + reference.eps)
        if same_output(given, reference.scale * unbiased_version + reference.shift, "a LayerNorm"):
            raise Feedback(
                "você usou a variância com correção de Bessel (divide por n - 1); "
                "a LayerNorm usa x.var(dim=-1, keepdim=True, unbiased=False)"
            )
        if same_output(given, (expected - reference.shift) / reference.scale, "a LayerNorm", atol=1e-4):
            raise Feedback(
                "a normalização está certa, mas faltou aplicar scale e shift: scale * norm_x + shift"
            )
        raise Feedback(
            f"a saída difere da referência em até {format_decimal(max_difference(given, expected, 'a LayerNorm'), 4)}; "
            "normalize na última dimensão (dim=-1, keepdim=True): (x - média) / sqrt(variância + eps)"
        )
    constant = torch.ones(1, 2, emb_dim)  # variância zero: sem eps, divide por zero
    if not torch.isfinite(call(norm, constant)).all():
        raise Feedback(
            "com uma entrada constante (variância 0) sua LayerNorm devolve nan: some eps à variância antes da raiz"
        )


def compare_gelu(cls, low=-4.0, high=4.0, shape=(101,)):
    """GELU do aluno contra a aproximação por tanh de `gptlab_helpers.GELU`, de `low` a `high`.

    A entrada tem a forma `shape` (os mesmos valores igualmente espaçados, reorganizados).
    """
    gelu = build(cls)
    x = torch.linspace(low, high, math.prod(shape)).reshape(shape)
    given, expected = call(gelu, x), layers.GELU()(x)
    if same_output(given, expected, "a GELU", atol=1e-6):
        return
    if same_output(given, torch.relu(x), "a GELU"):
        raise Feedback("isso é a ReLU: para x negativo a GELU não zera, ela atenua (GELU(-1) ≈ -0,159)")
    if same_output(given, F.gelu(x), "a GELU", atol=1e-6):
        raise Feedback(
            "essa é a GELU exata (com erf); a aula usa a aproximação por tanh: "
            "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3)))",
            fraction=0.5,
        )
    if not isinstance(given, torch.Tensor) or given.shape != x.shape:
        raise Feedback(
            f"a GELU deve devolver um tensor da forma da entrada {tuple(x.shape)}; ela é aplicada elemento a elemento"
        )
    given, x, expected = given.reshape(-1), x.reshape(-1), expected.reshape(-1)
    worst = (given.detach() - expected).abs().argmax().item()
    raise Feedback(
        f"em x = {format_decimal(x[worst].item(), 2)} sua GELU dá {format_decimal(given[worst].item(), 4)}, "
        f"mas a aproximação da aula dá {format_decimal(expected[worst].item(), 4)}; "
        "confira a fórmula (o termo 0.044715 * x**3 e o sqrt(2 / pi))"
    )


def compare_feed_forward(cls):
    """FeedForward do aluno: (2, 3, C) -> (2, 3, C), com a camada do meio 4C."""
    ff = build(cls, TINY_CONFIG)
    reference = seeded(layers.FeedForward, TINY_CONFIG)
    copy_parameters(reference, ff, "a sua FeedForward")
    x = torch.randn(2, 3, TINY_CONFIG["emb_dim"])
    given = call(ff, x)
    if not same_output(given, reference(x), "a FeedForward"):
        raise Feedback("a FeedForward difere da referência; ela é Linear(C, 4C) -> GELU -> Linear(4C, C)")


def attention_reference(dropout=0.0):
    cfg = TINY_CONFIG
    return seeded(
        lambda: MultiHeadAttention(
            d_in=cfg["emb_dim"],
            d_out=cfg["emb_dim"],
            context_length=cfg["context_length"],
            dropout=dropout,
            num_heads=cfg["n_heads"],
            qkv_bias=cfg["qkv_bias"],
        )
    )


def compare_attention(cls):
    """MultiHeadAttention do aluno (assinatura do livro), em modo eval: (2, 6, C) -> (2, 6, C)."""
    cfg = TINY_CONFIG
    attention = build(
        cls,
        d_in=cfg["emb_dim"],
        d_out=cfg["emb_dim"],
        context_length=cfg["context_length"],
        dropout=0.0,
        num_heads=cfg["n_heads"],
        qkv_bias=cfg["qkv_bias"],
    )
    reference = attention_reference()
    copy_parameters(reference, attention, "a sua MultiHeadAttention")
    attention.eval()
    reference.eval()
    x = torch.randn(2, 6, cfg["emb_dim"])
    given, expected = call(attention, x), reference(x)
    if same_output(given, expected, "a MultiHeadAttention"):
        return
    head_dim = cfg["emb_dim"] // cfg["n_heads"]
    with torch.no_grad():  # q * sqrt(head_dim) anula a divisão: é a atenção sem escala
        reference.W_query.weight.mul_(math.sqrt(head_dim))
    if same_output(given, reference(x), "a MultiHeadAttention"):
        raise Feedback("faltou dividir os scores por sqrt(head_dim) antes da softmax (keys.shape[-1] ** 0.5)")
    with torch.no_grad():
        reference.W_query.weight.div_(math.sqrt(head_dim))
        reference.mask.zero_()  # sem máscara: cada token vê também o futuro
    if same_output(given, reference(x), "a MultiHeadAttention"):
        raise Feedback("faltou a máscara causal: cada token só pode olhar para si e para os anteriores")
    raise Feedback(
        f"a atenção difere da referência em até {format_decimal(max_difference(given, expected, 'a atenção'), 4)}; "
        "confira a divisão em cabeças, a máscara causal, a escala e a projeção out_proj"
    )


PRE_LN_FORMULA = "x = x + drop_shortcut(att(norm1(x))) e depois x = x + drop_shortcut(ff(norm2(x)))"


def compare_block(
    cls,
    cfg=None,
    diagnose=None,
    formula=PRE_LN_FORMULA,
    name="TransformerBlock",
    seed=123,
    dropout_seed=7,
    num_tokens=5,
):
    """TransformerBlock do aluno: mesma saída em eval e, com a mesma semente, em treino.

    A referência é `gpt.TransformerBlock(cfg)` (por padrão o Pre-LN de TINY_CONFIG; com
    `norm_position="post"` na configuração, o Post-LN da aula 12). `diagnose(given, x,
    reference)` reconhece enganos típicos; `formula` é o que a mensagem genérica lembra;
    `name` é o nome da classe nas mensagens. `seed` sorteia os pesos e a entrada (2, num_tokens, C); `dropout_seed`, as máscaras do modo treino.
    """
    cfg = TINY_CONFIG if cfg is None else cfg
    diagnose = diagnose_block if diagnose is None else diagnose
    block = build(cls, cfg)
    reference = seeded(gpt.TransformerBlock, cfg, seed=seed)
    copy_parameters(reference, block, f"o seu {name}")
    x = torch.randn(2, num_tokens, cfg["emb_dim"])
    block.eval()
    reference.eval()
    given, expected = call(block, x), reference(x)
    if not same_output(given, expected, f"o {name}"):
        with torch.no_grad():
            diagnose(given, x, reference)
        raise Feedback(
            "a saída do bloco difere da referência em até "
            f"{format_decimal(max_difference(given, expected, 'o bloco'), 4)}; o bloco faz {formula}"
        )
    block.train()
    reference.train()
    torch.manual_seed(dropout_seed)
    given = call(block, x)
    torch.manual_seed(dropout_seed)
    if not same_output(given, reference(x), f"o {name}"):
        raise Feedback(
            "em modo eval o bloco está certo, mas em modo treino não: o dropout de atalho "
            "(drop_shortcut) vem logo depois da atenção e logo depois da feed-forward, antes de cada soma",
            fraction=0.5,
        )


def recognise_mistake(given, mistakes, name="o bloco"):
    """Levanta o `Feedback` do primeiro engano conhecido que dá exatamente a saída do aluno.

    `mistakes` é uma lista de (função sem argumentos que calcula a saída do engano, mensagem):
    as saídas só são calculadas até a primeira que coincidir.
    """
    for mistaken_output, message in mistakes:
        if same_output(given, mistaken_output(), name):
            raise Feedback(message)


def diagnose_block(given, x, reference):
    """Reconhece dois enganos comuns no bloco Pre-LN: Post-LN e atalho esquecido."""
    recognise_mistake(
        given,
        [
            (
                lambda: reference.forward_post_ln(x),
                "você normalizou depois da soma (Post-LN, o transformer original); "
                "o GPT-2 normaliza antes de cada subcamada (Pre-LN): x + att(norm1(x))",
            ),
            (
                lambda: reference.ff(reference.norm2(reference.att(reference.norm1(x)))),
                "faltaram as conexões de atalho: some a entrada de volta (x = x + shortcut)",
            ),
        ],
    )


def of(what):
    """'de' contraído com o artigo, como se escreve: 'o seu GPTModel' -> 'do seu GPTModel'."""
    for article, contraction in (("o ", "do "), ("a ", "da "), ("os ", "dos "), ("as ", "das ")):
        if what.startswith(article):
            return contraction + what[len(article) :]
    return "de " + what


def compare_gpt(
    cls,
    cfg=None,
    reference_class=gpt.GPTModel,
    what="o seu GPTModel",
    diagnose=None,
    seed=123,
    input_seed=0,
    dropout_seed=7,
    batch=(2, 6),
):
    """GPTModel do aluno: mesmas formas de pesos e mesmos logits (eval e treino) que a referência.

    Quando os logits em modo eval diferem, chama `diagnose(given, ids, reference, difference)`,
    que pode levantar um `Feedback` mais específico; senão levanta um genérico. Quando só o
    modo de treino difere (o erro está nos dropouts), o `Feedback` vale metade. `seed` sorteia
    os pesos, `input_seed` os IDs de entrada (de forma `batch`, (B, T)) e `dropout_seed` as máscaras.
    """
    cfg = dict(cfg or TINY_CONFIG)
    model = build(cls, cfg)
    reference = seeded(reference_class, cfg, seed=seed)
    copy_parameters(reference, model, what)
    torch.manual_seed(input_seed)
    ids = torch.randint(0, cfg["vocab_size"], batch)
    model.eval()
    reference.eval()
    given, expected = call(model, ids), reference(ids)
    if not same_output(given, expected, what):
        difference = max_difference(given, expected, what)
        if diagnose is not None:
            with torch.no_grad():
                diagnose(given, ids, reference, difference)
        raise Feedback(
            f"os logits {of(what)} diferem da referência em até {format_decimal(difference, 4)}; confira o forward: "
            "tok_emb + pos_emb, drop_emb, blocos, final_norm e out_head, nessa ordem"
        )
    model.train()
    reference.train()
    torch.manual_seed(dropout_seed)
    given = call(model, ids)
    torch.manual_seed(dropout_seed)
    if not same_output(given, reference(ids), what):
        raise Feedback(
            f"em modo eval {what} está certo, mas em modo treino não: confira os dropouts "
            "(drop_emb logo depois de somar os embeddings, e os do bloco)",
            fraction=0.5,
        )


# classe do aluno (pelo nome do livro) -> (classe de referência, comparação), na ordem do livro
PART_CHECKS = {
    "LayerNorm": (layers.LayerNorm, compare_layer_norm),
    "GELU": (layers.GELU, compare_gelu),
    "FeedForward": (layers.FeedForward, compare_feed_forward),
    "MultiHeadAttention": (MultiHeadAttention, compare_attention),
    "TransformerBlock": (gpt.TransformerBlock, compare_block),
    "GPTModel": (gpt.GPTModel, compare_gpt),
}

# as classes que cada uma usa: ao conferir uma, as que ela usa são trocadas pelas de referência,
# para que um engano na MultiHeadAttention não reprove também o TransformerBlock e o GPTModel
USES = {
    "FeedForward": ("GELU",),
    "TransformerBlock": ("LayerNorm", "GELU", "FeedForward", "MultiHeadAttention"),
    "GPTModel": ("LayerNorm", "GELU", "FeedForward", "MultiHeadAttention", "TransformerBlock"),
}


def code_globals(cls):
    """As variáveis globais do código da classe (as do notebook do aluno); {} se não há código Python."""
    for value in vars(cls).values():
        if isinstance(value, types.FunctionType):
            return value.__globals__
    return {}


@contextlib.contextmanager
def reference_parts(cls, names):
    """Enquanto dura o bloco, os nomes `names` no código de `cls` apontam para as classes de referência."""
    scope = code_globals(cls)
    saved = {name: scope[name] for name in names if name in scope}
    scope.update({name: PART_CHECKS[name][0] for name in saved})
    try:
        yield
    finally:
        scope.update(saved)


def wrong_classes(namespace):
    """As classes do aluno que, sozinhas, não batem com a referência: lista de (nome, Feedback).

    Cada classe é conferida com as classes que ela usa trocadas pelas de referência, de modo que
    cada engano aparece uma vez só, na classe em que está. Classes ausentes ou herdadas das de
    referência não entram.
    """
    wrong = []
    for name, (reference, compare) in PART_CHECKS.items():
        cls = namespace.get(name)
        if not isinstance(cls, type) or issubclass(cls, reference):
            continue
        try:
            with reference_parts(cls, USES.get(name, ())):
                compare(cls)
        except Feedback as feedback:
            wrong.append((name, feedback))
    return wrong
