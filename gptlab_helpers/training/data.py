"""Dos IDs de tokens aos lotes de treino: divisão treino/validação, janelas e lotes.

O modelo aprende a prever o token seguinte, então cada exemplo é um par de janelas
deslocadas de uma posição: a entrada `x = ids[i : i + T]` e o alvo `y = ids[i + 1 : i + T + 1]`.
"""

import torch
from torch.utils.data import Dataset

from ..core.validation import check_positive_int


def as_token_tensor(token_ids, name="token_ids"):
    """Lista ou tensor 1-D de IDs -> tensor 1-D `torch.long` (N,)."""
    if not isinstance(token_ids, torch.Tensor):
        token_ids = torch.tensor(list(token_ids), dtype=torch.long)
    if token_ids.dim() != 1:
        raise ValueError(
            f"{name} deve ser uma sequência 1-D de IDs (o texto inteiro codificado), "
            f"mas tem forma {tuple(token_ids.shape)}"
        )
    if token_ids.dtype.is_floating_point or token_ids.dtype == torch.bool:
        raise TypeError(f"{name} deve conter IDs inteiros, mas tem dtype {token_ids.dtype}")
    return token_ids.long()


def train_val_split(token_ids, train_fraction=0.9):
    """Divide (N,) em treino = os primeiros 90% e validação = os últimos 10%, como o GPTLab.

    O corte é contíguo, não sorteado: a validação é um trecho do texto que o modelo nunca viu
    durante o treino, e não frases soltas misturadas com as de treino.
    """
    token_ids = as_token_tensor(token_ids)
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction deve estar entre 0 e 1 (ex.: 0.9), mas vale {train_fraction!r}")
    split = int(train_fraction * len(token_ids))
    return token_ids[:split], token_ids[split:]


def check_long_enough(token_ids, context_length, name="token_ids"):
    """Uma janela de entrada com o seu alvo precisa de context_length + 1 tokens."""
    if len(token_ids) < context_length + 1:
        raise ValueError(
            f"{name} tem {len(token_ids)} tokens, mas uma janela de context_length={context_length} "
            f"precisa de {context_length + 1} (a entrada e o alvo deslocado); use um texto maior "
            "ou um context_length menor"
        )


class SlidingWindowDataset(Dataset):
    """Janelas de `context_length` tokens que andam de `stride` em `stride` pelo texto.

    `dataset[i]` devolve `(x, y)`, dois tensores (T,) com y = x deslocado de um token.
    Com `stride = context_length` (o padrão) as janelas não se sobrepõem e cobrem o texto
    uma vez. As janelas são fatias do mesmo tensor: nada é copiado.
    """

    def __init__(self, token_ids, context_length, stride=None):
        check_positive_int(context_length, "context_length")
        stride = context_length if stride is None else stride
        check_positive_int(stride, "stride")
        self.token_ids = as_token_tensor(token_ids)
        check_long_enough(self.token_ids, context_length)
        self.context_length = context_length
        self.stride = stride

    def __len__(self):
        return (len(self.token_ids) - self.context_length - 1) // self.stride + 1

    def __getitem__(self, index):
        if not -len(self) <= index < len(self):
            raise IndexError(f"a janela {index} não existe: o dataset tem {len(self)} janelas")
        start = (index % len(self)) * self.stride
        window = self.token_ids[start : start + self.context_length + 1]
        return window[:-1], window[1:]


def random_batch(token_ids, batch_size, context_length, generator=None):
    """Sorteia `batch_size` janelas do texto: devolve (x, y), cada um (B, T).

    É o `get_batch` do GPTLab e do nanoGPT: cada passo de treino vê trechos novos, de
    qualquer ponto do texto. Passe um `torch.Generator` com semente para repetir o sorteio.
    """
    check_positive_int(batch_size, "batch_size")
    check_positive_int(context_length, "context_length")
    token_ids = as_token_tensor(token_ids)
    check_long_enough(token_ids, context_length)
    starts = torch.randint(len(token_ids) - context_length, (batch_size,), generator=generator)
    # uma indexação só monta as B janelas de T + 1 tokens: (B, 1) + (T + 1,) -> (B, T + 1)
    windows = token_ids[starts.unsqueeze(1) + torch.arange(context_length + 1)]
    return windows[:, :-1], windows[:, 1:]


def fixed_batches(token_ids, batch_size, context_length, num_batches=None):
    """Lotes sempre iguais para medir a perda: lista de (x, y), cada um (B', T), B' <= B.

    Usa as janelas sem sobreposição de `SlidingWindowDataset`. Com `num_batches=None` passa
    por todas (o texto inteiro, uma vez); com um número, escolhe janelas espalhadas por igual
    do começo ao fim. Medir sempre nos mesmos trechos tira o sorteio da curva de perda.
    """
    check_positive_int(batch_size, "batch_size")
    dataset = SlidingWindowDataset(token_ids, context_length)
    if num_batches is None or num_batches * batch_size >= len(dataset):
        indices = torch.arange(len(dataset))
    else:
        check_positive_int(num_batches, "num_batches")
        indices = torch.linspace(0, len(dataset) - 1, num_batches * batch_size).round().long()
    batches = []
    for chunk in indices.split(batch_size):
        pairs = [dataset[int(i)] for i in chunk]
        batches.append((torch.stack([x for x, _ in pairs]), torch.stack([y for _, y in pairs])))
    return batches
