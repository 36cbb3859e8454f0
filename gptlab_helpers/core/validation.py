"""Conferências de entrada com mensagens que ensinam (em vez de "index out of range in self")."""

import torch


def check_token_ids(idx, vocab_size, context_length=None, name="in_idx", check_values=True):
    """Confere um lote de IDs de tokens de forma (B, T) antes de entrar no modelo.

    Levanta `TypeError`/`ValueError` em português quando `idx` não é um tensor 2-D de
    inteiros, tem IDs fora de [0, vocab_size) ou é mais longo que `context_length`.
    `check_values=False` pula só a conferência dos IDs (min/max), a única que lê os valores
    do tensor (na GPU, ela faz a CPU esperar a placa).
    """
    if not isinstance(idx, torch.Tensor):
        raise TypeError(
            f"{name} deve ser um torch.Tensor de IDs de tokens com forma (B, T), "
            f"mas recebi {type(idx).__name__}; use torch.tensor([ids]) para criar um lote"
        )
    if idx.dtype.is_floating_point or idx.dtype.is_complex or idx.dtype == torch.bool:
        raise TypeError(
            f"{name} deve conter IDs inteiros (torch.long), mas tem dtype {idx.dtype}; "
            "converta com .long() ou crie o tensor a partir de tokenizer.encode(...)"
        )
    if idx.dim() != 2:
        hint = " use idx.unsqueeze(0) para criar um lote de um exemplo" if idx.dim() == 1 else ""
        raise ValueError(
            f"{name} deve ter 2 dimensões (B, T) = (lote, tokens), mas tem forma {tuple(idx.shape)};{hint}"
        )
    if check_values and idx.numel() > 0:
        low, high = int(idx.min()), int(idx.max())
        if low < 0 or high >= vocab_size:
            bad = low if low < 0 else high
            raise ValueError(
                f"{name} tem o ID de token {bad}, fora do vocabulário [0, {vocab_size}); "
                "confira se o tokenizador é o mesmo que definiu vocab_size na configuração"
            )
    if context_length is not None and idx.shape[1] > context_length:
        raise ValueError(
            f"{name} tem {idx.shape[1]} tokens, mas context_length é {context_length}; "
            f"corte o contexto com {name}[:, -{context_length}:]"
        )


def check_non_negative_int(value, name):
    """Confere que `value` é um inteiro >= 0 (por exemplo, `max_new_tokens`)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} deve ser um inteiro >= 0, mas vale {value!r}")


def check_positive_int(value, name):
    """Confere que `value` é um inteiro > 0 (por exemplo, `context_size`)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} deve ser um inteiro positivo, mas vale {value!r}")
