"""As peças da aula 13 (RMSNorm, SwiGLU, RoPE, GQA, sem bias) contra referências, e o GPTModel
que as escolhe pela configuração."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from gptlab_helpers import GPT_CONFIG_124M, GPTModel, MultiHeadAttention, parameter_breakdown
from gptlab_helpers.analysis import parameter_breakdown_from_config
from gptlab_helpers.config import feed_forward_hidden_dim, validate_config
from gptlab_helpers.variants.fast import GroupedQueryAttentionFast
from gptlab_helpers.variants.modern import (
    GroupedQueryAttention,
    RMSNorm,
    SwiGLUFeedForward,
    apply_rope,
    rope_angles,
)
from gptlab_helpers.variants.published import (
    PUBLISHED_CONFIGS,
    format_published_table,
    gptlab_config,
    published_parameter_count,
)

MODERN = {
    "norm": "rmsnorm",
    "ff_activation": "swiglu",
    "pos_encoding": "rope",
    "n_kv_heads": 2,
    "bias": False,
}


class TinyLayerCache:
    """Um cache de camada mínimo, no protocolo do GPTModel: `offset` e `update(keys, values)`."""

    def __init__(self):
        self.keys = self.values = None
        self.offset = 0

    def update(self, keys, values):
        if self.keys is None:
            self.keys, self.values = keys, values
        else:
            self.keys = torch.cat([self.keys, keys], dim=2)
            self.values = torch.cat([self.values, values], dim=2)
        self.offset = self.keys.shape[2]
        return self.keys, self.values


# --- RMSNorm ----------------------------------------------------------------------------------
def test_rmsnorm_matches_torch_rmsnorm_with_the_same_eps():
    torch.manual_seed(0)
    x = torch.randn(2, 5, 16) * 3 + 1
    ours, reference = RMSNorm(16), nn.RMSNorm(16, eps=1e-5)
    with torch.no_grad():
        ours.scale.copy_(torch.linspace(0.5, 2.0, 16))
        reference.weight.copy_(ours.scale)
    torch.testing.assert_close(ours(x), reference(x), atol=1e-6, rtol=1e-6)
    assert [name for name, _ in ours.named_parameters()] == ["scale"]


def test_rmsnorm_does_not_center_and_survives_zeros():
    x = torch.tensor([[1.0, 2.0, 3.0]])
    expected = x / math.sqrt((1 + 4 + 9) / 3 + 1e-5)
    torch.testing.assert_close(RMSNorm(3)(x), expected)
    assert torch.isfinite(RMSNorm(3)(torch.zeros(1, 3))).all()


# --- SwiGLU -----------------------------------------------------------------------------------
def test_swiglu_is_shazeers_formula():
    cfg = {"emb_dim": 8, "ff_hidden_dim": 12, "bias": False}
    torch.manual_seed(0)
    ff = SwiGLUFeedForward(cfg)
    x = torch.randn(2, 3, 8)
    gate, value, out = ff.fc1.weight, ff.fc2.weight, ff.fc3.weight
    swish = (x @ gate.T) * torch.sigmoid(x @ gate.T)  # Swish_1(xW) = xW · σ(xW)
    torch.testing.assert_close(ff(x), (swish * (x @ value.T)) @ out.T)
    assert all(module.bias is None for module in (ff.fc1, ff.fc2, ff.fc3))


def test_swiglu_default_width_keeps_the_gelu_parameter_budget():
    for emb in (64, 768, 4096):
        gelu = parameter_breakdown_from_config(dict(GPT_CONFIG_124M, emb_dim=emb, n_heads=8))["feed_forward"]
        swiglu_cfg = dict(GPT_CONFIG_124M, emb_dim=emb, n_heads=8, ff_activation="swiglu")
        swiglu = parameter_breakdown_from_config(swiglu_cfg)["feed_forward"]
        assert feed_forward_hidden_dim(swiglu_cfg) % 8 == 0
        assert abs(swiglu - gelu) / gelu < 0.03


# --- RoPE -------------------------------------------------------------------------------------
def test_rope_rotates_a_pair_by_position_times_frequency():
    # head_dim 2: um par só, frequência base^0 = 1; na posição m, (1, 0) vira (cos m, sin m)
    cos, sin = rope_angles(head_dim=2, context_length=4)
    x = torch.tensor([1.0, 0.0]).expand(1, 1, 4, 2)
    rotated = apply_rope(x, cos, sin)[0, 0]
    expected = torch.tensor([[math.cos(m), math.sin(m)] for m in range(4)])
    torch.testing.assert_close(rotated, expected)


def test_rope_hand_computed_case_with_two_frequencies():
    # head_dim 4, base 100: pares (x0, x2) com θ = 1 e (x1, x3) com θ = 100^(-1/2) = 0,1
    cos, sin = rope_angles(head_dim=4, context_length=3, base=100.0)
    x = torch.tensor([1.0, 2.0, 3.0, 4.0]).view(1, 1, 1, 4).expand(1, 1, 3, 4)
    got = apply_rope(x, cos, sin)[0, 0, 2]  # posição 2: ângulos 2 e 0,2
    a, b = 2.0, 0.2
    expected = [
        1 * math.cos(a) - 3 * math.sin(a),
        2 * math.cos(b) - 4 * math.sin(b),
        3 * math.cos(a) + 1 * math.sin(a),
        4 * math.cos(b) + 2 * math.sin(b),
    ]
    torch.testing.assert_close(got, torch.tensor(expected))


def test_rope_dot_product_depends_only_on_the_distance():
    torch.manual_seed(0)
    cos, sin = rope_angles(head_dim=8, context_length=32)
    q, k = torch.randn(8), torch.randn(8)

    def score(m, n):
        at = lambda v, p: apply_rope(v.view(1, 1, 1, 8), cos[p : p + 1], sin[p : p + 1]).flatten()  # noqa: E731
        return torch.dot(at(q, m), at(k, n))

    for m, n, shift in [(5, 2, 10), (3, 3, 20), (0, 7, 24)]:
        torch.testing.assert_close(score(m, n), score(m + shift, n + shift), atol=1e-5, rtol=1e-5)
    assert not torch.isclose(score(5, 2), score(5, 3))
    # girar não muda o comprimento, e a posição 0 não gira
    torch.testing.assert_close(apply_rope(q.view(1, 1, 1, 8), cos[9:10], sin[9:10]).norm(), q.norm())
    torch.testing.assert_close(apply_rope(q.view(1, 1, 1, 8), cos[:1], sin[:1]).flatten(), q)


def test_rope_refuses_odd_head_dim():
    with pytest.raises(ValueError, match="par"):
        rope_angles(head_dim=3, context_length=4)


# --- GQA --------------------------------------------------------------------------------------
@pytest.mark.parametrize("attention_class", [GroupedQueryAttention, GroupedQueryAttentionFast])
def test_gqa_with_as_many_kv_heads_as_heads_is_the_lesson_mha(attention_class):
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_in=16, d_out=16, context_length=8, dropout=0.0, num_heads=4)
    gqa = attention_class(16, 16, 8, 0.0, num_heads=4, num_kv_heads=4)
    gqa.load_state_dict(mha.state_dict())  # os mesmos nomes: W_query, W_key, W_value, out_proj, mask
    x = torch.randn(2, 6, 16)
    torch.testing.assert_close(gqa(x), mha(x), atol=1e-6, rtol=1e-5)


def test_gqa_equals_mha_whose_heads_share_keys_and_values():
    torch.manual_seed(0)
    gqa = GroupedQueryAttention(16, 16, 8, 0.0, num_heads=4, num_kv_heads=2)
    assert gqa.W_key.weight.shape == gqa.W_value.weight.shape == (8, 16)
    mha = MultiHeadAttention(d_in=16, d_out=16, context_length=8, dropout=0.0, num_heads=4)
    state = gqa.state_dict()
    for name in ("W_key.weight", "W_value.weight"):  # as cabeças 0 e 1 usam K/V 0; as 2 e 3, K/V 1
        state[name] = state[name].view(2, 4, 16).repeat_interleave(2, dim=0).reshape(16, 16)
    mha.load_state_dict(state)
    x = torch.randn(2, 6, 16)
    torch.testing.assert_close(gqa(x), mha(x), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("rope_base", [None, 10_000.0])
def test_gqa_is_causal(rope_base):
    torch.manual_seed(0)
    gqa = GroupedQueryAttention(16, 16, 8, 0.0, num_heads=4, num_kv_heads=1, rope_base=rope_base)
    x = torch.randn(1, 6, 16)
    changed = x.clone()
    changed[:, 4:] += 1.0
    torch.testing.assert_close(gqa(x)[:, :4], gqa(changed)[:, :4])


@pytest.mark.parametrize("attention_class", [GroupedQueryAttention, GroupedQueryAttentionFast])
def test_gqa_with_a_layer_cache_gives_the_same_outputs(attention_class):
    torch.manual_seed(0)
    gqa = attention_class(16, 16, 8, 0.0, num_heads=4, num_kv_heads=2, rope_base=100.0)
    x = torch.randn(2, 7, 16)
    full = gqa(x)
    cache = TinyLayerCache()
    pieces = [gqa(x[:, :4], layer_cache=cache)]  # o prompt de uma vez, depois um token por vez
    pieces += [gqa(x[:, t : t + 1], layer_cache=cache) for t in range(4, 7)]
    torch.testing.assert_close(torch.cat(pieces, dim=1), full, atol=1e-5, rtol=1e-5)
    assert cache.keys.shape == (2, 2, 7, 4)  # o cache guarda só as 2 cabeças de K/V


def test_gqa_refuses_positions_past_the_context():
    gqa = GroupedQueryAttention(16, 16, 4, 0.0, num_heads=4, rope_base=100.0)
    cache = TinyLayerCache()
    gqa(torch.randn(1, 4, 16), layer_cache=cache)
    with pytest.raises(ValueError, match="context_length"):
        gqa(torch.randn(1, 1, 16), layer_cache=cache)


# --- o GPTModel escolhe as peças pela configuração ---------------------------------------------
def test_default_config_builds_the_lesson_modules_and_names(tiny_cfg):
    model = GPTModel(tiny_cfg)
    block = model.trf_blocks[0]
    assert type(block.att) is MultiHeadAttention
    assert type(block.norm1).__name__ == type(model.final_norm).__name__ == "LayerNorm"
    assert type(block.ff).__name__ == "FeedForward"
    names = [name for name, _ in model.named_parameters()]
    assert names[:2] == ["tok_emb.weight", "pos_emb.weight"]
    assert "trf_blocks.0.att.out_proj.bias" in names and "final_norm.shift" in names


def test_modern_config_builds_the_new_modules(tiny_cfg):
    cfg = dict(tiny_cfg, **MODERN)
    model = GPTModel(cfg)
    block = model.trf_blocks[0]
    assert model.pos_emb is None
    assert isinstance(block.att, GroupedQueryAttention) and block.att.rope and block.att.num_kv_heads == 2
    assert isinstance(block.ff, SwiGLUFeedForward)
    assert isinstance(block.norm1, RMSNorm) and isinstance(model.final_norm, RMSNorm)
    ids = torch.randint(0, cfg["vocab_size"], (2, cfg["context_length"]))
    assert model(ids).shape == (2, cfg["context_length"], cfg["vocab_size"])


def test_bias_false_removes_every_bias_and_shift(tiny_cfg):
    model = GPTModel(dict(tiny_cfg, bias=False))
    names = [name for name, _ in model.named_parameters()]
    assert not [name for name in names if name.endswith((".bias", ".shift"))]
    assert isinstance(model.trf_blocks[0].att, GroupedQueryAttention)


def test_rope_model_sees_order_without_a_positional_embedding(tiny_cfg):
    torch.manual_seed(0)
    model = GPTModel(dict(tiny_cfg, pos_encoding="rope")).eval()
    ids = torch.tensor([[1, 2, 3, 4]])
    # sem posição, a última saída não mudaria ao trocar a ordem dos tokens anteriores
    assert not torch.allclose(model(ids)[0, -1], model(torch.tensor([[3, 2, 1, 4]]))[0, -1])


@pytest.mark.parametrize(
    "change, message",
    [
        ({"norm": "batchnorm"}, "cfg\\['norm'\\]"),
        ({"ff_activation": "relu"}, "ff_activation"),
        ({"pos_encoding": "alibi"}, "pos_encoding"),
        ({"n_kv_heads": 3}, "múltiplo de n_kv_heads"),
        ({"n_kv_heads": 0}, "n_kv_heads"),
        ({"ff_hidden_dim": 10.5}, "ff_hidden_dim"),
        ({"rope_base": -1}, "rope_base"),
        ({"bias": "não"}, "cfg\\['bias'\\]"),
        ({"pos_encoding": "rope", "emb_dim": 12, "n_heads": 4}, "par"),
    ],
)
def test_invalid_modern_keys_get_portuguese_errors(tiny_cfg, change, message):
    with pytest.raises(ValueError, match=message):
        validate_config(dict(tiny_cfg, **change))


# --- contagem de parâmetros -----------------------------------------------------------------
@pytest.mark.parametrize(
    "change",
    [
        {},
        {"norm": "rmsnorm"},
        {"ff_activation": "swiglu"},
        {"ff_activation": "swiglu", "ff_hidden_dim": 40},
        {"ff_hidden_dim": 24},
        {"pos_encoding": "rope"},
        {"n_kv_heads": 1, "qkv_bias": True},
        {"bias": False},
        {"bias": False, "qkv_bias": True},
        MODERN,
    ],
)
def test_config_count_matches_the_real_model(tiny_cfg, change):
    cfg = dict(tiny_cfg, **change)
    assert parameter_breakdown_from_config(cfg) == parameter_breakdown(GPTModel(cfg))


@pytest.mark.parametrize("name", ["GPT-2 small (124M)", "Llama 3 8B"])
def test_config_count_matches_a_big_model_on_the_meta_device(name):
    cfg = gptlab_config(name)
    with torch.device("meta"):
        model = GPTModel(cfg)
    assert parameter_breakdown(model) == parameter_breakdown_from_config(cfg)


def test_published_counts_match_the_model_cards():
    # Hugging Face: gpt2 124.439.808 e gpt2-xl 1.557.611.200; Llama 3 8B: 8.030.261.248
    assert published_parameter_count("GPT-2 small (124M)") == 124_439_808
    assert published_parameter_count("GPT-2 XL (1558M)") == 1_557_611_200
    assert published_parameter_count("Llama 3 8B") == 8_030_261_248
    # Qwen3 8B: 8,2B no cartão; faltam só as QK-norms (2 x 128 por camada), que o pacote não tem
    assert round(published_parameter_count("Qwen3 8B") / 1e9, 1) == 8.2
    assert published_parameter_count("GPT-OSS 20B") is None  # MoE: o pacote não monta


def test_every_published_row_has_a_source_and_a_table_line():
    table = format_published_table()
    for name, row in PUBLISHED_CONFIGS.items():
        assert "config.json" in row["source"] and name in table
    assert "| 128.256 |" in table


def test_silu_is_the_swish_with_beta_one():
    x = torch.linspace(-5, 5, 11)
    torch.testing.assert_close(F.silu(x), x * torch.sigmoid(x))
