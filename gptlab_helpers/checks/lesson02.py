"""Exercícios da aula 02: normalização de camada."""

from .. import layers
from ..analysis import parameter_breakdown_from_config
from ..config import GPT_CONFIG_124M
from .answers import as_int, explain_count, student_class
from .base import Exercise, Feedback, format_int
from .kinds import ExplanationExercise
from .modules import compare_layer_norm


class LayerNormCode(Exercise):
    id = "02.1"
    title = "Implementar a LayerNorm"
    max_points = 2.0
    names = ("LayerNorm",)
    hint_text = (
        "mean = x.mean(dim=-1, keepdim=True); var = x.var(dim=-1, keepdim=True, unbiased=False); "
        "norm_x = (x - mean) / torch.sqrt(var + eps); devolva scale * norm_x + shift."
    )

    def grade(self, namespace, **variation):
        """`variation` (emb_dim, shape, seed, scale) vai para `compare_layer_norm`."""
        compare_layer_norm(student_class(namespace, "LayerNorm", layers.LayerNorm), **variation)
        return self.correct(
            "sua LayerNorm dá os mesmos valores que a do pacote, inclusive com entrada constante."
        )


class LayerNormParams(Exercise):
    id = "02.2"
    title = "Parâmetros de todas as LayerNorms do GPT de 124M"
    names = ("layer_norm_params",)
    hint_text = (
        "Cada LayerNorm tem scale e shift, cada um com emb_dim números. Quantas LayerNorms há em cada "
        "bloco, e quantas fora dos blocos?"
    )

    def grade(self, namespace):
        given = as_int(namespace["layer_norm_params"], "layer_norm_params")
        expected = parameter_breakdown_from_config(GPT_CONFIG_124M)["layer_norms"]
        emb, blocks = GPT_CONFIG_124M["emb_dim"], GPT_CONFIG_124M["n_layers"]
        mistakes = [
            (expected - 2 * emb, "faltou a final_norm, a LayerNorm depois do último bloco"),
            (expected // 2, "cada LayerNorm tem dois vetores treináveis, scale e shift"),
            (2 * emb, "essa é uma LayerNorm só"),
            (2 * 2 * emb, f"essas são as duas de um bloco; são {blocks} blocos e mais a final_norm"),
        ]
        problem = explain_count("layer_norm_params", given, expected, mistakes)
        if problem:
            raise Feedback(problem)
        return self.correct(
            f"{2 * blocks + 1} LayerNorms x 2 vetores x {emb} = {format_int(expected)} parâmetros: "
            "menos de 0,03% do modelo."
        )


class WhyNormalize(ExplanationExercise):
    id = "02.3"
    title = "Para que normalizar?"
    hint_text = "O que acontece com as ativações de uma rede profunda sem normalização? E para que servem scale e shift?"


q1 = LayerNormCode()
q2 = LayerNormParams()
q3 = WhyNormalize()

EXERCISES = [q1, q2, q3]
