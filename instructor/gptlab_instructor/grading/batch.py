"""O lote de uma correção: achar as entregas, corrigir as que faltam (em paralelo) e manter a
pasta de saída em dia a cada entrega que termina.

`grade_folder` é o que o comando `gptlab-grade` chama (veja `cli.py`). Uma entrega já
corrigida é reconhecida pela impressão digital do conteúdo do arquivo somada à do código que
corrige (conferências e tempos limite): mudou o arquivo ou mudou uma conferência, corrige-se de novo.
"""

import contextlib
import dataclasses
import hashlib
import importlib
import importlib.util
import shutil
import signal
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from tqdm import tqdm

from gptlab_helpers.core.cli import UsageError

from . import common_errors, exports, hints, manual, reports, roster, similarity
from .inputs import (
    check_cell_changes,
    check_cells,
    collect_submissions,
    exercise_spans,
    read_notebook,
    recognise_exercise_set,
)
from .kernel import Limits, RunningKernels
from .runner import Interrupted, failed, run_submission
from .status import ExerciseStatus, SubmissionStatus

# O notebook de exercícios distribuído (o que todo aluno recebeu pronto), quando o grader roda no repositório.
EXERCISES_DIR = Path(__file__).resolve().parents[3] / "exercises"

DEFAULT_CHECKS = "gptlab_helpers.checks"
INTERRUPTED_EXIT = 130


@dataclasses.dataclass(frozen=True)
class Settings:
    """Como corrigir. Tempos limite, lista esperada e conferências entram na impressão digital
    (`fingerprint`): mudar um deles faz o lote inteiro ser corrigido de novo."""

    output: Path
    jobs: int = 1
    limits: Limits = Limits()
    exercise_set: str | None = None
    checks_module: str = DEFAULT_CHECKS
    manual_grades: Path | None = None
    roster: Path | None = None  # o CSV da turma (nome, email, matricula): moodle.csv e canvas.csv
    hint_penalty: float = 0.0  # fração dos pontos descontada onde o aluno pediu dica ou solução
    hidden_cases: bool = True  # os casos ocultos de hidden.py (só com as conferências do pacote)


# --- uma entrega -------------------------------------------------------------------------------
def exercise_names(checks_module, exercise_set, exercises):
    """{nome da variável no notebook: id}, para achar as células `q1.check()` do aluno."""
    names = {f"q{number}": exercise.id for number, exercise in enumerate(exercises, start=1)}
    try:
        module = importlib.import_module(f"{checks_module}.lesson{exercise_set}")
    except ImportError:
        return names
    names.update(
        {name: value.id for name, value in vars(module).items() if any(value is e for e in exercises)}
    )
    return names


def submission_status(problems):
    """A situação da entrega é o problema mais grave; a observação, a mensagem dele."""
    if not problems:
        return SubmissionStatus.OK, ""
    worst = min(problems, key=lambda problem: (problem.status.severity, problem.cell))
    return worst.status, worst.message


def with_causes(result, problems, span):
    """O resultado de um exercício com os problemas de execução das suas células (`span`).

    Uma lacuna ainda não preenchida (NotImplementedError) não é causa de nada; um erro de
    sintaxe numa célula do exercício faz dele "erro" com a linha, e não "não tentado".
    """
    after, until = span
    mine = [
        problem
        for problem in problems
        if not problem.exercise and after < problem.cell <= until and not problem.is_placeholder
    ]
    if not mine or result.points >= result.max_points or result.pending:
        return result
    syntax = next((problem for problem in mine if problem.is_syntax_error), None)
    if result.status is ExerciseStatus.NOT_ATTEMPTED and syntax is not None:
        message = f"{syntax.message}; corrija a célula para que o exercício possa ser conferido"
        result = dataclasses.replace(result, status=ExerciseStatus.ERROR, message=message)
        mine = [problem for problem in mine if problem is not syntax]
    return dataclasses.replace(result, causes=tuple(problem.message for problem in mine))


def grade_submission(submission, key, exercise_sets, settings, folder, kernels):
    """Corrige uma entrega -> reports.Graded. Problemas do aluno viram nota e motivo, nunca exceção."""
    started = time.monotonic()
    row = reports.Graded(
        key, submission.source, submission.student, settings.exercise_set, SubmissionStatus.OK
    )
    expected = exercise_sets.get(settings.exercise_set, [])
    notebook, reason = read_notebook(submission.path)
    found = None if notebook is None else recognise_exercise_set(notebook, exercise_sets)
    if notebook is None:
        row.status = SubmissionStatus.INVALID
    elif found is None:
        row.status = SubmissionStatus.UNKNOWN_SET
        reason = "não reconheci a lista de exercícios (o notebook não importa gptlab_helpers.checks.lessonNN)"
    elif settings.exercise_set and found != settings.exercise_set:
        row.status = SubmissionStatus.WRONG_SET
        reason = f"este notebook é a lista {found}, mas a correção é da lista {settings.exercise_set}"
    if row.status != SubmissionStatus.OK:
        row.note = reason
        row.exercises = [failed(exercise, f"não conferido: {reason}") for exercise in expected]
        return row
    exercises = exercise_sets[found]
    outcome = run_submission(
        notebook,
        found,
        exercises,
        settings.limits,
        folder,
        settings.checks_module,
        kernels,
        hidden_cases=settings.hidden_cases and settings.checks_module == DEFAULT_CHECKS,
    )
    names = exercise_names(settings.checks_module, found, exercises)
    spans = exercise_spans(check_cells(notebook, names), [exercise.id for exercise in exercises])
    row.exercise_set = found
    row.exercises = hints.with_hints(
        [
            with_causes(outcome.results[exercise.id], outcome.problems, spans[exercise.id])
            for exercise in exercises
        ],
        hints.hint_use(notebook, names),
    )
    row.problems = [problem.message for problem in outcome.problems]
    row.status, row.note = submission_status(outcome.problems)
    row.notes = list(check_cell_changes(notebook, names).values())
    row.seconds = round(time.monotonic() - started, 1)
    return row


# --- o lote ------------------------------------------------------------------------------------
def source_digest(module_names):
    """Impressão digital do código que corrige: mudou uma conferência, corrige-se tudo de novo."""
    digest = hashlib.sha256()
    for name in sorted({name.split(".")[0] for name in module_names}):
        spec = importlib.util.find_spec(name)
        for folder in spec.submodule_search_locations or [Path(spec.origin).parent]:
            for path in sorted(Path(folder).rglob("*.py")):
                digest.update(path.relative_to(folder).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def fingerprint(settings):
    limits = settings.limits
    parts = [
        source_digest(["gptlab_helpers", "gptlab_instructor.grading", settings.checks_module]),
        f"{limits.cell_timeout}/{limits.total_timeout}/{limits.interrupt_grace}",
        f"{limits.memory}/{limits.processes}/{limits.network}",
        settings.exercise_set or "",
        settings.checks_module,
        "ocultos" if settings.hidden_cases else "sem ocultos",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


class Batch:
    """Uma execução do comando: acha as entregas, corrige as que faltam e mantém a saída em dia."""

    def __init__(self, location, settings, stream=None, progress=True):
        self.location = Path(location)
        self.settings = settings
        self.output = Path(settings.output)
        self.stream = stream or sys.stdout
        self.progress = progress
        self.kernels = RunningKernels()
        self.rows = {}
        self.grades = {}
        self.students = None if settings.roster is None else roster.read_students(settings.roster)
        self.match = None
        self.submissions = []

    def say(self, text=""):
        print(text, file=self.stream, flush=True)

    def run(self, scratch):
        exercise_sets = load_exercise_sets(self.settings)
        submissions, ignored = collect_submissions(self.location, scratch / "zip", skip=self.output)
        self.submissions = submissions
        if self.students is not None:
            self.match = roster.match_submissions(self.students, submissions)
        self.output.mkdir(parents=True, exist_ok=True)
        done = reports.load_state(self.output)
        stamp = fingerprint(self.settings)
        pending = {}
        for submission in submissions:
            key = hashlib.sha256(f"{submission.digest}:{stamp}".encode()).hexdigest()
            previous = done.get(key)
            if previous is not None and previous.status != SubmissionStatus.INTERNAL:
                self.rows[submission.student] = dataclasses.replace(
                    previous, source=submission.source, student=submission.student
                )
            else:
                pending.setdefault(key, []).append(submission)
        self.grades = manual.load(self.output, self.settings.manual_grades)
        self.publish(list(self.rows.values()))
        self.introduce(submissions, ignored, pending)
        started = time.monotonic()
        self.grade_pending(pending, exercise_sets, scratch)
        self.conclude(submissions, time.monotonic() - started)

    def introduce(self, submissions, ignored, pending):
        waiting = sum(len(group) for group in pending.values())
        self.say(
            f"{len(submissions)} entregas em {self.location}: {waiting} a corrigir, {len(self.rows)} já corrigidas."
        )
        for warning in ignored:
            self.say(f"  ignorado: {warning}")

    def grade_pending(self, pending, exercise_sets, scratch):
        def work(number, key, submission):
            folder = scratch / f"{number:05d}"
            folder.mkdir(parents=True)
            try:
                return grade_submission(submission, key, exercise_sets, self.settings, folder, self.kernels)
            except Interrupted:
                return None
            except Exception as exc:  # defeito do corretor ou do ambiente: registra e segue o lote
                row = reports.Graded(
                    key, submission.source, submission.student, None, SubmissionStatus.INTERNAL
                )
                row.note = f"{type(exc).__name__}: {exc}"
                return row
            finally:
                shutil.rmtree(folder, ignore_errors=True)

        total = sum(len(group) for group in pending.values())
        bar = tqdm(total=total, unit="entrega", desc="corrigindo", file=sys.stderr, disable=not self.progress)
        executor = ThreadPoolExecutor(max_workers=self.settings.jobs, thread_name_prefix="gptlab-grade")
        try:
            futures = {
                executor.submit(work, number, key, group[0]): group
                for number, (key, group) in enumerate(pending.items())
            }
            for future in as_completed(futures):
                row = future.result()
                if row is None:
                    continue
                for submission in futures[future]:
                    self.record(
                        dataclasses.replace(row, source=submission.source, student=submission.student)
                    )
                    bar.update(1)
                bar.set_postfix_str(f"{row.student}: {row.status}")
        except KeyboardInterrupt:
            self.kernels.stop()
            executor.shutdown(wait=True, cancel_futures=True)
            bar.close()
            raise
        executor.shutdown()
        bar.close()

    def record(self, row):
        # primeiro o estado (com fsync), depois os arquivos que o instrutor lê
        reports.append_state(self.output, row)
        self.rows[row.student] = row
        self.publish([row])

    def final(self, row):
        """A entrega como o aluno a vê: com as notas manuais e o desconto de dicas (se pedido)."""
        return hints.penalize(manual.apply(self.grades, row), self.settings.hint_penalty)

    def publish(self, changed):
        """Regrava o feedback de `changed`, notas.csv e as respostas abertas (com as notas manuais)."""
        for row in changed:
            reports.write_feedback(self.output, self.final(row))
        rows = [self.final(row) for row in self.rows.values()]
        reports.write_grades(self.output, rows)
        manual.write_open_answers(self.output, list(self.rows.values()), self.grades)

    def conclude(self, submissions, elapsed):
        rows = [self.final(row) for row in self.rows.values()]
        self.say(f"\nCorreção concluída em {elapsed:.0f} s: {len(rows)} entregas.\n")
        self.say(reports.summary_text(rows))
        groups = {}
        for submission in submissions:
            groups.setdefault(submission.digest, []).append(submission.source)
        copies = [sources for sources in groups.values() if len(sources) > 1]
        for sources in copies:
            self.say(f"\nAtenção: conteúdo idêntico em {', '.join(sources)}")
        self.say(f"\nNotas: {self.output / reports.GRADES_FILE}")
        self.say(f"Feedback de cada aluno: {self.output / reports.FEEDBACK_FOLDER}/")
        self.export(rows)
        waiting = sum(1 for row in rows for item in row.exercises if item.pending)
        if waiting:
            self.say(
                f"Respostas abertas a ler: {waiting}, em {self.output / manual.OPEN_ANSWERS_MD}; "
                f"dê as notas em {self.output / manual.OPEN_ANSWERS_CSV} e rode de novo com "
                f"--notas-manuais {self.output / manual.OPEN_ANSWERS_CSV}"
            )

    def export(self, rows):
        """Grava (e diz onde) as exportações, os erros comuns e a correspondência com a turma."""
        written = exports.write_exports(self.output, rows, self.match)
        exercises = {item.id: item for group in load_exercise_sets(self.settings).values() for item in group}
        written += common_errors.write_common_errors(self.output, rows, exercises, self.names_of)
        written.append(self.write_similarity(rows))
        if self.match is not None:
            path = self.output / roster.REPORT_FILE
            reports.write_atomically(path, roster.report_text(self.match, self.submissions))
            written.append(path)
            self.say("\n" + "\n".join(roster.summary_lines(self.match)))
        self.say("Também gravados: " + ", ".join(str(path) for path in written))

    def write_similarity(self, rows):
        """Grava similaridade.md (pares de respostas parecidas, para uma pessoa ler) e diz quantos."""
        sets = {row.exercise_set for row in rows if row.exercise_set}
        templates = EXERCISES_DIR.glob(f"{sets.pop()}_*.ipynb") if len(sets) == 1 else iter(())
        text, pairs = similarity.class_report(self.submissions, next(templates, None))
        path = self.output / similarity.REPORT_FILE
        reports.write_atomically(path, text)
        if pairs:
            self.say(f"\nRespostas parecidas (não mudam nota): {len(pairs)} par(es), em {path}")
        return path

    def names_of(self, row):
        """Os nomes do aluno de `row` na turma (para apagá-los dos exemplos de erros_comuns.md)."""
        student = None if self.match is None else self.match.student_of(row.student)
        return () if student is None else (student.name, student.email, *student.name.split())


def load_exercise_sets(settings):
    checks = importlib.import_module(settings.checks_module)
    exercise_sets = dict(checks.EXERCISE_SETS)
    if settings.exercise_set is not None and settings.exercise_set not in exercise_sets:
        known = ", ".join(sorted(exercise_sets))
        raise UsageError(f"não existe a lista {settings.exercise_set!r}; as listas são {known}")
    return exercise_sets


@contextlib.contextmanager
def stop_on_sigterm():
    """`kill` (SIGTERM) para a correção como Ctrl-C: o que terminou fica salvo e a pasta temporária some."""

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    if threading.current_thread() is not threading.main_thread():
        yield  # só a thread principal pode trocar tratadores de sinal
        return
    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def grade_folder(location, settings, stream=None, progress=True):
    """Corrige as entregas em `location` (pasta ou .zip) -> código de saída do comando.

    0: o lote foi corrigido (quaisquer que sejam as notas); 130: interrompido com Ctrl-C
    (o que terminou está salvo). Erros de uso levantam SubmissionsError ou UsageError.
    `stream` recebe o texto para o instrutor (padrão: a saída padrão); a barra de progresso
    vai para a saída de erros.
    """
    output = Path(settings.output)
    if output.exists() and not output.is_dir():
        raise UsageError(f"a saída {output} já existe e é um arquivo; escolha uma pasta (ela será criada)")
    if Path(location).exists() and output.resolve() == Path(location).resolve():
        raise UsageError("a pasta de saída não pode ser a própria pasta das entregas; use outra, como notas/")
    batch = Batch(location, settings, stream, progress)
    with (
        tempfile.TemporaryDirectory(prefix="gptlab-grade-", ignore_cleanup_errors=True) as scratch,
        stop_on_sigterm(),
    ):
        try:
            batch.run(Path(scratch))
        except KeyboardInterrupt:
            batch.say(
                f"\nCorreção interrompida: {len(batch.rows)} entregas corrigidas estão salvas em {output}. "
                "Rode o mesmo comando de novo para continuar de onde parou."
            )
            return INTERRUPTED_EXIT
    return 0
