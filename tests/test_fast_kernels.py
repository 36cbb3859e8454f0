"""cfg["fast_kernels"]: kernels fundidos com os mesmos parâmetros e os mesmos números (até 1e-5)."""

import pytest
import torch

from gptlab_helpers import GELU, GPT_CONFIG_124M, GPTModel, LayerNorm, validate_config
from gptlab_helpers.variants.fast import (
    FAST_CLASSES,
    GELUFast,
    LayerNormFast,
    LinearFast,
    MultiHeadAttentionFast,
)


def twins(cfg):
    """O mesmo modelo com e sem fast_kernels, criados com a mesma semente."""
    torch.manual_seed(123)
    teaching = GPTModel(cfg).eval()
    torch.manual_seed(123)
    fast = GPTModel({**cfg, "fast_kernels": True}).eval()
    return teaching, fast


def test_fast_layers_agree_with_the_lesson_layers():
    torch.manual_seed(0)
    x = torch.randn(2, 5, 32) * 3 + 1
    norm, fast_norm = LayerNorm(32), LayerNormFast(32)
    with torch.no_grad():
        norm.scale.uniform_(0.5, 1.5)
        norm.shift.uniform_(-1, 1)
    fast_norm.load_state_dict(norm.state_dict())
    torch.testing.assert_close(fast_norm(x), norm(x), atol=1e-5, rtol=0)
    torch.testing.assert_close(GELUFast()(x), GELU()(x), atol=1e-5, rtol=0)
    assert FAST_CLASSES[LayerNorm] is LayerNormFast


def test_fast_model_has_the_same_parameters_and_outputs(tiny_cfg):
    teaching, fast = twins(tiny_cfg)
    assert isinstance(fast.trf_blocks[0].norm1, LayerNormFast)
    assert isinstance(fast.trf_blocks[0].ff.layers[1], GELUFast)
    assert isinstance(fast.trf_blocks[0].att, MultiHeadAttentionFast)
    # mesma ordem de criação: os mesmos pesos, com os mesmos nomes (checkpoints servem aos dois)
    fast_state = fast.state_dict()
    for name, tensor in teaching.state_dict().items():
        assert torch.equal(fast_state[name], tensor), name
    idx = torch.randint(0, tiny_cfg["vocab_size"], (3, 8), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(fast(idx), teaching(idx), atol=1e-5, rtol=0)


@pytest.mark.slow
def test_fast_gpt2_small_is_within_1e_5_of_the_lesson_path(batch):
    teaching, fast = twins(GPT_CONFIG_124M)
    with torch.no_grad():
        torch.testing.assert_close(fast(batch), teaching(batch), atol=1e-5, rtol=0)


def test_fast_kernels_must_be_a_bool(tiny_cfg):
    with pytest.raises(ValueError, match="cfg\\['fast_kernels'\\] deve ser True ou False"):
        validate_config({**tiny_cfg, "fast_kernels": "sim"})


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(7,), (1, 7), (1, 1, 7), (2, 1, 7), (4, 4, 7), (3, 6, 7), (0, 7)])
def test_linear_fast_matches_nn_linear_without_grad(shape, bias):
    # 11 saídas: com 2 ou 3 threads sobram linhas fora dos blocos (o caminho do torch.cat)
    torch.manual_seed(0)
    plain = torch.nn.Linear(7, 11, bias=bias)
    fast = LinearFast(7, 11, bias=bias)
    fast.load_state_dict(plain.state_dict())
    x = torch.randn(*shape)
    threads = torch.get_num_threads()
    try:
        for count in (1, 2, 3):
            torch.set_num_threads(count)
            with torch.no_grad():
                out = fast(x)
            assert out.shape == plain(x).shape
            torch.testing.assert_close(out, plain(x).detach(), atol=1e-6, rtol=0)
    finally:
        torch.set_num_threads(threads)


def test_linear_fast_head_of_gpt2_small_agrees_for_one_token():
    # a cabeça de saída do 124M: 50.257 linhas, ímpar, e o caso que o caminho rápido existe para acelerar
    torch.manual_seed(0)
    plain = torch.nn.Linear(64, 50_257, bias=False)
    fast = LinearFast(64, 50_257, bias=False)
    fast.load_state_dict(plain.state_dict())
    x = torch.randn(1, 1, 64)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), plain(x), atol=1e-5, rtol=0)


def test_linear_fast_trains_exactly_like_nn_linear():
    # com gradiente, o caminho é o F.linear: os mesmos números e os mesmos gradientes, bit a bit
    torch.manual_seed(0)
    plain = torch.nn.Linear(5, 3)
    fast = LinearFast(5, 3)
    fast.load_state_dict(plain.state_dict())
    x = torch.randn(1, 5)
    plain(x).sum().backward()
    out = fast(x)
    out.sum().backward()
    assert torch.equal(out, plain(x))
    assert torch.equal(fast.weight.grad, plain.weight.grad)
    assert torch.equal(fast.bias.grad, plain.bias.grad)


def test_fast_model_uses_linear_fast_with_the_same_parameters(tiny_cfg):
    teaching, fast = twins(tiny_cfg)
    linears = [name for name, module in teaching.named_modules() if type(module) is torch.nn.Linear]
    fast_modules = dict(fast.named_modules())
    assert linears and all(type(fast_modules[name]) is LinearFast for name in linears)
    assert all(
        type(module) is torch.nn.Linear
        for _, module in teaching.named_modules()
        if isinstance(module, torch.nn.Linear)
    )
    idx = torch.randint(0, tiny_cfg["vocab_size"], (1, 1))
    with torch.no_grad():  # um token: o caminho do torch.bmm em todas as camadas
        torch.testing.assert_close(fast(idx), teaching(idx), atol=1e-5, rtol=0)
