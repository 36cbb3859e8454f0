"""Exercícios da aula 05: o bloco transformer e o GPTModel."""

from .. import gpt
from ..analysis import parameter_breakdown_from_config
from ..config import GPT_CONFIG_124M
from .answers import as_int, explain_count, report_problems, student_class
from .base import Exercise, format_decimal, format_int
from .kinds import ExplanationExercise
from .modules import compare_block


class BlockParameters(Exercise):
    id = "05.1"
    title = "Feed-forward contra atenção num bloco"
    max_points = 2.0
    names = ("ff_params", "att_params")
    hint_text = (
        "Crie block = TransformerBlock(GPT_CONFIG_124M) e some p.numel() em block.ff.parameters() "
        "e em block.att.parameters()."
    )

    def grade(self, namespace):
        counts = parameter_breakdown_from_config(GPT_CONFIG_124M)
        blocks, emb = GPT_CONFIG_124M["n_layers"], GPT_CONFIG_124M["emb_dim"]
        ff_expected, att_expected = counts["feed_forward"] // blocks, counts["attention"] // blocks
        problems = [
            explain_count(
                "ff_params",
                as_int(namespace["ff_params"], "ff_params"),
                ff_expected,
                [
                    (ff_expected - 5 * emb, "faltaram os biases das duas Linear"),
                    (counts["feed_forward"], "esse é o total dos 12 blocos; a pergunta é sobre um bloco"),
                ],
            ),
            explain_count(
                "att_params",
                as_int(namespace["att_params"], "att_params"),
                att_expected,
                [
                    (att_expected - emb, f"faltou o bias do out_proj ({emb})"),
                    (att_expected - emb * emb - emb, "faltou o out_proj, a Linear que junta as cabeças"),
                    (att_expected + 3 * emb, "qkv_bias é False: W_query, W_key e W_value não têm bias"),
                    (counts["attention"], "esse é o total dos 12 blocos; a pergunta é sobre um bloco"),
                ],
            ),
        ]
        report_problems(problems)
        return self.correct(
            f"feed-forward {format_int(ff_expected)} contra atenção {format_int(att_expected)}: "
            f"a feed-forward tem {format_decimal(ff_expected / att_expected)} vezes mais parâmetros."
        )


class TransformerBlockForward(Exercise):
    id = "05.2"
    title = "O forward do TransformerBlock"
    max_points = 2.0
    names = ("TransformerBlock",)
    hint_text = (
        "Duas vezes o mesmo padrão: shortcut = x; x = norm(x); x = subcamada(x); x = drop_shortcut(x); "
        "x = x + shortcut. Primeiro com norm1 e att, depois com norm2 e ff."
    )

    def grade(self, namespace, cfg=None, **variation):
        """`cfg` e `variation` (seed, dropout_seed, num_tokens) vão para `compare_block`."""
        compare_block(student_class(namespace, "TransformerBlock", gpt.TransformerBlock), cfg, **variation)
        return self.correct("seu bloco dá a mesma saída que o de referência, em modo eval e em modo treino.")


class WhySameShape(ExplanationExercise):
    id = "05.3"
    title = "Por que o bloco preserva a forma"
    hint_text = "Se a saída do bloco tem a forma da entrada, o que dá para fazer com 12 (ou 48) blocos?"


q1 = BlockParameters()
q2 = TransformerBlockForward()
q3 = WhySameShape()

EXERCISES = [q1, q2, q3]
