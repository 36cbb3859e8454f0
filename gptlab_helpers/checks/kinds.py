"""Tipos de exercício que se repetem em várias aulas."""

from .answers import explanation_text
from .base import Exercise


class ExplanationExercise(Exercise):
    """Pergunta aberta: o aluno escreve um texto em `explanation`.

    Só conferimos que foi respondida (pelo menos `min_words` palavras); o conteúdo fica para
    o instrutor ler, e `solution()` mostra uma resposta de referência.
    """

    names = ("explanation",)
    min_words = 15
    max_points = 1.0

    def grade(self, namespace):
        explanation_text(namespace["explanation"], "explanation", self.min_words)
        return self.correct(
            "resposta registrada. Compare com a de referência em solution(); o instrutor lê o seu texto."
        )
