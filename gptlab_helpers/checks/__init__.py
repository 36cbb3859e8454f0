"""Conferências automáticas dos exercícios: um objeto por exercício, com check/hint/solution.

No notebook de exercícios da aula 06, por exemplo::

    from gptlab_helpers.checks.lesson06 import q1, q2
    q2.check()     # confere as variáveis do notebook e mostra o resultado
    q2.hint()      # uma dica
    q2.solution()  # a solução de referência

O corretor do instrutor usa `EXERCISE_SETS[aula]` e `Exercise.evaluate(namespace)`.
"""

import importlib

from .base import CheckResult, Exercise
from .conventions import LESSONS

# número da aula -> exercícios do notebook exercises/NN_*.ipynb, na ordem (a lista de aulas
# fica em gptlab_helpers/conventions.py)
EXERCISE_SETS = {
    number: importlib.import_module(f"{__name__}.lesson{number}").EXERCISES for number in LESSONS
}

__all__ = ["EXERCISE_SETS", "CheckResult", "Exercise"]
