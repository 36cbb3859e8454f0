"""Exercícios da aula 12: Pre-LN, Post-LN e a norma do gradiente na inicialização."""

import torch

from .. import gpt
from ..training.norm_position import block_gradient_norms
from .answers import as_float, report_problems, student_class
from .base import Exercise, Feedback, format_decimal
from .kinds import ExplanationExercise
from .modules import TINY_CONFIG, compare_block, recognise_mistake, seeded

POST_LN_CONFIG = dict(TINY_CONFIG, norm_position="post")
POST_LN_FORMULA = "x = norm1(x + drop_shortcut(att(x))) e depois x = norm2(x + drop_shortcut(ff(x)))"

# o experimento do exercício 12.2: um GPT minúsculo de 12 blocos, semente 123, um lote fixo
GRADIENT_CONFIG = dict(TINY_CONFIG, n_layers=12, drop_rate=0.0)
GRADIENT_SEED, BATCH_SEED = 123, 0


def diagnose_post_ln(given, x, reference):
    """Reconhece os enganos comuns num bloco Post-LN: fez o Pre-LN, esqueceu o atalho ou uma norma."""
    att, ff, norm1, norm2 = reference.att, reference.ff, reference.norm1, reference.norm2
    recognise_mistake(
        given,
        [
            (
                lambda: reference.forward_pre_ln(x),
                "esse é o Pre-LN do GPT-2 (a norma antes da subcamada); no Post-LN a norma vem depois "
                "de somar o atalho: norm1(x + att(x))",
            ),
            (
                lambda: norm2(ff(norm1(att(x)))),
                "faltaram os atalhos: normalize a soma x + subcamada(x), não só a subcamada",
            ),
            (
                lambda: norm2((x + att(x)) + ff(x + att(x))),
                "faltou a primeira norma: a saída da atenção também passa por norm1(x + att(x))",
            ),
            (
                lambda: norm1(x + att(x)) + ff(norm1(x + att(x))),
                "faltou a segunda norma: termine com norm2(x + ff(x))",
            ),
        ],
    )


class PostLNBlock(Exercise):
    id = "12.1"
    title = "Um bloco Post-LN"
    max_points = 2.0
    names = ("PostLNBlock",)
    hint_text = (
        "Duas vezes o mesmo padrão, agora com a norma por último: x = norm1(x + drop_shortcut(att(x))) e "
        "depois x = norm2(x + drop_shortcut(ff(x)))."
    )

    def grade(self, namespace, cfg=POST_LN_CONFIG, **variation):
        """`cfg` (com norm_position="post") e `variation` (seed, dropout_seed, num_tokens) vão para `compare_block`."""
        cls = student_class(namespace, "PostLNBlock", gpt.TransformerBlock)
        compare_block(cls, cfg, diagnose_post_ln, POST_LN_FORMULA, name="PostLNBlock", **variation)
        return self.correct(
            "seu bloco dá a mesma saída que TransformerBlock com norm_position='post', em eval e em treino."
        )


def gradient_batch():
    """O lote fixo do exercício 12.2: x, y (4, 8) com IDs do vocabulário de TINY_CONFIG."""
    ids = torch.randint(
        0, GRADIENT_CONFIG["vocab_size"], (4, 9), generator=torch.Generator().manual_seed(BATCH_SEED)
    )
    return ids[:, :-1], ids[:, 1:]


def reference_norms(position):
    """As normas por bloco que o exercício 12.2 pede, medidas com o pacote."""
    model = seeded(gpt.GPTModel, dict(GRADIENT_CONFIG, norm_position=position), seed=GRADIENT_SEED)
    return block_gradient_norms(model, *gradient_batch())


def as_float_list(value, name, length):
    """Converte uma lista, tupla, tensor ou array de `length` números numa lista de floats."""
    if hasattr(value, "tolist"):  # tensor do PyTorch ou array do NumPy
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise Feedback(f"`{name}` deve ser uma lista de {length} números, mas é {type(value).__name__}")
    if len(value) != length:
        raise Feedback(
            f"`{name}` tem {len(value)} números; o modelo tem {length} blocos, um número por bloco"
        )
    return [as_float(item, f"{name}[{index}]") for index, item in enumerate(value)]


def close(given, expected, rel=1e-3):
    return all(abs(g - e) <= rel * abs(e) + 1e-7 for g, e in zip(given, expected))


def diagnose_norms(name, given, expected, position):
    """Mensagem para uma lista de normas errada, reconhecendo os enganos típicos; None se certa."""
    if close(given, expected):
        return None
    if close(given[::-1], expected):
        return f"`{name}` está na ordem inversa: o primeiro número é o do bloco 1, perto da entrada"
    if close(given, [2 * value for value in expected]):
        return (
            f"`{name}` vale o dobro do esperado: os gradientes acumularam de duas retropropagações; "
            "zere com model.zero_grad() antes de loss.backward()"
        )
    other = reference_norms("pre" if position == "post" else "post")
    if close(given, other):
        return f"`{name}` são as normas do outro modelo; confira o norm_position da configuração"
    return (
        f"`{name}` difere do esperado (bloco 1: {format_decimal(given[0], 4)} contra "
        f"{format_decimal(expected[0], 4)}); a norma de um bloco é a raiz da soma dos quadrados de "
        "todos os gradientes dos seus parâmetros (não a soma das normas de cada parâmetro)"
    )


class GradientNorms(Exercise):
    id = "12.2"
    title = "A norma do gradiente de cada bloco"
    max_points = 2.0
    names = ("pre_norms", "post_norms")
    hint_text = (
        "Para cada bloco: torch.sqrt(sum((p.grad ** 2).sum() for p in block.parameters())). Crie cada "
        "modelo logo depois de torch.manual_seed(123) e rode loss.backward() uma vez só."
    )

    def grade(self, namespace):
        layers = GRADIENT_CONFIG["n_layers"]
        problems = []
        for name, position in (("pre_norms", "pre"), ("post_norms", "post")):
            given = as_float_list(namespace[name], name, layers)
            problems.append(diagnose_norms(name, given, reference_norms(position), position))
        report_problems(problems)
        pre, post = reference_norms("pre"), reference_norms("post")
        return self.correct(
            f"no bloco 1, Post-LN {format_decimal(post[0], 3)} contra Pre-LN {format_decimal(pre[0], 3)}: "
            f"o Post-LN recebe gradientes {format_decimal(post[0] / pre[0], 1)} vezes maiores."
        )


class WhyWarmup(ExplanationExercise):
    id = "12.3"
    title = "Por que o Post-LN precisa de aquecimento"
    hint_text = (
        "Compare as normas do gradiente do Post-LN e do Pre-LN logo no início. O que um passo grande "
        "do otimizador faz com gradientes grandes, antes de o AdamW ter boas médias?"
    )


q1 = PostLNBlock()
q2 = GradientNorms()
q3 = WhyWarmup()

EXERCISES = [q1, q2, q3]
