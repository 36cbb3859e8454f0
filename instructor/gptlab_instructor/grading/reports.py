"""O que a correção deixa na pasta de saída, e como ela retoma depois de interrompida.

- `.estado.jsonl`: uma linha JSON por entrega corrigida, acrescentada (com fsync) assim que
  ela termina. É a memória da correção: rodar o comando de novo pula o que já está aqui.
- `notas.csv`: uma linha por entrega, uma coluna por exercício, total e situação.
- `feedback/<aluno>.md`: para o aluno, cada exercício com pontos e a mensagem da conferência.
- `respostas_abertas.md` / `.csv`: os textos das perguntas abertas, para o instrutor dar a
  nota (veja `manual.py`).

Todos são regravados inteiros a cada entrega, num arquivo temporário trocado de uma vez
(`os.replace`), para nunca ficarem pela metade.
"""

import csv
import io
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from gptlab_helpers.checks import base as checks_base

from .status import ExerciseResult, SubmissionStatus

STATE_FILE = ".estado.jsonl"
GRADES_FILE = "notas.csv"
FEEDBACK_FOLDER = "feedback"
PENDING = "a revisar"  # no lugar dos pontos, em notas.csv, até o instrutor dar a nota
# o aluno chamou hint() ou solution() no exercício (veja hints.py): os nomes do pacote do aluno
HINT, SOLUTION = checks_base.HINT, checks_base.SOLUTION
HINTS_COLUMN = "dicas"
HIDDEN_COLUMN = "casos_ocultos"  # os casos ocultos (hidden.py) em que a resposta falhou


@dataclass
class Graded:
    """Uma entrega corrigida: o que vai para o estado, o CSV e o feedback.

    `exercises`: um ExerciseResult por exercício. `problems`: mensagens por célula.
    `notes`: avisos que não mudam a nota (células `qN.check()` apagadas ou editadas).
    """

    key: str
    source: str
    student: str
    exercise_set: str | None
    status: SubmissionStatus
    note: str = ""
    exercises: list = field(default_factory=list)
    problems: list = field(default_factory=list)
    seconds: float = 0.0
    notes: list = field(default_factory=list)

    def __post_init__(self):
        self.status = SubmissionStatus(self.status)
        self.exercises = [
            item if isinstance(item, ExerciseResult) else ExerciseResult.from_dict(item)
            for item in self.exercises
        ]

    @property
    def total(self):
        return sum(item.points for item in self.exercises)

    @property
    def maximum(self):
        return sum(item.max_points for item in self.exercises)

    @property
    def executed(self):
        """True se o notebook chegou a rodar (e não foi recusado antes: vazio, outra lista...)."""
        return self.status not in (
            SubmissionStatus.INVALID,
            SubmissionStatus.UNKNOWN_SET,
            SubmissionStatus.WRONG_SET,
            SubmissionStatus.INTERNAL,
        )

    def to_dict(self):
        return {
            "key": self.key,
            "source": self.source,
            "student": self.student,
            "exercise_set": self.exercise_set,
            "status": str(self.status),
            "note": self.note,
            "exercises": [item.to_dict() for item in self.exercises],
            "problems": list(self.problems),
            "seconds": self.seconds,
            "notes": list(self.notes),
        }


def format_points(value, decimal=","):
    """1.5 -> '1,5' (para pessoas); com decimal='.' para o CSV, que planilhas e pandas leem."""
    return f"{round(value, 2):g}".replace(".", decimal)


# --- estado (retomar) --------------------------------------------------------------------------
def load_state(output):
    """{chave: Graded} do que já foi corrigido; uma linha cortada no meio (queda) é ignorada."""
    graded = {}
    path = Path(output) / STATE_FILE
    if not path.exists():
        return graded
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            item = Graded(**json.loads(line))
        except (ValueError, TypeError, KeyError):
            continue
        graded[item.key] = item
    return graded


def append_state(output, graded):
    """Acrescenta uma entrega ao estado e força a gravação em disco antes de seguir."""
    line = json.dumps(graded.to_dict(), ensure_ascii=False) + "\n"
    with open(Path(output) / STATE_FILE, "a", encoding="utf-8") as handle:
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def write_atomically(path, text):
    """Grava `text` (str em UTF-8, ou bytes) num temporário e o troca de uma vez pelo arquivo."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp")
    binary = isinstance(text, bytes)
    with open(
        temporary,
        "wb" if binary else "w",
        encoding=None if binary else "utf-8",
        newline=None if binary else "",
    ) as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


# --- notas.csv -----------------------------------------------------------------------------------
def exercise_order(key):
    """'06.10' vem depois de '06.9'."""
    return tuple(int(part) if part.isdigit() else part for part in key.split("."))


def spreadsheet_safe(text):
    """Um nome de arquivo como '=HYPERLINK(...)' viraria fórmula no Excel; o apóstrofo impede."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def points_cell(item, decimal="."):
    return PENDING if item.pending else format_points(item.points, decimal)


def exercise_columns(rows):
    """Os ids de exercício de `rows`, na ordem das listas: uma coluna de pontos para cada."""
    return sorted({item.id for row in rows for item in row.exercises}, key=exercise_order)


def help_phrase(kinds):
    """("dica", "solução") -> 'dica (`hint()`) e solução (`solution()`)'."""
    calls = {HINT: "dica (`hint()`)", SOLUTION: "solução (`solution()`)"}
    return " e ".join(calls[kind] for kind in kinds)


def hints_cell(row):
    """A coluna `dicas` de uma entrega: '06.1: dica; 06.3: dica, solução' (vazia sem ajuda)."""
    return "; ".join(f"{item.id}: {', '.join(item.hints)}" for item in row.exercises if item.hints)


def used_hints(rows):
    return any(item.hints for row in rows for item in row.exercises)


def hidden_cell(row):
    """A coluna `casos_ocultos`: '06.1: com outra semente; 02.1: com `emb_dim` ímpar' (vazia se passou)."""
    return "; ".join(f"{item.id}: {', '.join(item.hidden)}" for item in row.exercises if item.hidden)


def failed_hidden(rows):
    return any(item.hidden for row in rows for item in row.exercises)


def grade_cells(row, columns, decimal="."):
    """[lista, situacao, pontos de cada coluna, total, maximo] de uma entrega, com `decimal`."""
    points = {item.id: points_cell(item, decimal) for item in row.exercises}
    maximum = format_points(row.maximum, decimal) if row.exercises else ""
    return [
        row.exercise_set or "",
        str(row.status),
        *(points.get(column, "") for column in columns),
        format_points(row.total, decimal),
        maximum,
    ]


def observation(row):
    return "; ".join(part for part in [row.note, *row.notes] if part)


def grades_table(rows):
    """O texto de notas.csv para `rows` (lista de Graded, já com o nome atual de cada aluno).

    As colunas `dicas` e `casos_ocultos` (antes de `observacao`) só aparecem quando algum aluno
    pediu dica ou solução, ou errou algum caso oculto.
    """
    columns = exercise_columns(rows)
    extras = [(HINTS_COLUMN, hints_cell)] if used_hints(rows) else []
    extras += [(HIDDEN_COLUMN, hidden_cell)] if failed_hidden(rows) else []
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    names = [name for name, _ in extras]
    writer.writerow(
        ["aluno", "arquivo", "lista", "situacao", *columns, "total", "maximo", *names, "observacao"]
    )
    for row in sorted(rows, key=lambda item: item.student.lower()):
        extra = [cell(row) for _, cell in extras]
        cells = grade_cells(row, columns)
        writer.writerow([row.student, spreadsheet_safe(row.source), *cells, *extra, observation(row)])
    return buffer.getvalue()


# --- feedback ------------------------------------------------------------------------------------
def points_phrase(points, maximum):
    unit = "ponto" if maximum == 1 else "pontos"
    return f"{format_points(points)} de {format_points(maximum)} {unit}"


def exercise_lines(item):
    if item.pending:
        score = f"**? de {format_points(item.max_points)}** (a revisar: o instrutor lê e dá a nota)"
    else:
        score = f"**{points_phrase(item.points, item.max_points)}** ({item.status.label.lower()})"
    lines = ["", f"### {item.id}: {item.title}", "", f"{score}. {item.message}"]
    if item.hints:
        lines.append(f"\n> Ajuda usada neste exercício: {help_phrase(item.hints)}.")
    return lines + [f"\n> Possível causa: {cause}" for cause in item.causes]


HOW_IT_WAS_GRADED = (
    "Como foi corrigido: o notebook foi executado do início ao fim num kernel novo, e depois "
    "dele o corretor conferiu cada exercício com as conferências do pacote gptlab_helpers. "
    "O que o notebook imprime (inclusive as mensagens de `check()`) não conta. "
    "As células são contadas de cima para baixo, do 1, incluindo as de texto."
)


def feedback_text(row):
    """O feedback do aluno em Markdown (legível também como texto puro)."""
    title = f"Lista de exercícios {row.exercise_set}" if row.exercise_set else "Lista de exercícios"
    source = row.source.replace("`", "'")
    lines = [f"# {title}: correção", "", f"- **Entrega:** `{source}`"]
    if not row.exercises:
        # nada a conferir (arquivo vazio, outra lista): nem nota "0 de 0" nem como o notebook rodou
        lines += [
            f"- **Situação:** {row.status}",
            f"- **Motivo:** {row.note}",
            "",
            "Esta entrega não pôde ser corrigida. Confira o arquivo (ele abre no Jupyter? é o "
            "notebook da lista certa?) e entregue de novo.",
            "",
        ]
        return "\n".join(lines)
    pending = sum(1 for item in row.exercises if item.pending)
    grade = points_phrase(row.total, row.maximum)
    if pending:
        grade += f" (sem contar {pending} resposta(s) aberta(s) que o instrutor ainda vai ler)"
    lines += [f"- **Nota:** {grade}", f"- **Situação:** {row.status}"]
    if row.note and row.status != SubmissionStatus.OK:
        lines.append(f"- **Observação:** {row.note}")
    lines += [f"- **Aviso:** {note}; isso não muda a nota, mas confira o notebook" for note in row.notes]
    if row.exercises:
        lines += ["", "## Exercícios"]
    for item in row.exercises:
        lines += exercise_lines(item)
    if row.problems:
        lines += ["", "## Problemas ao executar o notebook", ""]
        lines += [f"- {problem}" for problem in row.problems]
    lines += ["", "---", "", HOW_IT_WAS_GRADED if row.executed else "O notebook não foi executado.", ""]
    return "\n".join(lines)


def write_feedback(output, row):
    folder = Path(output) / FEEDBACK_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    write_atomically(folder / f"{row.student}.md", feedback_text(row))


def write_grades(output, rows):
    write_atomically(Path(output) / GRADES_FILE, grades_table(rows))


# --- resumo final --------------------------------------------------------------------------------
def summary_text(rows):
    """Tabela do fim: quantas entregas em cada situação e a média de cada exercício."""
    counts = Counter(row.status for row in rows)
    lines = [f"{'situação':<24}{'entregas':>9}"]
    for status in sorted(counts, key=lambda item: item.severity):
        lines.append(f"{status:<24}{counts[status]:>9}")
    by_exercise = {}
    for row in rows:
        for item in row.exercises:
            by_exercise.setdefault(item.id, []).append(item)
    if by_exercise:
        lines += ["", f"{'exercício':<12}{'média':>8}{'máximo':>8}{'entregas':>10}"]
    for key in sorted(by_exercise, key=exercise_order):
        items = by_exercise[key]
        graded = [item for item in items if not item.pending]
        mean = format_points(sum(item.points for item in graded) / len(graded)) if graded else PENDING
        maximum = max(item.max_points for item in items)
        lines.append(f"{key:<12}{mean:>8}{format_points(maximum):>8}{len(items):>10}")
    return "\n".join(lines)
