import pytest

from gptlab_helpers import GPT_CONFIG_124M, GPTModel, dropout_rates, get_gpt2_config, validate_config


def test_gpt_config_124m_is_the_course_dict(lesson):
    assert GPT_CONFIG_124M == lesson["config_124m"]


@pytest.mark.parametrize(
    ("size", "emb_dim", "n_layers", "n_heads"),
    [("small", 768, 12, 12), ("medium", 1024, 24, 16), ("large", 1280, 36, 20), ("xl", 1600, 48, 25)],
)
def test_gpt2_sizes(size, emb_dim, n_layers, n_heads):
    cfg = get_gpt2_config(size)
    assert (cfg["emb_dim"], cfg["n_layers"], cfg["n_heads"]) == (emb_dim, n_layers, n_heads)
    assert cfg["vocab_size"] == 50257 and cfg["context_length"] == 1024


def test_get_gpt2_config_returns_a_copy_with_overrides():
    cfg = get_gpt2_config("small", qkv_bias=True)
    assert cfg["qkv_bias"] is True
    assert GPT_CONFIG_124M["qkv_bias"] is False


def test_unknown_size_is_rejected():
    with pytest.raises(ValueError, match="tamanho de GPT-2 desconhecido: 'huge'"):
        get_gpt2_config("huge")


def test_missing_keys_are_listed():
    cfg = dict(GPT_CONFIG_124M)
    del cfg["n_heads"], cfg["emb_dim"]
    with pytest.raises(ValueError, match="faltam chaves na configuração: emb_dim, n_heads"):
        GPTModel(cfg)


def test_missing_dropout_mentions_both_options():
    cfg = {k: v for k, v in GPT_CONFIG_124M.items() if k != "drop_rate"}
    cfg["drop_rate_emb"] = 0.1
    with pytest.raises(ValueError, match="drop_rate \\(ou drop_rate_attn, drop_rate_shortcut\\)"):
        validate_config(cfg)


def test_emb_dim_must_be_divisible_by_heads():
    cfg = dict(GPT_CONFIG_124M, n_heads=5)
    with pytest.raises(ValueError, match="emb_dim \\(768\\) deve ser divisível por n_heads \\(5\\)"):
        validate_config(cfg)


@pytest.mark.parametrize(("key", "value"), [("drop_rate", 1.0), ("drop_rate", -0.1), ("drop_rate_attn", 1.5)])
def test_dropout_rate_outside_unit_interval(key, value):
    cfg = dict(GPT_CONFIG_124M, **{key: value})
    with pytest.raises(ValueError, match=f"cfg\\['{key}'\\] deve ser um número em \\[0, 1\\)"):
        validate_config(cfg)


@pytest.mark.parametrize("value", [0, -3, 2.5, "12", True])
def test_sizes_must_be_positive_integers(value):
    with pytest.raises(ValueError, match="n_layers'\\] deve ser um inteiro positivo"):
        validate_config(dict(GPT_CONFIG_124M, n_layers=value))


def test_config_must_be_a_dict():
    with pytest.raises(TypeError, match="deve ser um dicionário"):
        validate_config([("emb_dim", 768)])


def test_dropout_rates_single_and_split(lesson):
    assert dropout_rates(GPT_CONFIG_124M) == (0.1, 0.1, 0.1)
    split = lesson["exercise_sheet"]["split_dropout_config"]
    assert dropout_rates(validate_config(split)) == (0.05, 0.10, 0.15)
    mixed = dict(GPT_CONFIG_124M, drop_rate_attn=0.3)
    assert dropout_rates(mixed) == (0.1, 0.3, 0.1)
