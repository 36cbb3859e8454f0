"""Respostas abertas: o corretor junta os textos, o instrutor dá a nota, o corretor a incorpora.

1. Cada exercício de resposta aberta fica "a revisar" (0 pontos até a nota do instrutor) e o
   texto de cada aluno vai para `respostas_abertas.md` (para ler) e `respostas_abertas.csv`
   (para dar a nota: preencha as colunas `nota` e, se quiser, `comentario`).
2. `gptlab-grade ENTREGAS -o SAIDA --notas-manuais SAIDA/respostas_abertas.csv` confere o
   arquivo, guarda as notas em `SAIDA/.notas_manuais.json` e refaz notas.csv e os feedbacks
   (sem executar nada de novo). As notas guardadas valem nas próximas execuções também.

Uma nota só vale para o texto que o instrutor leu: se o aluno reenviar a entrega com outra
resposta, ela volta a ficar "a revisar".
"""

import csv
import dataclasses
import io
import json
from pathlib import Path

from .reports import exercise_order, format_points, write_atomically
from .status import ExerciseStatus

OPEN_ANSWERS_MD = "respostas_abertas.md"
OPEN_ANSWERS_CSV = "respostas_abertas.csv"
SAVED_GRADES = ".notas_manuais.json"
COLUMNS = ["exercicio", "aluno", "maximo", "nota", "comentario", "resposta"]


class ManualGradesError(ValueError):
    """O arquivo de notas manuais não serve (erro de uso: o comando sai com código 2)."""


def same_text(first, second):
    return " ".join(str(first).split()) == " ".join(str(second).split())


def parse_grade(text, maximum, where):
    """'1,5' ou '1.5' -> 1.5, entre 0 e `maximum`; vazio -> None (ainda sem nota)."""
    text = str(text or "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ManualGradesError(
            f"{where}: a nota {text!r} não é um número (use, por exemplo, 1 ou 0,5)"
        ) from None
    if not 0 <= value <= maximum:
        raise ManualGradesError(f"{where}: a nota {text} está fora de 0 a {format_points(maximum)}")
    return value


def read_grades_file(path):
    """{(aluno, exercício): {"points", "comment", "answer"}} das linhas com nota no CSV do instrutor."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ManualGradesError(f"não consegui ler {path}: {exc.strerror or exc}") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ManualGradesError(
            f"{path} não tem as colunas {', '.join(missing)}; use o {OPEN_ANSWERS_CSV} que o corretor gravou"
        )
    grades = {}
    for number, line in enumerate(reader, start=2):
        where = f"{path.name}, linha {number}"
        maximum = parse_grade(line["maximo"], float("inf"), where) or 0.0
        points = parse_grade(line["nota"], maximum, where)
        if points is not None:
            grades[(line["aluno"], line["exercicio"])] = {
                "points": points,
                "comment": (line["comentario"] or "").strip(),
                "answer": line["resposta"] or "",
            }
    return grades


def load(output, path=None):
    """As notas manuais guardadas em `output`, somadas às de `path` (que ficam guardadas)."""
    saved_path = Path(output) / SAVED_GRADES
    saved = {}
    if saved_path.exists():
        for item in json.loads(saved_path.read_text(encoding="utf-8")):
            saved[(item["aluno"], item["exercicio"])] = item["nota"]
    if path is not None:
        saved.update(read_grades_file(path))
        items = [
            {"aluno": key[0], "exercicio": key[1], "nota": value} for key, value in sorted(saved.items())
        ]
        Path(output).mkdir(parents=True, exist_ok=True)
        write_atomically(saved_path, json.dumps(items, ensure_ascii=False, indent=1) + "\n")
    return saved


def apply(grades, row):
    """A entrega com as notas do instrutor no lugar de cada "a revisar" que ele já leu."""
    changed = []
    for item in row.exercises:
        grade = grades.get((row.student, item.id))
        if not item.pending or grade is None or not same_text(grade["answer"], item.answer):
            changed.append(item)
            continue
        points = grade["points"]
        if points >= item.max_points:
            status = ExerciseStatus.CORRECT
        else:
            status = ExerciseStatus.PARTIAL if points > 0 else ExerciseStatus.INCORRECT
        comment = grade["comment"] or "sem comentário"
        changed.append(
            dataclasses.replace(item, status=status, points=points, message=f"nota do instrutor: {comment}")
        )
    return dataclasses.replace(row, exercises=changed)


def open_answers(rows):
    """[(exercício, aluno, resultado)] de todas as respostas abertas, na ordem dos exercícios."""
    found = [(item.id, row.student, item) for row in rows for item in row.exercises if item.pending]
    return sorted(found, key=lambda entry: (exercise_order(entry[0]), entry[1].lower()))


def write_open_answers(output, rows, grades):
    """Grava respostas_abertas.md e .csv (se houver alguma resposta aberta)."""
    answers = open_answers(rows)
    if not answers:
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    lines = ["# Respostas abertas", "", f"Dê as notas na coluna `nota` de {OPEN_ANSWERS_CSV}.", ""]
    current = None
    for exercise, student, item in answers:
        grade = grades.get((student, exercise))
        if grade is not None and not same_text(grade["answer"], item.answer):
            grade = None  # o aluno mudou a resposta: a nota antiga não vale para o texto novo
        points = "" if grade is None else format_points(grade["points"])
        writer.writerow(
            [
                exercise,
                student,
                format_points(item.max_points, "."),
                points,
                grade["comment"] if grade else "",
                item.answer,
            ]
        )
        if exercise != current:
            current = exercise
            lines += [f"## {exercise}: {item.title} (vale {format_points(item.max_points)})", ""]
        quoted = "\n".join(f"> {line}" for line in item.answer.splitlines() or [""])
        lines += [f"### {student}" + (f" (nota: {points})" if points else ""), "", quoted, ""]
    write_atomically(Path(output) / OPEN_ANSWERS_CSV, buffer.getvalue())
    write_atomically(Path(output) / OPEN_ANSWERS_MD, "\n".join(lines))
