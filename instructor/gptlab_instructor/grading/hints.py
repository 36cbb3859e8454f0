"""O uso de `hint()` e `solution()`: achado no notebook entregue, informado e, se pedido, descontado.

As conferências não registram nada quando o aluno pede uma dica (`q1.hint()`) ou a solução
(`q1.solution()`): elas só imprimem. Por isso o corretor procura, no notebook entregue,

- as chamadas `<nome>.hint(` e `<nome>.solution(` nas células de código (fora de comentários),
  ligadas ao exercício pelo nome da variável (`q1` -> 06.1, veja `batch.exercise_names`);
- o que essas chamadas imprimem, nas saídas que ficaram gravadas: "Dica (06.1): ..." e
  "Solução do exercício 06.1 ...", o que acha também a ajuda pedida numa célula apagada depois.

O uso aparece no feedback e na coluna `dicas` dos CSVs; só vira desconto com
`--penalizar-dicas F` (a fração F dos pontos do exercício, veja `penalize`).
"""

import dataclasses
import re

from .reports import HINT, SOLUTION, format_points, help_phrase

KINDS = (HINT, SOLUTION)  # a ordem em que aparecem nos textos
CALL = re.compile(r"\b([A-Za-z_]\w*)\s*\.\s*(hint|solution)\s*\(")
PRINTED = (
    (HINT, re.compile(r"Dica \((\d+\.\d+)\):")),
    (SOLUTION, re.compile(r"Solução do exercício (\d+\.\d+)")),
    (SOLUTION, re.compile(r"Ainda não há solução registrada para o exercício (\d+\.\d+)")),
)
METHOD_KIND = {"hint": HINT, "solution": SOLUTION}


def without_comments(source):
    """O código sem os comentários de linha (`# q1.hint()` não é um pedido de dica)."""
    return "\n".join(line.split("#", 1)[0] for line in source.splitlines())


def output_text(cell):
    """O texto que a célula deixou gravado nas saídas (stream e text/plain)."""
    parts = []
    for output in cell.get("outputs", []):
        text = output.get("text") or output.get("data", {}).get("text/plain", "")
        parts.append(text if isinstance(text, str) else "".join(text))
    return "\n".join(parts)


def hint_use(notebook, names):
    """{id do exercício: ("dica", "solução")} da ajuda pedida no notebook.

    `names` liga o nome da variável (q1, q2...) ao id do exercício, como em `inputs.check_cells`.
    """
    known = set(names.values())
    found = {}
    for cell in notebook.cells:
        if cell.get("cell_type") != "code":
            continue
        for name, method in CALL.findall(without_comments(cell.source)):
            if name in names:
                found.setdefault(names[name], set()).add(METHOD_KIND[method])
        text = output_text(cell)
        for kind, pattern in PRINTED:
            for key in pattern.findall(text):
                if key in known:
                    found.setdefault(key, set()).add(kind)
    return {key: tuple(kind for kind in KINDS if kind in kinds) for key, kinds in found.items()}


def with_hints(results, used):
    """Os resultados (ExerciseResult) com a ajuda que o aluno pediu em cada exercício."""
    return [dataclasses.replace(item, hints=used.get(item.id, ())) for item in results]


def penalize(row, fraction):
    """A entrega com o desconto de `fraction` dos pontos de cada exercício em que o aluno pediu ajuda.

    Com `fraction` 0 (o padrão) nada muda. Os pontos nunca ficam negativos; uma resposta aberta
    ainda sem nota do instrutor não é descontada (não há pontos a descontar).
    """
    if not fraction:
        return row
    changed = []
    for item in row.exercises:
        if not item.hints or item.pending or item.points <= 0:
            changed.append(item)
            continue
        discount = min(item.points, fraction * item.max_points)
        message = (
            f"{item.message} Desconto de {format_points(discount)} ponto(s) por usar "
            f"{help_phrase(item.hints)} (--penalizar-dicas {format_points(fraction)})."
        )
        changed.append(dataclasses.replace(item, points=item.points - discount, message=message))
    return dataclasses.replace(row, exercises=changed)
