"""Os números que a aula imprime, reproduzidos pelo pacote com torch.manual_seed(123)."""

import pytest
import torch
import torch.nn as nn

from gptlab_helpers import (
    GPT_CONFIG_124M,
    DummyGPTModel,
    ExampleDeepNeuralNetwork,
    LayerNorm,
    TransformerBlock,
    generate_text_simple,
    gradient_means,
    model_size_mb,
    parameter_breakdown,
    text_to_token_ids,
    token_ids_to_text,
)

ATOL = 1e-4  # a aula imprime 4 casas decimais


def assert_first_and_last3(logits, expected):
    assert list(logits.shape) == expected["shape"]
    torch.testing.assert_close(logits[:, :, :3], torch.tensor(expected["first3"]), atol=ATOL, rtol=0)
    torch.testing.assert_close(logits[:, :, -3:], torch.tensor(expected["last3"]), atol=ATOL, rtol=0)


def test_batch_token_ids(batch, lesson):
    assert batch.tolist() == lesson["batch"]["token_ids"]


def test_placeholder_model_logits(batch, lesson):
    torch.manual_seed(123)
    logits = DummyGPTModel(GPT_CONFIG_124M)(batch)
    assert_first_and_last3(logits, lesson["placeholder_model_logits"])


def test_relu_layer_and_layernorm_example(lesson):
    expected = lesson["layernorm_demo"]
    torch.manual_seed(123)
    batch_example = torch.randn(2, 5)
    torch.testing.assert_close(batch_example, torch.tensor(expected["batch_example"]), atol=ATOL, rtol=0)
    out = nn.Sequential(nn.Linear(5, 6), nn.ReLU())(batch_example)
    torch.testing.assert_close(out, torch.tensor(expected["relu_layer_output"]), atol=ATOL, rtol=0)
    mean, var = out.mean(dim=-1), out.var(dim=-1)
    torch.testing.assert_close(mean, torch.tensor(expected["mean"]), atol=ATOL, rtol=0)
    torch.testing.assert_close(var, torch.tensor(expected["var_unbiased"]), atol=ATOL, rtol=0)
    normalized = (out - out.mean(dim=-1, keepdim=True)) / torch.sqrt(out.var(dim=-1, keepdim=True))
    torch.testing.assert_close(normalized, torch.tensor(expected["normalized"]), atol=ATOL, rtol=0)
    out_ln = LayerNorm(emb_dim=5)(batch_example)
    torch.testing.assert_close(
        out_ln, torch.tensor(expected["layernorm_emb5_on_batch_example"]), atol=ATOL, rtol=0
    )


@pytest.mark.parametrize("use_shortcut", [False, True])
def test_shortcut_gradient_means(lesson, use_shortcut):
    demo = lesson["shortcut_demo"]
    torch.manual_seed(123)
    model = ExampleDeepNeuralNetwork(demo["layer_sizes"], use_shortcut=use_shortcut)
    means = gradient_means(model, torch.tensor(demo["sample_input"]))
    expected = demo["with_shortcut" if use_shortcut else "without_shortcut"]
    assert list(means) == list(expected)
    for name, value in expected.items():
        assert means[name] == pytest.approx(value, rel=1e-6), name


def test_transformer_block_output_shape(lesson):
    torch.manual_seed(123)
    x = torch.rand(2, 4, 768)
    output = TransformerBlock(GPT_CONFIG_124M)(x)
    assert list(output.shape) == lesson["transformer_block"]["output_shape"]


def test_gpt_model_logits(gpt_124m_and_logits, lesson):
    _, logits = gpt_124m_and_logits
    assert_first_and_last3(logits, lesson["gpt_model_logits"])


def test_parameter_counts_and_memory(gpt_124m_and_logits, lesson):
    model, _ = gpt_124m_and_logits
    expected = lesson["parameters"]
    counts = parameter_breakdown(model)
    assert counts["total"] == expected["total"] == sum(p.numel() for p in model.parameters())
    assert counts["total_with_weight_tying"] == expected["total_with_weight_tying"]
    assert list(model.tok_emb.weight.shape) == expected["token_embedding_shape"]
    assert list(model.out_head.weight.shape) == expected["output_layer_shape"]
    assert f"{model_size_mb(counts['total']):.2f}" == f"{expected['size_mb_float32']:.2f}"


@pytest.mark.slow
def test_greedy_generation(gpt_124m_and_logits, tokenizer, lesson):
    model, _ = gpt_124m_and_logits
    expected = lesson["generation"]
    encoded = text_to_token_ids(expected["prompt"], tokenizer)
    assert encoded[0].tolist() == expected["encoded"]
    model.eval()
    try:
        out = generate_text_simple(model, encoded, max_new_tokens=6, context_size=1024)
    finally:
        model.train()
    assert out[0].tolist() == expected["output_ids"]
    assert token_ids_to_text(out, tokenizer) == expected["output_text"]
