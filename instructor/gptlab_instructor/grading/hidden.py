"""Casos ocultos: as mesmas conferências com outras entradas, que só o corretor roda.

A conferência que o aluno roda no notebook usa uma configuração, uma semente e uma entrada. Uma
resposta ajustada a elas (uma forma fixa no código, um dicionário com as chaves do teste, uma
conta que só vale para emb_dim = 8) passaria. Aqui cada exercício de código ganha casos com
outros valores para os parâmetros de `grade()` (veja `Exercise.grade` em `gptlab_helpers`), e o
corretor os roda depois da conferência visível, no kernel do aluno.

Nada disto vai para a entrega da turma (`gptlab-turma`): o pacote do aluno tem os parâmetros,
não os valores nem as frases. O feedback diz em palavras qual caso falhou ("com outra semente"),
nunca o valor esperado.

Pontos: os casos ocultos de um exercício valem juntos `HIDDEN_SHARE` dos pontos dele, em partes
iguais. Um caso falha quando dá menos que a conferência visível (uma GELU exata, que já ganhou
metade dos pontos na visível, não perde de novo por isso).
"""

from dataclasses import dataclass

from gptlab_helpers.checks.base import format_decimal
from gptlab_helpers.checks.modules import TINY_CONFIG

HIDDEN_SHARE = 0.5


@dataclass(frozen=True)
class HiddenCase:
    """Um caso oculto: a frase que o feedback mostra e os parâmetros de `grade()` que ele troca."""

    description: str
    case: dict


# configurações diferentes da de TINY_CONFIG em tudo que uma resposta pode ter fixado
WIDER = dict(TINY_CONFIG, vocab_size=37, context_length=11, emb_dim=24, n_heads=6, n_layers=3)
WITH_BIAS = dict(TINY_CONFIG, qkv_bias=True, drop_rate=0.3)

HIDDEN_CASES = {
    "01.2": (
        HiddenCase(
            "com outra configuração (vocabulário, contexto, emb_dim e camadas diferentes)", {"cfg": WIDER}
        ),
        HiddenCase("com outra semente e um lote de 1 texto", {"seed": 5, "input_seed": 9, "batch": (1, 4)}),
    ),
    "02.1": (
        HiddenCase("com `emb_dim` ímpar", {"emb_dim": 5}),
        HiddenCase("com uma entrada de 4 dimensões (B, H, T, C)", {"shape": (2, 2, 3), "emb_dim": 6}),
        HiddenCase("com outra semente e valores grandes", {"seed": 11, "scale": 1000.0}),
    ),
    "03.1": (
        HiddenCase(
            "com valores muito negativos e muito positivos (de -20 a 20)", {"low": -20.0, "high": 20.0}
        ),
        HiddenCase("com uma entrada de 3 dimensões", {"shape": (2, 3, 5)}),
    ),
    "04.1": (
        HiddenCase(
            "com outros tamanhos de camada (o atalho cabe só em algumas)",
            {"layer_sizes": [2, 2, 4, 4, 4, 1], "sample_input": [[0.5, -2.0]]},
        ),
        HiddenCase(
            "com outra entrada e outra semente",
            {"sample_input": [[2.0, -1.0, 0.5]], "seed": 7},
        ),
    ),
    "05.2": (
        HiddenCase("com outra configuração (emb_dim 24, 6 cabeças, contexto 11)", {"cfg": WIDER}),
        HiddenCase(
            "com qkv_bias=True e outra taxa de dropout", {"cfg": WITH_BIAS, "seed": 3, "dropout_seed": 21}
        ),
    ),
    "06.1": (
        HiddenCase("com outra configuração (3 camadas, emb_dim 24, 6 cabeças)", {"cfg": WIDER}),
        HiddenCase("com qkv_bias=True e outra semente", {"cfg": WITH_BIAS, "seed": 4, "input_seed": 2}),
    ),
    "07.1": (
        HiddenCase(
            "com outras taxas de dropout",
            {
                "cfg": {
                    "vocab_size": 100,
                    "context_length": 16,
                    "emb_dim": 64,
                    "n_heads": 4,
                    "n_layers": 2,
                    "drop_rate_emb": 0.2,
                    "drop_rate_attn": 0.3,
                    "drop_rate_shortcut": 0.25,
                    "qkv_bias": False,
                }
            },
        ),
    ),
    "08.1": (
        HiddenCase(
            "com um lote de 1 texto e context_size=1", {"batch": (1, 3), "cases": ((4, 1),), "seed": 5}
        ),
        HiddenCase("com max_new_tokens=0", {"cases": ((0, 8),)}),
    ),
    "12.1": (
        HiddenCase(
            "com outra configuração (emb_dim 24, 6 cabeças)", {"cfg": dict(WIDER, norm_position="post")}
        ),
        HiddenCase("com outra semente", {"seed": 9, "dropout_seed": 13}),
    ),
    "13.1": (
        HiddenCase("com `emb_dim` ímpar", {"emb_dim": 7}),
        HiddenCase("com outra semente e uma entrada de 4 dimensões", {"seed": 3, "shape": (2, 2, 3)}),
    ),
    "13.2": (
        HiddenCase("com outro head_dim e mais posições", {"head_dim": 12, "num_tokens": 9}),
        HiddenCase("com outra base dos ângulos (10.000)", {"base": 10000.0, "seed": 4}),
    ),
    "14.1": (
        HiddenCase(
            "com chaves de outros blocos",
            {
                "keys": (
                    "h.4.ln_1.bias",
                    "h.9.ln_2.weight",
                    "h.10.attn.c_proj.weight",
                    "h.1.mlp.c_fc.weight",
                    "h.8.mlp.c_proj.bias",
                )
            },
        ),
    ),
}


def run_hidden(exercise, namespace, result, cases=None):
    """(pontos, frases dos casos que falharam) depois dos casos ocultos de `exercise`.

    `result` é o CheckResult da conferência visível. Sem pontos na visível, nada a descontar:
    os casos nem rodam.
    """
    cases = HIDDEN_CASES.get(exercise.id, ()) if cases is None else cases
    if not cases or result.points <= 0 or not exercise.max_points:
        return result.points, ()
    visible = result.points / exercise.max_points
    failed = tuple(
        item.description for item in cases if exercise.evaluate_case(namespace, item.case) < visible - 1e-9
    )
    lost = result.points * HIDDEN_SHARE * len(failed) / len(cases)
    return result.points - lost, failed


def hidden_message(failed, lost):
    """A frase do feedback para os casos ocultos que falharam (sem valores esperados)."""
    if not failed:
        return ""
    cases = failed[0] if len(failed) == 1 else ", ".join(failed[:-1]) + " e " + failed[-1]
    plural = "s" if len(failed) > 1 else ""
    return (
        f" Mas no{plural} caso{plural} oculto{plural} do corretor ela não deu o resultado certo: {cases} "
        f"(-{format_decimal(lost, 2).rstrip('0').rstrip(',')} ponto{'s' if lost != 1 else ''}). Teste a sua "
        "resposta com outras entradas: ela não pode depender da configuração ou da semente da conferência."
    )
