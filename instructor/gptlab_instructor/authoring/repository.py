"""Troca o endereço do repositório (e o ramo) em todo lugar que o Colab usa, sem executar nada.

Uso (na raiz do repositório):

    python scripts/set_repository.py DONO/NOME                # ramo main
    python scripts/set_repository.py DONO/NOME --branch aula  # outro ramo
    python scripts/set_repository.py --check                  # só confere se tudo concorda

O endereço fica num lugar só, `[project.urls] Repository` (e `[tool.gptlab] branch`) no
pyproject.toml. Este script grava os dois ali e reescreve, a partir deles:

- em cada notebook de `notebooks/`, `exercises/` e `solutions/`, o selo "Abrir no Colab" e a
  célula de preparação (a que instala o pacote no Colab). Só essas duas células mudam: as
  saídas e o resto do arquivo ficam byte a byte como estavam, então nada é reexecutado;
- no README.md, a frase que diz qual endereço os notebooks usam e os outros usos do endereço.

Os geradores (`scripts/build_notebooks.py` e `scripts/make_exercises.py`) leem o pyproject.toml,
então os notebooks reconstruídos depois já saem com o endereço novo.
"""

import argparse
import json
import os
import re
import tempfile
from pathlib import Path

from gptlab_helpers.core.cli import PortugueseParser

from . import notebooks

ROOT = notebooks.ROOT
NOTEBOOK_DIRS = ("notebooks", "exercises", "solutions")
GITHUB = "https://github.com/"
OWNER_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
BRANCH_NAME = re.compile(r"[A-Za-z0-9._/-]{1,200}")
SETUP_MARKER = "REPOSITORIO, RAMO = "
BADGE_MARKER = "colab.research.google.com/github/"
# A frase do README que diz o endereço em uso fica entre estes marcadores.
README_BEGIN, README_END = "<!-- endereco-do-repositorio:inicio -->", "<!-- endereco-do-repositorio:fim -->"
README_SENTENCE = (
    "Os notebooks versionados instalam o pacote e abrem no Colab a partir de **{url}**, ramo `{branch}`."
)


def parse_repository(text):
    """'dono/nome' (ou o endereço completo do GitHub) -> 'https://github.com/dono/nome'."""
    owner_name = text.strip().removeprefix(GITHUB).rstrip("/").removesuffix(".git")
    if not OWNER_NAME.fullmatch(owner_name):
        raise ValueError(
            f"{text!r} não é um repositório do GitHub: escreva DONO/NOME, por exemplo "
            "minha-universidade/gptlab (o Colab só abre notebooks do GitHub)"
        )
    return GITHUB + owner_name


def check_branch(branch):
    if not BRANCH_NAME.fullmatch(branch) or ".." in branch or branch.startswith(("-", "/")):
        raise ValueError(f"{branch!r} não é um nome de ramo válido (ex.: main, aula-2025)")
    return branch


# --- pyproject.toml e README.md -----------------------------------------------------------
def rewrite_pyproject(text, url, branch):
    """O pyproject.toml com `Repository` e `[tool.gptlab] branch` trocados (o resto intacto)."""
    text, found = re.subn(r'(?m)^Repository = ".*"$', f'Repository = "{url}"', text)
    if found != 1:
        raise ValueError('o pyproject.toml deve ter uma linha Repository = "..." em [project.urls]')
    section = re.search(r"(?ms)^\[tool\.gptlab\]\n(.*?)(?=^\[|\Z)", text)
    if section is None:
        return text.rstrip("\n") + f'\n\n[tool.gptlab]\nbranch = "{branch}"\n'
    body, found = re.subn(r'(?m)^branch = ".*"$', f'branch = "{branch}"', section.group(1))
    if not found:
        body = f'branch = "{branch}"\n' + body
    return text[: section.start(1)] + body + text[section.end(1) :]


def rewrite_readme(text, old_url, url, branch):
    """O README com a frase do endereço refeita e os outros usos do endereço antigo trocados."""
    pattern = re.compile(re.escape(README_BEGIN) + r".*?" + re.escape(README_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"o README.md perdeu os marcadores {README_BEGIN} ... {README_END}")
    sentence = README_SENTENCE.format(url=url, branch=branch)
    text = pattern.sub(lambda _: f"{README_BEGIN}\n{sentence}\n{README_END}", text)
    return re.sub(re.escape(old_url) + r"(?![\w.-])", url, text)


# --- os notebooks -------------------------------------------------------------------------
def source_text(cell):
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def as_stored(text, like):
    """`text` no formato em que o arquivo guardava a célula: lista de linhas (nbformat) ou texto."""
    return text if isinstance(like, str) else text.splitlines(keepends=True)


def rewrite_notebook(text, relative_path, url, branch, badge=True):
    """O texto do notebook com o selo e a célula de preparação refeitos para `url` e `branch`.

    O JSON é relido e regravado na mesma ordem de chaves e indentação do nbformat: se o
    endereço não mudou, o texto sai idêntico. `badge=False` não mexe no selo (para endereços
    que não são do GitHub, como o `file://` do teste que imita o Colab).
    """
    notebook = json.loads(text)
    new_sources = {"setup": notebooks.setup_cell(url, branch).source}
    if badge:
        new_sources["badge"] = notebooks.colab_badge_cell(relative_path, url, branch).source
    found = set()
    for cell in notebook["cells"]:
        source = source_text(cell)
        if cell["cell_type"] == "code" and SETUP_MARKER in source:
            kind = "setup"
        elif cell["cell_type"] == "markdown" and BADGE_MARKER in source:
            kind = "badge"
        else:
            continue
        if kind in new_sources:
            cell["source"] = as_stored(new_sources[kind], cell["source"])
            found.add(kind)
    missing = set(new_sources) - found
    if missing:
        what = " e ".join(
            sorted({"setup": "a célula de preparação", "badge": "o selo do Colab"}[k] for k in missing)
        )
        raise ValueError(
            f"{relative_path}: não achei {what}; reconstrua o notebook com python scripts/build_notebooks.py"
        )
    ending = "\n" if text.endswith("\n") else ""
    return json.dumps(notebook, indent=1, ensure_ascii=False) + ending


def notebook_paths(root):
    return sorted(path for folder in NOTEBOOK_DIRS for path in (Path(root) / folder).glob("*.ipynb"))


# --- o conjunto ---------------------------------------------------------------------------
def current_settings(root=ROOT):
    """(endereço, ramo) gravados no pyproject.toml de `root`."""
    text = (Path(root) / "pyproject.toml").read_text(encoding="utf-8")
    url = re.search(r'(?m)^Repository = "(.*)"$', text)
    branch = re.search(r'(?ms)^\[tool\.gptlab\]\n.*?^branch = "(.*?)"$', text)
    if url is None:
        raise ValueError('o pyproject.toml deve ter uma linha Repository = "..." em [project.urls]')
    return url.group(1).rstrip("/").removesuffix(".git"), branch.group(1) if branch else "main"


def planned_files(root, url, branch):
    """{caminho: texto novo} de cada arquivo que deve mudar para usar `url` e `branch`."""
    root = Path(root)
    old_url, _ = current_settings(root)
    planned = {}
    pyproject, readme = root / "pyproject.toml", root / "README.md"
    planned[pyproject] = rewrite_pyproject(pyproject.read_text(encoding="utf-8"), url, branch)
    planned[readme] = rewrite_readme(readme.read_text(encoding="utf-8"), old_url, url, branch)
    for path in notebook_paths(root):
        relative = path.relative_to(root).as_posix()
        planned[path] = rewrite_notebook(path.read_text(encoding="utf-8"), relative, url, branch)
    return {path: text for path, text in planned.items() if path.read_text(encoding="utf-8") != text}


def write_atomically(path, text):
    """Grava num temporário da mesma pasta e renomeia: uma queda no meio não estraga o arquivo."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.write(text)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


def set_repository(url, branch, root=ROOT):
    """Grava `url` e `branch` em todo lugar; devolve os caminhos que mudaram."""
    planned = planned_files(root, url, branch)
    for path, text in planned.items():
        write_atomically(path, text)
    return sorted(planned)


def main(argv=None):
    parser = PortugueseParser(
        description="Troca o endereço do repositório no pyproject.toml, no README e em todos os notebooks."
    )
    parser.add_argument("repository", nargs="?", metavar="DONO/NOME", help="o repositório no GitHub")
    parser.add_argument("--branch", default="main", help="o ramo que o Colab abre e instala (padrão: main)")
    parser.add_argument("--check", action="store_true", help="só confere se todos os arquivos concordam")
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.check:
            url, branch = current_settings(args.root)
            stale = planned_files(args.root, url, branch)
            for path in stale:
                print(f"não concorda com o pyproject.toml: {path.relative_to(args.root)}")
            if stale:
                raise SystemExit("rode: python scripts/set_repository.py DONO/NOME [--branch RAMO]")
            print(f"tudo usa {url}, ramo {branch}")
            return
        if args.repository is None:
            parser.error("diga o repositório: python scripts/set_repository.py DONO/NOME")
        url, branch = parse_repository(args.repository), check_branch(args.branch)
        changed = set_repository(url, branch, args.root)
    except ValueError as error:
        raise SystemExit(f"erro: {error}") from None
    for path in changed:
        print(f"atualizado: {path.relative_to(args.root)}")
    print(f"{len(changed)} arquivo(s) atualizado(s); agora tudo usa {url}, ramo {branch}")


if __name__ == "__main__":
    main()
