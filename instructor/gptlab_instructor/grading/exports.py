"""As notas para o Moodle, o Canvas e as planilhas em português, da mesma correção de notas.csv.

Nada é corrigido de novo: os arquivos saem das entregas já corrigidas (`reports.Graded`, com as
notas manuais e o desconto de dicas já aplicados) e são gravados ao lado de notas.csv, cada um
de uma vez (`reports.write_atomically`).

- `moodle.csv` segue a página "Grade import" da documentação do Moodle
  (https://docs.moodle.org/311/en/Grade_import, seção "CSV grade import"): UTF-8, vírgula como
  separador, ponto decimal, uma coluna que identifica o aluno e uma coluna por item de nota.
  Na prévia da importação escolha "Identificar usuário por": "Map from" = `email` e
  "Map to" = "Email address" (useremail), e ligue cada coluna ao item de nota dela. O Moodle
  compara o e-mail diferenciando maiúsculas (MDL-29315): ele vai como está na turma.
- `canvas.csv` segue o formato do Gradebook do Canvas ("How do I import grades in the
  Gradebook?", Canvas Instructor Guide, e o resumo de https://teaching.resources.osu.edu/toolsets/
  carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades): as colunas
  Student, ID, SIS User ID, SIS Login ID e Section, uma coluna por tarefa, e a segunda linha
  "Points Possible" com o máximo de cada tarefa, como no arquivo que o próprio Canvas exporta.
  Aqui a tarefa é a lista ("Exercícios 06 (pontos)"); SIS User ID é a matrícula e SIS Login ID
  o e-mail. ID (o número interno do Canvas) fica vazio: o Canvas casa pelos outros campos.
- `notas_planilha.csv`: para o Excel e o LibreOffice em português: `;` como separador,
  vírgula decimal e UTF-8 com BOM (sem o BOM o Excel lê os acentos errado).

Moodle e Canvas só recebem os alunos da turma (`--roster`) com a entrega identificada; uma
resposta aberta ainda sem nota fica vazia (e fora do total), como um aluno sem nota.
"""

import csv
import io
from pathlib import Path

from .reports import (
    HIDDEN_COLUMN,
    HINTS_COLUMN,
    exercise_columns,
    exercise_order,
    format_points,
    grade_cells,
    hidden_cell,
    hints_cell,
    observation,
    spreadsheet_safe,
    write_atomically,
)

MOODLE_FILE = "moodle.csv"
CANVAS_FILE = "canvas.csv"
SPREADSHEET_FILE = "notas_planilha.csv"
BOM = "\ufeff"
POINTS_POSSIBLE = "    Points Possible"  # como no CSV que o Canvas exporta
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
NO_SUBMISSION = "sem entrega"


def table(lines, delimiter=","):
    """O texto CSV de `lines` (listas de células), com `delimiter`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerows(lines)
    return buffer.getvalue()


def set_title(exercise_set):
    """'06' -> 'Exercícios 06': o nome da lista nas colunas do Moodle e do Canvas."""
    return f"Exercícios {exercise_set}"


def exercise_sets(rows):
    """As listas (NN) das entregas, na ordem: um total no Moodle e uma tarefa no Canvas para cada."""
    return sorted({row.exercise_set for row in rows if row.exercise_set}, key=exercise_order)


def matched_rows(rows, match):
    """[(Student, Graded)] dos alunos da turma com a entrega identificada, na ordem dos nomes."""
    found = [(match.student_of(row.student), row) for row in rows]
    return sorted(((s, row) for s, row in found if s is not None), key=lambda pair: pair[0].name.lower())


def lms_points(item):
    """Os pontos de um exercício para o Moodle: vazio enquanto espera a nota do instrutor."""
    return "" if item.pending else format_points(item.points, ".")


def set_totals(row, sets):
    """O total da entrega na coluna da sua lista e vazio nas outras (Moodle e Canvas)."""
    return [format_points(row.total, ".") if row.exercise_set == s else "" for s in sets]


def moodle_table(rows, match):
    """O texto de moodle.csv: email, um item por exercício e um total por lista."""
    columns = exercise_columns(rows)
    sets = exercise_sets(rows)
    header = ["email", *(f"Exercício {key}" for key in columns), *(f"{set_title(s)} (total)" for s in sets)]
    lines = [header]
    for student, row in matched_rows(rows, match):
        points = {item.id: lms_points(item) for item in row.exercises}
        lines.append([student.email, *(points.get(key, "") for key in columns), *set_totals(row, sets)])
    return table(lines)


def canvas_table(rows, match):
    """O texto de canvas.csv: as colunas do Canvas, a linha Points Possible e uma tarefa por lista."""
    sets = exercise_sets(rows)
    maximum = {s: max(row.maximum for row in rows if row.exercise_set == s) for s in sets}
    lines = [
        [*CANVAS_COLUMNS, *(f"{set_title(s)} (pontos)" for s in sets)],
        [POINTS_POSSIBLE, "", "", "", "", *(format_points(maximum[s], ".") for s in sets)],
    ]
    for student, row in matched_rows(rows, match):
        lines.append(
            [student.name, "", student.student_id, student.email, student.section, *set_totals(row, sets)]
        )
    return table(lines)


def spreadsheet_table(rows, match=None):
    """O texto de notas_planilha.csv (sem o BOM): todas as entregas e, com a turma, quem não entregou."""
    columns = exercise_columns(rows)
    lines = [
        [
            "nome",
            "email",
            "matricula",
            "arquivo",
            "lista",
            "situacao",
            *columns,
            "total",
            "maximo",
            HINTS_COLUMN,
            HIDDEN_COLUMN,
            "observacao",
        ]
    ]
    graded = []
    for row in rows:
        student = match.student_of(row.student) if match else None
        who = [row.student, "", ""] if student is None else [student.name, student.email, student.student_id]
        graded.append((who, row))
    for who, row in sorted(graded, key=lambda pair: pair[0][0].lower()):
        cells = grade_cells(row, columns, decimal=",")
        lines.append(
            [
                *map(spreadsheet_safe, who),
                spreadsheet_safe(row.source),
                *cells,
                hints_cell(row),
                hidden_cell(row),
                observation(row),
            ]
        )
    for student in match.missing if match else []:
        empty = [""] * (len(columns) + 4)  # pontos, total, maximo, dicas e casos ocultos
        lines.append([student.name, student.email, student.student_id, "", "", NO_SUBMISSION, *empty, ""])
    return table(lines, delimiter=";")


def write_exports(output, rows, match=None):
    """Grava notas_planilha.csv e, com a turma, moodle.csv e canvas.csv -> [caminhos gravados]."""
    output = Path(output)
    written = [output / SPREADSHEET_FILE]
    write_atomically(written[0], BOM + spreadsheet_table(rows, match))
    if match is not None:
        for name, text in (
            (MOODLE_FILE, moodle_table(rows, match)),
            (CANVAS_FILE, canvas_table(rows, match)),
        ):
            write_atomically(output / name, text)
            written.append(output / name)
    return written
