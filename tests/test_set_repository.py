"""scripts/set_repository.py: o endereço do repositório num lugar só, e todos concordando com ele."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gptlab_instructor.authoring import repository as set_repository

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "set_repository.py"


from gptlab_instructor.authoring import notebooks  # noqa: E402


def test_pyproject_readme_badges_and_setup_cells_all_agree():
    """Cada selo e cada célula de preparação é exatamente o que o pyproject.toml manda."""
    url, branch = set_repository.current_settings()
    assert (url, branch) == (notebooks.repository_url(), notebooks.repository_branch())
    paths = set_repository.notebook_paths(ROOT)
    assert {path.parent.name for path in paths} == {"notebooks", "exercises", "solutions"}
    stale = set_repository.planned_files(ROOT, url, branch)
    assert stale == {}, (
        f"não concordam com o pyproject.toml: {sorted(str(path.relative_to(ROOT)) for path in stale)}; "
        "rode python scripts/set_repository.py DONO/NOME"
    )
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set_repository.README_SENTENCE.format(url=url, branch=branch) in readme


def copy_of_the_repository(tmp_path):
    """Os arquivos que o script reescreve, copiados para uma pasta temporária."""
    root = tmp_path / "repo"
    root.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, root / name)
    for folder in set_repository.NOTEBOOK_DIRS:
        shutil.copytree(ROOT / folder, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return root


def cells_without(notebook_text, markers):
    """As células (com saídas) que não contêm nenhum dos marcadores."""
    cells = json.loads(notebook_text)["cells"]
    return [cell for cell in cells if not any(marker in "".join(cell["source"]) for marker in markers)]


def test_rewrites_only_badges_and_setup_cells_and_goes_back_byte_for_byte(tmp_path):
    root = copy_of_the_repository(tmp_path)
    before = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    old_url, old_branch = set_repository.current_settings(root)

    set_repository.main(
        ["https://github.com/minha-uni/gpt-aula.git", "--branch", "turma-2", "--root", str(root)]
    )

    assert set_repository.current_settings(root) == ("https://github.com/minha-uni/gpt-aula", "turma-2")
    markers = (set_repository.SETUP_MARKER, set_repository.BADGE_MARKER)
    for path in set_repository.notebook_paths(root):
        text = path.read_text(encoding="utf-8")
        relative = path.relative_to(root).as_posix()
        assert old_url not in text, relative
        assert f"https://colab.research.google.com/github/minha-uni/gpt-aula/blob/turma-2/{relative}" in text
        assert notebooks.setup_cell("https://github.com/minha-uni/gpt-aula", "turma-2").source in "".join(
            "".join(cell["source"]) for cell in json.loads(text)["cells"]
        )
        # o resto (texto, código, saídas, metadados) não mudou
        assert cells_without(text, markers) == cells_without(before[path].decode("utf-8"), markers)
        assert json.loads(text)["metadata"] == json.loads(before[path])["metadata"]
    readme = (root / "README.md").read_text(encoding="utf-8")
    assert "**https://github.com/minha-uni/gpt-aula**, ramo `turma-2`" in readme
    assert old_url not in readme

    set_repository.main(
        [old_url.removeprefix("https://github.com/"), "--branch", old_branch, "--root", str(root)]
    )
    after = {path: path.read_bytes() for path in root.rglob("*") if path.is_file()}
    assert after == before  # de volta ao endereço antigo, nenhum byte diferente


def test_a_notebook_without_setup_cell_is_refused(tmp_path):
    text = json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Título"]}]})
    with pytest.raises(
        ValueError, match="não achei a célula de preparação e o selo do Colab.*build_notebooks"
    ):
        set_repository.rewrite_notebook(text, "notebooks/99_x.ipynb", "https://github.com/a/b", "main")


@pytest.mark.parametrize("bad", ["gptlab", "https://gitlab.com/a/b", "a/b/c", "-a/b", "a b/c"])
def test_bad_repository_names_get_a_clear_error(bad):
    with pytest.raises(ValueError, match="não é um repositório do GitHub: escreva DONO/NOME"):
        set_repository.parse_repository(bad)


def test_bad_branch_and_missing_argument_exit_with_a_message(tmp_path, capsys):
    root = copy_of_the_repository(tmp_path)
    with pytest.raises(SystemExit, match="não é um nome de ramo válido"):
        set_repository.main(["dono/nome", "--branch", "a..b", "--root", str(root)])
    with pytest.raises(SystemExit):
        set_repository.main(["--root", str(root)])
    assert "diga o repositório" in capsys.readouterr().err


def test_check_command_passes_on_the_committed_files():
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("tudo usa https://github.com/")
