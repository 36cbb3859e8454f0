"""cfg["norm_position"]: Pre-LN (padrão), Post-LN e sem norma, e as medidas da aula 12."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from gptlab_helpers import GPTModel, TransformerBlock, validate_config
from gptlab_helpers.analysis import parameter_breakdown, parameter_breakdown_from_config
from gptlab_helpers.training.norm_position import (
    block_gradient_norms,
    diverged,
    format_gradient_table,
    gradient_norms_at_init,
    train_norm_variants,
)


def block_input(cfg, seed=0):
    return torch.randn(2, 5, cfg["emb_dim"], generator=torch.Generator().manual_seed(seed)) * 3 + 1


def test_default_is_pre_ln_with_the_same_weights_and_output(tiny_cfg):
    """Com a chave explícita "pre", o mesmo sorteio de pesos e a mesma saída, bit a bit."""
    torch.manual_seed(123)
    default = GPTModel(tiny_cfg).eval()
    torch.manual_seed(123)
    explicit = GPTModel(dict(tiny_cfg, norm_position="pre")).eval()
    ids = torch.randint(0, tiny_cfg["vocab_size"], (2, 6))
    assert torch.equal(default(ids), explicit(ids))
    assert default.state_dict().keys() == explicit.state_dict().keys()


@pytest.mark.parametrize("position", ["post", "none"])
def test_other_positions_draw_the_same_random_weights(tiny_cfg, position):
    """As normas não sorteiam nada: atenção e feed-forward nascem iguais nas três posições."""
    torch.manual_seed(123)
    pre = GPTModel(tiny_cfg).state_dict()
    torch.manual_seed(123)
    other = GPTModel(dict(tiny_cfg, norm_position=position)).state_dict()
    for key, value in other.items():
        assert torch.equal(value, pre[key]), key


def test_post_ln_block_normalizes_after_each_residual_sum(tiny_cfg):
    cfg = dict(tiny_cfg, norm_position="post")
    block = TransformerBlock(cfg).eval()
    with torch.no_grad():  # scale e shift diferentes de 1 e 0, para aparecerem na conta
        for norm in (block.norm1, block.norm2):
            norm.scale.copy_(torch.linspace(0.5, 2.0, cfg["emb_dim"]))
            norm.shift.copy_(torch.linspace(-1.0, 1.0, cfg["emb_dim"]))
    x = block_input(cfg)

    def layer_norm(norm, h):
        return F.layer_norm(h, (cfg["emb_dim"],), norm.scale, norm.shift, eps=1e-5)

    h = layer_norm(block.norm1, x + block.att(x))
    expected = layer_norm(block.norm2, h + block.ff(h))
    torch.testing.assert_close(block(x), expected, atol=1e-5, rtol=1e-5)
    # a saída de um bloco Post-LN com scale 1 e shift 0 tem média 0 e variância 1 em cada token
    plain = TransformerBlock(cfg).eval()
    out = plain(x)
    torch.testing.assert_close(out.mean(-1), torch.zeros(2, 5), atol=1e-5, rtol=0)


def test_no_norm_block_is_residual_without_normalization(tiny_cfg):
    cfg = dict(tiny_cfg, norm_position="none")
    block = TransformerBlock(cfg).eval()
    assert isinstance(block.norm1, nn.Identity) and isinstance(block.norm2, nn.Identity)
    x = block_input(cfg)
    h = x + block.att(x)
    torch.testing.assert_close(block(x), h + block.ff(h))


@pytest.mark.parametrize(
    ("position", "final_is_norm", "norms"), [("pre", True, 5), ("post", False, 4), ("none", False, 0)]
)
def test_final_norm_and_parameter_count(tiny_cfg, position, final_is_norm, norms):
    """Só o Pre-LN tem norma final; a contagem pela configuração acompanha a do modelo."""
    cfg = dict(tiny_cfg, norm_position=position)
    model = GPTModel(cfg)
    assert isinstance(model.final_norm, nn.Identity) != final_is_norm
    counted = parameter_breakdown(model)
    assert counted == parameter_breakdown_from_config(cfg)
    assert counted["layer_norms"] == norms * 2 * cfg["emb_dim"]


@pytest.mark.parametrize("value", ["Pre", "posterior", None, 1])
def test_invalid_norm_position_is_explained(tiny_cfg, value):
    with pytest.raises(ValueError, match="cfg\\['norm_position'\\] deve ser um de 'pre', 'post', 'none'"):
        validate_config(dict(tiny_cfg, norm_position=value))


def test_block_gradient_norms_match_a_manual_computation(tiny_cfg):
    torch.manual_seed(123)
    model = GPTModel(dict(tiny_cfg, norm_position="post"))
    ids = torch.randint(0, tiny_cfg["vocab_size"], (3, 7))
    x, y = ids[:, :-1], ids[:, 1:]
    norms = block_gradient_norms(model, x, y)
    assert all(p.grad is None for p in model.parameters())  # não deixa gradientes para trás
    F.cross_entropy(model(x).flatten(0, 1), y.flatten()).backward()
    for block, norm in zip(model.trf_blocks, norms):
        manual = math.sqrt(sum(p.grad.pow(2).sum().item() for p in block.parameters()))
        assert norm == pytest.approx(manual, rel=1e-5)


def test_gradient_norms_at_init_covers_every_position_and_depth(tiny_cfg):
    ids = torch.randint(0, tiny_cfg["vocab_size"], (2, 7), generator=torch.Generator().manual_seed(0))
    results = gradient_norms_at_init(tiny_cfg, [1, 3], ids[:, :-1], ids[:, 1:])
    assert list(results) == [(p, d) for p in ("pre", "post", "none") for d in (1, 3)]
    assert [len(results[("post", d)]) for d in (1, 3)] == [1, 3]
    assert all(norm > 0 and math.isfinite(norm) for norms in results.values() for norm in norms)
    # mesma semente, mesmo resultado
    assert (
        gradient_norms_at_init(tiny_cfg, [3], ids[:, :-1], ids[:, 1:], positions=["pre"])[("pre", 3)]
        == (results[("pre", 3)])
    )
    table = format_gradient_table(results)
    assert table.splitlines()[0].split()[:2] == ["posição", "blocos"]
    assert len(table.splitlines()) == 1 + len(results)
    assert "Post-LN" in table and "sem norma" in table
    post_3 = next(
        line for line in table.splitlines() if line.startswith("Post-LN") and line.split()[1] == "3"
    )
    ratio = (sum(results[("post", 3)]) / 3) / (sum(results[("pre", 3)]) / 3)
    assert float(post_3.split()[-1]) == pytest.approx(ratio, abs=0.005)  # a coluna "x Pre-LN"


@pytest.mark.parametrize(
    ("losses", "expected"),
    [
        ([4.9, 3.0, 2.5], False),
        ([4.9, 3.0, float("nan")], True),
        ([4.9, 6.0, 5.0], True),
        ([4.9, float("inf"), 2.0], True),
    ],
)
def test_diverged(losses, expected):
    assert diverged({"val_loss": losses}, initial_loss=4.9) is expected


def test_train_norm_variants_returns_one_history_per_variant(tiny_cfg):
    ids = torch.randint(0, tiny_cfg["vocab_size"], (400,), generator=torch.Generator().manual_seed(0))
    histories = train_norm_variants(
        tiny_cfg, ids[:300], ids[300:], warmups=[0, 2], positions=["pre", "post"],
        max_steps=4, batch_size=2, eval_interval=2, eval_batches=1, device="cpu",
    )  # fmt: skip
    assert list(histories) == [("pre", 0), ("pre", 2), ("post", 0), ("post", 2)]
    for history in histories.values():
        assert history["step"] == [0, 2, 4]
        assert history["wall_seconds"] > 0
    assert histories[("pre", 0)]["val_loss"] != histories[("post", 0)]["val_loss"]


def test_loss_plot_keeps_a_diverged_run_from_flattening_the_others():
    import matplotlib

    matplotlib.use("Agg")
    from gptlab_helpers.viz.norm_position import plot_gradient_norms, plot_norm_variant_losses

    histories = {
        ("pre", 20): {"step": [0, 10, 20], "val_loss": [4.9, 3.0, 2.5]},
        ("none", 0): {"step": [0, 10, 20], "val_loss": [5.1, 7e8, float("nan")]},
    }
    ax = plot_norm_variant_losses(histories)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["Pre-LN, aquecimento 20", "sem norma, sem aquecimento (divergiu)"]
    assert ax.get_ylim() == (0, 6.1)
    assert ax.get_title() and ax.get_xlabel() == "passo de treino"
    ax = plot_gradient_norms({("pre", 2): [0.3, 0.2], ("post", 2): [0.5, 0.6]})
    assert ax.get_yscale() == "log" and len(ax.get_lines()) == 2
    assert ax.get_ylabel() == "norma L2 do gradiente"
