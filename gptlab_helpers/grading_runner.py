"""Executar uma entrega num kernel novo (nbclient) e conferir cada exercício depois do aluno.

A ordem dentro do kernel é sempre a mesma:

1. uma célula do corretor guarda uma cópia limpa das conferências (`grading_evaluator`);
2. todas as células de código do aluno, na ordem dele, com tempo limite por célula e total;
3. uma célula do corretor por exercício, que grava o resultado num arquivo secreto.

Erros nas células do aluno não param nada (como ao rodar o notebook inteiro). Uma célula que
passa do tempo é interrompida; se o kernel não atende à interrupção, ou morre (`os._exit`,
falta de memória), a entrega é executada de novo num kernel novo sem essa célula, para que
o resto do trabalho ainda seja conferido (no máximo `MAX_ATTEMPTS` vezes, dentro do tempo total).
"""

import json
import math
import os
import re
import secrets
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

from .checks.base import STATUSES
from .grading_reports import DEAD, ERROR, TIMEOUT

MAX_ATTEMPTS = 3
TIMEOUT_ENAME = "GPTLabTempoEsgotado"

# tipos de problema numa célula; os três primeiros são também a coluna "situacao" do CSV
NOT_RUN = "não executada"


@dataclass(frozen=True)
class Limits:
    """Tempos limite (segundos) e threads do PyTorch de cada kernel."""

    cell_timeout: float = 60.0
    total_timeout: float = 600.0
    interrupt_grace: float = 10.0
    startup_timeout: float = 120.0
    threads: int = 1


@dataclass(frozen=True)
class CellProblem:
    """Algo que deu errado numa célula; `cell` conta do 1, células de texto incluídas.

    `exercise` só é preenchido quando o problema foi na célula de conferência do corretor.
    """

    cell: int
    kind: str
    message: str
    exercise: str = ""


@dataclass
class RunOutcome:
    """Resultado de uma entrega: um dicionário por exercício e os problemas das células."""

    results: dict
    problems: list


class GradingSetupError(RuntimeError):
    """O kernel não conseguiu preparar a conferência (problema do ambiente, não do aluno)."""


class Interrupted(Exception):
    """O instrutor interrompeu a correção (Ctrl-C)."""


class RunningKernels:
    """Os kernels em execução, para que Ctrl-C possa encerrá-los todos de uma vez."""

    def __init__(self):
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._managers = set()

    def add(self, manager):
        with self._lock:
            self._managers.add(manager)

    def discard(self, manager):
        with self._lock:
            self._managers.discard(manager)

    def stop(self):
        """Marca a parada e mata os processos dos kernels (chamado de outra thread)."""
        self.stopping.set()
        with self._lock:
            managers = list(self._managers)
        for manager in managers:
            process = getattr(manager.provisioner, "process", None)
            if process is not None:
                process.kill()


class CurrentPython(KernelSpecManager):
    """O kernel é sempre o Python que roda o corretor (onde o pacote está instalado).

    Um kernelspec "python3" do usuário poderia apontar para outro ambiente.
    """

    def get_kernel_spec(self, kernel_name):
        return KernelSpec(resource_dir=RESOURCES, **get_kernel_dict())


class SilentClient(NotebookClient):
    """NotebookClient que descarta a saída das células: a nota nunca vem do que o aluno imprime,
    e uma célula que imprime megabytes não enche a memória do corretor."""

    def output(self, outs, msg, display_id, cell_index):
        return None


def first_line(source, width=60):
    """A primeira linha de código (não comentário) da célula, para o aluno achá-la."""
    lines = [item.strip() for item in source.splitlines() if item.strip()]
    line = next((item for item in lines if not item.startswith("#")), lines[0] if lines else "")
    line = line.replace("`", "'")
    return line if len(line) <= width else line[: width - 1] + "…"


def short_error(content):
    """'SyntaxError: incomplete input (856036005.py, line 7)' -> '... (linha 7)'."""
    text = f"{content.get('ename', 'Erro')}: {content.get('evalue', '')}".strip().rstrip(":")
    text = re.sub(r"\((?:[^()]*[/\\])?\d+\.py, line (\d+)\)", r"(linha \1)", text)
    return text.splitlines()[0][:300] if text else "Erro"


def describe_cell(cell, source):
    return f"célula {cell} (`{first_line(source)}`)"


def seconds(value):
    return f"{value:g} s"


@dataclass(frozen=True)
class Step:
    """Uma célula a executar: do corretor ("prepare", "grade") ou do aluno ("student")."""

    kind: str
    source: str
    cell: int = 0
    exercise: str = ""
    result_path: Path | None = None


class SubmissionRun:
    """Executa e confere uma entrega (um objeto por entrega, usado por uma só thread)."""

    def __init__(self, notebook, exercise_set, exercises, limits, workdir, checks_module, kernels):
        self.notebook = notebook
        self.exercise_set = exercise_set
        self.exercises = {exercise.id: exercise for exercise in exercises}
        self.limits = limits
        self.workdir = Path(workdir)
        self.checks_module = checks_module
        self.kernels = kernels
        self.decided = {}
        self.problems = {}
        self.skip = set()
        self.deadline = math.inf
        self.last_reply = None

    # --- o que o resto do corretor chama -------------------------------------------------------
    def run(self):
        self.deadline = time.monotonic() + self.limits.total_timeout
        for attempt in range(MAX_ATTEMPTS):
            pending = [key for key in self.exercises if key not in self.decided]
            if not pending:
                break
            lost = self.attempt(pending)
            if self.kernels.stopping.is_set():
                raise Interrupted
            if lost is None:
                break
            retry = attempt + 1 < MAX_ATTEMPTS and time.monotonic() < self.deadline
            self.note_lost_kernel(lost, retry)
            if not retry:
                break
        for key in self.exercises:
            self.decided.setdefault(
                key, self.error_result(key, "não foi possível conferir: " + self.lost_reason())
            )
        return RunOutcome(self.decided, sorted(self.problems.values(), key=lambda item: item.cell))

    # --- uma tentativa: um kernel novo do começo ao fim ----------------------------------------
    def attempt(self, pending):
        """Executa tudo num kernel novo; devolve o passo em que o kernel se perdeu, ou None."""
        steps = self.plan(pending)
        notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(step.source) for step in steps])
        manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=CurrentPython())
        client = SilentClient(
            notebook,
            km=manager,
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "", "traceback": []},
            timeout_func=lambda cell: cell.metadata.get("gptlab_timeout"),
            startup_timeout=int(self.limits.startup_timeout),
            shutdown_kernel="immediate",
            on_cell_executed=self.remember_reply,
        )
        self.kernels.add(manager)
        try:
            # a saída do próprio processo do kernel (avisos do ipykernel) sujaria a barra de progresso
            quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
            setup = client.setup_kernel(
                cwd=str(self.workdir), env=self.kernel_environment(), cleanup_kc=True, **quiet
            )
            with setup:
                not_run = []
                for index, step in enumerate(steps):
                    if self.kernels.stopping.is_set():
                        raise Interrupted
                    if step.kind == "student" and time.monotonic() >= self.deadline:
                        not_run.append(step.cell)
                        continue
                    if not self.run_step(client, index, step):
                        return step
                self.note_not_run(not_run)
                return None
        finally:
            self.kernels.discard(manager)

    def plan(self, pending):
        slot = "_" + secrets.token_hex(12)
        steps = [
            Step(
                "prepare",
                f"__import__('gptlab_helpers.grading_evaluator').grading_evaluator.prepare("
                f"{slot!r}, {self.checks_module!r})",
            )
        ]
        for position, cell in enumerate(self.notebook.cells, start=1):
            if cell.cell_type == "code" and cell.source.strip() and position not in self.skip:
                steps.append(Step("student", cell.source, cell=position))
        for key in pending:
            path = self.workdir.parent / f"resultado-{secrets.token_hex(16)}.json"
            call = f"__import__('sys').modules[{slot!r}].grade"
            source = f"{call}({self.exercise_set!r}, {key!r}, {str(path)!r}, globals())"
            steps.append(Step("grade", source, exercise=key, result_path=path))
        return steps

    def kernel_environment(self):
        threads = str(self.limits.threads)
        return dict(
            os.environ,
            OMP_NUM_THREADS=threads,
            MKL_NUM_THREADS=threads,
            MPLBACKEND="Agg",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )

    # --- um passo ----------------------------------------------------------------------------
    def remember_reply(self, cell, cell_index, execute_reply):
        self.last_reply = execute_reply

    def execute(self, client, index, source, timeout):
        """Executa uma célula: devolve ("ok" | "error" | "timeout" | "dead", detalhe)."""
        cell = nbformat.v4.new_code_cell(source, metadata={"gptlab_timeout": max(timeout, 0.1)})
        self.last_reply = None
        try:
            client.execute_cell(cell, index)
        except DeadKernelError:
            return "dead", ""
        content = (self.last_reply or {}).get("content", {})
        if content.get("status") == "ok":
            return "ok", ""
        if content.get("ename") == TIMEOUT_ENAME:
            return "timeout", ""
        return "error", short_error(content)

    def responsive(self, client, index):
        """Depois de uma interrupção: o kernel voltou a atender?"""
        state, _ = self.execute(client, index, "pass", self.limits.interrupt_grace)
        return state == "ok"

    def run_step(self, client, index, step):
        """Executa um passo; devolve False quando o kernel se perdeu (morreu ou travou)."""
        if step.kind == "prepare":
            state, detail = self.execute(client, index, step.source, self.limits.startup_timeout)
            if state != "ok":
                raise GradingSetupError(f"o kernel não conseguiu preparar a conferência ({state} {detail})")
            return True
        if step.kind == "student":
            timeout = min(self.limits.cell_timeout, self.deadline - time.monotonic())
        else:
            timeout = self.limits.cell_timeout
        state, detail = self.execute(client, index, step.source, timeout)
        if state == "timeout" and not self.responsive(client, index):
            state = "stuck"
        if step.kind == "student":
            self.note_student_cell(step, state, detail, timeout)
        else:
            self.note_grade_cell(step, state, detail)
        return state not in ("dead", "stuck")

    # --- o que fica registrado ----------------------------------------------------------------
    def add_problem(self, cell, kind, message):
        self.problems.setdefault((cell, kind), CellProblem(cell, kind, message))

    def note_student_cell(self, step, state, detail, timeout):
        where = describe_cell(step.cell, step.source)
        if state == "error":
            self.add_problem(step.cell, ERROR, f"a {where} levantou {detail}")
        elif state in ("timeout", "stuck"):
            if timeout < self.limits.cell_timeout:
                reason = f"acabou o tempo total da entrega ({seconds(self.limits.total_timeout)})"
            else:
                reason = f"passou do limite de {seconds(self.limits.cell_timeout)} por célula"
            message = f"a {where} {reason} e foi interrompida"
            if state == "stuck":
                message += ", mas não atendeu à interrupção; o kernel foi encerrado"
            self.add_problem(step.cell, TIMEOUT, message)
            # numa nova tentativa esta célula não roda de novo: já se sabe que não termina
            self.skip.add(step.cell)
        elif state == "dead":
            self.add_problem(step.cell, DEAD, f"o kernel morreu na {where}")
            self.skip.add(step.cell)

    def note_grade_cell(self, step, state, detail):
        if state == "ok":
            self.decided[step.exercise] = self.read_result(step)
            return
        kinds = {"error": ERROR, "timeout": TIMEOUT, "stuck": TIMEOUT, "dead": DEAD}
        limit = seconds(self.limits.cell_timeout)
        messages = {
            "error": f"a conferência falhou ({detail})",
            "timeout": f"a conferência passou de {limit} e foi interrompida (seu código entrou em laço?)",
            "stuck": f"a conferência passou de {limit} e o kernel não atendeu à interrupção",
            "dead": "o kernel morreu durante a conferência deste exercício",
        }
        self.decided[step.exercise] = self.error_result(step.exercise, messages[state])
        after_last_cell = len(self.notebook.cells) + 1
        where = f"exercício {step.exercise}: {messages[state]}"
        self.problems[(step.exercise, state)] = CellProblem(
            after_last_cell, kinds[state], where, step.exercise
        )

    def note_lost_kernel(self, step, retry):
        if step.kind != "student":
            return
        kind = DEAD if (step.cell, DEAD) in self.problems else TIMEOUT
        problem = self.problems[(step.cell, kind)]
        if retry:
            suffix = "; a entrega foi executada de novo, num kernel novo, sem essa célula"
        else:
            suffix = "; não houve como executar a entrega de novo"
        self.problems[(step.cell, kind)] = CellProblem(step.cell, kind, problem.message + suffix)

    def note_not_run(self, cells):
        if cells:
            listed = ", ".join(str(cell) for cell in cells)
            message = f"as células {listed} não foram executadas: acabou o tempo total da entrega"
            self.add_problem(cells[0], NOT_RUN, message)

    # --- resultados ---------------------------------------------------------------------------
    def error_result(self, key, message):
        maximum = float(self.exercises[key].max_points)
        return {"status": "error", "points": 0.0, "max_points": maximum, "message": message}

    def lost_reason(self):
        lost = [problem for problem in self.problems.values() if problem.kind in (DEAD, TIMEOUT)]
        return lost[-1].message if lost else "a execução foi interrompida"

    def read_result(self, step):
        """Lê o arquivo secreto do exercício e confere se ele faz sentido."""
        key = step.exercise
        maximum = float(self.exercises[key].max_points)
        try:
            payload = json.loads(step.result_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self.error_result(key, "a conferência não gravou o resultado")
        finally:
            step.result_path.unlink(missing_ok=True)
        if payload.get("status") == "error" and "points" not in payload:
            return self.error_result(key, str(payload.get("message", "a conferência falhou")))
        points = payload.get("points")
        valid = (
            payload.get("exercise") == key
            and payload.get("status") in STATUSES
            and isinstance(points, float)
            and 0.0 <= points <= maximum
            and payload.get("max_points") == maximum
        )
        if not valid:
            return self.error_result(key, "a conferência devolveu um resultado inválido")
        return {
            "status": payload["status"],
            "points": points,
            "max_points": maximum,
            "message": payload["message"],
        }


def run_submission(notebook, exercise_set, exercises, limits, workdir, checks_module, kernels):
    """Executa `notebook` e confere `exercises`; -> RunOutcome (nunca por causa do aluno levanta)."""
    return SubmissionRun(notebook, exercise_set, exercises, limits, workdir, checks_module, kernels).run()
