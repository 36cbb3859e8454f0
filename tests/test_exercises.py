"""Os notebooks de exercícios e de soluções: gerados da fonte única, em dia, e conferindo certo.

- exercises/ e solutions/ correspondem a scripts/solution_sources/ (regerados em memória);
- cada notebook de exercícios roda intocado e todas as conferências dizem "Não tentado";
- cada notebook de soluções traz, nas saídas gravadas, todas as conferências "Correto";
- nenhum notebook de exercícios traz as células só da solução nem os números que as
  conferências esperam (o aluno não tem de onde copiar a resposta).
"""

import re
from pathlib import Path

import nbformat
import pytest
import torch
from gptlab_instructor.authoring import exercises as make_exercises
from gptlab_instructor.authoring import notebooks
from nbclient import NotebookClient

from gptlab_helpers.analysis import (
    attention_parameters,
    feed_forward_parameters,
    model_size_mb,
    parameter_breakdown_from_config,
)
from gptlab_helpers.checks import (
    EXERCISE_SETS,
    lesson01,
    lesson03,
    lesson04,
    lesson07,
    lesson08,
    lesson12,
    lesson13,
    lesson14,
)
from gptlab_helpers.checks.conventions import CHECK_CALL, LESSONS, METADATA_KEY, SOLUTION_ONLY_TAG
from gptlab_helpers.checks.kinds import ExplanationExercise
from gptlab_helpers.checks.modules import seeded
from gptlab_helpers.config import GPT_CONFIG_124M, get_gpt2_config
from gptlab_helpers.shortcut import ExampleDeepNeuralNetwork, gradient_means

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
LESSON_NAMES = [path.stem for path in make_exercises.sources()]


def check_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code" and CHECK_CALL.search(cell.source)]


def output_text(cell):
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_one_exercise_and_one_solution_notebook_per_lesson():
    assert [name[:2] for name in LESSON_NAMES] == list(LESSONS) == sorted(EXERCISE_SETS)
    assert [path.stem for path in EXERCISES] == LESSON_NAMES
    assert [path.stem for path in SOLUTIONS] == LESSON_NAMES


def test_generated_files_are_up_to_date():
    stale = [str(path.relative_to(ROOT)) for path in make_exercises.stale_files()]
    assert not stale, f"desatualizados: {stale}; rode python scripts/make_exercises.py --execute"


@pytest.mark.parametrize("path", EXERCISES + SOLUTIONS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_notebook_declares_its_exercise_set_and_checks_all_of_it_in_order(path):
    notebook = nbformat.read(str(path), as_version=4)
    lesson = path.stem[:2]
    assert notebook.metadata[METADATA_KEY] == {"exercise_set": lesson}
    sources = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert f"from gptlab_helpers.checks.lesson{lesson} import" in sources
    numbers = [int(number) for cell in check_cells(notebook) for _, number in CHECK_CALL.findall(cell.source)]
    assert numbers == list(range(1, len(EXERCISE_SETS[lesson]) + 1))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda path: path.stem)
def test_solution_outputs_show_every_check_correct(path):
    """Correto em todas, menos nas respostas abertas: essas ficam "A revisar" (o instrutor lê)."""
    notebook = nbformat.read(str(path), as_version=4)
    exercises = EXERCISE_SETS[path.stem[:2]]
    for cell in check_cells(notebook):
        text = output_text(cell)
        number = int(CHECK_CALL.search(cell.source).group(2))
        label = "A revisar" if isinstance(exercises[number - 1], ExplanationExercise) else "Correto"
        assert re.search(rf"\] {label} \(", text), f"{path.name}: {cell.source!r} mostra {text!r}"
        assert not any(output.output_type == "error" for output in cell.outputs)


@pytest.mark.kernels
@pytest.mark.slow
@pytest.mark.parametrize("path", EXERCISES, ids=lambda path: path.stem)
def test_untouched_exercise_notebook_reports_not_attempted(path):
    notebook = nbformat.read(str(path), as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")
    # as lacunas deixam nomes indefinidos ou NotImplementedError: erros fora das conferências são esperados
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    cells = check_cells(notebook)
    assert cells
    for cell in cells:
        assert not any(output.output_type == "error" for output in cell.outputs), (
            f"{path.name}: {cell.source}"
        )
        assert "Não tentado" in output_text(cell), (
            f"{path.name}: {cell.source!r} mostra {output_text(cell)!r}"
        )


# --- as regras dos lugares reservados ------------------------------------------------------
def test_assignments_become_none_placeholders():
    source = "x = 1\n### BEGIN SOLUTION\nanswer = 2 * x\nshape = (1, 2)\n### END SOLUTION\nprint(answer)"
    expected = "x = 1\nanswer = None  # escreva sua resposta aqui\nshape = None  # escreva sua resposta aqui\nprint(answer)"
    assert make_exercises.strip_solutions(source) == expected


def test_method_bodies_become_not_implemented():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n"
    assert (
        make_exercises.strip_solutions(source)
        == 'def f(x):\n    raise NotImplementedError("escreva seu código aqui")\n'
    )


def test_classes_become_skeletons_with_the_same_signatures():
    source = (
        "### BEGIN SOLUTION\nclass Block(nn.Module):\n    def __init__(self, cfg):\n        super().__init__()\n\n"
        "    def forward(self, x):\n        return x\n### END SOLUTION"
    )
    stripped = make_exercises.strip_solutions(source)
    assert stripped.startswith(
        "# escreva seu código aqui\n\n\nclass Block(nn.Module):\n    def __init__(self, cfg):"
    )
    assert stripped.count('raise NotImplementedError("escreva seu código aqui")') == 2
    assert "super()" not in stripped and "return x" not in stripped


def test_other_code_becomes_a_comment():
    source = "total = 0\n### BEGIN SOLUTION\nfor n in range(3):\n    total += n\n### END SOLUTION"
    assert make_exercises.strip_solutions(source) == "total = 0\n# escreva seu código aqui"


@pytest.mark.parametrize(
    "source",
    ["### END SOLUTION\nx = 1", "### BEGIN SOLUTION\nx = 1", "### BEGIN SOLUTION\n### BEGIN SOLUTION\n"],
)
def test_unbalanced_markers_are_reported(source):
    with pytest.raises(ValueError, match="SOLUTION"):
        make_exercises.strip_solutions(source, "teste")


# --- as células só da solução ----------------------------------------------------------------
def solution_only_sources(notebook):
    return [cell.source for cell in notebook.cells if make_exercises.is_solution_only(cell)]


@pytest.mark.parametrize("name", LESSON_NAMES)
def test_solution_only_cells_are_in_the_solution_but_not_in_the_exercise(name):
    solution = nbformat.read(str(ROOT / "solutions" / f"{name}.ipynb"), as_version=4)
    exercise = nbformat.read(str(ROOT / "exercises" / f"{name}.ipynb"), as_version=4)
    hidden = solution_only_sources(solution)
    assert hidden, f"{name}: nenhuma célula com a tag '{SOLUTION_ONLY_TAG}' nas soluções"
    assert not solution_only_sources(exercise)
    shown = {cell.source for cell in exercise.cells}
    leaked = [source for source in hidden if source in shown]
    assert not leaked, f"{name}: células só da solução no exercício: {leaked}"


def number_forms(value, decimals=0):
    """O número como aparece num texto: 1.549,58 (pt-BR), 1,549.58 (print do Python) e 1549.58."""
    english = f"{value:,.{decimals}f}"
    brazilian = english.replace(",", "_").replace(".", ",").replace("_", ".")
    plain = f"{value:.{decimals}f}"
    return {english, brazilian, plain, plain.replace(".", ",")}


def first_layer_gradient_ratio():
    """A razão do exercício 04.2, medida na rede de referência do pacote."""
    x = torch.tensor(lesson04.SAMPLE_INPUT)
    means = [
        gradient_means(seeded(ExampleDeepNeuralNetwork, lesson04.LAYER_SIZES, shortcut), x)[
            "layers.0.0.weight"
        ]
        for shortcut in (True, False)
    ]
    return means[0] / means[1]


def leaked_answers(lesson):
    """Textos que entregariam uma resposta conferida na aula `lesson` (números nos dois formatos)."""
    counts = parameter_breakdown_from_config(GPT_CONFIG_124M)
    blocks, emb, vocab = (
        GPT_CONFIG_124M["n_layers"],
        GPT_CONFIG_124M["emb_dim"],
        GPT_CONFIG_124M["vocab_size"],
    )
    batch, tokens = lesson01.BATCH_SIZE, lesson01.NUM_TOKENS
    if lesson == "01":
        return {f"({batch}, {tokens}, {vocab})"} | number_forms(batch * tokens * vocab)
    if lesson == "02":
        return number_forms(counts["layer_norms"]) | {"25 LayerNorms"}
    if lesson == "03":
        hidden_shape = (*lesson03.FF_INPUT_SHAPE[:-1], 4 * emb)
        return {str(hidden_shape)} | number_forms(counts["feed_forward"] // blocks)
    if lesson == "04":
        return number_forms(first_layer_gradient_ratio()) | {"mil vezes"}
    if lesson == "05":
        return number_forms(counts["feed_forward"] // blocks) | number_forms(counts["attention"] // blocks)
    if lesson == "06":
        groups = ("attention", "feed_forward", "output_head")
        sentinels = number_forms(counts["token_embedding"] + counts["positional_embedding"])
        sentinels |= {form for group in groups for form in number_forms(counts[group])}
        for size in ("medium", "large", "xl"):
            total = parameter_breakdown_from_config(get_gpt2_config(size))["total"]
            sentinels |= number_forms(total) | number_forms(model_size_mb(total), 2)
        return sentinels | {"weight tying"}
    if lesson == "07":
        survivor_scale = 1 / (1 - lesson07.SPLIT_DROPOUT_CONFIG["drop_rate_shortcut"])
        return number_forms(survivor_scale, 4) | {"40%", "40,0%", "33,3"}
    if lesson == "08":
        window_lengths = lesson08.q2.expected()
        return {str(window_lengths), f"no segundo, {window_lengths[1]}"}  # a lista e a frase que a lê
    if lesson == "12":
        return number_forms(lesson12.reference_norms("post")[0], 3) | number_forms(
            lesson12.reference_norms("pre")[0], 3
        )
    if lesson == "13":
        cfg = lesson13.MODERN_BLOCK_CONFIG
        attention, feed_forward = attention_parameters(cfg), feed_forward_parameters(cfg)
        return number_forms(attention) | number_forms(feed_forward)
    if lesson == "14":
        top_probability = lesson14.expected_top_k()[1][0]
        return number_forms(top_probability, 3) | number_forms(top_probability, 4)
    raise ValueError(f"aula sem sentinelas: {lesson}")


@pytest.mark.parametrize("name", LESSON_NAMES)
def test_exercise_notebook_does_not_give_the_answers_away(name):
    sentinels = leaked_answers(name[:2])
    solution_text = (ROOT / "solutions" / f"{name}.ipynb").read_text(encoding="utf-8")
    # as sentinelas são respostas de verdade: pelo menos uma aparece na solução executada
    assert any(sentinel in solution_text for sentinel in sentinels), f"{name}: sentinelas {sentinels}"
    text = (ROOT / "exercises" / f"{name}.ipynb").read_text(encoding="utf-8")
    leaked = sorted(sentinel for sentinel in sentinels if sentinel in text)
    assert not leaked, (
        f"exercises/{name}.ipynb entrega as respostas {leaked}; marque a célula com a tag solucao"
    )


def test_a_tagged_cell_stays_in_the_solution_and_leaves_the_exercise(tmp_path):
    source = tmp_path / "02_teste.py"
    source.write_text(
        "# %%\nfrom gptlab_helpers.checks.lesson02 import q1\n\n"
        "# %%\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION\n\n"
        "# %%\nq1.check()\n\n"
        '# %% [markdown] tags=["solucao"]\n# A resposta é 42.\n\n'
        '# %% tags=["solucao"]\nprint(answer)\n\n'
        "# %% [markdown]\n# Depois de acertar, siga para o próximo exercício.\n",
        encoding="utf-8",
    )
    solution = make_exercises.solution_notebook(source)
    hidden = [cell for cell in solution.cells if cell.metadata.get("tags") == ["solucao"]]
    assert [(cell.cell_type, cell.source) for cell in hidden] == [
        ("markdown", "A resposta é 42."),
        ("code", "print(answer)"),
    ]
    exercise = make_exercises.exercise_notebook(solution, "02_teste.ipynb")
    sources = [cell.source for cell in exercise.cells]
    assert "A resposta é 42." not in sources and "print(answer)" not in sources
    assert sources[-2:] == ["q1.check()", "Depois de acertar, siga para o próximo exercício."]
    assert "answer = None  # escreva sua resposta aqui" in sources


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ('# %% tags=["solucao"]\nq1.check()\n', "qN.check"),
        ('# %% tags=["solucao"]\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n', "BEGIN SOLUTION"),
        ("# %% [markdown] tags=solucao\n# texto\n", "lista JSON"),
    ],
)
def test_bad_solution_only_cells_are_reported(tmp_path, cell, message):
    source = tmp_path / "02_teste.py"
    source.write_text(f"# %%\nfrom gptlab_helpers.checks.lesson02 import q1\n\n{cell}", encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        make_exercises.solution_notebook(source)


def test_lesson_sources_refuse_tags_instead_of_dropping_them():
    with pytest.raises(ValueError, match="tags de célula"):
        notebooks.parse_percent_source('# %% [markdown] tags=["solucao"]\n# texto\n', "aula.py")


def test_a_changed_alt_is_stale_and_is_copied_without_losing_outputs(tmp_path):
    def notebook(alt, with_output):
        cell = nbformat.v4.new_code_cell("plot()", metadata={"alt": alt})
        if with_output:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="figura\n")]
        book = notebooks.new_notebook([nbformat.v4.new_markdown_cell("# Título"), cell])
        book.metadata[make_exercises.METADATA_KEY] = {"exercicios": []}
        return book

    path = tmp_path / "12_x.ipynb"
    notebooks.write_notebook(notebook("Gráfico velho", with_output=True), path)
    expected = notebook("Gráfico novo", with_output=False)
    assert make_exercises.file_is_stale(path, expected)  # o --check vê o alt mudado
    assert make_exercises.notebook_change(path, expected) == "alt"
    saved = notebooks.copy_alt_texts(nbformat.read(path, as_version=4), expected)
    assert saved.cells[1].metadata["alt"] == "Gráfico novo"
    assert saved.cells[1].outputs[0]["text"] == "figura\n"
    expected.cells[1].source = "plot(2)"
    assert make_exercises.notebook_change(path, expected) == "cells"
    with pytest.raises(ValueError, match="não batem"):
        notebooks.copy_alt_texts(nbformat.read(path, as_version=4), expected)
