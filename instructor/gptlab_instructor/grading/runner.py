"""Executar uma entrega num kernel novo e conferir cada exercício depois do aluno.

A ordem dentro do kernel é sempre a mesma (`plan_steps`):

1. uma célula do corretor guarda uma cópia limpa das conferências (`evaluator.prepare`);
2. todas as células de código do aluno, na ordem dele, com tempo limite por célula e total;
3. uma célula do corretor por exercício, que grava o resultado num arquivo secreto
   (`parse_result` o lê de volta).

Erros nas células do aluno não param nada (como ao rodar o notebook inteiro). Uma célula que
passa do tempo é interrompida; se o kernel não atende à interrupção, ou morre (`os._exit`,
falta de memória), a entrega é executada de novo num kernel novo sem essa célula, para que
o resto do trabalho ainda seja conferido (no máximo `MAX_ATTEMPTS` vezes, dentro do tempo total).
O que deu errado, e como dizer isso ao aluno, fica com `ProblemLog` (`problems.py`).
"""

import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from .kernel import CellOutcome, KernelSession
from .problems import ProblemLog
from .reports import HINT, SOLUTION
from .status import ExerciseResult, ExerciseStatus

MAX_ATTEMPTS = 3


@dataclass(frozen=True)
class Step:
    """Uma célula a executar: do corretor ("prepare", "grade") ou do aluno ("student")."""

    kind: str
    source: str
    cell: int = 0
    exercise: str = ""
    result_path: Path | None = None


@dataclass
class RunOutcome:
    """Resultado de uma entrega: {id: ExerciseResult} e os problemas das células (CellProblem)."""

    results: dict
    problems: list


class GradingSetupError(RuntimeError):
    """O kernel não conseguiu preparar a conferência (problema do ambiente, não do aluno)."""


class Interrupted(Exception):
    """O instrutor interrompeu a correção (Ctrl-C)."""


# --- funções puras: o plano e a leitura do resultado -------------------------------------------
def plan_steps(
    notebook,
    exercise_set,
    pending,
    checks_module,
    results_folder,
    skip=(),
    token=secrets.token_hex,
    hidden_cases=True,
):
    """As células a executar, na ordem: preparar, as do aluno (menos `skip`) e uma conferência por
    exercício em `pending`. `token` sorteia os nomes secretos (trocável nos testes); com
    `hidden_cases`, cada conferência roda também os casos ocultos (`hidden.py`)."""
    slot = "_" + token(12)
    evaluator = "__import__('gptlab_instructor.grading.evaluator').grading.evaluator"
    prepare = f"{evaluator}.prepare({slot!r}, {checks_module!r}, {bool(hidden_cases)!r})"
    steps = [Step("prepare", prepare)]
    for position, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code" and cell.source.strip() and position not in skip:
            steps.append(Step("student", cell.source, cell=position))
    for key in pending:
        path = Path(results_folder) / f"resultado-{token(16)}.json"
        call = f"__import__('sys').modules[{slot!r}].grade"
        source = f"{call}({exercise_set!r}, {key!r}, {str(path)!r}, globals())"
        steps.append(Step("grade", source, exercise=key, result_path=path))
    return steps


def failed(exercise, message):
    """O resultado de um exercício que não pôde ser conferido: 0 pontos, situação "erro"."""
    return ExerciseResult(
        exercise.id, exercise.title, ExerciseStatus.ERROR, 0.0, float(exercise.max_points), message
    )


def parse_result(text, exercise):
    """O texto JSON que a conferência gravou -> ExerciseResult, conferindo se ele faz sentido."""
    maximum = float(exercise.max_points)
    try:
        payload = json.loads(text)
    except (TypeError, ValueError):
        return failed(exercise, "a conferência não gravou o resultado")
    if not isinstance(payload, dict):
        return failed(exercise, "a conferência devolveu um resultado inválido")
    if payload.get("status") == ExerciseStatus.ERROR and "points" not in payload:
        return failed(exercise, str(payload.get("message", "a conferência falhou")))
    points = payload.get("points")
    valid = (
        payload.get("id") == exercise.id
        and payload.get("status") in set(ExerciseStatus)
        and isinstance(points, float)
        and 0.0 <= points <= maximum
        and payload.get("max_points") == maximum
        and isinstance(payload.get("message"), str)
        and isinstance(payload.get("answer", ""), str)
        and isinstance(payload.get("hidden", []), list)
        and isinstance(payload.get("hints", []), list)
        and all(item in (HINT, SOLUTION) for item in payload.get("hints", []))
        and all(isinstance(item, str) for item in payload.get("hidden", []))
    )
    if not valid:
        return failed(exercise, "a conferência devolveu um resultado inválido")
    # o título e as causas vêm do corretor, não do kernel do aluno
    return ExerciseResult.from_dict({**payload, "title": exercise.title, "causes": ()})


# --- a execução -------------------------------------------------------------------------------
def read_result_file(step, exercise):
    try:
        text = step.result_path.read_text(encoding="utf-8")
    except OSError:
        text = None
    finally:
        step.result_path.unlink(missing_ok=True)
    return parse_result(text, exercise)


def run_steps(session, steps, exercises, log, deadline):
    """Executa os passos num kernel; devolve ({id: resultado}, passo em que o kernel se perdeu ou None)."""
    decided, not_run = {}, []
    for step in steps:
        if session.kernels.stopping.is_set():
            raise Interrupted
        if step.kind == "prepare":
            outcome, detail = session.run(step.source, log.limits.startup_timeout)
            if outcome is not CellOutcome.OK:
                raise GradingSetupError(
                    f"o kernel não conseguiu preparar a conferência ({outcome.value} {detail})"
                )
            continue
        if step.kind == "student":
            timeout = min(log.limits.cell_timeout, deadline - time.monotonic())
            if timeout <= 0:
                not_run.append(step.cell)
                continue
            outcome, detail = session.run(step.source, timeout)
            log.student_cell(step, outcome, detail, timeout)
        else:
            outcome, detail = session.run(step.source, log.limits.cell_timeout)
            exercise = exercises[step.exercise]
            if outcome is CellOutcome.OK:
                decided[step.exercise] = read_result_file(step, exercise)
            else:
                decided[step.exercise] = failed(exercise, log.grade_cell(step, outcome, detail))
        if outcome.loses_kernel:
            return decided, step
    log.not_run(not_run)
    return decided, None


def run_submission(
    notebook, exercise_set, exercises, limits, folder, checks_module, kernels, hidden_cases=True
):
    """Executa `notebook` e confere `exercises` -> RunOutcome (nunca levanta por causa do aluno).

    `folder`: uma pasta só desta entrega (o kernel ganha nela trabalho/, casa/ e resultados/).
    """
    exercises = {exercise.id: exercise for exercise in exercises}
    log = ProblemLog(limits, after_last_cell=len(notebook.cells) + 1)
    deadline = time.monotonic() + limits.total_timeout
    decided = {}
    for attempt in range(MAX_ATTEMPTS):
        pending = [key for key in exercises if key not in decided]
        if not pending:
            break
        session = KernelSession(Path(folder) / f"tentativa-{attempt}", limits, kernels)
        steps = plan_steps(
            notebook,
            exercise_set,
            pending,
            checks_module,
            session.results_folder,
            skip=log.skipped,
            hidden_cases=hidden_cases,
        )
        with session:
            found, lost = run_steps(session, steps, exercises, log, deadline)
        decided.update(found)
        if kernels.stopping.is_set():
            raise Interrupted
        if lost is None:
            break
        retry = attempt + 1 < MAX_ATTEMPTS and time.monotonic() < deadline
        log.lost_kernel(lost, retry)
        if not retry:
            break
    for key, exercise in exercises.items():
        decided.setdefault(key, failed(exercise, "não foi possível conferir: " + log.lost_reason()))
    return RunOutcome(decided, log.problems())
