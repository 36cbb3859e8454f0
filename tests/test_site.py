"""O site do curso (scripts/build_site.py) e a acessibilidade das páginas.

- toda figura salva nas aulas e soluções tem texto alternativo em português (metadado `alt`
  da célula, que vem do marcador `# %% alt="..."` da fonte);
- os títulos em Markdown não pulam nível (de # para ###);
- o verificador do HTML acusa link quebrado, imagem ausente e imagem sem `alt`;
- (lento) o site é construído sem rede e sem executar nada, com as aulas em ordem, a busca,
  a interface em português, "Abrir no Colab" e download em cada página, e nenhum problema.
"""

import re
from pathlib import Path

import nbformat
import pytest
from gptlab_instructor.authoring.notebooks import github_repository, repository_branch
from gptlab_instructor.site.build import build_site, prepare_notebook
from gptlab_instructor.site.check import site_problems

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = [
    *sorted((ROOT / "notebooks").glob("*.ipynb")),
    *sorted((ROOT / "exercises").glob("*.ipynb")),
    *sorted((ROOT / "solutions").glob("*.ipynb")),
]
HEADING = re.compile(r"^(#{1,6}) ", re.M)
PORTUGUESE_WORDS = re.compile(r"\b(de|do|da|dos|das|com|para|cada|uma|um)\b")


def figure_cells(path):
    notebook = nbformat.read(path, as_version=4)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code" and any("image/png" in out.get("data", {}) for out in cell.outputs):
            yield index, cell


def test_every_saved_figure_has_portuguese_alt_text():
    missing, figures = [], 0
    for path in PUBLISHED:
        for index, cell in figure_cells(path):
            figures += 1
            alt = cell.metadata.get("alt", "")
            if len(alt) < 40 or not PORTUGUESE_WORDS.search(alt):
                missing.append(f"{path.relative_to(ROOT)}, célula {index}: alt={alt!r}")
    assert figures >= 25, "as aulas deviam ter figuras salvas"
    assert not missing, 'figuras sem texto alternativo em pt-BR (# %% alt="..." na fonte):\n' + "\n".join(
        missing
    )


def markdown_headings(text):
    without_code = re.sub(r"```.*?```", "", text, flags=re.S)
    return [len(match.group(1)) for match in HEADING.finditer(without_code)]


@pytest.mark.parametrize("path", [*PUBLISHED, *sorted((ROOT / "docs").glob("*.md"))], ids=lambda p: p.name)
def test_headings_do_not_skip_levels(path):
    if path.suffix == ".md":
        levels = markdown_headings(path.read_text(encoding="utf-8"))
    else:
        notebook = nbformat.read(path, as_version=4)
        levels = [
            lvl for c in notebook.cells if c.cell_type == "markdown" for lvl in markdown_headings(c.source)
        ]
    assert levels and levels[0] == 1, "a página começa com um título de nível 1"
    jumps = [(a, b) for a, b in zip(levels, levels[1:]) if b > a + 1]
    assert not jumps, f"título que pula nível (de, para): {jumps}"


def test_site_copy_drops_widgets_and_uses_alt_text():
    path = ROOT / "notebooks" / "07_dropout_separado.ipynb"
    notebook = prepare_notebook(nbformat.read(path, as_version=4), path.relative_to(ROOT), hide_code=False)
    outputs = [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.outputs]
    assert not [out for out in outputs if "application/vnd.jupyter.widget-view+json" in out.get("data", {})]
    with_alt = [cell for cell in notebook.cells if cell.metadata.get("alt")]
    assert with_alt and all(
        cell.metadata["mystnb"]["image"]["alt"] == cell.metadata["alt"] for cell in with_alt
    )
    links = notebook.cells[1].source
    assert "[Abrir no Colab](https://colab.research.google.com/github/" in links
    assert "notebooks/07_dropout_separado.ipynb" in links and "{download}" in links
    assert "convencoes.md" in links  # as convenções e o glossário continuam ligados do topo
    everything = "\n".join(cell.source for cell in notebook.cells)
    assert "colab-badge.svg" not in everything  # o selo repetiria o link e, sem rede, quebra
    assert everything.count("Abrir no Colab") == 1


def test_checker_finds_broken_link_missing_image_and_missing_alt(tmp_path):
    (tmp_path / "ok.png").write_bytes(b"png")
    (tmp_path / "a.html").write_text(
        '<a href="b.html">b</a><a href="nada.html#x">x</a><a href="https://exemplo.org">fora</a>'
        '<img src="ok.png" alt="um quadrado"><img src="falta.png" alt="algo"><img src="ok.png" alt="ok.png">',
        encoding="utf-8",
    )
    (tmp_path / "b.html").write_text('<a href="a.html#topo">a</a>', encoding="utf-8")
    problems = site_problems(tmp_path)
    assert problems == [
        "a.html: link quebrado para nada.html#x",
        "a.html: imagem ausente falta.png",
        "a.html: imagem sem texto alternativo (ok.png)",
    ]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("site")
    output = base / "html"
    problems = build_site(output, base / "fontes", with_solutions=True)
    return output, problems


@pytest.mark.slow
def test_site_builds_offline_with_no_broken_link_or_image(site):
    output, problems = site
    assert problems == []
    index = (output / "index.html").read_text(encoding="utf-8")
    lessons = [path.stem for path in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    positions = [index.index(f'href="notebooks/{stem}.html"') for stem in lessons]
    assert positions == sorted(positions), "as aulas aparecem em ordem no índice"
    for page in ("docs/convencoes.html", "docs/glossario.html", "search.html", "searchindex.js"):
        assert (output / page).is_file(), page
    assert 'lang="pt-BR"' in index or 'lang="pt_BR"' in index


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["notebooks", "exercises", "solutions"])
def test_every_site_page_links_colab_and_download(site, folder):
    output, _ = site
    for path in sorted((ROOT / folder).glob("*.ipynb")):
        html = (output / folder / f"{path.stem}.html").read_text(encoding="utf-8")
        base = f"https://colab.research.google.com/github/{github_repository()}/blob/{repository_branch()}"
        colab = f"{base}/{folder}/{path.name}"
        assert html.count(f'href="{colab}"') == 1, path.name
        assert "colab-badge.svg" not in html, path.name
        assert re.search(rf'href="\.\./_downloads/[0-9a-f]+/{re.escape(path.name)}"', html), path.name


@pytest.mark.slow
def test_widget_lessons_show_the_static_figure_with_its_alt(site):
    output, _ = site
    for stem in (
        "02_layer_normalization",
        "07_dropout_separado",
        "08_gerando_texto",
        "10_olhando_dentro_do_modelo",
    ):
        html = (output / "notebooks" / f"{stem}.html").read_text(encoding="utf-8")
        assert "Explorando" in html
        assert "widget-view" not in html, "o site mostra a figura, não o widget"
        notebook = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
        alt = next(c.metadata["alt"] for c in notebook.cells if "viz.explorations import" in c.source)
        assert f'alt="{alt}"'.replace("'", "&#x27;") in html or f'alt="{alt}"' in html
