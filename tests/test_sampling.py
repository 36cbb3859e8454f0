import math

import pytest
import torch

from gptlab_helpers import GPTModel, generate_text_simple
from gptlab_helpers.generation import generate, next_token_probabilities

IDX = torch.tensor([[1, 2, 3]])


@pytest.fixture
def model(tiny_cfg):
    torch.manual_seed(0)
    return GPTModel(tiny_cfg).eval()


def test_temperature_zero_is_greedy(model):
    expected = generate_text_simple(model, IDX, max_new_tokens=6, context_size=8)
    assert torch.equal(generate(model, IDX, 6, 8), expected)
    # top_k=1 e um top_p minúsculo deixam só o mais provável: sortear dá o mesmo que o argmax
    assert torch.equal(generate(model, IDX, 6, 8, temperature=1.0, top_k=1), expected)
    assert torch.equal(generate(model, IDX, 6, 8, temperature=1.0, top_p=1e-6), expected)


def test_sampling_is_reproducible_with_a_generator(model):
    def sample(seed):
        return generate(model, IDX, 20, 8, temperature=2.0, generator=torch.Generator().manual_seed(seed))

    assert torch.equal(sample(1), sample(1))
    assert not torch.equal(sample(1), sample(2))
    assert sample(1).shape == (1, 23)


def test_top_k_only_samples_among_the_k_best(model):
    logits = model(IDX)[:, -1, :]
    allowed = set(torch.topk(logits[0], 3).indices.tolist())
    for seed in range(20):
        out = generate(
            model, IDX, 1, 8, temperature=5.0, top_k=3, generator=torch.Generator().manual_seed(seed)
        )
        assert out[0, -1].item() in allowed


def test_eos_stops_generation(model):
    greedy_next = generate(model, IDX, 1, 8)[0, -1].item()
    assert torch.equal(generate(model, IDX, 10, 8, eos_id=greedy_next), IDX)  # o fim não entra
    # num lote, quem termina primeiro é completado com eos_id enquanto o outro continua
    other = generate_text_simple(model, torch.tensor([[4, 5, 6]]), 5, 8)[0, 3:].tolist()
    n = other.index(greedy_next) if greedy_next in other else 5
    out = generate(model, torch.tensor([[1, 2, 3], [4, 5, 6]]), 5, 8, eos_id=greedy_next)
    assert out.shape == (2, 3 + n)
    assert out[0, 3:].tolist() == [greedy_next] * n
    assert out[1, 3:].tolist() == other[:n]


def test_probabilities_follow_temperature_top_k_and_top_p():
    logits = torch.tensor([[2.0, 1.0, 0.5, -1.0]])
    plain = next_token_probabilities(logits, 1.0)
    assert torch.allclose(plain, torch.softmax(logits, dim=-1))
    cold, hot = next_token_probabilities(logits, 0.5), next_token_probabilities(logits, 2.0)
    assert cold[0, 0] > plain[0, 0] > hot[0, 0]  # frio concentra, quente espalha
    top2 = next_token_probabilities(logits, 1.0, top_k=2)
    assert top2[0, 2:].sum() == 0 and torch.allclose(top2[0, :2].sum(), torch.tensor(1.0))
    # probabilidades 0.61, 0.22, 0.14, 0.03: top_p=0.7 precisa dos dois primeiros
    nucleus = next_token_probabilities(logits, 1.0, top_p=0.7)
    assert (nucleus[0] > 0).tolist() == [True, True, False, False]
    assert math.isclose(nucleus.sum().item(), 1.0, rel_tol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": -0.5}, "temperature deve ser um número >= 0"),
        ({"temperature": float("nan")}, "temperature deve ser um número >= 0"),
        ({"temperature": float("inf")}, "temperature infinita"),
        ({"temperature": "0.7"}, "temperature deve ser um número >= 0"),
        ({"temperature": 1.0, "top_k": 0}, "top_k deve ser um inteiro positivo"),
        ({"temperature": 1.0, "top_k": 51}, "top_k=51 é maior que o vocabulário \\(50 tokens\\)"),
        ({"temperature": 1.0, "top_p": 0.0}, "top_p deve estar em \\(0, 1\\]"),
        ({"temperature": 1.0, "top_p": 1.5}, "top_p deve estar em \\(0, 1\\]"),
        ({"temperature": 1.0, "top_p": True}, "top_p deve estar em \\(0, 1\\]"),
        ({"eos_id": 50}, "eos_id=50 está fora do vocabulário \\[0, 50\\)"),
        ({"eos_id": -1}, "eos_id deve ser um inteiro >= 0"),
    ],
)
def test_bad_sampling_arguments_are_explained(model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate(model, IDX, 1, 8, **kwargs)


def test_common_arguments_are_checked_too(model):
    with pytest.raises(ValueError, match="max_new_tokens deve ser um inteiro >= 0"):
        generate(model, IDX, -1, 8)
    with pytest.raises(ValueError, match="context_size deve ser um inteiro positivo"):
        generate(model, IDX, 1, 0)
    with pytest.raises(ValueError, match="com temperature=0 não há sorteio"):
        next_token_probabilities(torch.zeros(1, 5), 0)
