import matplotlib

matplotlib.use("Agg")  # sem janela: os testes só conferem o que foi desenhado

import matplotlib.pyplot as plt
import pytest

from gptlab_helpers import GPT_CONFIG_124M
from gptlab_helpers.viz.figures import draw_generation_loop, draw_gpt_architecture, draw_transformer_block

SMALL = dict(GPT_CONFIG_124M, vocab_size=115, emb_dim=64, n_layers=4, n_heads=4)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(ax):
    return [text.get_text() for text in ax.texts]


def test_architecture_writes_the_shapes_of_the_configuration():
    ax = draw_gpt_architecture(GPT_CONFIG_124M, batch_size=2, num_tokens=4)
    joined = "\n".join(texts(ax))
    assert "logits: (B, T, V) = (2, 4, 50257)" in joined
    assert "12 × bloco transformer (trf_blocks)" in joined
    assert "pos_emb: (4, 768)" in joined and "lugar reservado" not in joined
    assert ax.get_title()  # título em português, eixos escondidos
    assert not ax.axison


def test_architecture_follows_another_configuration_and_the_placeholders():
    joined = "\n".join(texts(draw_gpt_architecture(SMALL, batch_size=3, num_tokens=7, placeholder=True)))
    assert "(3, 7, 115)" in joined and "4 × bloco transformer" in joined
    assert joined.count("lugar reservado") == 2  # os blocos e a LayerNorm final


def test_transformer_block_is_pre_ln_with_two_shortcuts():
    ax = draw_transformer_block(SMALL, batch_size=2, num_tokens=5)
    labels = texts(ax)
    order = [
        label for label in labels if label.startswith(("LayerNorm", "atenção", "feed-forward", "dropout"))
    ]
    assert [label.split()[0] for label in order] == [
        "LayerNorm",
        "atenção",
        "dropout",
        "LayerNorm",
        "feed-forward",
        "dropout",
    ]
    assert "feed-forward (ff): 64 → 256 → 64" in labels
    assert labels.count("+") == 2 and labels.count("atalho") == 2
    assert "entrada x: (2, 5, 64)" in labels and "saída: (2, 5, 64)" in labels


def test_generation_loop_shows_the_context_cut():
    labels = texts(draw_generation_loop(context_size=5))
    assert "corta aos últimos\n5 tokens" in labels
    assert any("torch.cat" in label for label in labels)
