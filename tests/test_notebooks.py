"""Estrutura dos notebooks de aula e das funções de gptlab_instructor/authoring/build.py.

As saídas em si são conferidas pelo nbval (pytest --nbval roda cada notebook de notebooks/).
Aqui conferimos o que o nbval não vê: a célula de preparação, o selo do Colab, as seções
obrigatórias, que as saídas estão gravadas e que o notebook corresponde à sua fonte.
"""

import contextlib
import importlib.util
import io
import platform
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
import torch
from gptlab_instructor.authoring import build as build_notebooks
from gptlab_instructor.authoring import notebooks

import gptlab_helpers

ROOT = Path(__file__).resolve().parents[1]

LESSON_NOTEBOOKS = [
    "01_arquitetura_gpt.ipynb",
    "02_layer_normalization.ipynb",
    "03_gelu_feed_forward.ipynb",
    "04_conexoes_de_atalho.ipynb",
    "05_bloco_transformer_e_gpt.ipynb",
    "06_distribuicao_de_parametros.ipynb",
    "07_dropout_separado.ipynb",
    "08_gerando_texto.ipynb",
]
# A trilha GPTLab continua a numeração: treino, visualizações e tokenizadores.
TRACK_NOTEBOOKS = [
    "09_treinando_um_gpt_com_machado.ipynb",
    "10_olhando_dentro_do_modelo.ipynb",
    "11_caracteres_vs_bpe.ipynb",
]
# "Próximos passos" da aula: cada um com perguntas frequentes e exercícios, como as aulas.
NEXT_STEPS_NOTEBOOKS = [
    "12_pre_ln_vs_post_ln.ipynb",
    "13_gpt2_vs_modelos_atuais.ipynb",
    "14_pesos_do_gpt2.ipynb",
]
# Apêndices: o que uma aula deixa para depois, por ensinar outra ideia (13b: a corrida de treino).
APPENDIX_NOTEBOOKS = ["13b_corrida_gpt2_vs_moderno.ipynb"]
ALL_NOTEBOOKS = sorted(LESSON_NOTEBOOKS + TRACK_NOTEBOOKS + NEXT_STEPS_NOTEBOOKS + APPENDIX_NOTEBOOKS)
# O guia de estilo pede células de código curtas, raramente com mais de 15 linhas: até duas por
# notebook podem passar disso (uma classe inteira, por exemplo), e nenhuma passa de 40.
SHORT_CELL_LINES, LONG_CELLS_ALLOWED, MAX_CODE_LINES = 15, 2, 40


def read_lesson(name):
    return nbformat.read(str(ROOT / "notebooks" / name), as_version=4)


def markdown_text(notebook):
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def code_cells(notebook):
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


# --- as funções do script ---------------------------------------------------------------


def test_repository_url_is_read_from_pyproject_and_cleaned(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[project.urls]\nRepository = "https://github.com/dono/repo.git/"\n', encoding="utf-8"
    )
    assert notebooks.repository_url(pyproject) == "https://github.com/dono/repo"
    pyproject.write_text('[project]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(KeyError, match=r"\[project.urls\] Repository"):
        notebooks.repository_url(pyproject)


def test_colab_badge_points_to_the_notebook_on_github():
    cell = notebooks.colab_badge_cell("notebooks/02_layer_normalization.ipynb")
    owner_repo = notebooks.repository_url().removeprefix("https://github.com/")
    branch = notebooks.repository_branch()
    expected = f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/notebooks/02_layer_normalization.ipynb"
    assert cell.cell_type == "markdown"
    assert f"]({expected})" in cell.source
    assert "Abrir no Colab" in cell.source
    absolute = notebooks.colab_badge_cell(ROOT / "notebooks" / "02_layer_normalization.ipynb")
    assert absolute.source == cell.source


def run_setup_cell(monkeypatch, package_found, pip_returncode=0):
    """Executa a célula de preparação de verdade, com o pip trocado por um falso.

    Devolve (comandos do pip chamados, o que a célula imprimiu). `package_found=False` imita o
    Colab (o pacote não está instalado); `pip_returncode` diz como o pip falso termina.
    """
    calls = []

    def fake_run(command, **kwargs):
        calls.append((command, kwargs))
        return subprocess.CompletedProcess(command, pip_returncode, b"", b"ERROR: ...")

    monkeypatch.setattr(subprocess, "run", fake_run)
    if not package_found:  # como no Colab: o pacote não está instalado
        original = importlib.util.find_spec
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name, *a: None if name == "gptlab_helpers" else original(name, *a),
        )
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        exec(compile(notebooks.setup_cell().source, "<célula de preparação>", "exec"), {})
    return calls, output.getvalue()


def test_setup_cell_only_prints_versions_when_the_package_is_installed(monkeypatch):
    calls, printed = run_setup_cell(monkeypatch, package_found=True)
    assert calls == []
    assert printed == (
        f"Python {platform.python_version()} · torch {torch.__version__} · "
        f"gptlab_helpers {gptlab_helpers.__version__}\n"
    )


def test_setup_cell_installs_only_the_package_from_the_repository_in_colab(monkeypatch):
    calls, printed = run_setup_cell(monkeypatch, package_found=False)
    url, branch = notebooks.repository_url(), notebooks.repository_branch()
    [(command, kwargs)] = calls
    assert command[1:] == ["-m", "pip", "install", "-q", f"gptlab-helpers @ git+{url}@{branch}"]
    assert kwargs["capture_output"] is True  # o aluno não vê a saída do pip
    assert kwargs["env"]["GIT_TERMINAL_PROMPT"] == "0"  # o git não fica esperando uma senha
    assert printed.startswith("Python ")


def test_setup_cell_explains_in_portuguese_when_the_install_fails(monkeypatch):
    with pytest.raises(RuntimeError) as error:
        run_setup_cell(monkeypatch, package_found=False, pip_returncode=1)
    message = str(error.value)
    assert message.startswith(f"Não consegui instalar o gptlab_helpers de {notebooks.repository_url()}")
    assert "scripts/set_repository.py DONO/NOME" in message  # saída 1: o endereço
    assert "envie a pasta gptlab_helpers/" in message  # saída 2: sem internet
    assert error.value.__cause__ is None and error.value.__suppress_context__


def test_setup_cell_comes_from_the_pyproject_settings():
    cell = notebooks.setup_cell("https://github.com/dono/curso", "aula")
    assert 'REPOSITORIO, RAMO = "https://github.com/dono/curso", "aula"' in cell.source
    badge = notebooks.colab_badge_cell("exercises/01_x.ipynb", "https://github.com/dono/curso", "aula")
    assert (
        "(https://colab.research.google.com/github/dono/curso/blob/aula/exercises/01_x.ipynb)" in badge.source
    )


def test_parse_percent_source_splits_cells_and_rejects_empty_ones():
    text = (
        "# cabeçalho ignorado\n\n# %% [markdown]\n# # Título\n#\n# texto\n\n# %%\nx = 1\n\n\n# %%\nprint(x)\n"
    )
    assert notebooks.parse_percent_source(text) == [
        ("markdown", "# Título\n\ntexto"),
        ("code", "x = 1"),
        ("code", "print(x)"),
    ]
    with pytest.raises(ValueError, match="vazia"):
        notebooks.parse_percent_source("# %%\n\n# %%\nx = 1\n")


def test_source_notebook_cells_carry_alt_and_tags_from_the_marker():
    text = '# %% [markdown] tags=["solucao"]\n# texto\n\n# %% alt="Gráfico da perda"\nplot()\n\n# %%\nx = 1\n'
    cells = notebooks.source_notebook_cells(text, "fonte.py", with_tags=True)
    assert [cell.cell_type for cell in cells] == ["markdown", "code", "code"]
    assert cells[0].metadata["tags"] == ["solucao"]
    assert cells[1].metadata == {"alt": "Gráfico da perda"}
    assert cells[2].metadata == {}
    with pytest.raises(ValueError, match="tags de célula"):
        notebooks.source_notebook_cells(text, "aula.py")


def test_numbered_files_take_lessons_and_appendices_in_order(tmp_path):
    names = ["13b_apendice.py", "02_b.py", "13_a.py", "leia.py", "1_curto.py", "ab_x.py", "10_c.ipynb"]
    for name in names:
        (tmp_path / name).write_text("")
    found = [path.name for path in notebooks.numbered_files(tmp_path, ".py")]
    assert found == ["02_b.py", "13_a.py", "13b_apendice.py"]


@pytest.mark.kernels
@pytest.mark.slow
def test_execute_notebook_is_deterministic(tmp_path):
    cells = [
        nbformat.v4.new_code_cell("import time\nprint('um')\ntime.sleep(0.2)\nprint('dois')"),
        nbformat.v4.new_code_cell("1 + 1"),
    ]
    path = tmp_path / "mini.ipynb"
    notebooks.write_notebook(notebooks.new_notebook(cells), path)
    notebooks.execute_notebook(path, timeout=60)
    first = path.read_bytes()
    time.sleep(1)  # um horário gravado no arquivo mudaria entre as duas execuções
    notebooks.execute_notebook(path, timeout=60)
    assert path.read_bytes() == first
    notebook = nbformat.read(str(path), as_version=4)
    assert notebook.cells[0].outputs == [nbformat.v4.new_output("stream", name="stdout", text="um\ndois\n")]
    assert notebook.cells[1].outputs[0].data["text/plain"] == "2"
    assert all("execution" not in cell.metadata for cell in notebook.cells)
    assert notebook.metadata.language_info == {"name": "python"}


@pytest.mark.kernels
@pytest.mark.slow
def test_execute_notebook_keeps_the_file_when_a_cell_fails(tmp_path):
    path = tmp_path / "falha.ipynb"
    notebooks.write_notebook(notebooks.new_notebook([nbformat.v4.new_code_cell("1 / 0")]), path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="falhou"):
        notebooks.execute_notebook(path, timeout=60)
    assert path.read_bytes() == before


# --- os notebooks de aula ---------------------------------------------------------------


def test_every_lesson_has_a_source_and_a_notebook():
    sources = [path.stem for path in build_notebooks.lesson_sources()]
    assert sources == [name.removesuffix(".ipynb") for name in ALL_NOTEBOOKS]
    for name in ALL_NOTEBOOKS:
        assert (ROOT / "notebooks" / name).is_file(), (
            f"falta notebooks/{name}: rode python scripts/build_notebooks.py"
        )


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_notebook_opens_with_title_then_badge_then_setup_cell(name):
    """O título vem antes de qualquer código; logo depois, o selo do Colab e a preparação."""
    title, badge, setup = read_lesson(name).cells[:3]
    assert title.cell_type == "markdown" and title.source.startswith("# ")
    assert badge.source == notebooks.colab_badge_cell(f"notebooks/{name}").source
    assert setup.cell_type == "code"
    assert setup.source == notebooks.setup_cell().source


@pytest.mark.parametrize("name", LESSON_NOTEBOOKS + NEXT_STEPS_NOTEBOOKS)
def test_notebook_has_required_sections_and_exercise_link(name):
    """As aulas 01-08 e 12-14 têm perguntas frequentes e um notebook de exercícios com o mesmo nome."""
    text = markdown_text(read_lesson(name))
    assert text.startswith("# ")
    assert "## Objetivos de aprendizagem" in text
    assert "## Perguntas frequentes" in text
    assert f"(../exercises/{name})" in text, f"{name} deve terminar com o link para ../exercises/{name}"


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_notebook_was_executed_top_to_bottom_with_outputs(name):
    cells = code_cells(read_lesson(name))
    counts = [cell.execution_count for cell in cells]
    assert counts == list(range(1, len(cells) + 1)), f"{name}: execute com python scripts/build_notebooks.py"
    assert sum(bool(cell.outputs) for cell in cells) >= len(cells) // 2, f"{name} está quase sem saídas"


@pytest.mark.parametrize("name", TRACK_NOTEBOOKS)
def test_track_notebook_has_goals_and_no_errors(name):
    notebook = read_lesson(name)
    assert "## Objetivos de aprendizagem" in markdown_text(notebook)
    for index, cell in enumerate(code_cells(notebook)):
        for output in cell.outputs:
            assert output.output_type != "error", f"{name}, célula de código {index}: {output.get('ename')}"


@pytest.mark.parametrize("name", LESSON_NOTEBOOKS + NEXT_STEPS_NOTEBOOKS)
def test_notebook_has_no_errors_or_warnings(name):
    for index, cell in enumerate(code_cells(read_lesson(name))):
        for output in cell.outputs:
            assert output.output_type != "error", f"{name}, célula de código {index}: {output.get('ename')}"
            assert output.get("name") != "stderr", f"{name}, célula de código {index} escreveu em stderr"


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_notebook_matches_its_source(name):
    source = notebooks.SOURCES_DIR / name.replace(".ipynb", ".py")
    expected = [(cell.cell_type, cell.source) for cell in build_notebooks.build_lesson_notebook(source).cells]
    actual = [(cell.cell_type, cell.source) for cell in read_lesson(name).cells]
    assert actual == expected, (
        f"{name} está desatualizado: rode python scripts/build_notebooks.py --only {name[:2]}"
    )


@pytest.mark.parametrize("name", ALL_NOTEBOOKS)
def test_code_cells_are_short(name):
    setup = notebooks.setup_cell().source  # gerada, igual em todos: fica de fora
    lengths = [cell.source.count("\n") + 1 for cell in code_cells(read_lesson(name)) if cell.source != setup]
    assert max(lengths) <= MAX_CODE_LINES, (
        f"{name}: célula com {max(lengths)} linhas; divida-a em passos menores"
    )
    long_cells = [n for n in lengths if n > SHORT_CELL_LINES]
    assert len(long_cells) <= LONG_CELLS_ALLOWED, f"{name}: células longas demais ({long_cells} linhas)"


def test_the_build_warns_when_the_cpu_is_already_busy():
    assert build_notebooks.busy_machine_warning(load=0.3, cores=2) is None
    warning = build_notebooks.busy_machine_warning(load=3.5, cores=2)
    assert "carga 3.5 em 2 núcleos" in warning and "infladas" in warning


def test_build_executes_every_solution_it_rewrote_even_outside_only(monkeypatch, tmp_path):
    """`--only 02` com a fonte da solução 04 mudada: a 04 é regravada sem saídas, então também roda;
    a 05, em que só o alt de uma figura mudou, guarda as saídas e não roda."""
    solutions = tmp_path / "solutions"
    solutions.mkdir()
    shutil.copy(build_notebooks.SOLUTIONS_DIR / "02_layer_normalization.ipynb", solutions)
    kept = solutions / "05_bloco_transformer_e_gpt.ipynb"
    shutil.copy(build_notebooks.SOLUTIONS_DIR / kept.name, kept)
    rewritten = solutions / "04_conexoes_de_atalho.ipynb"
    without_outputs = nbformat.read(build_notebooks.SOLUTIONS_DIR / rewritten.name, as_version=4)
    for cell in without_outputs.cells:
        if cell.cell_type == "code":
            cell.outputs = []
    nbformat.write(without_outputs, rewritten)
    exercise = tmp_path / "exercises" / "04_conexoes_de_atalho.ipynb"
    monkeypatch.setattr(build_notebooks, "ROOT", tmp_path)
    monkeypatch.setattr(build_notebooks, "SOLUTIONS_DIR", solutions)
    monkeypatch.setattr(build_notebooks.exercises, "write_all", lambda: [rewritten, kept, exercise])
    executed = []
    monkeypatch.setattr(
        build_notebooks, "execute_notebook", lambda path, timeout: executed.append(path) or 0.0
    )
    build_notebooks.build_exercises(["02"], execute=True, timeout=1)
    assert [path.name for path in executed] == ["02_layer_normalization.ipynb", "04_conexoes_de_atalho.ipynb"]
