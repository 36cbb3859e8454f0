"""O uso de `hint()` e `solution()`: gravado no notebook, informado e, se pedido, descontado.

Quando o aluno pede uma dica (`q1.hint()`) ou a solução aberta (`q1.solution()`), a conferência
grava o pedido nos metadados da saída da célula (`metadata["gptlab"] = {"ajuda": "dica",
"exercicio": "06.1"}`, veja `gptlab_helpers.checks.base.record_help`), e ele vai junto no
notebook entregue. O corretor junta quatro sinais:

- esses metadados, nas saídas gravadas (o pedido feito numa célula que o aluno mudou depois e
  não executou de novo também conta);
- o texto que essas chamadas mostram, "Dica (06.1): ..." e "Solução do exercício 06.1 ...", para
  notebooks salvos por um pacote mais antigo, sem os metadados;
- as chamadas `<nome>.hint(` e `<nome>.solution(` nas células de código (fora de comentários),
  ligadas ao exercício pelo nome da variável (`q1` -> 06.1, veja `batch.exercise_names`);
- os pedidos feitos quando o próprio corretor executou o notebook (`HELP_LOG`, lido pelo
  `evaluator` no kernel), que acham também um `ajuda = q1.hint; ajuda()`.

O uso aparece no feedback e na coluna `dicas` dos CSVs; só vira desconto com
`--penalizar-dicas F` (a fração F dos pontos do exercício, veja `penalize`).
"""

import dataclasses
import re

from gptlab_helpers.checks.base import HELP_METADATA_KEY

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
        for output in cell.get("outputs", []):
            recorded = output.get("metadata", {}).get(HELP_METADATA_KEY)
            if isinstance(recorded, dict) and recorded.get("exercicio") in known:
                if recorded.get("ajuda") in KINDS:
                    found.setdefault(recorded["exercicio"], set()).add(recorded["ajuda"])
        text = output_text(cell)
        for kind, pattern in PRINTED:
            for key in pattern.findall(text):
                if key in known:
                    found.setdefault(key, set()).add(kind)
    return {key: tuple(kind for kind in KINDS if kind in kinds) for key, kinds in found.items()}


def with_hints(results, used):
    """Os resultados (ExerciseResult) com a ajuda pedida em cada exercício: a vista no notebook
    (`used`, de `hint_use`) somada à que o kernel registrou ao executá-lo (`item.hints`)."""
    merged = []
    for item in results:
        kinds = set(used.get(item.id, ())) | set(item.hints)
        merged.append(dataclasses.replace(item, hints=tuple(kind for kind in KINDS if kind in kinds)))
    return merged


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
