"""Gera o site estático do curso com o Sphinx + myst-nb, das saídas salvas e sem rede.

    python scripts/build_site.py                   # build/site/index.html
    python scripts/build_site.py --sem-solucoes    # só aulas e exercícios
    python scripts/build_site.py --saida /tmp/site

Nada é executado (`nb_execution_mode = "off"`). Cada notebook é copiado para uma pasta de
fontes (build/site-fontes/, com a mesma árvore do repositório, para os links relativos
continuarem valendo) e ajustado só na cópia:

- as saídas de widget (os sliders das explorações) saem: no site vale a figura inicial;
- o metadado `alt` de cada célula com figura vira o texto alternativo da imagem;
- depois do título entra uma linha com "Abrir no Colab" e "Baixar o notebook";
- nas soluções, o código fica atrás de um botão (tag `hide-input`).

O Sphinx roda com `-W --keep-going` e `nitpicky`: um aviso (link interno quebrado, imagem
ausente, título fora de ordem) faz o build falhar. Depois, `check.py` confere o HTML.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from gptlab_helpers.core.cli import PortugueseParser

from ..authoring.notebooks import (
    COLAB_BADGE_IMAGE,
    CONVENTIONS_LINKS,
    ROOT,
    colab_url,
    github_repository,
    numbered_files,
    repository_branch,
)
from .check import site_pages, site_problems

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SECTIONS = [  # (pasta, título no índice, código atrás de um botão)
    ("notebooks", "Aulas", False),
    ("exercises", "Exercícios", False),
    ("solutions", "Soluções", True),
]
CONF_PY = """\
project = "GPTLab"
author = "GPTLab"
copyright = "GPTLab"
language = "pt_BR"
extensions = ["myst_nb", "sphinx_togglebutton"]
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nitpicky = True
suppress_warnings = ["myst.header"]  # um título que pula nível vira erro no teste de acessibilidade
html_theme = "sphinx_book_theme"
html_title = "GPTLab: construindo um GPT passo a passo"
html_search_language = "pt"
html_theme_options = {{"repository_url": "{url}", "repository_branch": "{branch}",
                       "use_repository_button": True, "use_download_button": True}}
exclude_patterns = ["_build"]
"""
INDEX_MD = """# GPTLab: construindo um GPT passo a passo

Aulas em português sobre a arquitetura GPT (capítulo 4 do livro *Build a Large Language Model
(From Scratch)*, de Sebastian Raschka), com as saídas salvas: dá para ler tudo aqui, no
celular ou num laboratório sem instalar nada. Para rodar, cada página tem o link
**Abrir no Colab** e o de download do notebook.

{toctrees}
"""


def page_links(path):
    """A linha de links de uma página: abrir no Colab e baixar o notebook (`path` no repositório)."""
    return f"[Abrir no Colab]({colab_url(path)}) · {{download}}`Baixar o notebook <{path.name}>`"


def prepare_notebook(notebook, path, hide_code):
    """Ajusta a cópia do site de um notebook (veja o docstring do módulo); devolve o notebook."""
    notebook.metadata.pop("widgets", None)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        cell.outputs = [output for output in cell.outputs if WIDGET_VIEW not in output.get("data", {})]
        alt = cell.metadata.get("alt")
        if alt:
            cell.metadata.setdefault("mystnb", {})["image"] = {"alt": alt}
        if hide_code:
            cell.metadata.setdefault("tags", []).append("hide-input")
    links = nbformat.v4.new_markdown_cell(f"{page_links(path)} · {CONVENTIONS_LINKS}")
    has_badge = len(notebook.cells) > 1 and COLAB_BADGE_IMAGE in notebook.cells[1].source
    # o selo do notebook repetiria o "Abrir no Colab" e, sem rede, é uma imagem quebrada
    notebook.cells[1:2] = [links] if has_badge else [links, *notebook.cells[1:2]]
    return notebook


def write_sources(source_dir, with_solutions):
    """Escreve em `source_dir` o conf.py, o índice, os docs e as cópias dos notebooks."""
    if source_dir.exists():
        shutil.rmtree(source_dir)
    (source_dir / "docs").mkdir(parents=True)
    for doc in sorted((ROOT / "docs").glob("*.md")):
        shutil.copy(doc, source_dir / "docs" / doc.name)
    toctrees = []
    for folder, title, hide_code in SECTIONS:
        if folder == "solutions" and not with_solutions:
            continue
        (source_dir / folder).mkdir()
        pages = []
        for path in numbered_files(ROOT / folder, ".ipynb"):
            notebook = nbformat.read(path, as_version=4)
            prepared = prepare_notebook(notebook, path.relative_to(ROOT), hide_code)
            nbformat.write(prepared, source_dir / folder / path.name)
            pages.append(f"{folder}/{path.stem}")
        toctrees.append(toctree(title, pages))
    toctrees.append(toctree("Referência", ["docs/convencoes", "docs/glossario"]))
    (source_dir / "index.md").write_text(INDEX_MD.format(toctrees="\n".join(toctrees)), encoding="utf-8")
    conf = CONF_PY.format(url=f"https://github.com/{github_repository()}", branch=repository_branch())
    (source_dir / "conf.py").write_text(conf, encoding="utf-8")


def toctree(caption, pages):
    """Um índice (toctree) do MyST com as páginas em ordem."""
    body = "\n".join(pages)
    return f"```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n\n{body}\n```\n"


def build_site(output_dir, source_dir, with_solutions=True):
    """Gera o site em `output_dir`; devolve a lista de problemas do HTML (vazia: tudo certo).

    Levanta RuntimeError se o Sphinx falha (um aviso basta, por causa do `-W`).
    """
    write_sources(source_dir, with_solutions)
    if output_dir.exists():
        shutil.rmtree(output_dir)
    command = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html"]
    result = subprocess.run([*command, str(source_dir), str(output_dir)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"o Sphinx falhou (código {result.returncode}):\n{result.stderr[-6000:]}")
    return site_problems(output_dir)


def main(argv=None):
    parser = PortugueseParser(description="Gera o site estático do curso (sem executar nada, sem rede).")
    parser.add_argument("--saida", type=Path, default=ROOT / "build" / "site", help="pasta do HTML")
    parser.add_argument(
        "--fontes", type=Path, default=ROOT / "build" / "site-fontes", help="pasta das cópias"
    )
    parser.add_argument("--sem-solucoes", action="store_true", help="não publica as soluções")
    args = parser.parse_args(argv)
    try:
        problems = build_site(args.saida.resolve(), args.fontes.resolve(), not args.sem_solucoes)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    for problem in problems:
        print(problem, file=sys.stderr)
    pages = len(site_pages(args.saida))
    print(f"site em {args.saida / 'index.html'}: {pages} páginas, {len(problems)} problema(s)")
    return 1 if problems else 0
