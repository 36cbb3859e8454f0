"""Aula 08: gerar texto um token de cada vez."""

import torch

from .validation import check_non_negative_int, check_positive_int, check_token_ids


def check_generation_args(model, idx, max_new_tokens, context_size):
    """Confere os argumentos comuns às funções de geração (mensagens em português)."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model deve ser um torch.nn.Module, mas recebi {type(model).__name__}")
    vocab_size = getattr(model, "cfg", {}).get("vocab_size")
    check_token_ids(idx, vocab_size if vocab_size else float("inf"), name="idx")
    check_non_negative_int(max_new_tokens, "max_new_tokens")
    check_positive_int(context_size, "context_size")
    if idx.shape[1] == 0:
        raise ValueError("idx está vazio: dê pelo menos um token de contexto, como no livro")


def generate_text_simple(model, idx, max_new_tokens, context_size):
    """Geração gulosa: (B, T) -> (B, T + max_new_tokens).

    A cada passo o modelo vê só os últimos `context_size` tokens, e o token de maior
    probabilidade é acrescentado ao fim da sequência.
    """
    check_generation_args(model, idx, max_new_tokens, context_size)
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]  # corta o contexto ao que o modelo suporta
        with torch.no_grad():
            logits = model(idx_cond)  # (B, T, V)
        logits = logits[:, -1, :]  # só a última posição prevê o próximo token: (B, V)
        probas = torch.softmax(logits, dim=-1)  # (B, V), soma 1 em cada linha
        idx_next = torch.argmax(probas, dim=-1, keepdim=True)  # (B, 1)
        idx = torch.cat((idx, idx_next), dim=1)  # (B, T + 1)
    return idx
