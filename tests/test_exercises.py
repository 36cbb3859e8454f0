"""Os notebooks de exercícios e de soluções: gerados da fonte única, em dia, e conferindo certo.

- exercises/ e solutions/ correspondem a scripts/solution_sources/ (regerados em memória);
- cada notebook de exercícios roda intocado e todas as conferências dizem "Não tentado";
- cada notebook de soluções traz, nas saídas gravadas, todas as conferências "Correto".
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from gptlab_helpers.checks import EXERCISE_SETS

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = sorted((ROOT / "exercises").glob("*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))
LESSON_NAMES = [
    "01_arquitetura_gpt",
    "02_layer_normalization",
    "03_gelu_feed_forward",
    "04_conexoes_de_atalho",
    "05_bloco_transformer_e_gpt",
    "06_distribuicao_de_parametros",
    "07_dropout_separado",
    "08_gerando_texto",
]
CHECK_CALL = re.compile(r"^q(\d+)\.check\(\)$", re.MULTILINE)


def load_make_exercises():
    spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "scripts" / "make_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_exercises = load_make_exercises()


def check_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code" and CHECK_CALL.search(cell.source)]


def output_text(cell):
    parts = []
    for output in cell.outputs:
        parts.append(output.get("text", ""))
        parts.append(output.get("data", {}).get("text/plain", ""))
    return "".join(parts)


def test_one_exercise_and_one_solution_notebook_per_lesson():
    assert [path.stem for path in EXERCISES] == LESSON_NAMES
    assert [path.stem for path in SOLUTIONS] == LESSON_NAMES


def test_generated_files_are_up_to_date():
    stale = [str(path.relative_to(ROOT)) for path in make_exercises.stale_files()]
    assert not stale, f"desatualizados: {stale}; rode python scripts/make_exercises.py --execute"


@pytest.mark.parametrize("path", EXERCISES + SOLUTIONS, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_notebook_declares_its_exercise_set_and_checks_all_of_it_in_order(path):
    notebook = nbformat.read(str(path), as_version=4)
    lesson = path.stem[:2]
    assert notebook.metadata["gptlab"] == {"exercise_set": lesson}
    sources = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    assert f"from gptlab_helpers.checks.lesson{lesson} import" in sources
    numbers = [int(match) for cell in check_cells(notebook) for match in CHECK_CALL.findall(cell.source)]
    assert numbers == list(range(1, len(EXERCISE_SETS[lesson]) + 1))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda path: path.stem)
def test_solution_outputs_show_every_check_correct(path):
    notebook = nbformat.read(str(path), as_version=4)
    for cell in check_cells(notebook):
        text = output_text(cell)
        assert re.search(r"\] Correto \(", text), f"{path.name}: {cell.source!r} mostra {text!r}"
        assert not any(output.output_type == "error" for output in cell.outputs)


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
