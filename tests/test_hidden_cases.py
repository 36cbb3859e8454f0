"""Os casos ocultos do corretor: a resposta certa passa em todos; a ajustada à conferência, não.

Cada resposta "ajustada" abaixo passa na conferência que o aluno roda (a mesma configuração, a
mesma semente, a mesma entrada) e erra com outras entradas: é o que os casos ocultos pegam.
"""

import math

import pytest
import torch
import torch.nn as nn
from gptlab_instructor.grading.hidden import HIDDEN_CASES, HIDDEN_SHARE, hidden_message, run_hidden
from test_checks_lessons import solution_namespace

from gptlab_helpers import pretrained
from gptlab_helpers.checks import EXERCISE_SETS
from gptlab_helpers.checks.lesson14 import ASKED_KEYS


def exercise(key):
    return next(item for item in EXERCISE_SETS[key[:2]] if item.id == key)


def graded(key, namespace):
    """(CheckResult visível, pontos depois dos ocultos, casos que falharam)."""
    result = exercise(key).evaluate(namespace)
    points, failed = run_hidden(exercise(key), namespace, result)
    return result, points, failed


def test_every_hidden_case_describes_itself_in_words_without_numbers_of_the_answer():
    for key, cases in HIDDEN_CASES.items():
        assert cases, key
        for case in cases:
            assert case.description.startswith("com "), (key, case.description)
            assert case.case, key
        assert len({case.description for case in cases}) == len(cases), key


@pytest.mark.parametrize("key", sorted(set(HIDDEN_CASES) - {"14.1"}))
def test_reference_solutions_pass_every_hidden_case(key):
    result, points, failed = graded(key, solution_namespace(key[:2]))
    assert result.status == "correct"
    assert (points, failed) == (result.points, ())


def test_reference_key_mapping_passes_its_hidden_case():
    result, points, failed = graded("14.1", {"hf_key_to_ours": lambda key: pretrained.hf_key_to_ours(key)})
    assert result.status == "correct" and (points, failed) == (result.points, ())


class FixedLayerNorm(nn.Module):
    """A LayerNorm da aula com `torch.ones(8)`: só vale para o emb_dim da conferência."""

    def __init__(self, emb_dim):
        super().__init__()
        self.eps = 1e-5
        self.scale = nn.Parameter(torch.ones(8))
        self.shift = nn.Parameter(torch.zeros(8))

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return self.scale * (x - mean) / torch.sqrt(var + self.eps) + self.shift


class ListGELU(nn.Module):
    """Uma GELU escrita com math.tanh sobre x.tolist(): certa para um vetor, quebra com (B, T, C)."""

    def forward(self, x):
        def gelu(v):
            return 0.5 * v * (1 + math.tanh(math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)))

        return torch.tensor([gelu(v) for v in x.tolist()])


def test_a_layer_norm_fitted_to_emb_dim_8_loses_the_hidden_points():
    result, points, failed = graded("02.1", {"LayerNorm": FixedLayerNorm})
    assert result.status == "correct" and result.points == 2.0
    assert "com `emb_dim` ímpar" in failed
    assert points < result.points


def test_a_gelu_that_only_works_on_a_vector_loses_the_hidden_points():
    result, points, failed = graded("03.1", {"GELU": ListGELU})
    assert result.status == "correct"
    assert failed == ("com uma entrada de 3 dimensões",)
    assert points == pytest.approx(2.0 - 2.0 * HIDDEN_SHARE / 2)


def test_a_dictionary_of_the_visible_keys_loses_the_hidden_points():
    answers = {key: pretrained.hf_key_to_ours(key) for key in ASKED_KEYS}
    result, points, failed = graded("14.1", {"hf_key_to_ours": lambda key: answers.get(key, key)})
    assert result.status == "correct"
    assert failed == ("com chaves de outros blocos",)
    assert points == pytest.approx(2.0 * (1 - HIDDEN_SHARE))


def test_a_gpt_model_that_ignores_qkv_bias_loses_half_of_the_hidden_points():
    namespace = solution_namespace("06", [("bias=qkv_bias)", "bias=False)")])
    result, points, failed = graded("06.1", namespace)
    assert result.status == "correct"  # a conferência usa qkv_bias=False
    assert failed == ("com qkv_bias=True e outra semente",)
    assert points == pytest.approx(2.0 - 2.0 * HIDDEN_SHARE / 2)


def test_no_hidden_points_to_lose_when_the_visible_check_already_failed():
    namespace = solution_namespace("02", [("unbiased=False", "unbiased=True")])
    result, points, failed = graded("02.1", namespace)
    assert result.points == 0.0 and (points, failed) == (0.0, ())


def test_hidden_message_names_the_cases_and_the_points_never_the_expected_value():
    message = hidden_message(("com `emb_dim` ímpar", "com outra semente e valores grandes"), 1.0)
    assert "com `emb_dim` ímpar e com outra semente e valores grandes" in message
    assert "(-1 ponto)" in message and "casos ocultos" in message
    assert "(-0,5 pontos)" in hidden_message(("com outra semente",), 0.5)
    assert hidden_message((), 0.0) == ""
