"""As situações de um exercício e de uma entrega, e o resultado que vai da conferência ao CSV.

Este módulo não importa nada pesado: as conferências (`gptlab_helpers.checks`) o usam também
no notebook do aluno, no Colab, onde o corretor não está instalado.

- `ExerciseStatus`: como ficou um exercício. O valor é um identificador estável (vai no JSON
  e no estado da correção); o que uma pessoa lê é `label` ("Correto", "A revisar"...).
- `SubmissionStatus`: como foi a execução de uma entrega. O valor é o próprio texto em
  português da coluna `situacao` de notas.csv.
"""

from dataclasses import asdict, dataclass, fields

try:
    from enum import StrEnum
except ImportError:  # Python 3.10
    from enum import Enum

    class StrEnum(str, Enum):
        """O StrEnum do Python 3.11: o membro é a própria string."""

        def __str__(self):
            return str(self.value)


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


class SubmissionStatus(StrEnum):
    """A coluna `situacao` de notas.csv, da mais grave para a mais leve."""

    INTERNAL = "falha interna"
    INVALID = "arquivo inválido"
    UNKNOWN_SET = "lista não reconhecida"
    WRONG_SET = "lista errada"
    MEMORY = "memória esgotada"  # passou de --memoria-max
    PROCESSES = "processos demais"  # passou do limite de processos (fork bomb)
    NETWORK = "sem rede"  # tentou acessar a rede, que a correção bloqueia
    DEAD = "kernel morreu"
    TIMEOUT = "tempo esgotado"
    ERROR = "erro"
    OK = "ok"

    @property
    def severity(self):
        """0 é a mais grave; serve para ordenar o resumo."""
        return list(SubmissionStatus).index(self)


@dataclass(frozen=True)
class ExerciseResult:
    """Um exercício conferido: sai da conferência (no kernel, em JSON) e chega ao CSV e ao feedback.

    `causes`: problemas de execução que podem ter custado pontos neste exercício.
    `answer`: o texto de uma resposta aberta (situação REVIEW), para o instrutor ler.
    """

    id: str
    title: str
    status: ExerciseStatus
    points: float
    max_points: float
    message: str
    causes: tuple = ()
    answer: str = ""

    def __post_init__(self):
        object.__setattr__(self, "status", ExerciseStatus(self.status))
        object.__setattr__(self, "causes", tuple(self.causes))

    @property
    def pending(self):
        """True enquanto a nota depende do instrutor (resposta aberta ainda não avaliada)."""
        return self.status is ExerciseStatus.REVIEW

    def to_dict(self):
        return {**asdict(self), "status": str(self.status), "causes": list(self.causes)}

    @classmethod
    def from_dict(cls, data):
        """O inverso de `to_dict`; chaves desconhecidas (de uma versão antiga) são ignoradas."""
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


__all__ = ["ExerciseResult", "ExerciseStatus", "StrEnum", "SubmissionStatus"]
