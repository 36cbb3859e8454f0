"""O quadro de convenções e o glossário: ligados de todo notebook, e verdadeiros sobre as aulas."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "docs" / "glossario.md"
CONVENTIONS = ROOT / "docs" / "convencoes.md"
ALL_NOTEBOOKS = sorted(
    p for folder in ("notebooks", "exercises", "solutions") for p in (ROOT / folder).glob("*.ipynb")
)


def notebook_text(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(cell["source"]) for cell in cells).lower()


def glossary_rows():
    """[(termo, tradução, aula)] da tabela do glossário."""
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 3 and cells[0] != "termo" and not cells[0].startswith("-"):
            rows.append(tuple(cells))
    return rows


def names(term, translation):
    """As grafias que contam como o termo aparecer: o termo em inglês e a tradução usada."""
    spelled = [part.strip().lower() for part in term.split("/")]
    main = re.sub(r"\(.*?\)", "", translation.split(":")[0])
    return spelled + [part.strip().lower() for part in re.split(r" e |/", main) if part.strip()]


def lesson_text(number):
    return notebook_text(next((ROOT / "notebooks").glob(f"{number:02d}_*.ipynb")))


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_notebook_links_the_conventions_and_the_glossary(path):
    badge = json.loads(path.read_text(encoding="utf-8"))["cells"][1]
    links = re.findall(r"\]\((\.\./docs/[^)]+)\)", "".join(badge["source"]))
    assert links == ["../docs/convencoes.md", "../docs/glossario.md"]
    assert all((path.parent / link).resolve().is_file() for link in links)


def test_the_conventions_box_states_each_convention_once():
    text = CONVENTIONS.read_text(encoding="utf-8")
    for convention in ("(B, T, C)", "1 MB = 1024 × 1024 bytes", "W_query", "bias", "vírgula decimal"):
        assert text.count(convention) >= 1, convention
    assert "(glossario.md)" in text


def test_no_lesson_uses_the_translation_we_did_not_choose():
    """ "bias", nunca "viés" (o quadro de convenções explica a escolha)."""
    assert [p.name for p in ALL_NOTEBOOKS if "viés" in notebook_text(p)] == []


@pytest.mark.parametrize(
    ("term", "translation", "lesson"), glossary_rows(), ids=lambda value: str(value)[:30]
)
def test_each_glossary_term_first_appears_in_the_lesson_it_names(term, translation, lesson):
    spellings = names(term, translation)
    first = next((n for n in range(1, 15) if any(name in lesson_text(n) for name in spellings)), None)
    assert first == int(lesson), f"{term!r}: o glossário diz aula {lesson}, mas aparece primeiro na {first}"


def test_the_glossary_has_the_terms_a_reader_meets():
    terms = {term for term, _, _ in glossary_rows()}
    assert len(terms) >= 25
    assert {"token", "embedding", "dropout", "KV cache", "RMSNorm"} <= terms
