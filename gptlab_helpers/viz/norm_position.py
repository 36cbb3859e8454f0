"""Aula 12: os gráficos das medidas de `training.norm_position` (normas do gradiente e perdas)."""

import math

import matplotlib.pyplot as plt

from ..config import NORM_POSITIONS
from ..training.norm_position import POSITION_LABELS, diverged
from .plots import new_axes


def plot_gradient_norms(results, ax=None, title="Norma do gradiente por bloco na inicialização"):
    """Uma linha por (posição, blocos): a norma do gradiente de cada bloco, em escala log."""
    ax = new_axes(ax, figsize=(8, 4))
    styles = {"pre": "-", "post": "--", "none": ":"}
    depths = sorted({depth for _, depth in results})
    colors = dict(zip(depths, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for (position, depth), norms in results.items():
        ax.plot(
            range(1, len(norms) + 1),
            norms,
            styles[position],
            color=colors[depth],
            label=f"{POSITION_LABELS[position]}, {depth} blocos",
        )
    ax.set_yscale("log")
    ax.set_title(title)
    ax.set_xlabel("bloco (1 = perto da entrada)")
    ax.set_ylabel("norma L2 do gradiente")
    ax.legend(fontsize="small", ncol=3)
    return ax


def plot_norm_variant_losses(histories, ax=None, title="Perda de validação: posição da norma e aquecimento"):
    """Curvas de perda de validação de `train_norm_variants` (tracejado = sem aquecimento).

    O eixo vertical vai até um pouco acima da perda inicial: um treino que divergiu (perda de
    bilhões, ou nan) sai pelo alto do gráfico em vez de achatar as outras curvas, e a legenda
    diz "divergiu".
    """
    ax = new_axes(ax, figsize=(8, 4))
    colors = dict(zip(NORM_POSITIONS, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    initial = max(history["val_loss"][0] for history in histories.values())
    for (position, warmup), history in histories.items():
        label = f"{POSITION_LABELS[position]}, " + (f"aquecimento {warmup}" if warmup else "sem aquecimento")
        if diverged(history, history["val_loss"][0]):
            label += " (divergiu)"
        # nan e inf não aparecem num gráfico: a curva de um treino que divergiu só para
        losses = [loss if math.isfinite(loss) else float("nan") for loss in history["val_loss"]]
        ax.plot(history["step"], losses, "-" if warmup else "--", color=colors[position], label=label)
    ax.set_ylim(0, initial + 1.0)
    ax.set_title(title)
    ax.set_xlabel("passo de treino")
    ax.set_ylabel("perda de validação (nats)")
    ax.legend(fontsize="small")
    return ax
