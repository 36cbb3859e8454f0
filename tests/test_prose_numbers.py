"""Cada número que o texto de um notebook cita vem de uma saída do mesmo notebook, ou é um fato com fonte.

O texto é escrito uma vez e as saídas são reexecutadas depois: uma frase que diz "2,55" sob uma
tabela que imprime 2,562 faz o aluno desconfiar do resto. Este teste lê o markdown de cada
notebook de `notebooks/` e de `solutions/` e, para cada número com vírgula decimal ou com ponto
de milhar ("0,1324", "163.009.536", "56,7 milhões"), procura nas saídas do notebook um valor
que, arredondado com as mesmas casas (e na mesma escala: mil, milhões, bilhões), dê o número
citado. O que não vem de uma saída tem de estar em `tests/data/prose_facts.toml`, com a fonte:
um fato do curso ou de um artigo, uma conta feita no próprio texto, uma constante da receita.

Inteiros sem separador (12 blocos, 768 dimensões, "aula 05") e o que está entre crases, em
fórmulas ($...$), em links e em anos ficam de fora: são nomes e configurações, não medidas.
"""

import json
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FACTS_FILE = ROOT / "tests" / "data" / "prose_facts.toml"
NOTEBOOKS = sorted([*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "solutions").glob("*.ipynb")])
QUOTED = re.compile(r"(?<![\w.,/])(\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+,\d+)(?![\w]|,\d|\.\d)")
OUTPUT_NUMBER = re.compile(r"\d[\d.,]*\d|\d")
SCALES = {"mil": 1e3, "milhão": 1e6, "milhões": 1e6, "bilhão": 1e9, "bilhões": 1e9}
NOT_PROSE = (
    r"```.*?```",  # blocos de código
    r"`[^`]*`",  # código no meio do texto
    r"\$\$.*?\$\$",
    r"\$[^$]*\$",  # fórmulas
    r"\]\([^)]*\)",  # o endereço de um link
    r"arXiv:\S+",
    r"https?://\S+",
    r"\b(?:19|20)\d\d\b",  # anos
)


def prose_value(text):
    """'163.009.536' -> 163009536.0, '0,1324' -> 0.1324 (o formato brasileiro do texto)."""
    return float(text.replace(".", "").replace(",", "."))


def output_values(text):
    """Todos os números de um texto de saída, lidos nos dois formatos (2.576 e 2,576; 56,669,184)."""
    values = set()
    for token in OUTPUT_NUMBER.findall(text):
        for candidate in (token, token.replace(",", ""), token.replace(".", "").replace(",", ".")):
            try:
                values.add(float(candidate))
            except ValueError:
                pass
    return values


def outputs_text(notebook):
    texts = []
    for cell in notebook["cells"]:
        for output in cell.get("outputs", []) if cell["cell_type"] == "code" else []:
            texts.append("".join(output.get("text", "")))
            data = output.get("data", {})
            texts += ["".join(data.get(kind, "")) for kind in ("text/plain", "text/markdown")]
    return "\n".join(texts)


def quoted_numbers(markdown):
    """Os números citados num markdown: [(texto do número, escala, trecho ao redor)]."""
    text = markdown
    for pattern in NOT_PROSE:
        text = re.sub(pattern, " ", text, flags=re.S)
    found = []
    for match in QUOTED.finditer(text):
        following = text[match.end() : match.end() + 12].split()
        scale = SCALES.get(following[0].strip(".,;:)") if following else "", 1.0)
        context = " ".join(text[max(0, match.start() - 50) : match.end() + 20].split())
        found.append((match.group(1), scale, context))
    return found


def comes_from(number, scale, values):
    """True se algum valor de saída, na escala do texto e arredondado como ele, dá `number`."""
    quoted = prose_value(number)
    digits = len(number.split(",")[1]) if "," in number else 0
    half_unit = 0.5 * 10**-digits + 1e-9
    return any(abs(value / factor - quoted) <= half_unit for value in values for factor in {1.0, scale})


def stale_numbers(notebook, facts=()):
    """Os números citados no markdown que nenhuma saída produz e que não são fatos declarados."""
    values = output_values(outputs_text(notebook))
    problems = []
    for cell in notebook["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for number, scale, context in quoted_numbers("".join(cell["source"])):
            if number not in facts and not comes_from(number, scale, values):
                problems.append(f"{number!r} em: ...{context}...")
    return problems


def declared_facts():
    table = tomllib.loads(FACTS_FILE.read_text(encoding="utf-8"))
    return {name: {fact["numero"] for fact in entries} for name, entries in table.items()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_quoted_number_comes_from_an_output_or_is_a_declared_fact(path):
    notebook = json.loads(path.read_text(encoding="utf-8"))
    facts = declared_facts().get(f"{path.parent.name}/{path.stem}", set())
    assert stale_numbers(notebook, facts) == [], (
        f"{path.relative_to(ROOT)}: o texto cita números que nenhuma saída imprime. Corrija a frase "
        "(ou faça a célula imprimir o valor) ou, se for um fato, declare-o com a fonte em "
        "tests/data/prose_facts.toml"
    )


def test_every_declared_fact_is_still_quoted_and_has_a_source():
    """Um fato que saiu do texto sai também da lista; e cada um diz de onde vem."""
    table = tomllib.loads(FACTS_FILE.read_text(encoding="utf-8"))
    for name, entries in table.items():
        folder, stem = name.split("/")
        notebook = json.loads((ROOT / folder / f"{stem}.ipynb").read_text(encoding="utf-8"))
        quoted = {
            number
            for cell in notebook["cells"]
            if cell["cell_type"] == "markdown"
            for number, _, _ in quoted_numbers("".join(cell["source"]))
        }
        for fact in entries:
            assert fact["numero"] in quoted, (name, fact["numero"])
            assert len(fact.get("fonte", "")) > 10, (name, fact)


def markdown_words(notebook):
    """O texto de todo o markdown, sem os sinais de citação (">") e com os espaços normalizados."""
    text = "\n".join("".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "markdown")
    return " ".join(re.sub(r"^\s*>\s?", "", text, flags=re.M).split())


def test_every_quoted_fact_text_is_on_the_page_word_for_word():
    """Um fato com `texto` (a frase de uma fonte, como a saída do GPT-2 no livro) está no markdown tal qual."""
    table = tomllib.loads(FACTS_FILE.read_text(encoding="utf-8"))
    quoted_texts = [
        (name, fact["texto"]) for name, entries in table.items() for fact in entries if "texto" in fact
    ]
    assert quoted_texts, "a aula 14 cita o texto do GPT-2 124M do livro: o fato deve estar declarado"
    for name, quoted in quoted_texts:
        folder, stem = name.split("/")
        notebook = json.loads((ROOT / folder / f"{stem}.ipynb").read_text(encoding="utf-8"))
        assert " ".join(quoted.split()) in markdown_words(notebook), (name, quoted)


def test_markdown_words_ignore_quote_marks_and_line_breaks():
    notebook = fake_notebook(["> Every effort moves you\n", ">\n", "> toward   finding"], "")
    assert markdown_words(notebook) == "Every effort moves you toward finding"
    assert "you toward" in markdown_words(notebook)


def fake_notebook(markdown, output):
    return {
        "cells": [
            {"cell_type": "markdown", "source": markdown},
            {"cell_type": "code", "source": "", "outputs": [{"output_type": "stream", "text": output}]},
        ]
    }


def test_a_stale_number_fails_and_a_fresh_one_passes():
    output = "Pre-LN 20 2.576 não\nparâmetros: 163,009,536\nfeed-forward: 56669184\n"
    fresh = "O Pre-LN terminou em 2,58; são 163.009.536 parâmetros, 56,7 milhões na feed-forward."
    assert stale_numbers(fake_notebook(fresh, output)) == []
    stale = "O Pre-LN terminou em 2,55, perto dos 56,6 milhões."
    problems = stale_numbers(fake_notebook(stale, output))
    assert [problem.split()[0] for problem in problems] == ["'2,55'", "'56,6'"]
    assert stale_numbers(fake_notebook(stale, output), facts={"2,55", "56,6"}) == []


def test_code_formulas_links_and_years_are_not_quotes():
    markdown = "Veja `x = 0,25`, $\\sqrt{12,5}$, [aula](05_x.ipynb#1,5) e Ba et al. (2016)."
    assert quoted_numbers(markdown) == []
