"""Explorações interativas (ipywidgets) das aulas 02, 07, 08 e 10.

Cada exploração tem duas partes:

- uma função `*_figure(...)` que desenha uma `Figure` do matplotlib para um conjunto de
  valores (é ela que o nbval compara e que o site do curso mostra, no estado inicial);
- uma função `explore_*(...)` que mostra essa figura no estado inicial e, embaixo, os
  controles (sliders, seletores). Mover um controle redesenha a mesma saída no lugar
  (`display_id`), no JupyterLab e no Colab.

As contas são as do pacote: `next_token_probabilities` (generation.py) para temperatura,
top-k e top-p, a `LayerNorm` de layers.py, `nn.Dropout` e `attention_weights` (viz/plots.py).
"""

import math

import matplotlib.pyplot as plt
import torch
from torch import nn

from ..core.formatting import format_decimal
from ..core.validation import check_non_negative_int, check_positive_int
from ..generation import next_token_probabilities
from ..layers import LayerNorm
from .plots import (
    attention_weights,
    draw_attention_map,
    new_axes,
    plot_dropout_mask,
    plot_value_histograms,
    token_label,
)


def show_exploration(draw, controls):
    """Mostra `draw(**valores iniciais)` e os `controls` ({nome: widget}); devolve o painel.

    A figura inicial é uma saída comum (imagem), que o nbval e o site veem; cada mudança
    num controle troca essa mesma saída pela figura nova. Devolve o `VBox` dos controles.
    """
    import ipywidgets
    from IPython.display import display

    def render():
        figure = draw(**{name: widget.value for name, widget in controls.items()})
        plt.close(figure)  # sem isto o backend inline desenharia a figura de novo no fim da célula
        return figure

    handle = display(render(), display_id=True)
    for widget in controls.values():
        widget.observe(lambda change: handle.update(render()), names="value")
    panel = ipywidgets.VBox(list(controls.values()))
    display(panel)
    return panel


def slider(kind, description, value, **limits):
    """Um slider do ipywidgets, `kind` "float" ou "int", com a descrição em `description`.

    `continuous_update=False`: a figura é redesenhada quando o slider para, não a cada pixel.
    """
    import ipywidgets

    widget = {"float": ipywidgets.FloatSlider, "int": ipywidgets.IntSlider}[kind]
    style = {"description_width": "initial"}
    return widget(value=value, description=description, continuous_update=False, style=style, **limits)


def check_number(value, name, low=-math.inf, high=math.inf):
    """Confere que `value` é um número finito em [low, high] (mensagem em português)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{name} deve ser um número finito, mas vale {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} deve estar entre {low} e {high}, mas vale {value!r}")


def check_labels(labels, count, what):
    if len(labels) != count:
        raise ValueError(f"labels tem {len(labels)} rótulos, mas {what} tem {count}; dê um rótulo para cada")


def check_text(tokenizer, text):
    """Os IDs de `text` (precisa dar pelo menos um token)."""
    ids = tokenizer.encode(text) if isinstance(text, str) else []
    if not ids:
        raise ValueError(f"text deve ser um texto com pelo menos um token, mas vale {text!r}")
    return ids


def sampling_figure(logits, labels, temperature=1.0, top_k=0, top_p=1.0, top=10, title=None):
    """Barras das probabilidades dos `top` tokens mais prováveis depois de temperatura, top-k e top-p.

    `logits` (V,) são os logits do próximo token; `labels[i]` é o texto do token i do
    recorte (os `top` de maior logit, em ordem). `top_k=0` e `top_p=1` desligam os filtros.
    Os tokens cortados ficam com probabilidade 0 (sem barra).
    """
    if not isinstance(logits, torch.Tensor) or logits.dim() != 1:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"logits deve ser um tensor 1-D (V,) com os logits do próximo token, mas é {shape}")
    check_positive_int(top, "top")
    if top > logits.numel():
        raise ValueError(f"top={top} é maior que o vocabulário ({logits.numel()} tokens)")
    check_labels(labels, top, "top")
    check_non_negative_int(top_k, "top_k (0 = desligado)")
    check_number(top_p, "top_p (1 = desligado)")
    if not 0 < top_p <= 1:
        raise ValueError(f"top_p deve estar em (0, 1] (1 = desligado), mas vale {top_p!r}")
    chosen = torch.topk(logits, top).indices
    probas = next_token_probabilities(
        logits[None], temperature, top_k=top_k or None, top_p=top_p if top_p < 1 else None
    )[0, chosen]
    fig, ax = plt.subplots(figsize=(8, 3.6), layout="constrained")
    kept = probas > 0
    ax.bar(range(top), probas.numpy(), color="tab:blue", edgecolor="black")
    ax.set_xticks(range(top), labels, rotation=30, ha="right")
    ax.set_ylim(0, float(probas.max()) * 1.15)  # a escala segue as barras, mesmo minúsculas
    ax.set_xlabel("próximo token (os mais prováveis a temperatura 1)")
    ax.set_ylabel("probabilidade")
    filters = f"temperatura {format_decimal(temperature, 2)}, top-k {top_k or 'desligado'}, "
    filters += f"top-p {format_decimal(top_p, 2) if top_p < 1 else 'desligado'}"
    ax.set_title(f"{title or 'Probabilidades do próximo token'}\n{filters}; {int(kept.sum())} de {top} ficam")
    return fig


@torch.no_grad()
def explore_sampling(model, tokenizer, text, top=10):
    """Sliders de temperatura, top-k e top-p sobre o próximo token depois de `text` (aula 08)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    logits = model(torch.tensor([check_text(tokenizer, text)], device=device))[0, -1].detach().float().cpu()
    model.train(was_training)
    chosen = torch.topk(logits, top).indices.tolist()
    labels = [token_label(tokenizer.decode([i])) for i in chosen]
    title = f"Próximo token depois de {text!r}"

    def draw(temperature, top_k, top_p):
        return sampling_figure(logits, labels, temperature, top_k, top_p, top=top, title=title)

    return show_exploration(
        draw,
        {
            "temperature": slider("float", "temperatura", 1.0, min=0.1, max=3.0, step=0.1),
            "top_k": slider("int", "top-k (0 = desligado)", 0, min=0, max=top),
            "top_p": slider("float", "top-p (1 = desligado)", 1.0, min=0.05, max=1.0, step=0.05),
        },
    )


def dropout_figure(drop_rate, shape=(8, 8), seed=123):
    """A máscara de `nn.Dropout(drop_rate)` numa matriz de uns e o reescalonamento 1/(1 − p).

    O mesmo `seed` a cada chamada: mudar só a taxa mostra quantos zeros a mais aparecem.
    """
    check_number(drop_rate, "drop_rate (a taxa de dropout p)", 0, 1)
    if len(shape) != 2:
        raise ValueError(f"shape deve ter 2 dimensões (linhas, colunas), mas vale {shape!r}")
    generator_state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        dropped = nn.Dropout(drop_rate).train()(torch.ones(shape))
    finally:
        torch.random.set_rng_state(generator_state)  # não mexe no sorteio do resto da aula
    fig, ax = plt.subplots(figsize=(5.5, 4.8), layout="constrained")
    scale = (
        "sem sobreviventes"
        if drop_rate == 1
        else f"sobreviventes valem {format_decimal(1 / (1 - drop_rate), 2)}"
    )
    plot_dropout_mask(dropped, ax=ax, title=f"Dropout p = {format_decimal(drop_rate, 2)} ({scale})")
    return fig


def explore_dropout(shape=(8, 8), seed=123):
    """Slider da taxa de dropout: a máscara e o valor dos sobreviventes (aula 07)."""
    return show_exploration(
        lambda drop_rate: dropout_figure(drop_rate, shape, seed),
        {"drop_rate": slider("float", "taxa de dropout p", 0.5, min=0.0, max=0.95, step=0.05)},
    )


@torch.no_grad()
def layer_norm_figure(batch, scale=1.0, shift=0.0):
    """Histogramas de `batch` antes e depois de uma `LayerNorm` com `scale` e `shift` constantes.

    Depois da normalização, cada vetor tem média 0 e variância 1; `scale` multiplica e
    `shift` soma, então a média vai para `shift` e o desvio para |`scale`|.
    """
    if not isinstance(batch, torch.Tensor) or not batch.dtype.is_floating_point or batch.dim() < 2:
        described = f"{batch.dtype} {tuple(batch.shape)}" if isinstance(batch, torch.Tensor) else type(batch)
        raise ValueError(f"batch deve ser um tensor de floats (B, C) ou (B, T, C), mas é {described}")
    check_number(scale, "scale")
    check_number(shift, "shift")
    norm = LayerNorm(batch.shape[-1])
    norm.scale.fill_(scale)
    norm.shift.fill_(shift)
    fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    title = f"LayerNorm com scale = {format_decimal(scale, 1)} e shift = {format_decimal(shift, 1)}"
    plot_value_histograms(batch, norm(batch), ax=ax, title=title)
    return fig


def explore_layer_norm(batch):
    """Sliders de `scale` e `shift` sobre o histograma de um lote antes/depois da LayerNorm (aula 02)."""
    return show_exploration(
        lambda scale, shift: layer_norm_figure(batch, scale, shift),
        {
            "scale": slider("float", "scale", 1.0, min=-3.0, max=3.0, step=0.1),
            "shift": slider("float", "shift", 0.0, min=-3.0, max=3.0, step=0.1),
        },
    )


def attention_head_figure(weights, labels, layer, head):
    """Mapa de calor dos pesos de atenção (T, T) de uma cabeça; linhas: query, colunas: key."""
    if weights.dim() != 2 or weights.shape[0] != weights.shape[1]:
        raise ValueError(
            f"weights deve ser (T, T), uma cabeça de uma camada, mas tem forma {tuple(weights.shape)}"
        )
    check_labels(labels, weights.shape[0], "weights")
    fig = plt.figure(figsize=(6.5, 5.6), layout="constrained")
    ax = new_axes(fig.add_subplot())
    image = draw_attention_map(ax, weights, labels, f"Camada {layer}, cabeça {head} (contando de 0)")
    fig.colorbar(image, ax=ax, label="peso de atenção", shrink=0.8)
    return fig


def explore_attention(model, tokenizer, text):
    """Seletores de camada e cabeça para os mapas de atenção de `text` (aula 10)."""
    import ipywidgets

    device = next(model.parameters()).device
    idx = torch.tensor([check_text(tokenizer, text)], device=device)
    weights = [attention_weights(model, idx, layer).cpu() for layer in range(len(model.trf_blocks))]
    labels = [token_label(tokenizer.decode([i])) for i in idx[0].tolist()]

    def draw(layer, head):
        return attention_head_figure(weights[layer][head], labels, layer, head)

    def picker(description, count, value):
        return ipywidgets.Dropdown(options=list(range(count)), value=value, description=description)

    return show_exploration(
        draw,
        {
            "layer": picker("camada", len(weights), len(weights) - 1),
            "head": picker("cabeça", weights[0].shape[0], 0),
        },
    )
