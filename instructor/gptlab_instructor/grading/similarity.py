"""Semelhança entre as respostas da turma, para uma pessoa olhar: `similaridade.md`.

Arquivos idênticos o resumo da correção já aponta. Aqui entram as cópias disfarçadas: variáveis
renomeadas, comentários trocados, espaços. O método é o do MOSS e do copydetect (Schleimer,
Wilkerson e Aiken, *Winnowing: Local Algorithms for Document Fingerprinting*, SIGMOD 2003):

1. o código das células que o aluno escreveu (as que não estão iguais no notebook distribuído
   nem em mais da metade das entregas, como a célula de preparação da entrega da turma)
   vira uma sequência de tokens do Python, com os nomes trocados por `v`, os números por `0` e
   os textos por `s`, sem comentários: renomear não muda nada;
2. cada sequência de `K` tokens seguidos vira um número (crc32); de cada janela de `W` números
   fica o menor (*winnowing*): são as impressões digitais da entrega;
3. a semelhança de duas entregas é a fração das impressões da menor que aparecem na outra.

O relatório lista os pares acima do limite, do mais parecido ao menos. Ele nunca muda uma nota:
código parecido também sai de quem seguiu a mesma dica da aula.
"""

import io
import keyword
import tokenize
import zlib
from collections import Counter
from itertools import combinations

from .inputs import read_notebook

K = 8  # tokens por pedaço
W = 4  # janela do winnowing
MIN_FINGERPRINTS = 12  # menos que isso é resposta curta demais para comparar
DEFAULT_THRESHOLD = 0.8
COMMON_SHARE = 0.5  # uma célula igual em mais da metade das entregas é material dado
REPORT_FILE = "similaridade.md"
SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}


def normalised_tokens(code):
    """Os tokens do código com nomes, números e textos trocados por marcadores (sem comentários)."""
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return code.split()  # código que nem tokeniza: compara as palavras
    out = []
    for token in tokens:
        if token.type in SKIPPED:
            continue
        if token.type == tokenize.NAME and not keyword.iskeyword(token.string):
            out.append("v")
        elif token.type == tokenize.NUMBER:
            out.append("0")
        elif token.type == tokenize.STRING:
            out.append("s")
        else:
            out.append(token.string if token.string.strip() else tokenize.tok_name[token.type])
    return out


def fingerprints(tokens, k=K, window=W):
    """O conjunto de impressões digitais (winnowing) de uma sequência de tokens."""
    hashes = [zlib.crc32(" ".join(tokens[i : i + k]).encode()) for i in range(len(tokens) - k + 1)]
    if len(hashes) <= window:
        return set(hashes)
    return {min(hashes[i : i + window]) for i in range(len(hashes) - window + 1)}


def student_code(notebook, template_sources=frozenset()):
    """O código que o aluno escreveu: as células de código que não estão iguais no notebook distribuído."""
    cells = [cell.source for cell in notebook.cells if cell.get("cell_type") == "code"]
    return "\n".join(source for source in cells if source.strip() not in template_sources)


def similarity(first, second):
    """Fração das impressões da entrega menor que aparecem na outra (0 a 1)."""
    smaller = min(len(first), len(second))
    return len(first & second) / smaller if smaller else 0.0


def similar_pairs(codes, threshold=DEFAULT_THRESHOLD):
    """[(semelhança, entrega a, entrega b)] dos pares acima do limite, do mais parecido ao menos.

    `codes` liga o nome de cada entrega ao código que o aluno escreveu. Entregas idênticas (o
    mesmo conteúdo) ficam de fora: o resumo da correção já as aponta.
    """
    prints = {name: fingerprints(normalised_tokens(code)) for name, code in codes.items()}
    usable = {name: found for name, found in prints.items() if len(found) >= MIN_FINGERPRINTS}
    pairs = []
    for a, b in combinations(sorted(usable), 2):
        if codes[a] == codes[b]:
            continue
        score = similarity(usable[a], usable[b])
        if score >= threshold:
            pairs.append((score, a, b))
    return sorted(pairs, key=lambda pair: (-pair[0], pair[1], pair[2]))


def template_cells(template_path):
    """As células de código do notebook distribuído (o que todo aluno recebeu pronto)."""
    notebook, _ = read_notebook(template_path) if template_path and template_path.exists() else (None, None)
    if notebook is None:
        return frozenset()
    return frozenset(cell.source.strip() for cell in notebook.cells if cell.get("cell_type") == "code")


def report_text(pairs, compared, threshold):
    """O texto de similaridade.md."""
    lines = [
        "# Respostas parecidas",
        "",
        f"{compared} entregas comparadas; pares com semelhança de {threshold:.0%} ou mais, para uma "
        "pessoa ler as duas. Isto nunca muda uma nota: código parecido também sai de quem seguiu "
        "a mesma dica. Entregas idênticas aparecem no resumo da correção.",
        "",
    ]
    if not pairs:
        return "\n".join([*lines, "Nenhum par passou do limite.", ""])
    lines += ["| semelhança | entrega | entrega |", "| --- | --- | --- |"]
    lines += [f"| {score:.0%} | {a} | {b} |" for score, a, b in pairs]
    return "\n".join([*lines, ""])


def shared_cells(notebooks, share=COMMON_SHARE):
    """As células de código iguais em mais de `share` das entregas (com 4 ou mais entregas).

    É o que a turma inteira recebeu pronto e o notebook do curso não tem: a célula de
    preparação da entrega de `gptlab-turma`, que instala do repositório da turma. Como a opção
    `-m` do MOSS, um trecho que quase todos têm não indica cópia.
    """
    if len(notebooks) < 4:
        return frozenset()
    counts = Counter(
        source
        for notebook in notebooks
        for source in {cell.source.strip() for cell in notebook.cells if cell.get("cell_type") == "code"}
    )
    return frozenset(source for source, count in counts.items() if count > share * len(notebooks))


def class_report(submissions, template_path=None, threshold=DEFAULT_THRESHOLD):
    """(texto de similaridade.md, pares) das entregas (`inputs.Submission`) da turma."""
    template = template_cells(template_path)
    notebooks = {}
    for submission in submissions:
        notebook, _ = read_notebook(submission.path)
        if notebook is not None:
            notebooks[submission.source] = notebook
    template |= shared_cells(list(notebooks.values()))
    codes = {source: student_code(notebook, template) for source, notebook in notebooks.items()}
    pairs = similar_pairs(codes, threshold)
    return report_text(pairs, len(codes), threshold), pairs
