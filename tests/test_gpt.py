"""Comportamento das camadas e do modelo, além dos números da aula."""

import pytest
import torch
import torch.nn as nn

from gptlab_helpers import (
    GELU,
    DummyGPTModel,
    FeedForward,
    GPTModel,
    LayerNorm,
    MultiHeadAttention,
    TransformerBlock,
)
from gptlab_helpers.variants.fast import MultiHeadAttentionFast


def test_layernorm_matches_torch_and_normalizes():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 16) * 4 + 2
    ours = LayerNorm(16)(x)
    torch.testing.assert_close(ours, nn.LayerNorm(16)(x), atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.mean(-1), torch.zeros(3, 5), atol=1e-5, rtol=0)
    torch.testing.assert_close(ours.var(-1, unbiased=False), torch.ones(3, 5), atol=1e-3, rtol=0)


def test_gelu_is_the_tanh_approximation():
    x = torch.linspace(-4, 4, 101)
    torch.testing.assert_close(GELU()(x), nn.GELU(approximate="tanh")(x), atol=1e-6, rtol=1e-6)


def test_feed_forward_expands_four_times(tiny_cfg):
    ff = FeedForward(tiny_cfg)
    assert ff.layers[0].weight.shape == (64, 16)
    assert ff(torch.randn(2, 3, 16)).shape == (2, 3, 16)


def test_attention_is_causal_and_mask_is_a_buffer():
    torch.manual_seed(0)
    mha = MultiHeadAttention(d_in=8, d_out=8, context_length=6, dropout=0.0, num_heads=2)
    assert "mask" in dict(mha.named_buffers())
    x = torch.randn(1, 6, 8)
    out = mha(x)
    changed = x.clone()
    changed[:, 4:] += 10  # mudar o futuro não pode mudar o passado
    torch.testing.assert_close(mha(changed)[:, :4], out[:, :4])


def test_attention_sdpa_path_agrees_with_explicit_path():
    torch.manual_seed(0)
    explicit = MultiHeadAttention(8, 8, 6, dropout=0.0, num_heads=2)
    fast = MultiHeadAttentionFast(8, 8, 6, dropout=0.0, num_heads=2)
    fast.load_state_dict(explicit.state_dict())
    x = torch.randn(2, 6, 8)
    torch.testing.assert_close(fast(x), explicit(x), atol=1e-5, rtol=1e-5)


def test_attention_rejects_indivisible_heads():
    with pytest.raises(ValueError, match="d_out \\(10\\) deve ser divisível por num_heads \\(3\\)"):
        MultiHeadAttention(10, 10, 4, 0.0, num_heads=3)


def test_book_attribute_names(tiny_cfg):
    model = GPTModel(tiny_cfg)
    names = set(dict(model.named_modules()))
    for expected in ["tok_emb", "pos_emb", "drop_emb", "trf_blocks", "final_norm", "out_head"]:
        assert expected in names
    for expected in ["att", "ff", "norm1", "norm2", "drop_shortcut"]:
        assert f"trf_blocks.0.{expected}" in names
    for expected in ["W_query", "W_key", "W_value", "out_proj", "dropout"]:
        assert f"trf_blocks.0.att.{expected}" in names
    assert {"trf_blocks.0.norm1.scale", "trf_blocks.0.norm1.shift"} <= set(model.state_dict())


def test_split_dropout_rates_reach_their_modules(lesson):
    cfg = dict(lesson["exercise_sheet"]["split_dropout_config"], n_layers=2, emb_dim=48, vocab_size=100)
    model = GPTModel(cfg)
    assert model.drop_emb.p == 0.05
    for block in model.trf_blocks:
        assert block.att.dropout.p == 0.10
        assert block.drop_shortcut.p == 0.15


def test_transformer_block_keeps_shape(tiny_cfg):
    assert TransformerBlock(tiny_cfg)(torch.randn(2, 5, 16)).shape == (2, 5, 16)


def test_dummy_model_blocks_do_nothing(tiny_cfg):
    model = DummyGPTModel(tiny_cfg).eval()
    idx = torch.tensor([[1, 2, 3]])
    expected = model.out_head(model.tok_emb(idx) + model.pos_emb(torch.arange(3)))
    torch.testing.assert_close(model(idx), expected)


def test_eval_mode_is_deterministic(tiny_cfg):
    model = GPTModel(dict(tiny_cfg, drop_rate=0.5)).eval()
    idx = torch.randint(0, 50, (2, 8))
    torch.testing.assert_close(model(idx), model(idx))


class TestBadInput:
    @pytest.fixture
    def model(self, tiny_cfg):
        return GPTModel(tiny_cfg)

    def test_not_a_tensor(self, model):
        with pytest.raises(TypeError, match="in_idx deve ser um torch.Tensor.*recebi list"):
            model([[1, 2, 3]])

    def test_float_tensor(self, model):
        with pytest.raises(TypeError, match="IDs inteiros.*torch.float32.*\\.long\\(\\)"):
            model(torch.tensor([[1.0, 2.0]]))

    def test_one_dimensional(self, model):
        with pytest.raises(ValueError, match="2 dimensões.*forma \\(3,\\).*unsqueeze\\(0\\)"):
            model(torch.tensor([1, 2, 3]))

    @pytest.mark.parametrize("bad_id", [50, 999, -1])
    def test_id_outside_vocabulary(self, model, bad_id):
        with pytest.raises(ValueError, match=f"ID de token {bad_id}, fora do vocabulário \\[0, 50\\)"):
            model(torch.tensor([[1, bad_id]]))

    def test_too_long(self, model):
        with pytest.raises(ValueError, match="9 tokens, mas context_length é 8.*in_idx\\[:, -8:\\]"):
            model(torch.zeros(1, 9, dtype=torch.long))
