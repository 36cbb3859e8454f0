"""As explorações interativas (gptlab_helpers/viz/explorations.py), sem kernel nem navegador.

As funções de figura são conferidas pelo que desenham (barras, máscara, histogramas, mapa de
calor, títulos e rótulos). As de widget rodam num `InteractiveShell` do IPython com a saída
capturada: dá para ver os controles montados, a figura inicial publicada com um `display_id`
e, ao mudar o valor de um controle por código (o que o ipywidgets faz quando o slider se
move), a mesma saída atualizada com a figura nova.
"""

import re

import matplotlib

matplotlib.use("Agg")  # sem janela: os testes só conferem o que foi desenhado

import ipywidgets
import matplotlib.pyplot as plt
import pytest
import torch
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.pylabtools import select_figure_formats
from IPython.utils.capture import capture_output
from torch import nn

from gptlab_helpers import GPTModel
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.viz.explorations import (
    attention_head_figure,
    dropout_figure,
    explore_attention,
    explore_dropout,
    explore_layer_norm,
    explore_sampling,
    layer_norm_figure,
    sampling_figure,
    show_exploration,
)
from gptlab_helpers.viz.plots import attention_weights, token_label

LOGITS = torch.tensor([3.0, 2.5, 2.0, 1.6, 1.2, 0.9, 0.5, 0.2, -0.3, -0.8, -1.5, -2.0])
LABELS = [f"t{i}" for i in range(10)]  # os 10 de maior logit, em ordem (LOGITS já está ordenado)
TEXT = "A casa é poética, mas 1908!\n"


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def bar_heights(fig):
    return [patch.get_height() for patch in fig.axes[0].patches]


def title(fig):
    return fig.axes[0].get_title()


# --- temperatura, top-k e top-p (aula 08) ---------------------------------------------------


def test_sampling_figure_draws_the_top_tokens_with_portuguese_labels():
    fig = sampling_figure(LOGITS, LABELS)
    ax = fig.axes[0]
    assert len(ax.patches) == 10
    assert [tick.get_text() for tick in ax.get_xticklabels()] == LABELS
    assert ax.get_ylabel() == "probabilidade"
    assert ax.get_xlabel() == "próximo token (os mais prováveis a temperatura 1)"
    assert title(fig) == (
        "Probabilidades do próximo token\ntemperatura 1,00, top-k desligado, top-p desligado; 10 de 10 ficam"
    )
    expected = torch.softmax(LOGITS, dim=-1)[:10]
    assert bar_heights(fig) == pytest.approx(expected.tolist(), rel=1e-5)
    assert sum(bar_heights(fig)) < 1  # os 2 tokens fora do recorte ficam com o resto


def test_higher_temperature_flattens_the_bars_and_lower_sharpens():
    cold, neutral, hot = (bar_heights(sampling_figure(LOGITS, LABELS, t)) for t in (0.5, 1.0, 2.5))
    assert max(cold) > max(neutral) > max(hot)
    assert min(cold) < min(neutral) < min(hot)
    assert "temperatura 2,50" in title(sampling_figure(LOGITS, LABELS, 2.5))


def test_top_k_3_keeps_exactly_the_3_most_likely_bars():
    fig = sampling_figure(LOGITS, LABELS, top_k=3)
    heights = bar_heights(fig)
    assert [h > 0 for h in heights] == [True] * 3 + [False] * 7
    assert sum(heights) == pytest.approx(1.0)  # renormalizado entre os 3
    assert heights[:3] == pytest.approx(torch.softmax(LOGITS[:3], dim=-1).tolist(), rel=1e-5)
    assert title(fig).endswith("top-k 3, top-p desligado; 3 de 10 ficam")


def test_top_p_cuts_the_smallest_group_that_reaches_p():
    probas = torch.softmax(LOGITS, dim=-1)
    heights = bar_heights(sampling_figure(LOGITS, LABELS, top_p=0.6))
    kept = sum(h > 0 for h in heights)
    assert [h > 0 for h in heights] == [True] * kept + [False] * (10 - kept)
    assert probas[:kept].sum() >= 0.6 > probas[: kept - 1].sum()  # o menor grupo que soma 0,6
    assert 1 < kept < 10
    assert sum(heights) == pytest.approx(1.0)
    assert "top-p 0,60" in title(sampling_figure(LOGITS, LABELS, top_p=0.6))


def test_top_k_and_top_p_together_keep_the_intersection():
    only_p = sum(h > 0 for h in bar_heights(sampling_figure(LOGITS, LABELS, top_p=0.9)))
    both = sum(h > 0 for h in bar_heights(sampling_figure(LOGITS, LABELS, top_k=2, top_p=0.9)))
    assert only_p > 2 and both == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": 0}, "temperature=0 não há sorteio"),
        ({"temperature": -1.0}, "temperature deve ser um número >= 0"),
        ({"top_k": -1}, "top_k (0 = desligado) deve ser um inteiro >= 0"),
        ({"top_k": 2.5}, "top_k (0 = desligado) deve ser um inteiro >= 0"),
        ({"top_p": 1.5}, "top_p deve estar em (0, 1] (1 = desligado)"),
        ({"top_p": 0.0}, "top_p deve estar em (0, 1] (1 = desligado)"),
        ({"top_p": float("nan")}, "top_p (1 = desligado) deve ser um número finito"),
        ({"labels": LABELS[:4]}, "labels tem 4 rótulos, mas top tem 10"),
        ({"top": 20, "labels": [str(i) for i in range(20)]}, "top=20 é maior que o vocabulário (12 tokens)"),
        ({"top": 0, "labels": []}, "top deve ser um inteiro positivo"),
        ({"logits": LOGITS[None]}, "logits deve ser um tensor 1-D (V,)"),
    ],
)
def test_sampling_figure_rejects_bad_input_in_portuguese(kwargs, message):
    arguments = {"logits": LOGITS, "labels": LABELS, **kwargs}
    with pytest.raises(ValueError, match=re.escape(message)):
        sampling_figure(**arguments)


# --- dropout (aula 07) ------------------------------------------------------------------------


def mask_values(fig):
    return torch.tensor(fig.axes[0].images[0].get_array())


def test_dropout_figure_shows_the_mask_and_the_rescaling():
    fig = dropout_figure(0.5)
    values = mask_values(fig)
    zeros = int((values == 0).sum())
    assert values.shape == (8, 8)
    assert set(values.unique().tolist()) == {0.0, 2.0}  # sobreviventes valem 1/(1 − 0,5)
    assert title(fig) == f"Dropout p = 0,50 (sobreviventes valem 2,00)\n{zeros} de 64 valores zerados"
    assert fig.axes[0].get_xlabel() == "coluna" and fig.axes[0].get_ylabel() == "linha"
    assert fig.axes[1].get_ylabel() == "valor depois do dropout"  # a barra de cores


def test_a_higher_dropout_rate_zeroes_more_and_scales_the_survivors_more():
    low, high = mask_values(dropout_figure(0.2)), mask_values(dropout_figure(0.8))
    assert int((low == 0).sum()) < int((high == 0).sum())
    assert low[low > 0].unique().tolist() == pytest.approx([1 / 0.8])
    assert high[high > 0].unique().tolist() == pytest.approx([1 / 0.2])
    assert "sobreviventes valem 5,00" in title(dropout_figure(0.8))


@pytest.mark.parametrize("drop_rate", [0.1, 0.5, 0.9])
def test_the_dropped_fraction_is_close_to_p_on_a_big_mask(drop_rate):
    values = mask_values(dropout_figure(drop_rate, shape=(100, 100)))
    assert abs(float((values == 0).float().mean()) - drop_rate) < 0.02


def test_dropout_extremes():
    assert bool((mask_values(dropout_figure(0.0)) == 1).all())
    fig = dropout_figure(1.0)
    assert bool((mask_values(fig) == 0).all())
    assert title(fig) == "Dropout p = 1,00 (sem sobreviventes)\n64 de 64 valores zerados"


def test_dropout_figure_repeats_its_draw_and_leaves_the_global_generator_alone():
    assert torch.equal(mask_values(dropout_figure(0.5)), mask_values(dropout_figure(0.5)))
    assert not torch.equal(mask_values(dropout_figure(0.5, seed=1)), mask_values(dropout_figure(0.5)))
    torch.manual_seed(7)
    expected = torch.rand(3)
    torch.manual_seed(7)
    dropout_figure(0.5)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"drop_rate": -0.1}, "drop_rate (a taxa de dropout p) deve estar entre 0 e 1"),
        ({"drop_rate": 1.5}, "drop_rate (a taxa de dropout p) deve estar entre 0 e 1"),
        ({"drop_rate": "0.5"}, "drop_rate (a taxa de dropout p) deve ser um número finito"),
        ({"drop_rate": 0.5, "shape": (4,)}, "shape deve ter 2 dimensões (linhas, colunas)"),
    ],
)
def test_dropout_figure_rejects_bad_input_in_portuguese(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        dropout_figure(**kwargs)


# --- LayerNorm (aula 02) ----------------------------------------------------------------------


@pytest.fixture
def lote():
    torch.manual_seed(0)
    return torch.randn(4, 6, 64) * 3 + 5  # média perto de 5, desvio perto de 3


def histogram_stats(fig, index):
    """Média e desvio aproximados do histograma `index` (0 antes, 1 depois), pelas barras."""
    bars = fig.axes[0].containers[index]
    centers = torch.tensor([bar.get_x() + bar.get_width() / 2 for bar in bars])
    counts = torch.tensor([bar.get_height() for bar in bars])
    mean = (centers * counts).sum() / counts.sum()
    std = (((centers - mean) ** 2 * counts).sum() / counts.sum()).sqrt()
    return float(mean), float(std)


def legend(fig):
    return [text.get_text() for text in fig.axes[0].get_legend().get_texts()]


def test_layer_norm_figure_draws_before_and_after_with_portuguese_labels(lote):
    fig = layer_norm_figure(lote)
    ax = fig.axes[0]
    assert len(ax.containers) == 2 and len(ax.patches) == 80  # 40 barras em cada histograma
    assert ax.get_title() == "LayerNorm com scale = 1,0 e shift = 0,0"
    assert ax.get_xlabel() == "valor" and ax.get_ylabel() == "quantidade de valores"
    before, after = legend(fig)
    assert before.startswith("antes: média 5,") and after == "depois: média 0,00, desvio 1,00"
    assert histogram_stats(fig, 1) == pytest.approx((0.0, 1.0), abs=0.1)


@pytest.mark.parametrize(("scale", "shift"), [(2.0, 1.0), (0.5, -2.0), (-1.5, 0.5)])
def test_scale_and_shift_move_the_histogram(lote, scale, shift):
    fig = layer_norm_figure(lote, scale, shift)
    mean, std = histogram_stats(fig, 1)
    assert mean == pytest.approx(shift, abs=0.1)
    assert std == pytest.approx(abs(scale), rel=0.1)
    match = re.fullmatch(r"depois: média (-?\d+,\d\d), desvio (\d+,\d\d)", legend(fig)[1])
    assert float(match[1].replace(",", ".")) == pytest.approx(shift, abs=0.01)
    assert float(match[2].replace(",", ".")) == pytest.approx(abs(scale), abs=0.01)
    assert histogram_stats(fig, 0) == pytest.approx(histogram_stats(layer_norm_figure(lote), 0))
    assert f"scale = {scale:.1f}".replace(".", ",") in title(fig)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"batch": torch.arange(12).reshape(3, 4)}, "batch deve ser um tensor de floats (B, C) ou (B, T, C)"),
        ({"batch": torch.randn(8)}, "batch deve ser um tensor de floats (B, C) ou (B, T, C)"),
        ({"batch": [[1.0, 2.0]]}, "batch deve ser um tensor de floats (B, C) ou (B, T, C)"),
        ({"scale": float("inf")}, "scale deve ser um número finito"),
        ({"shift": None}, "shift deve ser um número finito"),
    ],
)
def test_layer_norm_figure_rejects_bad_input_in_portuguese(lote, kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        layer_norm_figure(**{"batch": lote, **kwargs})


# --- mapas de atenção (aula 10) ---------------------------------------------------------------


def causal_weights(size):
    torch.manual_seed(0)
    scores = torch.randn(size, size).masked_fill(torch.ones(size, size).triu(1).bool(), -torch.inf)
    return torch.softmax(scores, dim=-1)


def test_attention_head_figure_draws_the_weights_with_portuguese_labels():
    weights, labels = causal_weights(4), ["O", "␣gato", "␣viu", "."]
    fig = attention_head_figure(weights, labels, layer=1, head=0)
    ax = fig.axes[0]
    assert torch.tensor(ax.images[0].get_array()).allclose(weights)
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    assert ax.get_xlabel() == "token observado (key)" and ax.get_ylabel() == "token que observa (query)"
    assert ax.get_title() == "Camada 1, cabeça 0 (contando de 0)"
    assert fig.axes[1].get_ylabel() == "peso de atenção"


@pytest.mark.parametrize(
    ("weights", "labels", "message"),
    [
        (causal_weights(4)[None], list("abcd"), "weights deve ser (T, T), uma cabeça de uma camada"),
        (causal_weights(4)[:3], list("abc"), "weights deve ser (T, T)"),
        (causal_weights(4), list("abc"), "labels tem 3 rótulos, mas weights tem 4"),
    ],
)
def test_attention_head_figure_rejects_bad_input_in_portuguese(weights, labels, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        attention_head_figure(weights, labels, 0, 0)


# --- os widgets, num shell do IPython ----------------------------------------------------------


@pytest.fixture(scope="module")
def shell():
    """Um `InteractiveShell` que formata figuras como PNG (como o backend inline do Jupyter)."""
    created = not InteractiveShell.initialized()
    shell = InteractiveShell.instance()
    select_figure_formats(shell, {"png"})
    yield shell
    if created:
        InteractiveShell.clear_instance()


def png(shell, fig):
    """O PNG que o Jupyter mostraria para `fig`."""
    data, _ = shell.display_formatter.format(fig)
    plt.close(fig)
    return data["image/png"]


class Session:
    """Roda uma exploração com a saída capturada; guarda a figura inicial e o painel."""

    def __init__(self, shell, start):
        self.shell = shell
        self.captured = capture_output()
        with self.captured as outputs:
            self.panel = start()
        self.outputs = outputs.outputs
        self.figure, self.view = self.outputs
        self.display_id = self.figure.transient["display_id"]

    def controls(self):
        return {widget.description: widget for widget in self.panel.children}

    def move(self, description, value):
        """Muda o valor de um controle como o navegador faz e devolve a saída publicada."""
        with self.captured as outputs:
            self.controls()[description].value = value
        (update,) = outputs.outputs
        return update


def assert_redrawn(session, update, expected_png):
    assert update.update is True  # troca a saída existente, não acrescenta outra
    assert update.transient["display_id"] == session.display_id
    assert update.data["image/png"] == expected_png
    assert update.data["image/png"] != session.figure.data["image/png"]


def assert_slider(widget, kind, value, low, high, step=None):
    assert type(widget) is kind
    assert (widget.value, widget.min, widget.max) == (value, low, high)
    if step is not None:
        assert widget.step == pytest.approx(step)
    assert widget.continuous_update is False  # redesenha quando o slider para


def test_show_exploration_shows_the_initial_figure_then_the_controls(shell):
    calls = []

    def draw(a, b):
        calls.append((a, b))
        fig, ax = plt.subplots()
        ax.plot([0, 1], [a, b])
        return fig

    first, second = ipywidgets.IntSlider(value=1), ipywidgets.IntSlider(value=2)
    open_before = plt.get_fignums()
    session = Session(shell, lambda: show_exploration(draw, {"a": first, "b": second}))
    assert calls == [(1, 2)]
    assert "image/png" in session.figure.data and session.display_id
    assert session.view.data["application/vnd.jupyter.widget-view+json"]["model_id"] == session.panel.model_id
    assert list(session.panel.children) == [first, second]
    with session.captured as outputs:
        second.value = 5
    assert calls == [(1, 2), (1, 5)]  # cada controle entra pelo nome dele
    assert outputs.outputs[0].update and outputs.outputs[0].transient["display_id"] == session.display_id
    assert plt.get_fignums() == open_before  # as figuras foram fechadas (o inline não as repete)


def test_explore_dropout_builds_the_slider_and_redraws(shell):
    session = Session(shell, explore_dropout)
    (name,) = session.controls()
    assert name == "taxa de dropout p"
    assert_slider(session.controls()[name], ipywidgets.FloatSlider, 0.5, 0.0, 0.95, 0.05)
    assert session.figure.data["image/png"] == png(shell, dropout_figure(0.5))
    assert_redrawn(session, session.move(name, 0.2), png(shell, dropout_figure(0.2)))
    assert session.move(name, 0.5).data["image/png"] == session.figure.data["image/png"]


def test_explore_layer_norm_builds_two_sliders_and_redraws(shell, lote):
    session = Session(shell, lambda: explore_layer_norm(lote))
    controls = session.controls()
    assert list(controls) == ["scale", "shift"]
    assert_slider(controls["scale"], ipywidgets.FloatSlider, 1.0, -3.0, 3.0, 0.1)
    assert_slider(controls["shift"], ipywidgets.FloatSlider, 0.0, -3.0, 3.0, 0.1)
    assert session.figure.data["image/png"] == png(shell, layer_norm_figure(lote))
    assert_redrawn(session, session.move("shift", 1.5), png(shell, layer_norm_figure(lote, 1.0, 1.5)))
    update = session.move("scale", 2.0)
    assert update.data["image/png"] == png(shell, layer_norm_figure(lote, 2.0, 1.5))


class FixedLogits(nn.Module):
    """Um "modelo" que devolve sempre os mesmos logits do próximo token e guarda o que recebeu."""

    def __init__(self, logits):
        super().__init__()
        self.logits = nn.Parameter(logits.clone())
        self.seen, self.modes = [], []

    def forward(self, idx):
        self.seen.append(idx)
        self.modes.append(self.training)
        return self.logits.expand(idx.shape[0], idx.shape[1], -1)


@pytest.fixture
def char_tokenizer():
    return CharTokenizer.from_text(TEXT)


def test_explore_sampling_builds_three_sliders_over_the_model_logits(shell, char_tokenizer):
    torch.manual_seed(0)
    logits = torch.randn(char_tokenizer.n_vocab) * 2
    model = FixedLogits(logits).train()
    session = Session(shell, lambda: explore_sampling(model, char_tokenizer, "A casa", top=8))
    assert model.seen[0].tolist() == [char_tokenizer.encode("A casa")]
    assert model.modes == [False] and model.training  # avalia em modo eval e devolve o modo de treino
    controls = session.controls()
    assert list(controls) == ["temperatura", "top-k (0 = desligado)", "top-p (1 = desligado)"]
    assert_slider(controls["temperatura"], ipywidgets.FloatSlider, 1.0, 0.1, 3.0, 0.1)
    assert_slider(controls["top-k (0 = desligado)"], ipywidgets.IntSlider, 0, 0, 8)
    assert_slider(controls["top-p (1 = desligado)"], ipywidgets.FloatSlider, 1.0, 0.05, 1.0, 0.05)
    top = torch.topk(logits, 8).indices.tolist()
    labels = [token_label(char_tokenizer.decode([i])) for i in top]

    def expected(temperature=1.0, top_k=0, top_p=1.0):
        fig = sampling_figure(
            logits, labels, temperature, top_k, top_p, top=8, title="Próximo token depois de 'A casa'"
        )
        return png(shell, fig)

    assert session.figure.data["image/png"] == expected()
    assert_redrawn(session, session.move("top-k (0 = desligado)", 3), expected(top_k=3))
    update = session.move("temperatura", 2.0)
    assert update.data["image/png"] == expected(temperature=2.0, top_k=3)


def test_explore_sampling_rejects_an_empty_text(shell, char_tokenizer):
    model = FixedLogits(torch.zeros(char_tokenizer.n_vocab))
    with pytest.raises(ValueError, match="text deve ser um texto com pelo menos um token"):
        explore_sampling(model, char_tokenizer, "")
    assert model.seen == []


def test_explore_attention_builds_layer_and_head_pickers_and_redraws(shell, char_tokenizer):
    torch.manual_seed(0)
    cfg = {"vocab_size": char_tokenizer.n_vocab, "context_length": 16, "emb_dim": 16, "n_heads": 2}
    model = GPTModel({**cfg, "n_layers": 3, "drop_rate": 0.0, "qkv_bias": False}).eval()
    text = "A casa é"
    session = Session(shell, lambda: explore_attention(model, char_tokenizer, text))
    controls = session.controls()
    assert list(controls) == ["camada", "cabeça"]
    assert all(type(widget) is ipywidgets.Dropdown for widget in controls.values())
    assert controls["camada"].options == (0, 1, 2) and controls["camada"].value == 2
    assert controls["cabeça"].options == (0, 1) and controls["cabeça"].value == 0
    idx = torch.tensor([char_tokenizer.encode(text)])
    labels = [token_label(char_tokenizer.decode([i])) for i in idx[0].tolist()]

    def expected(layer, head):
        return png(
            shell, attention_head_figure(attention_weights(model, idx, layer)[head], labels, layer, head)
        )

    assert session.figure.data["image/png"] == expected(2, 0)
    assert_redrawn(session, session.move("cabeça", 1), expected(2, 1))
    assert session.move("camada", 0).data["image/png"] == expected(0, 1)


def test_tiny_probabilities_still_fill_the_axis():
    """Um modelo sem treino dá ~1/V a cada token: as barras têm de aparecer, não sumir no eixo."""
    torch.manual_seed(0)
    logits = torch.randn(50257) * 0.1
    fig = sampling_figure(logits, LABELS, top=10)
    top = max(bar_heights(fig))
    assert top < 0.001
    assert fig.axes[0].get_ylim() == pytest.approx((0, top * 1.15))
