import matplotlib

matplotlib.use("Agg")  # sem janela: os testes só conferem o que foi desenhado

import matplotlib.pyplot as plt
import pytest
import torch

from gptlab_helpers import GPTModel, LayerNorm
from gptlab_helpers.generation import next_token_probabilities
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.viz.plots import (
    attention_weights,
    char_category,
    plot_attention_heads,
    plot_dropout_mask,
    plot_losses,
    plot_next_token_probabilities,
    plot_positional_embeddings,
    plot_token_embeddings,
    plot_value_histograms,
    token_label,
)

TEXT = "A figura é poética, mas 1908!\n"


@pytest.fixture
def tokenizer():
    return CharTokenizer.from_text(TEXT)


@pytest.fixture
def model(tokenizer):
    torch.manual_seed(0)
    cfg = {
        "vocab_size": tokenizer.n_vocab,
        "context_length": 32,
        "emb_dim": 16,
        "n_heads": 2,
        "n_layers": 2,
        "drop_rate": 0.0,
        "qkv_bias": False,
    }
    return GPTModel(cfg).eval()


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_loss_curves_have_portuguese_labels():
    history = {"step": [0, 10, 20], "train_loss": [4.0, 3.0, 2.5], "val_loss": [4.1, 3.2, 2.7]}
    ax = plot_losses(history, reference={"GPTLab": 2.02})
    assert [line.get_label() for line in ax.get_lines()[:2]] == ["treino", "validação"]
    assert list(ax.get_lines()[1].get_ydata()) == [4.1, 3.2, 2.7]
    assert ax.get_lines()[2].get_ydata()[0] == 2.02  # a linha de referência, com legenda
    assert "GPTLab: 2,02" in [text.get_text() for text in ax.get_legend().get_texts()]
    assert ax.get_xlabel() == "passo de treino" and "perda" in ax.get_ylabel()


@pytest.mark.parametrize(
    ("char", "category"),
    [("a", "vogal"), ("É", "vogal"), ("ã", "vogal"), ("ç", "consoante"), ("Z", "consoante")]
    + [("7", "dígito"), (",", "pontuação"), ("—", "pontuação"), (" ", "espaço"), ("\n", "espaço")],
)
def test_char_categories(char, category):
    assert char_category(char) == category


@pytest.mark.slow
def test_token_embedding_tsne_has_one_point_per_character(model, tokenizer):
    ax = plot_token_embeddings(model, tokenizer)
    points = sum(len(collection.get_offsets()) for collection in ax.collections)
    assert points == tokenizer.n_vocab
    labels = {text.get_text() for text in ax.texts}
    assert {"é", "␣", "\\n", "1"} <= labels
    assert {text.get_text() for text in ax.get_legend().get_texts()} == {
        "vogal",
        "consoante",
        "dígito",
        "pontuação",
        "espaço",
    }


@pytest.mark.slow
def test_positional_embedding_tsne_links_positions_in_order(model):
    ax = plot_positional_embeddings(model)
    assert len(ax.collections[0].get_offsets()) == 32
    assert list(ax.collections[0].get_array()) == list(range(32))  # cor = posição


def test_attention_weights_are_the_ones_the_block_uses(model, tokenizer):
    idx = torch.tensor([tokenizer.encode(TEXT[:12])])
    weights = attention_weights(model, idx, layer=-1)
    assert weights.shape == (2, 12, 12)
    assert torch.allclose(weights.sum(dim=-1), torch.ones(2, 12))
    assert torch.all(weights.triu(diagonal=1) == 0)  # nada de olhar para o futuro

    # refazendo a saída da atenção com esses pesos, obtemos a mesma saída do módulo
    attention = model.trf_blocks[-1].att
    captured = {}
    hooks = [
        attention.W_value.register_forward_hook(lambda m, i, o: captured.__setitem__("values", o)),
        attention.register_forward_hook(lambda m, i, o: captured.__setitem__("output", o)),
    ]
    with torch.no_grad():
        model(idx)
    for hook in hooks:
        hook.remove()
    context = weights @ attention.split_heads(captured["values"])[0]  # (H, T, head_dim)
    rebuilt = attention.out_proj(context.transpose(0, 1).reshape(12, -1))
    assert torch.allclose(rebuilt, captured["output"][0], atol=1e-5)


def test_attention_heatmaps_one_panel_per_head(model, tokenizer):
    fig = plot_attention_heads(model, tokenizer, TEXT[:10])
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titles == ["cabeça 0", "cabeça 1"]
    # a camada -1 de um modelo de 2 blocos é a camada 1, e o título diz que a conta começa em 0
    assert "camada 1 (contando de 0; o modelo tem 2)" in fig.get_suptitle()
    ticks = [label.get_text() for label in fig.axes[0].get_xticklabels()]
    assert ticks == [token_label(char) for char in TEXT[:10]]
    assert fig.axes[0].get_xticklabels()[0].get_fontsize() >= 8  # legível


def test_value_histograms_show_the_layer_norm_effect():
    generator = torch.Generator().manual_seed(0)
    before = 3 * torch.randn(4, 64, generator=generator) + 2
    after = LayerNorm(64)(before)
    ax = plot_value_histograms(before, after)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend[0].startswith("antes: média 2,") or legend[0].startswith("antes: média 1,")
    assert legend[1] == "depois: média 0,00, desvio 1,00"  # sem "-0,00"
    assert sum(patch.get_height() for patch in ax.patches) == 2 * before.numel()


def test_dropout_mask_counts_the_zeros():
    output = torch.tensor([[0.0, 2.0, 2.0], [0.0, 0.0, 2.0]])
    ax = plot_dropout_mask(output, title="teste")
    assert ax.get_title() == "teste\n3 de 6 valores zerados"
    assert ax.images[0].get_array().tolist() == output.tolist()


def test_next_token_bars_match_the_probabilities(model, tokenizer):
    fig = plot_next_token_probabilities(model, tokenizer, "A fig", temperatures=(0.5, 2.0), top=5)
    axes = [ax for ax in fig.axes if ax.get_title().startswith("temperatura")]
    assert [ax.get_title() for ax in axes] == ["temperatura = 0,5", "temperatura = 2,0"]
    logits = model(torch.tensor([tokenizer.encode("A fig")]))[:, -1, :]
    expected = torch.sort(next_token_probabilities(logits, 0.5)[0], descending=True).values[:5]
    heights = [patch.get_height() for patch in axes[0].patches]
    assert heights == pytest.approx(expected.tolist(), abs=1e-6)
