"""A entrega da turma (`gptlab-turma`): sem nenhuma resposta, com manifesto, e recusada quando as soluções falham.

A entrega é montada uma vez por módulo (uns 5 s) e instalada com o pip numa pasta (sem rede:
`--no-deps --no-build-isolation`, com o setuptools do requirements-dev), como um aluno instalaria.
"""

import contextlib
import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from gptlab_instructor.authoring import exercises, release
from gptlab_instructor.authoring.release import ReleaseError, build_release
from test_readme_commands import readme_command

from gptlab_helpers.checks import EXERCISE_SETS

pytestmark = pytest.mark.slow  # monta a entrega (uns 5 s) e a instala com o pip

ROOT = Path(__file__).resolve().parents[1]
REPOSITORY = "minha-uni/gptlab-turma-2027"  # o do README
TEXT_SUFFIXES = {".py", ".ipynb", ".md", ".toml", ".txt", ".json", ".cfg"}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """(pasta da entrega, pasta onde o pip instalou uma cópia dela, manifesto, texto impresso)."""
    base = tmp_path_factory.mktemp("entrega")
    argv = readme_command("gptlab-turma")  # a linha do README, com a saída aqui
    argv[0] = str(base / "turma")
    stream = io.StringIO()
    with contextlib.redirect_stdout(stream):
        assert release.main(argv) == 0
    data = json.loads((base / "turma" / "MANIFESTO.json").read_text(encoding="utf-8"))
    installed = base / "instalado"
    clone = shutil.copytree(base / "turma", base / "clone")  # o pip constrói dentro da pasta
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
        + ["--target", str(installed), str(clone)],
        check=True,
        capture_output=True,
    )
    return base / "turma", installed, data, stream.getvalue()


def text_files(*folders):
    """{caminho: texto} dos arquivos de texto (e do código das células, nos notebooks)."""
    found = {}
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if not path.is_file() or path.suffix not in TEXT_SUFFIXES or "dist-info" in str(path):
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
            if path.suffix == ".ipynb":
                notebook = nbformat.reads(text, as_version=4)
                text = "\n".join(cell.source for cell in notebook.cells)
            found[path] = text
    return found


def test_the_release_has_the_student_files_and_nothing_of_the_instructor(built):
    folder, installed, data, printed = built
    assert "entrega da turma gravada em" in printed and REPOSITORY in printed
    assert data["repositorio"] == f"https://github.com/{REPOSITORY}"
    names = {path.name for path in (folder / "exercises").iterdir()}
    assert names == {path.name for path in (ROOT / "exercises").glob("[0-9][0-9]_*.ipynb")}
    for absent in ("solutions", "instructor", "scripts", "tests", "notebooks", ".ci"):
        assert not (folder / absent).exists(), absent
    assert not list(folder.rglob("hidden.py")) and not list(installed.rglob("hidden.py"))
    assert (installed / "gptlab_helpers" / "checks" / "solution_code.py").is_file()
    assert data["modo"] == "turma" and data["prazo"] == "20/12/2026"


def test_no_line_of_any_solution_region_is_in_the_release_or_the_installed_package(built):
    folder, installed, _, _ = built
    answers = release.answer_lines(release.solution_regions())
    assert sum(map(len, answers.values())) >= 100  # o que só as soluções têm: não é uma busca vazia
    assert all(answers[key] for key in ("06.1", "07.1", "13.2", "14.1"))
    texts = text_files(folder, installed)
    found = [
        (str(path), key, line)
        for path, text in texts.items()
        for key, wanted in answers.items()
        for line in wanted
        if line in release.normalised_lines(text)
    ]
    assert found == []


def test_the_leak_guard_finds_a_solution_line_put_into_a_copy(built, tmp_path):
    folder, *_ = built
    copy = tmp_path / "copia"
    shutil.copytree(folder, copy)
    answers = release.answer_lines(release.solution_regions())
    line = answers["13.2"][0]
    target = copy / "gptlab_helpers" / "variants" / "modern.py"
    target.write_text(
        target.read_text(encoding="utf-8") + f"\n\ndef vazou(x):\n    {line}\n", encoding="utf-8"
    )
    assert release.leaked_solutions(copy, answers) == [("gptlab_helpers/variants/modern.py", "13.2", line)]


def number_variants(text):
    """'1,637,792,000' -> as grafias com que o número poderia aparecer num arquivo."""
    digits = text.replace(",", "").replace("_", "")
    if "." in digits:  # 1,549.58 -> 1549.58, 1.549,58 e 1549,58
        whole, fraction = digits.split(".")
        grouped = f"{int(whole):,}".replace(",", ".")
        return {digits, f"{whole},{fraction}", f"{grouped},{fraction}", text}
    value = int(digits)
    return {digits, f"{value:,}", f"{value:_}", f"{value:,}".replace(",", "."), text}


def given_text():
    """O que o aluno já tem sem a solução: as aulas e o enunciado de cada lista."""
    parts = [
        path.read_text(encoding="utf-8") for path in (ROOT / "scripts" / "notebook_sources").glob("*.py")
    ]
    parts += [text for source in exercises.sources() for _, text in release.statement_cells(source)]
    return "\n".join(parts)


def expected_values():
    """{(lista, número)} impressos pelas células de solução: os valores que a conferência espera."""
    values = set()
    given = given_text()
    for source in exercises.sources():
        notebook = nbformat.read(exercises.SOLUTIONS_DIR / f"{source.stem}.ipynb", as_version=4)
        for cell in notebook.cells:
            if cell.cell_type != "code" or exercises.BEGIN not in cell.source:
                continue
            for output in cell.get("outputs", []):
                text = output.get("text", "") or output.get("data", {}).get("text/plain", "")
                for number in re.findall(r"\d[\d.,_]*\d", text):
                    if len(re.sub(r"\D", "", number)) >= 4 and not any(
                        re.search(rf"(?<![\d.,]){re.escape(variant)}(?!\d)", given)
                        for variant in number_variants(number)
                    ):
                        values.add((source.stem[:2], number))
    return values


def test_no_expected_value_printed_by_a_solution_is_in_the_release(built):
    folder, installed, _, _ = built
    values = expected_values()
    assert {("06", "406,212,608"), ("06", "6,247.68"), ("01", "1,055,397"), ("14", "0.4597")} <= values
    texts = text_files(folder, installed)
    found = [
        (str(path), number)
        for lesson, number in sorted(values)
        for variant in number_variants(number)
        for path, text in texts.items()
        if re.search(rf"(?<![\d.,]){re.escape(variant)}(?!\d)", text)
    ]
    assert found == []


def test_solution_in_the_installed_release_says_when_it_opens_and_hint_still_works(built):
    _, installed, _, _ = built
    code = (
        "import gptlab_helpers, pathlib\n"
        "print(pathlib.Path(gptlab_helpers.__file__).parent)\n"
        "from gptlab_helpers.checks import lesson06\n"
        "lesson06.q1.solution()\n"
        "lesson06.q1.hint()\n"
        "from gptlab_helpers.checks import base\n"
        "print(base.HELP_LOG)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(installed), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
        cwd=installed,
    )
    lines = completed.stdout.splitlines()
    assert lines[0] == str(installed / "gptlab_helpers")
    assert "A solução do exercício 06.1 está fechada nesta entrega da turma" in completed.stdout
    assert "20/12/2026" in completed.stdout and "class GPTModel" not in completed.stdout
    assert "Dica (06.1):" in completed.stdout
    assert lines[-1] == "[('06.1', 'dica')]"  # a solução fechada não mostrou nada: não conta


def test_the_course_repository_keeps_its_solutions_open():
    from gptlab_helpers.checks import lesson06, solution_code

    assert solution_code.MODE == "autoestudo" and solution_code.SOLUTIONS["06.1"]
    assert "class MultiHeadAttention" in solution_code.SOLUTIONS["06.1"]
    assert lesson06.q1.solution is not None


def test_the_manifest_has_the_checksum_of_every_file_and_check_cell(built):
    folder, _, data, _ = built
    assert json.loads((folder / "MANIFESTO.json").read_text(encoding="utf-8")) == data
    files = {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}
    assert set(data["arquivos"]) == files - {"MANIFESTO.json"}
    for relative, digest in data["arquivos"].items():
        assert hashlib.sha256((folder / relative).read_bytes()).hexdigest() == digest, relative
    for exercise_set, entry in data["listas"].items():
        notebook = nbformat.read(folder / entry["notebook"], as_version=4)
        cells = entry["celulas_de_conferencia"]
        assert sum(len(cell["confere"]) for cell in cells) == len(EXERCISE_SETS[exercise_set])
        for cell in cells:
            source = notebook.cells[cell["celula"] - 1].source
            assert hashlib.sha256(source.encode("utf-8")).hexdigest() == cell["sha256"]


def test_the_release_notebooks_point_to_the_class_repository(built):
    folder, *_ = built
    text = (folder / "exercises" / "06_distribuicao_de_parametros.ipynb").read_text(encoding="utf-8")
    assert REPOSITORY in text and "gptlab-br/gptlab" not in text
    assert "### BEGIN SOLUTION" not in text and "escreva seu código aqui" in text


# --- entradas ruins: erro em português, nada gravado --------------------------------------------
def failing_solutions(tmp_path):
    """Uma cópia de solutions/ em que a conferência gravada do 02.1 deu errado."""
    copy = tmp_path / "solutions"
    shutil.copytree(exercises.SOLUTIONS_DIR, copy)
    path = copy / "02_layer_normalization.ipynb"
    text = path.read_text(encoding="utf-8")
    assert "[02.1] Correto (2/2 pontos)" in text
    path.write_text(
        text.replace("[02.1] Correto (2/2 pontos)", "[02.1] Incorreto (0/2 pontos)"), encoding="utf-8"
    )
    return copy


def test_a_release_from_solutions_whose_check_fails_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(exercises, "SOLUTIONS_DIR", failing_solutions(tmp_path))
    output = tmp_path / "saida" / "turma"
    with pytest.raises(ReleaseError, match=r"02_layer_normalization.ipynb: a conferência da solução falha"):
        build_release(output, REPOSITORY, lists=["02", "03"], stream=io.StringIO())
    assert not output.exists()
    assert not (tmp_path / "saida").exists() or not any((tmp_path / "saida").iterdir())


def test_a_stale_solution_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "solutions"
    shutil.copytree(exercises.SOLUTIONS_DIR, copy)
    path = copy / "03_gelu_feed_forward.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells.append(nbformat.v4.new_markdown_cell("uma célula que a fonte não tem"))
    nbformat.write(notebook, path)
    monkeypatch.setattr(exercises, "SOLUTIONS_DIR", copy)
    with pytest.raises(ReleaseError, match=r"03_gelu_feed_forward.ipynb não está em dia"):
        build_release(tmp_path / "turma", REPOSITORY, lists=["03"], stream=io.StringIO())
    assert not (tmp_path / "turma").exists()


def test_an_existing_folder_with_files_is_never_overwritten(tmp_path):
    output = tmp_path / "turma"
    output.mkdir()
    (output / "notas.csv").write_text("meu trabalho", encoding="utf-8")
    with pytest.raises(ReleaseError, match="já existe e não está vazia"):
        build_release(output, REPOSITORY, stream=io.StringIO())
    assert (output / "notas.csv").read_text(encoding="utf-8") == "meu trabalho"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["turma"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--repositorio", REPOSITORY, "--prazo", "20/12/2026"], "escreva a data como AAAA-MM-DD"),
        (["--repositorio", REPOSITORY, "--listas", "99"], "não há lista de exercícios 99"),
        (["--repositorio", "sem-barra"], "DONO/NOME"),
    ],
)
def test_bad_arguments_get_a_portuguese_error_and_exit_code_2(tmp_path, capsys, argv, message):
    output = tmp_path / "turma"
    assert release.main([str(output), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists()
