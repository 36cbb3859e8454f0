"""Treinar um GPTModel (trilha GPTLab, notebooks 09 a 13, e o comando `gptlab-train`).

- `corpus`, `char_tokenizer`, `data`: os textos, o tokenizador de caracteres e os lotes;
- `settings`: `TrainSettings`, todas as escolhas de um treino;
- `loop`: `train`, o laço (AdamW, aquecimento + cosseno, corte do gradiente, avaliação);
- `checkpoint`: gravar e ler um treino inteiro;
- `gpu`, `distributed`: bf16/TF32 e DDP com o torchrun;
- `cli`: o `gptlab-train` (também `python -m gptlab_helpers.training`);
- `norm_position` (aula 12) e `side_by_side` (aula 13): os treinos que as aulas comparam.
"""

from ..presets import CHAR_GPT_CONFIG, CHAR_TRAIN_SETTINGS, CHAR_TRAIN_STEPS, MODERN_CHAR_CONFIG
from .checkpoint import load_checkpoint, load_trained_model, save_checkpoint
from .loop import estimate_loss, learning_rate_at, train
from .settings import TrainSettings

__all__ = [
    "CHAR_GPT_CONFIG",
    "CHAR_TRAIN_SETTINGS",
    "CHAR_TRAIN_STEPS",
    "MODERN_CHAR_CONFIG",
    "TrainSettings",
    "estimate_loss",
    "learning_rate_at",
    "load_checkpoint",
    "load_trained_model",
    "save_checkpoint",
    "train",
]
