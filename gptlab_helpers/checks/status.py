"""As situações de um exercício (`ExerciseStatus`), com o rótulo e a cor que o aluno vê.

As conferências o usam no notebook do aluno (no Colab, onde o corretor não está instalado) e o
corretor do instrutor (`gptlab_instructor.grading`) o importa daqui: o do aluno nunca depende
do do instrutor.

- `ExerciseStatus`: como ficou um exercício. O valor é um identificador estável (vai no JSON
  e no estado da correção); o que uma pessoa lê é `label` ("Correto", "A revisar"...).
"""

from enum import StrEnum


class ExerciseStatus(StrEnum):
    """A situação de um exercício depois da conferência."""

    CORRECT = "correct"
    PARTIAL = "partial"
    INCORRECT = "incorrect"
    NOT_ATTEMPTED = "not_attempted"
    ERROR = "error"
    REVIEW = "review"  # resposta aberta: vale só depois que o instrutor dá a nota

    @property
    def label(self):
        return EXERCISE_LABELS[self][0]

    @property
    def color(self):
        return EXERCISE_LABELS[self][1]


EXERCISE_LABELS = {
    ExerciseStatus.CORRECT: ("Correto", "#1b7f3b"),
    ExerciseStatus.PARTIAL: ("Parcialmente correto", "#b26a00"),
    ExerciseStatus.INCORRECT: ("Incorreto", "#b3261e"),
    ExerciseStatus.NOT_ATTEMPTED: ("Não tentado", "#5f6368"),
    ExerciseStatus.ERROR: ("Erro", "#b3261e"),
    ExerciseStatus.REVIEW: ("A revisar", "#1a5fb4"),
}
