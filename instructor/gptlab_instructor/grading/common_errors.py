"""erros_comuns.md e erros_comuns.png: o que a turma mais errou em cada exercício.

As conferências não dão um código a cada tipo de erro (`gptlab_helpers.checks.base.Feedback`
só leva a mensagem e a fração dos pontos), então a identidade de um erro é derivada aqui
(`failure_identity`): o exercício, a situação ("incorreto", "erro"...) e a mensagem com os
números e os valores entre aspas trocados por marcadores. "`att_params_count` vale 7.077.888;
faltam 5 parâmetros" e "... vale 7.077.880; faltam 13 parâmetros" são o mesmo erro; os nomes
entre crases (as variáveis do exercício) ficam, porque dizem qual parte está errada.

Para cada erro: quantos alunos o tiveram, dois exemplos sem o nome de ninguém e a seção da
aula a rever (`lesson_section`: o notebook notebooks/NN_*.ipynb da lista NN e, nele, o título
de seção cujas palavras mais se parecem com as do título e da dica do exercício).
"""

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from gptlab_helpers.checks.status import ExerciseStatus

from .reports import exercise_order, write_atomically
from .roster import tokens

MARKDOWN_FILE = "erros_comuns.md"
FIGURE_FILE = "erros_comuns.png"
NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:[.,]\d+)*(?:[eE][-+]?\d+)?(?![\w])")
QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
COUNTED = {
    ExerciseStatus.PARTIAL,
    ExerciseStatus.INCORRECT,
    ExerciseStatus.ERROR,
    ExerciseStatus.NOT_ATTEMPTED,
}
EXAMPLES = 2
LESSONS = Path(__file__).resolve().parents[3] / "notebooks"
COMMON_WORDS = {"para", "como", "mesmo", "mesma", "cada", "com", "sem", "uma", "que", "dos", "das", "nos"}


def normalise_message(message):
    """A mensagem sem o que muda de aluno para aluno: valores entre aspas e números."""
    text = QUOTED.sub("{valor}", " ".join(str(message).split()))
    return NUMBER.sub("{n}", text)


def failure_identity(item):
    """(exercício, situação, mensagem normalizada): a chave que agrupa os alunos com o mesmo erro."""
    return item.id, str(item.status), normalise_message(item.message)


@dataclass
class Failure:
    """Um erro de um exercício: quantos alunos o tiveram e as mensagens de alguns."""

    exercise: str
    title: str
    status: ExerciseStatus
    pattern: str
    students: set = field(default_factory=set)
    examples: list = field(default_factory=list)


def anonymise(text, names):
    """`text` sem os nomes (do arquivo e da turma) do aluno: cada um vira {aluno}."""
    for name in sorted((n for n in names if len(n) >= 3), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", "{aluno}", text, flags=re.IGNORECASE)
    return text


def group_failures(rows, names_of=lambda row: ()):
    """[Failure] dos exercícios conferidos e errados, do exercício e do erro mais comum primeiro.

    `names_of(row)`: os nomes a apagar dos exemplos, além do nome do arquivo.
    Entregas que nem rodaram (arquivo inválido, outra lista) não entram: não dizem nada do exercício.
    """
    found = {}
    for row in sorted(rows, key=lambda row: row.source):  # exemplos na mesma ordem a cada correção
        if not row.executed:
            continue
        for item in row.exercises:
            if item.status not in COUNTED:
                continue
            key = failure_identity(item)
            failure = found.setdefault(key, Failure(item.id, item.title, item.status, key[2]))
            failure.students.add(row.student)
            example = anonymise(item.message, [row.student, row.source, *names_of(row)])
            if len(failure.examples) < EXAMPLES and example not in failure.examples:
                failure.examples.append(example)
    return sorted(found.values(), key=lambda f: (exercise_order(f.exercise), -len(f.students), f.pattern))


# --- a aula a rever ------------------------------------------------------------------------------
def words(text):
    """As palavras de `text` que dizem algo (4 letras ou mais, sem acento), para comparar seções."""
    return {word for word in tokens(text) if len(word) >= 4 and word not in COMMON_WORDS}


def lesson_notebook(exercise_set, folder=LESSONS):
    """O notebook da aula da lista (notebooks/06_*.ipynb para 06.x), ou None."""
    found = sorted(Path(folder).glob(f"{exercise_set}_*.ipynb")) if Path(folder).is_dir() else []
    return found[0] if found else None


def sections(notebook):
    """[(posição do título, do 1; texto do título; palavras da seção)] de um notebook."""
    found = []
    for position, cell in enumerate(notebook.cells, start=1):
        source = str(cell.get("source", ""))
        if cell.get("cell_type") == "markdown" and source.lstrip().startswith("#"):
            found.append([position, source.strip().splitlines()[0].lstrip("# ").strip(), set()])
        if found:
            found[-1][2] |= words(source)
    return found


def lesson_section(exercise, folder=LESSONS):
    """'notebooks/06_x.ipynb, célula 10 («3. O modelo inteiro»)' para rever `exercise`, ou um texto geral."""
    exercise_set = exercise.id.split(".")[0]
    path = lesson_notebook(exercise_set, folder)
    if path is None:
        return f"a aula {exercise_set} (notebooks/{exercise_set}_*.ipynb)"
    notebook = nbformat.read(path, as_version=4)
    title, hint = words(exercise.title), words(getattr(exercise, "hint_text", ""))
    scored = [
        (2 * len(title & found) + len(hint & found), -position, text)
        for position, text, found in sections(notebook)
    ]
    where = f"`notebooks/{path.name}`"
    if not scored or max(scored)[0] == 0:
        return where
    _, position, text = max(scored)
    return f"{where}, célula {-position} («{text}»)"


# --- o relatório ---------------------------------------------------------------------------------
def short(text, size=70):
    """`text` cortado em `size` caracteres, com reticências."""
    return text if len(text) <= size else text[: size - 1].rstrip() + "…"


def alt_text(failures):
    """O texto alternativo da figura: o que ela mostra, com os três erros mais comuns."""
    top = sorted(failures, key=lambda f: -len(f.students))[:3]
    listed = "; ".join(f"{f.exercise}, {short(f.pattern, 60)}: {len(f.students)} aluno(s)" for f in top)
    text = f"Gráfico de barras horizontais com quantos alunos tiveram cada erro. Os mais comuns: {listed}"
    return text.replace("[", "(").replace("]", ")")


def failure_lines(failure):
    """As linhas Markdown de um erro: quantos alunos, a mensagem normalizada e os exemplos."""
    label = failure.status.label.lower()
    count = len(failure.students)
    lines = ["", f"### {count} aluno{'s' if count > 1 else ''} ({label}): {failure.pattern}", ""]
    return lines + [f"- Exemplo {number}: {text}" for number, text in enumerate(failure.examples, start=1)]


def markdown(failures, exercises, graded, figure=True):
    """O texto de erros_comuns.md. `exercises`: {id: Exercise} (título e dica, para achar a aula)."""
    lines = [
        "# Erros comuns da turma",
        "",
        f"{graded} entregas executadas. Cada erro conta os alunos com a mesma falha no exercício "
        "(os números e valores entre aspas da mensagem podem variar); os exemplos não têm o nome de "
        "ninguém.",
    ]
    if not failures:
        return "\n".join(lines + ["", "Nenhum erro: todos os exercícios conferidos estão certos.", ""])
    if figure:
        lines += ["", f"![{alt_text(failures)}]({FIGURE_FILE})"]
    current = None
    for failure in failures:
        if failure.exercise != current:
            current = failure.exercise
            exercise = exercises.get(current)
            revisit = lesson_section(exercise) if exercise is not None else "a aula da lista"
            lines += ["", f"## {current}: {failure.title}", "", f"Para rever: {revisit}."]
        lines += failure_lines(failure)
    return "\n".join(lines) + "\n"


def figure_png(failures):
    """Os bytes de erros_comuns.png: uma barra por erro, com os rótulos em português."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    shown = failures[:20]
    labels = [f"{f.exercise} · {short(f.pattern, 60)}" for f in shown][::-1]
    counts = [len(f.students) for f in shown][::-1]
    figure = Figure(figsize=(11, 1.2 + 0.45 * len(shown)))
    axes = figure.subplots()
    axes.barh(range(len(shown)), counts, color="#b3261e")
    axes.set_yticks(range(len(shown)), labels, fontsize=8)
    axes.set_xlabel("alunos com o erro")
    axes.set_title("Erros mais comuns por exercício")
    axes.xaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()


def write_common_errors(output, rows, exercises, names_of=lambda row: ()):
    """Grava erros_comuns.md (e a figura, se houver erros) -> [caminhos gravados]."""
    failures = group_failures(rows, names_of)
    graded = sum(1 for row in rows if row.executed)
    written = [Path(output) / MARKDOWN_FILE]
    write_atomically(written[0], markdown(failures, exercises, graded, figure=bool(failures)))
    if failures:
        written.append(Path(output) / FIGURE_FILE)
        write_atomically(written[1], figure_png(failures))
    return written
