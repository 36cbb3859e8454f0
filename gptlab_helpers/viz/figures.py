"""Diagramas das aulas, desenhados com matplotlib: caixas, setas e as formas dos tensores.

Nenhuma figura é uma imagem copiada: cada uma é desenhada por código a partir da configuração,
então as formas escritas nas caixas são sempre as do modelo que a aula usa. Cada função desenha
num `Axes` (cria um, se não receber) e devolve esse `Axes`. Os gráficos de dados (perdas,
histogramas, mapas de calor) ficam em `plots.py`.
"""

import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..config import GPT_CONFIG_124M

# cores por papel da peça: a mesma cor quer dizer a mesma coisa em todos os diagramas
COLORS = {
    "dados": "#e8e8e8",
    "embedding": "#cfe2f3",
    "bloco": "#fde9c9",
    "norma": "#d9ead3",
    "atenção": "#f4cccc",
    "feed-forward": "#d9d2e9",
    "dropout": "#fff2cc",
    "saída": "#d0e0e3",
}
BOX_HEIGHT = 0.075


def new_diagram(ax, figsize):
    """Um Axes sem eixos, com coordenadas de 0 a 1 nas duas direções."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    return ax


def box(ax, x, y, text, role, width=0.5, height=BOX_HEIGHT, fontsize=9):
    """Uma caixa arredondada centrada em (x, y), com o texto no meio e a cor do seu papel."""
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.005,rounding_size=0.015",
        facecolor=COLORS[role],
        edgecolor="#444444",
        linewidth=1,
    )
    ax.add_patch(patch)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return patch


def arrow(ax, start, end, color="#333333", style="-|>", connection="arc3"):
    """Uma seta de `start` a `end` (coordenadas do diagrama)."""
    ax.add_patch(
        FancyArrowPatch(
            start, end, arrowstyle=style, mutation_scale=12, color=color, linewidth=1.2,
            connectionstyle=connection, shrinkA=0, shrinkB=0,
        )
    )  # fmt: skip


def shape(*dims):
    """'(2, 4, 768)' a partir dos números."""
    return "(" + ", ".join(str(d) for d in dims) + ")"


def draw_gpt_architecture(cfg=None, batch_size=2, num_tokens=4, placeholder=False, ax=None):
    """O caminho dos dados no GPT, de cima para baixo, com a forma do tensor em cada etapa.

    `cfg` é a configuração (o padrão é GPT_CONFIG_124M); B = `batch_size` e T = `num_tokens`.
    Com `placeholder=True`, os blocos e a normalização aparecem como lugares reservados (aula 01).
    """
    cfg = cfg or GPT_CONFIG_124M
    B, T, C, V = batch_size, num_tokens, cfg["emb_dim"], cfg["vocab_size"]
    ax = new_diagram(ax, figsize=(7.5, 8.5))
    empty = " (lugar reservado)" if placeholder else ""
    steps = [
        (0.93, f"IDs de tokens: (B, T) = {shape(B, T)}", "dados"),
        (0.64, f"soma e dropout (drop_emb): {shape(B, T, C)}", "dropout"),
        (0.50, f"{cfg['n_layers']} × bloco transformer (trf_blocks){empty}\n{shape(B, T, C)}", "bloco"),
        (0.36, f"LayerNorm final (final_norm){empty}: {shape(B, T, C)}", "norma"),
        (0.22, f"cabeça de saída (out_head): Linear {C} → {V}", "saída"),
        (0.07, f"logits: (B, T, V) = {shape(B, T, V)}", "dados"),
    ]
    heights = [0.095 if "\n" in text else BOX_HEIGHT for _, text, _ in steps]
    for (y, text, role), height in zip(steps, heights):
        box(ax, 0.5, y, text, role, width=0.66, height=height)
    box(
        ax,
        0.29,
        0.785,
        f"embedding de tokens\ntok_emb: {shape(B, T, C)}",
        "embedding",
        width=0.4,
        height=0.095,
    )
    box(
        ax, 0.73, 0.785, f"embedding posicional\npos_emb: {shape(T, C)}", "embedding", width=0.4, height=0.095
    )
    arrow(ax, (0.29, 0.89), (0.29, 0.835))
    arrow(ax, (0.73, 0.89), (0.73, 0.835))
    ax.text(0.745, 0.862, "posições 0 … T−1", fontsize=8, color="#555555", va="center")
    arrow(ax, (0.29, 0.735), (0.42, 0.68))
    arrow(ax, (0.73, 0.735), (0.58, 0.68))
    for i in range(1, len(steps) - 1):
        arrow(ax, (0.5, steps[i][0] - heights[i] / 2), (0.5, steps[i + 1][0] + heights[i + 1] / 2))
    ax.set_title("O GPT por dentro: a forma do tensor em cada etapa", fontsize=11)
    ax.text(
        0.01, -0.02, f"B = exemplos no lote, T = tokens, C = emb_dim = {C}, V = vocab_size = {V}", fontsize=8
    )
    return ax


def draw_transformer_block(cfg=None, batch_size=2, num_tokens=4, ax=None):
    """O bloco transformer Pre-LN: LayerNorm → subcamada → dropout → soma com o atalho, duas vezes."""
    cfg = cfg or GPT_CONFIG_124M
    C = cfg["emb_dim"]
    io = shape(batch_size, num_tokens, C)
    ax = new_diagram(ax, figsize=(7, 9))
    steps = [
        (0.95, f"entrada x: {io}", "dados"),
        (0.85, "LayerNorm (norm1)", "norma"),
        (0.75, f"atenção multi-cabeças causal (att), {cfg['n_heads']} cabeças", "atenção"),
        (0.65, "dropout (drop_shortcut)", "dropout"),
        (0.45, "LayerNorm (norm2)", "norma"),
        (0.35, f"feed-forward (ff): {C} → {4 * C} → {C}", "feed-forward"),
        (0.25, "dropout (drop_shortcut)", "dropout"),
        (0.05, f"saída: {io}", "dados"),
    ]
    for y, text, role in steps:
        box(ax, 0.42, y, text, role, width=0.6)
    sums = [0.55, 0.15]
    for y in sums:
        ax.add_patch(plt.Circle((0.42, y), 0.025, facecolor="white", edgecolor="#444444"))
        ax.text(0.42, y, "+", ha="center", va="center", fontsize=13)
    chain = [0.95, 0.85, 0.75, 0.65, 0.55, 0.45, 0.35, 0.25, 0.15, 0.05]
    for upper, lower in zip(chain, chain[1:]):
        top = upper - (0.025 if upper in sums else BOX_HEIGHT / 2)
        bottom = lower + (0.025 if lower in sums else BOX_HEIGHT / 2)
        arrow(ax, (0.42, top), (0.42, bottom))
    # os atalhos: da entrada de cada metade até a soma, por fora de tudo
    for start, end in [(0.905, 0.55), (0.515, 0.15)]:
        ax.plot([0.42, 0.86, 0.86], [start, start, end], color="tab:blue", linewidth=1.4)
        arrow(ax, (0.86, end), (0.445, end), color="tab:blue")
        ax.text(0.875, (start + end) / 2, "atalho", rotation=90, va="center", color="tab:blue", fontsize=9)
    ax.set_title("Bloco transformer Pre-LN (GPT-2):\na LayerNorm vem antes de cada subcamada", fontsize=10)
    ax.text(0.0, -0.03, "A forma (B, T, C) não muda: por isso os blocos se empilham.", fontsize=8)
    return ax


def draw_generation_loop(context_size=1024, ax=None):
    """O laço de `generate_text_simple`: a saída de cada passo volta como entrada do seguinte."""
    ax = new_diagram(ax, figsize=(11, 3.6))
    steps = [
        (0.1, "IDs: (1, T)", "dados"),
        (0.3, f"corta aos últimos\n{context_size} tokens", "dados"),
        (0.5, "GPTModel\nlogits (1, T, V)", "bloco"),
        (0.7, "última posição\nlogits (1, V)", "saída"),
        (0.9, "softmax e argmax\npróximo ID (1, 1)", "saída"),
    ]
    for x, text, role in steps:
        box(ax, x, 0.65, text, role, width=0.17, height=0.28)
    for (x, *_), (next_x, *_) in zip(steps, steps[1:]):
        arrow(ax, (x + 0.085, 0.65), (next_x - 0.085, 0.65))
    ax.plot([0.9, 0.9, 0.1], [0.51, 0.2, 0.2], color="tab:blue", linewidth=1.4)
    arrow(ax, (0.1, 0.2), (0.1, 0.51), color="tab:blue")
    ax.text(0.5, 0.08, "torch.cat: o novo ID entra no fim da sequência, que passa a ter T + 1 tokens",
            ha="center", color="tab:blue", fontsize=9)  # fmt: skip
    ax.set_title("Geração autorregressiva: repete max_new_tokens vezes", fontsize=11)
    return ax
