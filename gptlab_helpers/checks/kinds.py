"""Tipos de exercício que se repetem em várias aulas."""

from .answers import explanation_text
from .base import REVIEW, Exercise, count_words


class ExplanationExercise(Exercise):
    """Pergunta aberta: o aluno escreve um texto em `explanation`, e quem dá a nota é o instrutor.

    A conferência só registra a resposta (situação "a revisar", 0 pontos até a nota do
    instrutor): contar palavras não diz se o texto está certo, e um texto vazio de sentido não
    pode ganhar o ponto sozinho. Ela avisa quando o texto é curto demais (menos de `min_words`
    palavras); `solution()` mostra uma resposta de referência. O corretor junta os textos de
    todos os alunos em `respostas_abertas.md` / `.csv` para o instrutor avaliar.
    """

    names = ("explanation",)
    min_words = 15
    max_points = 1.0

    def grade(self, namespace):
        text = explanation_text(namespace["explanation"], "explanation")
        message = (
            "resposta registrada: o instrutor lê e dá a nota. Compare com a de referência em solution()."
        )
        words = count_words(text)
        if words < self.min_words:
            message = (
                f"resposta registrada, mas curta: {words} palavra(s); o esperado é pelo menos "
                f"{self.min_words}, com suas palavras. " + message
            )
        return self.result(REVIEW, 0.0, message, answer=text.strip())
