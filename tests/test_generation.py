import pytest
import torch

from gptlab_helpers import GPTModel, generate_text_simple


@pytest.fixture
def model(tiny_cfg):
    torch.manual_seed(0)
    return GPTModel(tiny_cfg).eval()


def test_appends_the_argmax_token_each_step(model):
    idx = torch.tensor([[1, 2, 3]])
    out = generate_text_simple(model, idx, max_new_tokens=3, context_size=8)
    assert out.shape == (1, 6)
    assert torch.equal(out[:, :3], idx)
    step = idx
    for _ in range(3):
        next_id = model(step)[:, -1].argmax(dim=-1, keepdim=True)
        step = torch.cat([step, next_id], dim=1)
    assert torch.equal(out, step)


def test_crops_context_to_context_size(model):
    idx = torch.randint(0, 50, (2, 8))  # já no limite do contexto do modelo
    out = generate_text_simple(model, idx, max_new_tokens=4, context_size=8)
    assert out.shape == (2, 12)
    expected_last = model(out[:, -5:-1])[:, -1].argmax(dim=-1)
    assert torch.equal(generate_text_simple(model, out[:, :-1], 1, context_size=4)[:, -1], expected_last)


def test_zero_new_tokens_returns_input(model):
    idx = torch.tensor([[4, 5]])
    assert torch.equal(generate_text_simple(model, idx, 0, 8), idx)


@pytest.mark.parametrize("bad", [-1, 2.5, "3"])
def test_rejects_bad_max_new_tokens(model, bad):
    with pytest.raises(ValueError, match="max_new_tokens deve ser um inteiro >= 0"):
        generate_text_simple(model, torch.tensor([[1]]), bad, 8)


def test_rejects_bad_context_size(model):
    with pytest.raises(ValueError, match="context_size deve ser um inteiro positivo"):
        generate_text_simple(model, torch.tensor([[1]]), 1, 0)


def test_rejects_bad_idx(model):
    with pytest.raises(ValueError, match="idx deve ter 2 dimensões"):
        generate_text_simple(model, torch.tensor([1, 2]), 1, 8)
    with pytest.raises(ValueError, match="ID de token 99, fora do vocabulário \\[0, 50\\)"):
        generate_text_simple(model, torch.tensor([[99]]), 1, 8)
    with pytest.raises(ValueError, match="idx está vazio"):
        generate_text_simple(model, torch.zeros(1, 0, dtype=torch.long), 1, 8)
    with pytest.raises(TypeError, match="model deve ser um torch.nn.Module"):
        generate_text_simple("gpt", torch.tensor([[1]]), 1, 8)
