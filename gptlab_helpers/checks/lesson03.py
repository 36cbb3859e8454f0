"""Exercícios da aula 03: GELU e a rede feed-forward."""

import torch

from .. import layers
from ..config import GPT_CONFIG_124M
from .answers import as_int, as_shape, explain_count, report_problems, student_class
from .base import Exercise, format_int
from .kinds import ExplanationExercise
from .modules import compare_gelu

FF_INPUT_SHAPE = (2, 3, GPT_CONFIG_124M["emb_dim"])  # a entrada do exercício 03.2


class GELUCode(Exercise):
    id = "03.1"
    title = "Implementar a GELU (aproximação por tanh)"
    max_points = 2.0
    names = ("GELU",)
    hint_text = "0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x**3))); use torch.tanh e torch.pow."

    def grade(self, namespace, **variation):
        """`variation` (low, high, shape) vai para `compare_gelu`."""
        compare_gelu(student_class(namespace, "GELU", layers.GELU), **variation)
        return self.correct("sua GELU coincide com a aproximação por tanh do GPT-2 em [-4, 4].")


class FeedForwardSizes(Exercise):
    id = "03.2"
    title = "Formas e parâmetros da FeedForward"
    max_points = 2.0
    names = ("hidden_shape", "ff_block_params")
    hint_text = "A primeira Linear leva emb_dim a 4 * emb_dim. Cada Linear(a, b) tem a * b pesos e b biases."

    def grade(self, namespace):
        shape = as_shape(namespace["hidden_shape"], "hidden_shape")
        count = as_int(namespace["ff_block_params"], "ff_block_params")
        ff = layers.FeedForward(GPT_CONFIG_124M)
        with torch.no_grad():
            expected_shape = tuple(ff.layers[0](torch.zeros(FF_INPUT_SHAPE)).shape)
        expected_count = sum(p.numel() for p in ff.parameters())
        emb = GPT_CONFIG_124M["emb_dim"]
        shape_problem = None
        if shape == FF_INPUT_SHAPE:
            shape_problem = (
                "(2, 3, 768) é a forma da entrada e da saída; a camada do meio é 4 vezes mais larga"
            )
        elif shape != expected_shape:
            shape_problem = f"hidden_shape vale {shape}; a primeira Linear muda só a última dimensão"
        mistakes = [
            (expected_count - 5 * emb, "faltaram os biases das duas camadas Linear (4 * 768 + 768)"),
            (
                expected_count * GPT_CONFIG_124M["n_layers"],
                "a pergunta é sobre uma FeedForward só, não as 12",
            ),
        ]
        report_problems([shape_problem, explain_count("ff_block_params", count, expected_count, mistakes)])
        return self.correct(
            f"cada token passa por {expected_shape[-1]} neurônios no meio da FeedForward, que tem "
            f"{format_int(expected_count)} parâmetros."
        )


class GELUVersusReLU(ExplanationExercise):
    id = "03.3"
    title = "GELU ou ReLU?"
    hint_text = "Olhe o gráfico das duas para x < 0: qual é o gradiente de cada uma ali?"


q1 = GELUCode()
q2 = FeedForwardSizes()
q3 = GELUVersusReLU()

EXERCISES = [q1, q2, q3]
