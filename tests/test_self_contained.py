"""O repositório basta a si mesmo: nada lê pastas de fora nem depende de variáveis que as apontem."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# montados aos pedaços para este arquivo não acusar a si mesmo
FORBIDDEN = ["../" + "shared/", "/work/" + "shared", "GPTLAB_" + "CORPUS_DIR"]
SKIPPED_DIRS = {".git", ".venv", "venv", "__pycache__", ".ipynb_checkpoints", "screenshots", "build", "dist"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".json", ".ipynb", ".sh", ""}


def project_files():
    for path in sorted(ROOT.rglob("*")):
        relative = path.relative_to(ROOT)
        if any(part in SKIPPED_DIRS or part.endswith(".egg-info") for part in relative.parts):
            continue
        if path.is_file() and path.suffix in TEXT_SUFFIXES and path.stat().st_size < 5_000_000:
            yield path


@pytest.mark.slow  # lê todos os arquivos de texto do repositório
def test_nothing_points_outside_the_repository():
    offenders = []
    for path in project_files():
        if path.parent.name == "corpus" and path.suffix == ".txt":
            continue  # os textos de treino
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [f"{path.relative_to(ROOT)}: {needle}" for needle in FORBIDDEN if needle in text]
    assert not offenders, "o repositório deve bastar a si mesmo:\n" + "\n".join(offenders)


@pytest.mark.parametrize("path", ["tests/data/lesson_values.json", "corpus/machado_de_assis_conto.txt"])
def test_data_the_tests_and_notebooks_need_is_in_the_repository(path):
    assert (ROOT / path).is_file(), f"{path} deve vir no git"
