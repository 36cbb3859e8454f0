"""As escolhas de um treino num lugar só: `TrainSettings`, o que `train` lê e o `gptlab-train` mostra.

Cada campo traz o seu padrão e, em `metadata`, como aparece na linha de comando (opção, nome
do valor, tipo e ajuda em português): o `gptlab-train` é construído a partir destes campos,
e a ajuda mostra os padrões de verdade, sem repeti-los à mão.
"""

import math
from dataclasses import MISSING, asdict, dataclass, field, fields, replace

from ..core.cli import non_negative_number, seconds, whole_number, whole_number_or_zero
from ..core.validation import check_non_negative_int, check_positive_int


def option(metavar, kind, text, flag=None):
    """Os metadados de um campo que vira opção do `gptlab-train`: `--nome-do-campo METAVAR`."""
    return {"cli": {"metavar": metavar, "type": kind, "help": text, "flag": flag}}


@dataclass(frozen=True)
class TrainSettings:
    """Como treinar: orçamento, lote, taxa de aprendizado, avaliação e checkpoint.

    `max_steps` e `max_seconds` são os orçamentos (passos e segundos de relógio, avaliações
    incluídas); o treino para no que acabar primeiro, e precisa de pelo menos um deles. A taxa
    sobe por `warmup_steps` passos e desce em cosseno até `min_learning_rate` (por padrão, um
    décimo de `learning_rate`), acompanhando o que estiver mais adiantado, passos ou tempo.
    """

    max_steps: int | None = field(
        default=None, metadata=option("N", whole_number, "para depois de N passos no total")
    )
    max_seconds: float | None = field(
        default=None,
        metadata=option("S", seconds, "para depois de S segundos de treino no total, avaliações incluídas"),
    )
    batch_size: int = field(
        default=32,
        metadata=option("B", whole_number, "lote global: exemplos por passo, somando todos os processos"),
    )
    learning_rate: float = field(
        default=1e-3, metadata=option("LR", non_negative_number, "taxa de aprendizado máxima")
    )
    min_learning_rate: float | None = field(
        default=None,
        metadata=option("LR", non_negative_number, "taxa no fim do cosseno (sem ela: um décimo da máxima)"),
    )
    warmup_steps: int = field(
        default=100,
        metadata=option("N", whole_number_or_zero, "passos de aquecimento da taxa de aprendizado"),
    )
    weight_decay: float = field(
        default=0.1,
        metadata=option("W", non_negative_number, "decaimento de peso do AdamW (só nas matrizes)"),
    )
    grad_clip: float = field(
        default=1.0, metadata=option("G", non_negative_number, "corta a norma do gradiente em G")
    )
    eval_interval: int = field(
        default=250, metadata=option("N", whole_number, "mede as perdas e escreve uma linha a cada N passos")
    )
    eval_batches: int | None = field(
        default=20,
        metadata=option("N", whole_number, "lotes fixos em cada medida (a validação inteira sem ela)"),
    )
    accum_steps: int = (
        1  # pedaços por passo (acumulação de gradiente); o gptlab-train tem --accum/--micro-batch
    )
    seed: int = field(
        default=123, metadata=option("S", whole_number_or_zero, "semente dos pesos iniciais e dos lotes")
    )
    checkpoint_path: str | None = None  # onde gravar o checkpoint no fim (e ao interromper)
    resume: bool = False  # continua do checkpoint, se ele existir
    device: str | None = None  # None: GPU NVIDIA, depois Mac, depois CPU
    bf16: bool = False  # autocast em bfloat16 (GPU Ampere ou mais nova)
    compile_model: bool = False  # passa o modelo pelo torch.compile
    show_progress: bool = True  # a barra de progresso

    def __post_init__(self):
        for name in ("batch_size", "eval_interval", "accum_steps"):
            check_positive_int(getattr(self, name), name)
        for name in ("max_steps", "eval_batches"):
            if getattr(self, name) is not None:
                check_positive_int(getattr(self, name), name)
        check_non_negative_int(self.warmup_steps, "warmup_steps")
        if self.max_steps is None and self.max_seconds is None:
            raise ValueError("diga quando parar: max_steps (passos), max_seconds (segundos) ou os dois")
        if self.max_seconds is not None and not self.max_seconds > 0:
            raise ValueError(f"max_seconds deve ser positivo (ou None), mas vale {self.max_seconds!r}")
        if self.resume and self.checkpoint_path is None:
            raise ValueError("resume=True precisa de checkpoint_path: de qual arquivo devo continuar?")
        if self.checkpoint_path is not None:
            object.__setattr__(self, "checkpoint_path", str(self.checkpoint_path))
        if self.device is not None:
            object.__setattr__(self, "device", str(self.device))

    @classmethod
    def build(cls, settings=None, **options):
        """`TrainSettings` a partir de outro (ou de nada) com as trocas `options` (erro claro num nome errado)."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(
                f"train não conhece {', '.join(unknown)}; as opções são: {', '.join(sorted(known))}"
            )
        return replace(settings, **options) if settings is not None else cls(**options)

    @property
    def final_learning_rate(self):
        """A taxa no fim do cosseno: `min_learning_rate`, ou um décimo de `learning_rate`."""
        return self.learning_rate / 10 if self.min_learning_rate is None else self.min_learning_rate

    @property
    def step_budget(self):
        """`max_steps`, ou infinito quando só o relógio manda."""
        return math.inf if self.max_steps is None else self.max_steps

    def progress(self, step, elapsed):
        """Quanto do treino já passou, de 0 a 1: o que estiver mais adiantado, passos ou tempo."""
        by_steps = step / self.max_steps if self.max_steps else 0.0
        by_time = elapsed / self.max_seconds if self.max_seconds else 0.0
        return max(by_steps, by_time)

    def to_dict(self):
        """Só tipos simples (vai no checkpoint, que é lido com weights_only=True)."""
        return asdict(self)


def command_line_fields():
    """Os campos de `TrainSettings` que viram opções do `gptlab-train`, com o seu padrão."""
    for item in fields(TrainSettings):
        if "cli" in item.metadata:
            default = None if item.default is MISSING else item.default
            yield item, default
