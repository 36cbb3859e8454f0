"""KV cache e geração em fluxo: os mesmos logits e os mesmos IDs do caminho sem cache."""

import pytest
import torch

from gptlab_helpers import GPT_CONFIG_124M, GPTModel
from gptlab_helpers.generation import generate, supports_kv_cache
from gptlab_helpers.kv_cache import KVCache, kv_cache_bytes_per_token

PROMPTS = torch.tensor([[1, 2, 3], [7, 8, 9]])
VARIANTS = [{}, {"use_sdpa": True}, {"fast_kernels": True}]


def make_model(tiny_cfg, seed=0, **extra):
    torch.manual_seed(seed)
    return GPTModel({**tiny_cfg, **extra}).eval()


@pytest.mark.parametrize("extra", VARIANTS, ids=["aula", "sdpa", "fast"])
def test_cached_chunks_give_the_same_logits_as_one_forward(tiny_cfg, extra):
    model = make_model(tiny_cfg, **extra)
    idx = torch.randint(0, tiny_cfg["vocab_size"], (2, 8), generator=torch.Generator().manual_seed(1))
    cache = KVCache.for_model(model)
    with torch.no_grad():
        full = model(idx)
        # pedaços de 3, 1, 3 e 1 tokens: o pré-preenchimento, um passo e pedaços no meio
        parts = [model(idx[:, a:b], cache=cache) for a, b in ((0, 3), (3, 4), (4, 7), (7, 8))]
    torch.testing.assert_close(torch.cat(parts, dim=1), full, atol=1e-5, rtol=0)
    assert cache.offset == 8
    assert cache.layers[0].keys.shape == (2, tiny_cfg["n_heads"], 8, 16 // tiny_cfg["n_heads"])


def test_one_new_token_attends_to_every_cached_position(tiny_cfg):
    model = make_model(tiny_cfg)
    cache = KVCache.for_model(model)
    with torch.no_grad():
        model(torch.tensor([[1, 2, 3]]), cache=cache)
        before = model(torch.tensor([[4]]), cache=cache)
        cache.reset()
        model(torch.tensor([[5, 2, 3]]), cache=cache)  # outro passado, mesmo token novo
        after = model(torch.tensor([[4]]), cache=cache)
    assert not torch.allclose(before, after)  # o token novo enxerga o passado guardado


@pytest.mark.parametrize("extra", VARIANTS, ids=["aula", "sdpa", "fast"])
@pytest.mark.parametrize("context_size", [8, 5], ids=["janela-do-modelo", "janela-menor"])
def test_cache_gives_the_same_ids_greedy_and_sampled_in_batch_with_overflow(tiny_cfg, extra, context_size):
    model = make_model(tiny_cfg, **extra)
    # 20 tokens novos a partir de 3: a sequência passa da janela e o cache é refeito
    for temperature, top_k in ((0.0, None), (1.0, None), (2.0, 10)):

        def run(use_cache, temperature=temperature, top_k=top_k):
            seeded = torch.Generator().manual_seed(42)
            return generate(
                model, PROMPTS, 20, context_size, temperature, top_k, generator=seeded, use_cache=use_cache
            )

        cached = run(True)
        assert cached.shape == (2, 23)
        assert torch.equal(cached, run(False))


def test_cache_with_eos_in_batch_matches_the_uncached_path(tiny_cfg):
    model = make_model(tiny_cfg)
    for seed in range(5):
        outputs = []
        for use_cache in (True, False):
            seeded = torch.Generator().manual_seed(seed)
            out = generate(
                model, PROMPTS, 15, 8, temperature=1.5, eos_id=3, generator=seeded, use_cache=use_cache
            )
            outputs.append(out)
        assert torch.equal(*outputs)
    greedy_first = generate(model, PROMPTS[:1], 1, 8)[0, -1].item()
    assert torch.equal(generate(model, PROMPTS[:1], 10, 8, eos_id=greedy_first), PROMPTS[:1])


def test_stream_yields_the_tokens_of_generate_one_at_a_time(tiny_cfg):
    model = make_model(tiny_cfg)
    for use_cache in (True, False):
        seeded = torch.Generator().manual_seed(7)
        steps = list(
            generate(model, PROMPTS, 12, 8, 1.0, eos_id=5, generator=seeded, use_cache=use_cache, stream=True)
        )
        assert all(step.shape == (2, 1) for step in steps)
        expected = generate(model, PROMPTS, 12, 8, 1.0, eos_id=5, generator=torch.Generator().manual_seed(7))
        assert torch.equal(torch.cat([PROMPTS, *steps], dim=1), expected)


def test_stream_checks_its_arguments_when_called(tiny_cfg):
    model = make_model(tiny_cfg)
    with pytest.raises(ValueError, match="top_k=999 é maior que o vocabulário"):
        generate(model, PROMPTS, 5, 8, temperature=1.0, top_k=999, stream=True)


def test_models_without_cache_support_fall_back(tiny_cfg):
    from gptlab_helpers import DummyGPTModel

    torch.manual_seed(0)
    dummy = DummyGPTModel(tiny_cfg).eval()
    assert not supports_kv_cache(dummy)
    assert supports_kv_cache(make_model(tiny_cfg))
    assert torch.equal(generate(dummy, PROMPTS, 10, 8), generate(dummy, PROMPTS, 10, 8, use_cache=False))


def test_cache_overflow_and_wrong_cache_are_explained(tiny_cfg):
    model = make_model(tiny_cfg)
    cache = KVCache.for_model(model)
    with torch.no_grad():
        model(torch.zeros(1, 6, dtype=torch.long), cache=cache)
        with pytest.raises(ValueError, match="o cache já guarda 6 posições e chegaram mais 3"):
            model(torch.zeros(1, 3, dtype=torch.long), cache=cache)
        with pytest.raises(ValueError, match="o cache tem 3 camadas, mas o modelo tem 2 blocos"):
            model(torch.zeros(1, 1, dtype=torch.long), cache=KVCache(3, 8))
        with pytest.raises(ValueError, match="lotes de 1 sequências, mas chegou um lote de 2"):
            model(torch.zeros(2, 1, dtype=torch.long), cache=cache)


def test_memory_per_token_of_gpt2_small():
    # 2 (K e V) x 12 camadas x 768 números x 4 bytes = 72 KB por token (1 KB = 1024 bytes, a convenção do curso)
    assert kv_cache_bytes_per_token(GPT_CONFIG_124M) == 2 * 12 * 768 * 4 == 72 * 1024
    cfg = {**GPT_CONFIG_124M, "n_layers": 2, "vocab_size": 100, "context_length": 16}
    torch.manual_seed(0)
    model = GPTModel(cfg).eval()
    cache = KVCache.for_model(model)
    with torch.no_grad():
        model(torch.zeros(1, 5, dtype=torch.long), cache=cache)
    assert cache.memory_bytes() == 5 * kv_cache_bytes_per_token(cfg)
