"""Onde estão os dropouts de um GPT com três taxas: o diagnóstico da conferência 07.1.

`diagnose_split_dropout` roda o modelo do aluno com `DropoutProbe` e devolve achados (dados,
não texto): cada `Finding` diz a parte do exercício (embedding, atenção, atalho, prints), um
código e os detalhes. Cada chamada de dropout é ligada ao seu lugar pela identidade dos
módulos em cujo forward ela aconteceu: dentro de uma MultiHeadAttention é o dropout da
atenção; dentro de um TransformerBlock, fora da atenção, é um dropout de atalho; fora dos
blocos é o drop_emb. As frases em português ficam todas em MESSAGES.
"""

from dataclasses import dataclass, field

import torch
import torch.nn as nn

from ..config import dropout_rates
from .base import format_decimal
from .dropout_probe import NUMBER, DropoutProbe, contains, is_attention_weights, match_printed, print_shows

PARTS = ("embedding", "atenção", "atalho", "prints")

MESSAGES = {
    "no_dropout": (
        "não vi nenhum nn.Dropout ser chamado no forward; crie os dropouts no __init__ "
        "(nn.Dropout(taxa)) e use-os no forward"
    ),
    "no_embeddings": (
        "não encontrei os dois nn.Embedding do GPTModel: tok_emb (vocab_size linhas) e "
        "pos_emb (context_length linhas)"
    ),
    "no_blocks": "não encontrei os blocos transformer (TransformerBlock, com atenção e feed-forward) no modelo",
    "emb_missing": "não encontrei um dropout logo depois de somar tok_emb e pos_emb (o drop_emb)",
    "emb_not_called": (
        "o {name} foi criado, mas não foi chamado no forward; use self.{name}(x) logo depois de "
        "somar tok_emb e pos_emb"
    ),
    "emb_repeated": (
        "fora dos blocos, o dropout do embedding foi chamado {count} vezes num forward ({names}); "
        "ele age uma vez só, logo depois de somar tok_emb e pos_emb"
    ),
    "emb_input": "o {name} deveria receber tok_emb(in_idx) + pos_emb(posições), logo depois da soma",
    "emb_rate": "o {name} usa taxa {given}, mas deveria usar cfg['drop_rate_emb'] = {expected}",
    "attn_missing": "não encontrei dropout nos pesos de atenção (B, H, T, T) dentro da MultiHeadAttention",
    "attn_outside": (
        "o dropout com drop_rate_attn deve agir sobre os pesos de atenção (B, H, T, T), dentro da "
        "MultiHeadAttention logo depois da softmax, e não sobre a saída da atenção"
    ),
    "attn_repeated": (
        "dentro da MultiHeadAttention do bloco {block} o dropout foi chamado {count} vezes; só os "
        "pesos de atenção passam por dropout, uma vez, logo depois da softmax (uma das chamadas "
        "recebe um tensor de forma {shape}, que não são pesos de atenção)"
    ),
    "attn_count": (
        "o dropout dos pesos de atenção foi chamado {count} vez(es), mas o modelo tem {blocks} blocos: "
        "uma vez por bloco"
    ),
    "attn_input": (
        "o {name} recebe um tensor de forma {shape} que não são os pesos de atenção: aplique-o "
        "depois da máscara e da softmax (cada linha soma 1)"
    ),
    "attn_rate": "o dropout dos pesos de atenção usa taxa {given}, mas deveria usar cfg['drop_rate_attn'] = {expected}",
    "attn_swapped": (
        "o dropout dos pesos de atenção usa taxa {given}, mas deveria usar cfg['drop_rate_attn'] = "
        "{expected} (parece que trocou as taxas da atenção e do atalho)"
    ),
    "shortcut_count": (
        "no bloco {block} o dropout de atalho foi chamado {count} vez(es), mas o esperado são 2: "
        "uma antes de cada soma com o atalho"
    ),
    "shortcut_rate": "o dropout de atalho usa taxa {given}, mas deveria usar cfg['drop_rate_shortcut'] = {expected}",
    "shortcut_after_attention": (
        "no bloco {block}, o primeiro dropout de atalho deveria receber a saída da atenção "
        "(self.att(self.norm1(x))), logo antes de somar o atalho"
    ),
    "shortcut_after_ff": (
        "no bloco {block}, o segundo dropout de atalho deveria receber a saída da feed-forward "
        "(self.ff(self.norm2(x))), logo antes de somar o atalho"
    ),
    "shortcut_residual": (
        "a saída do bloco {block} deveria ser x + drop_shortcut(att(...)) + drop_shortcut(ff(...)): "
        "some ao atalho a saída do dropout, não a de antes dele"
    ),
    "print_missing": (
        "não encontrei as porcentagens impressas; logo depois de cada dropout imprima "
        "100 * (1 - torch.count_nonzero(x) / x.numel())"
    ),
    "print_absent": (
        "depois do {place} não encontrei nenhum print (medi {measured}% de zeros na saída dele); "
        "em {wrong} dos {total} dropouts o print falta ou não bate"
    ),
    "print_wrong": (
        "o print depois do {place} mostra {shown}, mas medi {measured}% de zeros na saída desse "
        "dropout; em {wrong} dos {total} dropouts o print falta ou não bate (imprima a porcentagem "
        "do tensor que sai do dropout)"
    ),
    "eval_zeroes": (
        "em modo eval nada deveria ser zerado e a saída deveria ser sempre a mesma; use "
        "nn.Dropout (que respeita model.eval()) em vez de F.dropout sem training=self.training"
    ),
}


@dataclass(frozen=True)
class Finding:
    """Um problema encontrado: a parte do exercício (uma de PARTS), o código e os detalhes."""

    part: str
    code: str
    details: dict = field(default_factory=dict)

    @property
    def message(self):
        return MESSAGES[self.code].format(**self.details)


def rate(value):
    """Uma taxa de dropout como se escreve em português: 0.05 -> '0,05'."""
    return f"{value:g}".replace(".", ",")


@dataclass
class Places:
    """Os módulos do modelo que dão nome aos lugares: as atenções e os blocos, na ordem."""

    attention: list
    blocks: list
    feed_forward: set
    names: dict  # módulo -> nome em model.named_modules()

    @classmethod
    def of(cls, model, cfg, attention_class=None, block_class=None):
        emb = cfg["emb_dim"]
        attention = [m for m in model.modules() if attention_class and isinstance(m, attention_class)]
        if not attention:  # a atenção é o módulo com W_query, W_key e W_value (Linear C -> C) como filhos
            attention = [m for m in model.modules() if sum(is_linear(c, emb, emb) for c in m.children()) >= 3]
        feed_forward = {
            m
            for m in model.modules()
            if contains(m, lambda sub: is_linear(sub, 4 * emb, emb))
            and not contains(m, lambda sub: sub in attention)
        }
        blocks = [m for m in model.modules() if block_class and isinstance(m, block_class)]
        if not blocks:  # o menor módulo que contém uma atenção e uma feed-forward
            blocks = [
                m
                for m in model.modules()
                if contains(m, lambda sub: sub in attention) and contains(m, lambda sub: sub in feed_forward)
            ]
            blocks = [b for b in blocks if not any(c in blocks for c in b.children())]
        names = {module: name for name, module in model.named_modules()}
        return cls(attention, blocks, feed_forward, names)

    def place_of(self, call):
        """('atenção' | 'atalho' | 'embedding', índice do bloco ou None) de uma chamada de dropout."""
        block = next((m for m in reversed(call.context) if m in self.blocks), None)
        index = self.blocks.index(block) + 1 if block is not None else None
        if any(m in self.attention for m in call.context):
            return "atenção", index
        return ("atalho", index) if block is not None else ("embedding", None)

    def name(self, module):
        if module is None:
            return "F.dropout"
        name = self.names.get(module)
        return name if name else "nn.Dropout criado dentro do forward"

    def describe(self, call, position_in_block=0):
        """Como o aluno reconhece uma chamada na mensagem: 'drop_emb', 'dropout de atalho 2 do bloco 1'..."""
        place, block = self.place_of(call)
        if place == "embedding":
            return self.name(call.module)
        if place == "atenção":
            return f"dropout da atenção do bloco {block}"
        return f"dropout de atalho {position_in_block + 1} do bloco {block}"


def is_linear(module, in_features, out_features):
    return isinstance(module, nn.Linear) and (module.in_features, module.out_features) == (
        in_features,
        out_features,
    )


def diagnose_split_dropout(model, cfg, inputs, attention_class=None, block_class=None):
    """Roda `model` (em modo treino) com `inputs` (B, T) e devolve a lista de achados.

    `attention_class` e `block_class` são as classes do aluno; sem elas (ou sem instâncias
    delas no modelo) a atenção e os blocos são achados pela estrutura. Lista vazia: os três
    dropouts estão nos lugares certos, com as taxas certas, e os prints batem.
    """
    places = Places.of(model, cfg, attention_class, block_class)
    model.train()
    probe = DropoutProbe(model)
    torch.manual_seed(123)  # a mesma semente da lista: as mensagens citam sempre as mesmas porcentagens
    probe.run(inputs)
    if not probe.calls:
        return [Finding("embedding", "no_dropout")]
    by_place = {"embedding": [], "atenção": [], "atalho": []}
    for call in probe.calls:
        by_place[places.place_of(call)[0]].append(call)
    emb_rate, attn_rate, shortcut_rate = dropout_rates(cfg)
    findings = embedding_findings(model, cfg, inputs, places, by_place["embedding"], emb_rate)
    findings += attention_findings(places, by_place, cfg["n_layers"], attn_rate, shortcut_rate)
    findings += shortcut_findings(places, probe, by_place["atalho"], shortcut_rate)
    # um dropout fora do lugar já custou a sua parte: o print dele não é cobrado de novo
    misplaced = {finding.part for finding in findings}
    findings += print_findings(
        places, [c for c in probe.calls if places.place_of(c)[0] not in misplaced], probe.printed
    )
    findings += eval_findings(model, inputs)
    return findings


def embedding_findings(model, cfg, inputs, places, calls, expected_rate):
    if not calls:
        idle = [
            m
            for m in model.modules()
            if isinstance(m, nn.Dropout)
            and not any(contains(b, lambda sub, m=m: sub is m) for b in places.blocks)
        ]
        if idle:
            return [Finding("embedding", "emb_not_called", {"name": places.name(idle[0])})]
        return [Finding("embedding", "emb_missing")]
    if len(calls) > 1:
        names = ", ".join(places.name(call.module) for call in calls)
        return [Finding("embedding", "emb_repeated", {"count": len(calls), "names": names})]
    call = calls[0]
    name = places.name(call.module)
    embedding_sum = summed_embeddings(model, cfg, inputs)
    if embedding_sum is None:
        return [Finding("embedding", "no_embeddings")]
    if call.input.shape != embedding_sum.shape or not torch.allclose(call.input, embedding_sum):
        return [Finding("embedding", "emb_input", {"name": name})]
    if call.p != expected_rate:
        return [
            Finding(
                "embedding",
                "emb_rate",
                {"name": name, "given": rate(call.p), "expected": rate(expected_rate)},
            )
        ]
    return []


def summed_embeddings(model, cfg, inputs):
    """tok_emb(inputs) + pos_emb(posições): o que o drop_emb deveria receber, (B, T, C); None sem eles."""
    embeddings = [module for module in model.modules() if isinstance(module, nn.Embedding)]
    tok = next((m for m in embeddings if m.num_embeddings == cfg["vocab_size"]), None)
    pos = next((m for m in embeddings if m.num_embeddings == cfg["context_length"]), None)
    if tok is None or pos is None:
        return None
    return (tok.weight[inputs] + pos.weight[: inputs.shape[1]]).detach()


def attention_findings(places, by_place, blocks, expected_rate, shortcut_rate):
    calls = by_place["atenção"]
    if not calls:
        others = by_place["embedding"] + by_place["atalho"]
        code = "attn_outside" if any(call.p == expected_rate for call in others) else "attn_missing"
        return [Finding("atenção", code)]
    for call in calls:
        _, block = places.place_of(call)
        same_block = [other for other in calls if places.place_of(other)[1] == block]
        if len(same_block) > 1:
            stray = next((c for c in same_block if not is_attention_weights(c.input)), same_block[-1])
            details = {"block": block, "count": len(same_block), "shape": tuple(stray.input.shape)}
            return [Finding("atenção", "attn_repeated", details)]
    if len(calls) != blocks:
        return [Finding("atenção", "attn_count", {"count": len(calls), "blocks": blocks})]
    for call in calls:
        if not is_attention_weights(call.input):
            details = {"name": places.name(call.module), "shape": tuple(call.input.shape)}
            return [Finding("atenção", "attn_input", details)]
    wrong = [call.p for call in calls if call.p != expected_rate]
    if wrong:
        code = "attn_swapped" if wrong[0] == shortcut_rate else "attn_rate"
        return [Finding("atenção", code, {"given": rate(wrong[0]), "expected": rate(expected_rate)})]
    return []


def shortcut_findings(places, probe, calls, expected_rate):
    if not places.blocks:
        return [Finding("atalho", "no_blocks")]
    per_block = [
        [call for call in calls if places.place_of(call)[1] == index + 1]
        for index in range(len(places.blocks))
    ]
    for index, block_calls in enumerate(per_block):
        if len(block_calls) != 2:
            return [Finding("atalho", "shortcut_count", {"block": index + 1, "count": len(block_calls)})]
    wrong = [call.p for call in calls if call.p != expected_rate]
    if wrong:
        return [
            Finding("atalho", "shortcut_rate", {"given": rate(wrong[0]), "expected": rate(expected_rate)})
        ]
    attention = set(places.attention)
    for index, (first, second) in enumerate(per_block):
        if not set(probe.producers(first.input)) & attention:
            return [Finding("atalho", "shortcut_after_attention", {"block": index + 1})]
        if not set(probe.producers(second.input)) & places.feed_forward:
            return [Finding("atalho", "shortcut_after_ff", {"block": index + 1})]
        block_calls = probe.outputs.get(places.blocks[index], [])
        if block_calls:
            x, y = block_calls[0]
            if not torch.allclose(y, x + first.output + second.output, atol=1e-5):
                return [Finding("atalho", "shortcut_residual", {"block": index + 1})]
    return []


def print_findings(places, calls, printed):
    """Cada dropout de `calls` deve ser seguido de um print com a sua porcentagem de zeros.

    Vale qualquer arredondamento, e vale também imprimir tudo junto no fim, na ordem das chamadas.
    """
    if match_printed([call.zero_percent for call in calls], printed) == len(calls):
        return []
    if not any(char.isdigit() for char in printed):
        return [Finding("prints", "print_missing")]
    wrong = [call for call in calls if not print_shows(call.printed, call.zero_percent)]
    if not wrong:  # cada print bate com o seu dropout, só a ordem geral é que confunde
        return []
    first = wrong[0]
    details = {
        "place": describe_in_order(places, calls, first),
        "measured": format_decimal(first.zero_percent, 2),
        "wrong": len(wrong),
        "total": len(calls),
    }
    shown = NUMBER.findall(first.printed)
    if not shown:
        return [Finding("prints", "print_absent", details)]
    return [Finding("prints", "print_wrong", {**details, "shown": " e ".join(shown[:3])})]


def describe_in_order(places, calls, target):
    """O nome de `target`, contando quantos do mesmo lugar (e do mesmo bloco) vieram antes."""
    place = places.place_of(target)
    earlier = [call for call in calls[: calls.index(target)] if places.place_of(call) == place]
    return places.describe(target, len(earlier))


def eval_findings(model, inputs):
    """Em modo eval nenhum dropout zera nada e duas chamadas dão a mesma saída."""
    model.eval()
    probe = DropoutProbe(model)
    first = probe.run(inputs)
    second = DropoutProbe(model).run(inputs)
    zeroed = any(not torch.equal(call.input, call.output) for call in probe.calls)
    if zeroed or not torch.equal(first, second):
        return [Finding("prints", "eval_zeroes")]
    return []
