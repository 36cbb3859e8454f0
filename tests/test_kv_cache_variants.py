"""O KV cache com as variantes das aulas 12 e 13: os mesmos tokens com e sem cache."""

import pytest
import torch

from gptlab_helpers import GPTModel
from gptlab_helpers.generation import generate

BASE = {"vocab_size": 50, "context_length": 16, "emb_dim": 32, "n_heads": 4, "n_layers": 2, "drop_rate": 0.0}
VARIANTS = {
    "post_ln": {"qkv_bias": False, "norm_position": "post"},
    "sem_norma": {"qkv_bias": False, "norm_position": "none"},
    "moderno": {
        "qkv_bias": False,
        "norm": "rmsnorm",
        "ff_activation": "swiglu",
        "pos_encoding": "rope",
        "n_kv_heads": 2,
        "bias": False,
    },
    "gqa_com_bias": {"qkv_bias": True, "n_kv_heads": 1},
}


@pytest.mark.parametrize("name", sorted(VARIANTS))
@pytest.mark.parametrize("temperature", [0.0, 1.0])
def test_cache_gives_the_same_tokens_for_every_variant(name, temperature):
    torch.manual_seed(0)
    model = GPTModel({**BASE, **VARIANTS[name]}).eval()
    prompt = torch.randint(0, BASE["vocab_size"], (2, 3))
    runs = []
    for use_cache in (False, True):
        generator = torch.Generator().manual_seed(7)
        # 20 tokens novos a partir de 3: passa do contexto de 16 e obriga o cache a recomeçar
        runs.append(
            generate(model, prompt, 20, 16, temperature=temperature, generator=generator, use_cache=use_cache)
        )
    assert runs[0].shape == (2, 23)
    assert torch.equal(runs[0], runs[1])
