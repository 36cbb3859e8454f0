"""Aula 08: gerar texto um token de cada vez."""

import inspect
import math

import torch

from .core.validation import check_non_negative_int, check_positive_int, check_token_ids
from .kv_cache import KVCache


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


def check_sampling_args(temperature, top_k, top_p, eos_id, vocab_size=None):
    """Confere temperature, top_k, top_p e eos_id de `generate` (mensagens em português)."""
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature >= 0:
        raise ValueError(
            f"temperature deve ser um número >= 0 (0 = sempre o mais provável), mas vale {temperature!r}"
        )
    if math.isinf(temperature):
        raise ValueError("temperature infinita apagaria tudo o que o modelo aprendeu; use algo como 2.0")
    if top_k is not None:
        check_positive_int(top_k, "top_k")
        if vocab_size is not None and top_k > vocab_size:
            raise ValueError(
                f"top_k={top_k} é maior que o vocabulário ({vocab_size} tokens); use um valor de 1 a {vocab_size}"
            )
    if top_p is not None:
        if isinstance(top_p, bool) or not isinstance(top_p, (int, float)) or not 0 < top_p <= 1:
            raise ValueError(
                f"top_p deve estar em (0, 1], mas vale {top_p!r}; 0.9 mantém os tokens mais "
                "prováveis que, somados, têm 90% da probabilidade"
            )
    if eos_id is not None:
        check_non_negative_int(eos_id, "eos_id")
        if vocab_size is not None and eos_id >= vocab_size:
            raise ValueError(f"eos_id={eos_id} está fora do vocabulário [0, {vocab_size})")


def next_token_probabilities(logits, temperature=1.0, top_k=None, top_p=None):
    """Logits do último token (B, V) -> probabilidades (B, V) depois de temperatura, top-k e top-p.

    Dividir os logits pela temperatura antes da softmax deixa a distribuição mais pontuda
    (temperatura < 1) ou mais achatada (> 1). top-k zera todos menos os k mais prováveis;
    top-p (amostragem de núcleo) mantém o menor grupo de tokens que soma `top_p`.
    """
    check_sampling_args(temperature, top_k, top_p, None, logits.shape[-1])
    if temperature == 0:
        raise ValueError("com temperature=0 não há sorteio: o próximo token é logits.argmax(dim=-1)")
    logits = logits / temperature
    if top_k is not None:
        kth_largest = torch.topk(logits, top_k, dim=-1).values[..., -1:]  # (B, 1)
        logits = logits.masked_fill(logits < kth_largest, -torch.inf)
    if top_p is not None and top_p < 1:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        sorted_probs = torch.softmax(sorted_logits, dim=-1)
        # um token sai se os mais prováveis que ele já somam top_p (o primeiro sempre fica)
        outside = sorted_probs.cumsum(dim=-1) - sorted_probs >= top_p
        sorted_logits = sorted_logits.masked_fill(outside, -torch.inf)
        logits = torch.full_like(logits, -torch.inf).scatter(-1, order, sorted_logits)
    return torch.softmax(logits, dim=-1)


def supports_kv_cache(model):
    """O modelo aceita `cache=` no forward e `layer_cache=` em cada bloco (como o `GPTModel`)?"""
    blocks = getattr(model, "trf_blocks", None)
    if blocks is None or "cache" not in inspect.signature(model.forward).parameters:
        return False
    return all("layer_cache" in inspect.signature(block.forward).parameters for block in blocks)


class NextTokenLogits:
    """Os logits do próximo token, (B, V), com ou sem KV cache; a janela é a de `generate_text_simple`.

    Sem cache, cada passo roda o modelo nos últimos `context_size` tokens. Com cache, o
    primeiro passo processa o contexto inteiro (até `context_size` tokens) e cada passo
    seguinte só o token novo, na posição seguinte. Quando a sequência passa de
    `context_size`, a janela desliza e todas as posições mudam (os embeddings posicionais são
    absolutos): as chaves e os valores guardados deixam de valer, e o cache é refeito a partir
    dos últimos `context_size` tokens, a cada passo. Assim o modelo vê sempre exatamente o que
    veria sem cache.
    """

    def __init__(self, model, context_size, use_cache):
        self.model = model
        self.context_size = context_size
        self.cache = KVCache.for_model(model) if use_cache and supports_kv_cache(model) else None
        self.last_only = "last_only" in inspect.signature(model.forward).parameters

    def __call__(self, idx, idx_next=None):
        """idx (B, T): a sequência inteira até agora; idx_next (B, 1): o token que acabou de entrar nela."""
        if self.cache is None:
            return self.run(idx[:, -self.context_size :])
        if idx_next is not None and self.cache.offset < self.context_size:
            return self.run(idx_next, self.cache)  # só o token novo
        self.cache.reset()  # primeiro passo ou janela cheia: (re)calcula a janela inteira
        return self.run(idx[:, -self.context_size :], self.cache)

    def run(self, idx, cache=None):
        options = {} if cache is None else {"cache": cache}
        if self.last_only:
            options["last_only"] = True
        with torch.no_grad():
            return self.model(idx, **options)[:, -1, :]  # (B, V)


def token_stream(next_logits, idx, max_new_tokens, temperature, top_k, top_p, eos_id, generator):
    """O laço de geração: entrega cada token novo, (B, 1), assim que ele sai (argumentos já conferidos)."""
    finished = torch.zeros(idx.shape[0], dtype=torch.bool, device=idx.device)
    idx_next = None
    for _ in range(max_new_tokens):
        logits = next_logits(idx, idx_next)  # (B, V)
        if temperature == 0:
            idx_next = torch.argmax(logits, dim=-1, keepdim=True)  # (B, 1)
        else:
            probas = next_token_probabilities(logits, temperature, top_k, top_p)
            idx_next = torch.multinomial(probas, num_samples=1, generator=generator)  # (B, 1)
        if eos_id is not None:
            idx_next = idx_next.masked_fill(finished.unsqueeze(1), eos_id)
            finished |= idx_next.squeeze(1) == eos_id
            if finished.all():
                return
        idx = torch.cat((idx, idx_next), dim=1)
        yield idx_next


def generate(
    model,
    idx,
    max_new_tokens,
    context_size,
    temperature=0.0,
    top_k=None,
    top_p=None,
    eos_id=None,
    generator=None,
    use_cache=True,
    stream=False,
):
    """Gera `max_new_tokens` tokens: (B, T) -> (B, T + até max_new_tokens).

    Com `temperature=0` é a geração gulosa de `generate_text_simple` (sempre o mais
    provável); com temperatura > 0 o próximo token é sorteado de
    `next_token_probabilities(...)` (`torch.multinomial`). Ao gerar `eos_id` a sequência
    termina, como no livro: o token de fim não entra na saída. Num lote, quem termina antes
    é completado com `eos_id` até todas terminarem. `generator` (um `torch.Generator` com
    semente) repete o mesmo sorteio. Chame `model.eval()` antes, para desligar o dropout.

    `use_cache=True` guarda as chaves e os valores da atenção (`kv_cache.KVCache`): cada
    passo processa só o token novo, e os IDs gerados são os mesmos de `use_cache=False`.
    Quando a sequência passa de `context_size` tokens, a janela desliza um token por passo;
    como os embeddings posicionais são absolutos, todas as posições mudam e o cache é refeito
    a partir dos últimos `context_size` tokens, a cada passo (daí em diante, tão lento quanto
    sem cache, mas com os mesmos IDs). Modelos sem suporte a cache usam o caminho sem cache.

    `stream=True` devolve, em vez do tensor, um iterador que entrega cada token novo, (B, 1),
    assim que ele sai: serve para mostrar o texto aparecendo enquanto é gerado. Os argumentos
    são conferidos já na chamada, e `torch.cat([idx, *pedaços], dim=1)` é a saída sem `stream`.
    """
    check_generation_args(model, idx, max_new_tokens, context_size)
    check_sampling_args(temperature, top_k, top_p, eos_id, getattr(model, "cfg", {}).get("vocab_size"))
    next_logits = NextTokenLogits(model, context_size, use_cache)
    steps = token_stream(next_logits, idx, max_new_tokens, temperature, top_k, top_p, eos_id, generator)
    return steps if stream else torch.cat([idx, *steps], dim=1)
