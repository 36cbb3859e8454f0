"""A interface das conferências: CheckResult, Exercise.evaluate/check/hint/solution e EXERCISE_SETS."""

import re

import pytest
import torch

from gptlab_helpers.checks import EXERCISE_SETS, CheckResult, Exercise
from gptlab_helpers.checks.answers import explain_count
from gptlab_helpers.checks.base import STATUSES, Feedback, count_words, format_general, format_int
from gptlab_helpers.checks.lesson02 import q1 as layer_norm_exercise
from gptlab_helpers.checks.lesson06 import q2 as distribution_exercise
from gptlab_helpers.checks.modules import of

RIGHT_COUNTS = {
    "emb_params_count": 39_383_808,
    "att_params_count": 28_320_768,
    "ff_params_count": 56_669_184,
    "output_params_count": 38_597_376,
}


def test_exercise_sets_cover_lessons_01_to_08_and_next_steps_in_order():
    assert list(EXERCISE_SETS) == [f"{n:02d}" for n in range(1, 9)] + ["12", "13", "14"]
    all_ids = []
    for lesson, exercises in EXERCISE_SETS.items():
        assert len(exercises) >= 2
        ids = [exercise.id for exercise in exercises]
        assert ids == [f"{lesson}.{n}" for n in range(1, len(exercises) + 1)]
        for exercise in exercises:
            assert isinstance(exercise, Exercise)
            assert exercise.title and exercise.max_points > 0 and exercise.names
            assert exercise.hint_text
        all_ids += ids
    assert len(all_ids) == len(set(all_ids))


def test_check_result_rejects_unknown_status():
    with pytest.raises(ValueError, match="status desconhecido"):
        CheckResult("06.2", "quase", 1.0, 4.0, "mensagem")


def test_check_result_text_is_portuguese():
    result = CheckResult("06.2", "not_attempted", 0.0, 4.0, "ainda não")
    assert result.text() == "[06.2] Não tentado (0/4 pontos): ainda não"
    assert "Não tentado" in result.html() and "06.2" in result.html()


@pytest.mark.parametrize("exercise", [e for exercises in EXERCISE_SETS.values() for e in exercises], ids=str)
def test_every_exercise_reports_not_attempted_on_empty_namespace(exercise):
    result = exercise.evaluate({})
    assert (result.status, result.points, result.exercise) == ("not_attempted", 0.0, exercise.id)
    assert result.max_points == exercise.max_points
    assert "ainda não encontrei" in result.message


def test_placeholder_values_count_as_not_attempted():
    result = distribution_exercise.evaluate(dict.fromkeys(RIGHT_COUNTS, 0))
    assert result.status == "not_attempted"
    assert distribution_exercise.evaluate(dict.fromkeys(RIGHT_COUNTS)).status == "not_attempted"


def test_evaluate_never_raises_and_names_the_exception():
    class LayerNorm(torch.nn.Module):
        def __init__(self, emb_dim):
            super().__init__()
            raise ZeroDivisionError("divisão por zero no aluno")

    result = layer_norm_exercise.evaluate({"LayerNorm": LayerNorm})
    assert result.status == "error" and result.points == 0
    assert "ZeroDivisionError" in result.message and "divisão por zero no aluno" in result.message
    assert layer_norm_exercise.evaluate("não é um dicionário").status == "error"


def test_not_implemented_error_means_not_attempted():
    class LayerNorm(torch.nn.Module):
        def __init__(self, emb_dim):
            raise NotImplementedError("escreva seu código aqui")

    result = layer_norm_exercise.evaluate({"LayerNorm": LayerNorm})
    assert result.status == "not_attempted"
    assert "NotImplementedError" in result.message


def test_evaluate_restores_the_random_state():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    layer_norm_exercise.evaluate({"LayerNorm": torch.nn.LayerNorm})  # cria modelos e sorteia
    assert torch.equal(torch.rand(3), expected)


def test_check_reads_the_callers_globals_and_prints_outside_jupyter(capsys):
    namespace = {"q": distribution_exercise, **RIGHT_COUNTS}
    exec("result = q.check()", namespace)
    assert namespace["result"].status == "correct"
    assert namespace["result"].points == 4.0
    assert capsys.readouterr().out.startswith("[06.2] Correto (4/4 pontos)")


def test_hint_and_solution_print_portuguese(capsys):
    distribution_exercise.hint()
    distribution_exercise.solution()
    out = capsys.readouterr().out
    assert out.startswith("Dica (06.2):")
    assert "Solução do exercício 06.2" in out and "named_parameters" in out


def test_feedback_fraction_becomes_partial_points():
    class Half(Exercise):
        id, title, max_points, names = "99.1", "teste", 4.0, ("x",)

        def grade(self, namespace):
            raise Feedback("metade", fraction=0.5)

    result = Half().evaluate({"x": 1})
    assert (result.status, result.points, result.message) == ("partial", 2.0, "metade")
    assert set(STATUSES) == {"correct", "partial", "incorrect", "not_attempted", "error", "review"}


def test_explain_count_names_the_known_mistake_or_the_difference():
    assert explain_count("n", 10, 10) is None
    assert explain_count("n", 7, 10, [(7, "faltou o bias")]) == "`n` vale 7: faltou o bias"
    assert explain_count("n", 1_000_768, 1_000_000) == "`n` vale 1.000.768; sobram 768 parâmetros"
    assert "faltam 5" in explain_count("n", 5, 10)


def test_small_text_helpers():
    assert format_int(786432) == "786.432"
    assert count_words("  a atenção, 12 blocos! ") == 3  # "12" não é palavra


def test_solution_code_is_registered_for_every_exercise():
    from gptlab_helpers.checks.solution_code import SOLUTIONS

    ids = {exercise.id for exercises in EXERCISE_SETS.values() for exercise in exercises}
    assert set(SOLUTIONS) == ids
    for code in SOLUTIONS.values():
        assert "### BEGIN SOLUTION" not in code and code.strip()
        compile(re.sub(r"^%.*$", "", code, flags=re.MULTILINE), "<solução>", "exec")


def test_feedback_contracts_de_with_the_article_and_uses_decimal_comma():
    assert of("o seu GPTModel") == "do seu GPTModel"
    assert of("a sua rede") == "da sua rede"
    assert of("MeuModelo") == "de MeuModelo"
    assert format_general(0.000123) == "0,000123"
    assert format_general(1099.0) == "1099"
