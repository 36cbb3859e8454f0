"""A situação de uma entrega e o resultado de um exercício, da conferência (no kernel) ao CSV.

- `SubmissionStatus`: como foi a execução de uma entrega. O valor é o próprio texto em
  português da coluna `situacao` de notas.csv.
- `ExerciseResult`: um exercício conferido, com a situação (`ExerciseStatus`, a mesma que o
  aluno vê no notebook, de `gptlab_helpers.checks.status`).
"""

from dataclasses import asdict, dataclass, fields
from enum import StrEnum

from gptlab_helpers.checks.status import EXERCISE_LABELS, ExerciseStatus


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
    `hints`: a ajuda que o aluno pediu neste exercício ("dica" por `hint()`, "solução" por
    `solution()`), vista no notebook entregue (veja `hints.py`).
    `hidden`: as frases dos casos ocultos do corretor em que a resposta falhou (`hidden.py`).
    """

    id: str
    title: str
    status: ExerciseStatus
    points: float
    max_points: float
    message: str
    causes: tuple = ()
    answer: str = ""
    hints: tuple = ()
    hidden: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "status", ExerciseStatus(self.status))
        object.__setattr__(self, "causes", tuple(self.causes))
        object.__setattr__(self, "hints", tuple(self.hints))
        object.__setattr__(self, "hidden", tuple(self.hidden))

    @property
    def pending(self):
        """True enquanto a nota depende do instrutor (resposta aberta ainda não avaliada)."""
        return self.status is ExerciseStatus.REVIEW

    def to_dict(self):
        return {
            **asdict(self),
            "status": str(self.status),
            "causes": list(self.causes),
            "hints": list(self.hints),
            "hidden": list(self.hidden),
        }

    @classmethod
    def from_dict(cls, data):
        """O inverso de `to_dict`; chaves desconhecidas (de uma versão antiga) são ignoradas."""
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


__all__ = ["EXERCISE_LABELS", "ExerciseResult", "ExerciseStatus", "SubmissionStatus"]
