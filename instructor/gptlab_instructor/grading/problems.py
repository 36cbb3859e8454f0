"""O que deu errado nas células de uma entrega, e as palavras com que isso chega ao aluno.

`ProblemLog` é o único lugar que escreve essas mensagens: o executor (`runner.py`) só conta
a ele o que aconteceu em cada célula (`CellOutcome` e o detalhe do erro).
"""

import re
from dataclasses import dataclass

from .kernel import GB, CellOutcome
from .status import SubmissionStatus

# erros que são os limites da correção (sandbox.py), e não um defeito comum do código
LIMIT_ERRORS = (
    (
        SubmissionStatus.MEMORY,
        re.compile(r"MemoryError|can't allocate memory|Cannot allocate memory|Unable to allocate|bad_alloc"),
    ),
    (SubmissionStatus.PROCESSES, re.compile(r"BlockingIOError|Resource temporarily unavailable")),
    (
        SubmissionStatus.NETWORK,
        re.compile(r"Network is unreachable|name resolution|Name or service not known"),
    ),
)
# a lacuna ainda sem resposta: não é um problema a mostrar ao aluno
PLACEHOLDER_ERROR = "NotImplementedError"


@dataclass(frozen=True)
class CellProblem:
    """Algo que deu errado numa célula; `cell` conta do 1, células de texto incluídas.

    `status` é a situação da entrega que este problema causa; `exercise` só é preenchido
    quando o problema foi na célula de conferência do corretor; `detail` é o erro sem enfeite
    ("SyntaxError: ... (linha 7)").
    """

    cell: int
    status: SubmissionStatus
    message: str
    exercise: str = ""
    detail: str = ""

    @property
    def is_placeholder(self):
        return self.detail.startswith(PLACEHOLDER_ERROR)

    @property
    def is_syntax_error(self):
        return self.detail.startswith(("SyntaxError", "IndentationError", "TabError"))


def first_line(source, width=60):
    """A primeira linha de código (não comentário) da célula, para o aluno achá-la."""
    lines = [item.strip() for item in source.splitlines() if item.strip()]
    line = next((item for item in lines if not item.startswith("#")), lines[0] if lines else "")
    line = line.replace("`", "'")
    return line if len(line) <= width else line[: width - 1] + "…"


def describe_cell(cell, source):
    return f"célula {cell} (`{first_line(source)}`)"


def seconds(value):
    return f"{value:g} s"


def limit_status(detail):
    """A situação de um erro que é um limite da correção (memória, processos, rede), ou ERROR."""
    for status, pattern in LIMIT_ERRORS:
        if pattern.search(detail):
            return status
    return SubmissionStatus.ERROR


class ProblemLog:
    """Os problemas de uma entrega, um por (célula, situação, exercício), e as células a pular."""

    def __init__(self, limits, after_last_cell):
        self.limits = limits
        self.after_last_cell = after_last_cell
        self.skipped = set()  # células que não rodam de novo numa nova tentativa
        self._problems = {}

    def add(self, problem, replace=False):
        key = (problem.cell, problem.status, problem.exercise)
        if replace or key not in self._problems:
            self._problems[key] = problem

    def problems(self):
        return sorted(self._problems.values(), key=lambda item: item.cell)

    # --- células do aluno -----------------------------------------------------------------------
    def student_cell(self, step, outcome, detail, timeout):
        where = describe_cell(step.cell, step.source)
        if outcome is CellOutcome.ERROR:
            self.add(CellProblem(step.cell, *self.error_wording(where, detail), detail=detail))
        elif outcome in (CellOutcome.TIMEOUT, CellOutcome.STUCK):
            if timeout < self.limits.cell_timeout:
                reason = f"acabou o tempo total da entrega ({seconds(self.limits.total_timeout)})"
            else:
                reason = f"passou do limite de {seconds(self.limits.cell_timeout)} por célula"
            message = f"a {where} {reason} e foi interrompida"
            if outcome is CellOutcome.STUCK:
                message += ", mas não atendeu à interrupção; o kernel foi encerrado"
            self.add(CellProblem(step.cell, SubmissionStatus.TIMEOUT, message))
            # numa nova tentativa esta célula não roda de novo: já se sabe que não termina
            self.skipped.add(step.cell)
        elif outcome is CellOutcome.DEAD:
            message = f"o kernel morreu na {where} (falta de memória ou o processo foi encerrado)"
            self.add(CellProblem(step.cell, SubmissionStatus.DEAD, message))
            self.skipped.add(step.cell)

    def error_wording(self, where, detail):
        """(situação, mensagem) de uma célula que levantou `detail`."""
        status = limit_status(detail)
        if status is SubmissionStatus.MEMORY:
            limit = f"{self.limits.memory / GB:g} GB".replace(".", ",")
            return status, f"a {where} passou do limite de memória da correção ({limit}): {detail}"
        if status is SubmissionStatus.PROCESSES:
            return status, f"a {where} criou processos demais (limite da correção): {detail}"
        if status is SubmissionStatus.NETWORK:
            return status, f"a {where} tentou acessar a rede, que a correção bloqueia: {detail}"
        return status, f"a {where} levantou {detail}"

    # --- células de conferência ----------------------------------------------------------------
    def grade_cell(self, step, outcome, detail):
        """Registra a conferência que falhou e devolve a mensagem para o exercício."""
        limit = seconds(self.limits.cell_timeout)
        wording = {
            CellOutcome.ERROR: (SubmissionStatus.ERROR, f"a conferência falhou ({detail})"),
            CellOutcome.TIMEOUT: (
                SubmissionStatus.TIMEOUT,
                f"a conferência passou de {limit} e foi interrompida (seu código entrou em laço?)",
            ),
            CellOutcome.STUCK: (
                SubmissionStatus.TIMEOUT,
                f"a conferência passou de {limit} e o kernel não atendeu à interrupção",
            ),
            CellOutcome.DEAD: (
                SubmissionStatus.DEAD,
                "o kernel morreu durante a conferência deste exercício",
            ),
        }
        status, message = wording[outcome]
        where = f"exercício {step.exercise}: {message}"
        self.add(CellProblem(self.after_last_cell, status, where, step.exercise), replace=True)
        return message

    # --- o kernel se perdeu, ou o tempo acabou --------------------------------------------------
    def lost_kernel(self, step, retry):
        if step.kind != "student":
            return
        found = [item for item in self._problems.values() if item.cell == step.cell and not item.exercise]
        if not found:
            return
        problem = found[-1]
        if retry:
            suffix = "; a entrega foi executada de novo, num kernel novo, sem essa célula"
        else:
            suffix = "; não houve como executar a entrega de novo"
        self.add(CellProblem(step.cell, problem.status, problem.message + suffix), replace=True)

    def not_run(self, cells):
        if cells:
            listed = ", ".join(str(cell) for cell in cells)
            message = f"as células {listed} não foram executadas: acabou o tempo total da entrega"
            self.add(CellProblem(cells[0], SubmissionStatus.TIMEOUT, message))

    def lost_reason(self):
        lost = [
            item.message
            for item in self._problems.values()
            if item.status in (SubmissionStatus.DEAD, SubmissionStatus.TIMEOUT)
        ]
        return lost[-1] if lost else "a execução foi interrompida"
