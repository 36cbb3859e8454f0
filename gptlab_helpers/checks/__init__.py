"""Conferências automáticas dos exercícios: um objeto por exercício, com check/hint/solution.

No notebook de exercícios da aula 06, por exemplo::

    from gptlab_helpers.checks.lesson06 import q1, q2
    q2.check()     # confere as variáveis do notebook e mostra o resultado
    q2.hint()      # uma dica
    q2.solution()  # a solução de referência

O corretor do instrutor usa `EXERCISE_SETS[aula]` e `Exercise.evaluate(namespace)`.
"""

from . import lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07, lesson08, lesson13
from .base import CheckResult, Exercise

# número da aula -> exercícios do notebook exercises/NN_*.ipynb, na ordem
EXERCISE_SETS = {
    f"{number:02d}": module.EXERCISES
    for number, module in enumerate(
        [lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07, lesson08], start=1
    )
}
# os próximos passos da aula
EXERCISE_SETS["13"] = lesson13.EXERCISES

__all__ = ["EXERCISE_SETS", "CheckResult", "Exercise"]
