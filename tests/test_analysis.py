import pytest
import torch

from gptlab_helpers import (
    COMPONENT_LABELS,
    GPT_CONFIG_124M,
    GPTModel,
    format_parameter_table,
    get_gpt2_config,
    model_size_mb,
    parameter_breakdown,
    parameter_breakdown_from_config,
)


@pytest.mark.slow
def test_breakdown_of_124m(gpt_124m_and_logits):
    model, _ = gpt_124m_and_logits
    counts = parameter_breakdown(model)
    assert counts["token_embedding"] == counts["output_head"] == 50257 * 768
    assert counts["positional_embedding"] == 1024 * 768
    assert counts["attention"] == 12 * (3 * 768 * 768 + 768 * 768 + 768)
    assert counts["feed_forward"] == 12 * (2 * 4 * 768 * 768 + 4 * 768 + 768)
    assert counts["layer_norms"] == (2 * 12 + 1) * 2 * 768
    assert counts == parameter_breakdown_from_config(GPT_CONFIG_124M)


@pytest.mark.parametrize("qkv_bias", [False, True])
def test_config_formula_matches_real_model(tiny_cfg, qkv_bias):
    cfg = dict(tiny_cfg, qkv_bias=qkv_bias)
    assert parameter_breakdown(GPTModel(cfg)) == parameter_breakdown_from_config(cfg)


def test_weight_tying_counts_shared_matrix_once(tiny_cfg):
    model = GPTModel(tiny_cfg)
    model.out_head.weight = model.tok_emb.weight
    counts = parameter_breakdown(model)
    assert counts["output_head"] == 0
    assert counts["total"] == sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize(
    ("size", "total_tied"),
    [("small", 124_439_808), ("medium", 354_823_168), ("large", 774_030_080), ("xl", 1_557_611_200)],
)
def test_gpt2_sizes_match_the_published_checkpoints(size, total_tied):
    # o GPT-2 publicado tem bias em QKV e cabeça amarrada: são os totais dos checkpoints oficiais
    cfg = get_gpt2_config(size, qkv_bias=True)
    assert parameter_breakdown_from_config(cfg)["total_with_weight_tying"] == total_tied


def test_model_size_mb_per_dtype():
    assert model_size_mb(163_009_536) == pytest.approx(621.83, abs=0.005)
    assert model_size_mb(1024 * 1024, torch.bfloat16) == 2.0
    assert model_size_mb(1024 * 1024, torch.float64) == 8.0


def test_parameter_table_lists_every_component():
    table = format_parameter_table(parameter_breakdown_from_config(GPT_CONFIG_124M))
    for label in COMPONENT_LABELS.values():
        assert label in table
    assert "163,009,536" in table and "124,412,160" in table
