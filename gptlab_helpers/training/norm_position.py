"""Aula 12: onde pôr a normalização (Pre-LN, Post-LN ou nenhuma) e o que isso muda (as medidas).

Duas medidas: a norma do gradiente de cada bloco logo na inicialização, para 4, 12 ou 24
blocos (`gradient_norms_at_init`), e o treino do GPT de caracteres com cada posição, com e sem
aquecimento da taxa de aprendizado (`train_norm_variants`), marcando os treinos que divergem.
Os gráficos dessas medidas ficam em `viz.norm_position`.
"""

import math
import time

import torch

from ..config import NORM_POSITIONS
from ..gpt import GPTModel
from .loop import batch_loss, train

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
    """Tabela em texto: posição, blocos, norma no primeiro e no último bloco, média, razão último/1º
    e a média dividida pela do Pre-LN com o mesmo número de blocos ("x Pre-LN", quando há Pre-LN)."""
    header = f"{'posição':<11}{'blocos':>7}{'1º bloco':>10}{'último':>10}{'média':>10}{'último/1º':>11}{'x Pre-LN':>10}"
    mean = {key: sum(norms) / len(norms) for key, norms in results.items()}
    lines = [header]
    for (position, depth), norms in results.items():
        first, last = norms[0], norms[-1]
        pre = mean.get(("pre", depth))
        versus_pre = f"{mean[position, depth] / pre:>10.2f}" if pre else f"{'-':>10}"
        lines.append(
            f"{POSITION_LABELS[position]:<11}{depth:>7}{first:>10.3f}{last:>10.3f}{mean[position, depth]:>10.3f}"
            f"{last / first:>11.2f}{versus_pre}"
        )
    return "\n".join(lines)


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
