"""A peça comum de todas as conferências: um exercício com `check()`, `hint()` e `solution()`.

Cada exercício é um objeto (q1, q2, ... em `lessonNN.py`) que lê as respostas do aluno pelo
nome, nas variáveis globais do notebook, e devolve um `CheckResult`. `evaluate()` é pura e
nunca levanta exceção (o corretor do instrutor depende disso); `check()` é o que o aluno chama
no notebook e mostra o resultado colorido.
"""

import contextlib
import html
import inspect
import io
from dataclasses import dataclass

import torch

from ..core.formatting import format_decimal, format_general, format_int  # noqa: F401 (usados pelas conferências)
from .status import EXERCISE_LABELS, ExerciseStatus

CORRECT = ExerciseStatus.CORRECT
PARTIAL = ExerciseStatus.PARTIAL
INCORRECT = ExerciseStatus.INCORRECT
NOT_ATTEMPTED = ExerciseStatus.NOT_ATTEMPTED
ERROR = ExerciseStatus.ERROR
REVIEW = ExerciseStatus.REVIEW
STATUSES = tuple(ExerciseStatus)

# rótulo em português e cor de cada situação
STATUS_LABELS = EXERCISE_LABELS

PLACEHOLDER_COMMENT = "# escreva sua resposta aqui"

# Os dois modos do material: em "autoestudo" dicas e soluções ficam abertas; na entrega de uma
# turma ("turma", feita por gptlab-turma) o pacote vem sem as soluções.
AUTOSTUDY, CLASS_MODE = "autoestudo", "turma"
# O pedido de ajuda gravado na saída da célula: metadata["gptlab"] = {"ajuda": ..., "exercicio": ...}
HELP_METADATA_KEY = "gptlab"
HINT, SOLUTION = "dica", "solução"
HELP_LOG = []  # (id do exercício, "dica" ou "solução"), na ordem dos pedidos desta sessão


@dataclass
class CheckResult:
    """O resultado de uma conferência: situação, pontos e a mensagem para o aluno (em português)."""

    exercise: str
    status: str
    points: float
    max_points: float
    message: str
    answer: str = ""  # o texto de uma resposta aberta, para o instrutor ler

    def __post_init__(self):
        if self.status not in STATUSES:
            known = ", ".join(str(status) for status in STATUSES)
            raise ValueError(f"status desconhecido: {self.status!r}; use um de {known}")
        self.status = ExerciseStatus(self.status)

    def points_text(self):
        """Os pontos, como "3/4 pontos"; numa resposta que o instrutor ainda vai ler, "vale 1 ponto"."""
        if self.status == ExerciseStatus.REVIEW:
            return f"vale {self.max_points:g} ponto{'s' if self.max_points != 1 else ''}"
        return f"{self.points:g}/{self.max_points:g} pontos"

    def text(self):
        """O resultado em uma linha de texto simples (o que aparece fora do Jupyter)."""
        label = STATUS_LABELS[self.status][0]
        return f"[{self.exercise}] {label} ({self.points_text()}): {self.message}"

    def html(self):
        """O mesmo resultado em HTML, com a cor da situação."""
        label, color = STATUS_LABELS[self.status]
        message = html.escape(self.message).replace("\n", "<br>")
        return (
            f'<div style="border-left: 4px solid {color}; padding: 4px 8px;">'
            f'<b style="color: {color}">Exercício {html.escape(self.exercise)}: {label}</b> '
            f"({self.points_text()})<br>{message}</div>"
        )

    def __str__(self):
        return self.text()

    def _ipython_display_(self):
        # `q1.check()` já mostrou o resultado; sem isto ele apareceria de novo como Out[ ]
        if getattr(self, "_shown_in", None) == current_execution_count():
            return
        show(self)


class Feedback(Exception):
    """Levantada dentro de `grade()` para encerrar a conferência com uma mensagem ao aluno.

    `raise Feedback("faltou o bias do out_proj")` vira status "incorrect" com 0 pontos;
    com `fraction` maior que zero (a fração de max_points que o aluno ganha) vira "partial".
    """

    def __init__(self, message, fraction=0.0):
        super().__init__(message)
        self.message = message
        self.fraction = fraction


class NotAttempted(Exception):
    """Levantada dentro de `grade()` quando a resposta ainda é o lugar reservado."""


class Exercise:
    """Um exercício: subclasses definem `id`, `title`, `max_points`, `names` e `grade()`.

    `names` são as variáveis que o aluno deve definir; se faltar alguma ou se todas ainda
    valerem o lugar reservado (`placeholders`, por padrão None), o exercício é "não tentado".
    `grade(namespace)` devolve um `CheckResult` (use `self.correct()`) ou levanta `Feedback`.

    Um exercício de código pode aceitar em `grade(namespace, **case)` parâmetros com padrão (outra
    configuração, outra semente, outra forma de entrada): o aluno é conferido com os padrões; o
    corretor do instrutor ainda roda casos ocultos com outros valores (`evaluate_case`), para que
    uma resposta ajustada a uma entrada só não ganhe todos os pontos. `aliases` aceita um nome
    antigo da classe pedida ({nome do livro: outro nome}).
    """

    id = ""
    title = ""
    max_points = 1.0
    names = ()
    placeholders = {}  # nome -> valor do lugar reservado, quando não é None
    aliases = {}  # nome pedido -> outro nome aceito (o da edição anterior do livro)
    hint_text = ""

    # --- o que o corretor usa -------------------------------------------------------------
    def evaluate(self, namespace, case=None):
        """Confere as respostas em `namespace` (as variáveis globais do notebook).

        Nunca levanta exceção: erros no código do aluno viram status "error" com o nome da
        exceção. O gerador de números do PyTorch é restaurado no fim, para que conferir não
        mude o que as células seguintes do notebook imprimem. `case` são parâmetros de
        `grade()` diferentes dos padrões (um caso oculto do corretor).
        """
        try:
            with torch.random.fork_rng(devices=[]):
                return self.evaluate_unprotected(namespace, case or {})
        except Exception as exc:  # o código do aluno pode falhar de qualquer jeito
            return self.result(ERROR, 0.0, self.describe_exception(exc))

    def evaluate_case(self, namespace, case):
        """A fração dos pontos (de 0 a 1) que as respostas ganham com os parâmetros `case` de `grade()`."""
        result = self.evaluate(namespace, case)
        return result.points / self.max_points if self.max_points else 1.0

    def evaluate_unprotected(self, namespace, case=None):
        if not isinstance(namespace, dict):
            raise TypeError(
                f"namespace deve ser um dicionário de variáveis (como globals()), "
                f"mas recebi {type(namespace).__name__}"
            )
        for name, alias in self.aliases.items():
            if name not in namespace and alias in namespace:
                namespace = {**namespace, name: namespace[alias]}
        missing = [name for name in self.names if name not in namespace]
        if missing:
            return self.not_attempted(
                "ainda não encontrei " + ", ".join(f"`{name}`" for name in missing) + "; "
                "complete e execute as células do exercício antes desta"
            )
        if self.names and all(self.is_placeholder(name, namespace[name]) for name in self.names):
            return self.not_attempted("as respostas ainda são o valor reservado; substitua pelo seu código")
        try:
            return self.grade(namespace, **(case or {}))
        except Feedback as feedback:
            status = PARTIAL if feedback.fraction > 0 else INCORRECT
            return self.result(status, feedback.fraction * self.max_points, feedback.message)
        except NotAttempted as exc:
            return self.not_attempted(str(exc))
        except NotImplementedError:
            return self.not_attempted(
                "o código ainda levanta NotImplementedError; troque essa linha pela sua implementação"
            )

    def grade(self, namespace, **case):
        raise NotImplementedError("cada exercício define grade()")

    def is_placeholder(self, name, value):
        expected = self.placeholders.get(name)
        if value is None or value is Ellipsis:
            return True
        return expected is not None and type(value) is type(expected) and value == expected

    # --- o que o aluno usa ----------------------------------------------------------------
    def check(self, namespace=None):
        """Confere o exercício com as variáveis do notebook, mostra o resultado e o devolve."""
        if namespace is None:
            caller = inspect.currentframe().f_back
            namespace = caller.f_globals
        result = self.evaluate(namespace)
        show(result)
        return result

    def hint(self):
        """Mostra uma dica em português e deixa o pedido gravado na saída da célula."""
        record_help(self.id, HINT, f"Dica ({self.id}): {self.hint_text}")

    def solution(self):
        """Mostra a solução de referência (o código do notebook de soluções), se ela estiver aberta.

        Na entrega de uma turma (`gptlab-turma`) o pacote vem sem as soluções: a mensagem diz
        quando elas abrem. O pedido atendido fica gravado na saída da célula, como o de `hint()`.
        """
        from . import solution_code  # gerado por scripts/make_exercises.py (ou por gptlab-turma)

        if getattr(solution_code, "MODE", AUTOSTUDY) != AUTOSTUDY:
            print(closed_solution_message(self.id, getattr(solution_code, "DEADLINE", None)))
            return
        code = solution_code.SOLUTIONS.get(self.id)
        if code is None:
            print(f"Ainda não há solução registrada para o exercício {self.id}.")
            return
        record_help(self.id, SOLUTION, f"Solução do exercício {self.id} ({self.title}):\n\n{code}")

    # --- atalhos para grade() --------------------------------------------------------------
    def result(self, status, points, message, answer=""):
        return CheckResult(self.id, status, float(points), float(self.max_points), message, answer)

    def correct(self, message="tudo certo!"):
        return self.result(CORRECT, self.max_points, message)

    def not_attempted(self, message):
        return self.result(NOT_ATTEMPTED, 0.0, message)

    @staticmethod
    def describe_exception(exc):
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "sem mensagem"
        return (
            f"seu código levantou {type(exc).__name__}: {detail}. "
            "Leia a mensagem, corrija a célula do exercício e execute-a de novo."
        )

    def __repr__(self):
        return f"<Exercício {self.id}: {self.title}>"


def ipython_shell():
    """O shell do IPython/Jupyter em que estamos, ou None (script, pytest, IPython ausente)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


def record_help(exercise_id, kind, text):
    """Mostra `text` (uma dica ou a solução) e registra o pedido de ajuda de `kind`.

    O registro fica em dois lugares: em `HELP_LOG` (o corretor lê depois de executar o
    notebook) e nos metadados da saída da célula, que vão junto quando o aluno salva o
    notebook e entrega: o instrutor fica sabendo, o aluno não perde nada (veja o README).
    """
    HELP_LOG.append((exercise_id, kind))
    shell = ipython_shell()
    if shell is None:
        print(text)
        return
    from IPython.display import display

    metadata = {HELP_METADATA_KEY: {"ajuda": kind, "exercicio": exercise_id}}
    display({"text/plain": text}, metadata=metadata, raw=True)


def closed_solution_message(exercise_id, deadline=None):
    """O que `solution()` diz na entrega de uma turma, em que as soluções ainda não abriram."""
    when = f"depois do prazo ({deadline})" if deadline else "depois do prazo da lista"
    return (
        f"A solução do exercício {exercise_id} está fechada nesta entrega da turma: ela abre {when}, "
        "quando o instrutor publicar as soluções. Até lá, use a dica (hint()) e a conferência (check())."
    )


def current_execution_count():
    shell = ipython_shell()
    return None if shell is None else shell.execution_count


def show(result):
    """Mostra um CheckResult: HTML colorido no Jupyter, uma linha de texto fora dele."""
    if ipython_shell() is None:
        print(result.text())
        return
    from IPython.display import display

    display({"text/plain": result.text(), "text/html": result.html()}, raw=True)
    result._shown_in = current_execution_count()


def run_quietly(function, *args, **kwargs):
    """Chama `function` guardando o que ela imprime: devolve (resultado, texto impresso).

    As classes do aluno podem ter prints de depuração; eles não devem poluir a resposta da
    conferência, mas às vezes são justamente o que se confere (aula 07).
    """
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        value = function(*args, **kwargs)
    return value, buffer.getvalue()


def count_words(text):
    """Quantas palavras tem um texto (sequências separadas por espaço com alguma letra)."""
    return sum(1 for word in str(text).split() if any(char.isalpha() for char in word))
