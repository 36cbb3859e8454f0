"""Aula 12: onde pôr a normalização (Pre-LN, Post-LN ou nenhuma) e o que isso muda.

Duas medidas: a norma do gradiente de cada bloco logo na inicialização, para 4, 12 ou 24
blocos (`gradient_norms_at_init`), e o treino do GPT de caracteres com cada posição, com e sem
aquecimento da taxa de aprendizado (`train_norm_variants`), marcando os treinos que divergem.
"""

import math
import time

import matplotlib.pyplot as plt
import torch

from .config import NORM_POSITIONS
from .gpt import GPTModel
from .plots import new_axes
from .training import batch_loss, train

# nome de cada posição nos gráficos e tabelas
POSITION_LABELS = {"pre": "Pre-LN", "post": "Post-LN", "none": "sem norma"}


def block_gradient_norms(model, x, y):
    """Norma L2 do gradiente de todos os parâmetros de cada bloco, numa retropropagação.

    x, y: (B, T) -> lista com `n_layers` floats, do primeiro bloco (perto da entrada) ao último
    (perto da saída). O modelo fica em modo eval (sem dropout) e sem gradientes guardados.
    """
    model.eval()
    model.zero_grad(set_to_none=True)
    batch_loss(model, x, y).backward()
    norms = []
    for block in model.trf_blocks:
        squares = [p.grad.pow(2).sum() for p in block.parameters() if p.grad is not None]
        norms.append(torch.stack(squares).sum().sqrt().item())
    model.zero_grad(set_to_none=True)
    return norms


def gradient_norms_at_init(cfg, depths, x, y, positions=NORM_POSITIONS, seed=123):
    """{(posição, blocos): normas por bloco} de modelos recém-criados com a semente `seed`.

    Cada modelo é `GPTModel(cfg)` com `n_layers` e `norm_position` trocados; todos veem o
    mesmo lote x, y (B, T).
    """
    results = {}
    for position in positions:
        for depth in depths:
            torch.manual_seed(seed)
            model = GPTModel(dict(cfg, n_layers=depth, norm_position=position))
            results[(position, depth)] = block_gradient_norms(model, x, y)
    return results


def format_gradient_table(results):
    """Tabela em texto: posição, blocos, norma no primeiro e no último bloco, média e razão."""
    header = f"{'posição':<11}{'blocos':>7}{'1º bloco':>10}{'último':>10}{'média':>10}{'último/1º':>11}"
    lines = [header]
    for (position, depth), norms in results.items():
        first, last, mean = norms[0], norms[-1], sum(norms) / len(norms)
        lines.append(
            f"{POSITION_LABELS[position]:<11}{depth:>7}{first:>10.3f}{last:>10.3f}{mean:>10.3f}{last / first:>11.2f}"
        )
    return "\n".join(lines)


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


def diverged(history, initial_loss):
    """True se o treino divergiu: uma perda de validação não finita (nan, inf) ou a final acima da inicial."""
    losses = history["val_loss"]
    return any(not math.isfinite(loss) for loss in losses) or losses[-1] > initial_loss


def train_norm_variants(cfg, train_ids, val_ids, warmups, positions=NORM_POSITIONS, seed=123, **settings):
    """Treina um modelo por (posição, aquecimento) com o mesmo orçamento e a mesma semente.

    `settings` são os argumentos de `train` (max_steps, learning_rate...); `warmups` é a lista
    de `warmup_steps` a comparar (0 = sem aquecimento). Devolve {(posição, aquecimento):
    histórico}; cada histórico ganha `wall_seconds`, o tempo de relógio do treino.
    """
    histories = {}
    for position in positions:
        for warmup in warmups:
            torch.manual_seed(seed)
            model = GPTModel(dict(cfg, norm_position=position))
            start = time.perf_counter()
            history = train(
                model, train_ids, val_ids, warmup_steps=warmup, seed=seed, show_progress=False, **settings
            )
            history["wall_seconds"] = time.perf_counter() - start
            histories[(position, warmup)] = history
    return histories


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
