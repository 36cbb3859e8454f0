"""Gráficos para olhar um GPT treinado: curvas de perda, embeddings, atenção e probabilidades.

Cada função desenha num `matplotlib` (e devolve o `Axes` ou a `Figure`), com títulos e
eixos em português. `attention_weights` calcula os pesos de atenção de uma camada sem mexer
no modelo: ganchos (hooks) capturam as queries e as keys que o próprio módulo calcula.
"""

import unicodedata

import matplotlib.pyplot as plt
import numpy as np
import torch
from sklearn.manifold import TSNE

from ..core.formatting import format_decimal
from ..generation import next_token_probabilities

CATEGORY_COLORS = {
    "vogal": "tab:red",
    "consoante": "tab:blue",
    "dígito": "tab:green",
    "pontuação": "tab:orange",
    "espaço": "tab:gray",
}


def new_axes(ax, figsize=(7, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_losses(history, ax=None, reference=None, title="Perda durante o treino"):
    """Curvas de perda de treino e de validação de um histórico de `train(...)`.

    `reference` é um dict {rótulo: valor} desenhado como linhas horizontais cinzentas, com a
    legenda (por exemplo, as perdas que o GPTLab alcançou). São só níveis de perda: o eixo x é
    o dos nossos passos, e o rótulo de cada linha deve dizer em que treino o valor foi medido.
    """
    ax = new_axes(ax)
    ax.plot(history["step"], history["train_loss"], label="treino")
    ax.plot(history["step"], history["val_loss"], label="validação")
    for (label, value), style in zip((reference or {}).items(), ["--", ":", "-."] * 3):
        ax.axhline(
            value, linestyle=style, linewidth=1, color="gray", label=f"{label}: {format_decimal(value, 2)}"
        )
    ax.set_title(title)
    ax.set_xlabel("passo de treino")
    ax.set_ylabel("perda (entropia cruzada, nats)")
    ax.legend()
    return ax


def plot_value_histograms(before, after, ax=None, title="Valores antes e depois da LayerNorm", bins=40):
    """Histogramas sobrepostos dos valores de dois tensores (por exemplo, antes e depois da LayerNorm).

    `before` e `after` são tensores de qualquer forma; todos os valores entram no histograma.
    A legenda traz a média e o desvio-padrão de cada um.
    """
    ax = new_axes(ax)
    for values, label, color in [(before, "antes", "tab:gray"), (after, "depois", "tab:green")]:
        flat = values.detach().flatten().float()
        mean, std = (round(v.item(), 2) + 0.0 for v in (flat.mean(), flat.std()))  # + 0.0: sem "-0,00"
        summary = f"{label}: média {format_decimal(mean, 2)}, desvio {format_decimal(std, 2)}"
        ax.hist(flat.numpy(), bins=bins, alpha=0.6, color=color, label=summary)
    ax.set_title(title)
    ax.set_xlabel("valor")
    ax.set_ylabel("quantidade de valores")
    ax.legend()
    return ax


def plot_dropout_mask(output, ax=None, title="Saída do dropout"):
    """Mapa de calor de uma saída de dropout (2-D): zeros em preto, sobreviventes em cor.

    Numa matriz de uns, cada sobrevivente vale 1/(1 − p), e a barra de cores mostra esse valor.
    """
    values = output.detach().float().numpy()
    ax = new_axes(ax, figsize=(5, 4.5))
    image = ax.imshow(values, cmap="magma", vmin=0)
    ax.figure.colorbar(image, ax=ax, label="valor depois do dropout")
    zeros = int((values == 0).sum())
    ax.set_title(f"{title}\n{zeros} de {values.size} valores zerados")
    ax.set_xlabel("coluna")
    ax.set_ylabel("linha")
    return ax


def token_label(text):
    """Como mostrar um token num gráfico: a quebra de linha vira '\\n' e o espaço, '␣'."""
    return text.replace("\n", "\\n").replace(" ", "␣")


def char_category(char):
    """'vogal', 'consoante', 'dígito', 'pontuação' ou 'espaço' (acentos contam como vogal)."""
    if char.isspace():
        return "espaço"
    if char.isdigit():
        return "dígito"
    if char.isalpha():
        base = unicodedata.normalize("NFD", char)[0].lower()  # 'É' -> 'e'
        return "vogal" if base in "aeiou" else "consoante"
    return "pontuação"


def tsne_2d(vectors, seed=0):
    """Projeta vetores (N, C) em 2-D com t-SNE: (N, C) -> array (N, 2).

    O t-SNE tenta manter perto, no plano, os vetores que estão perto no espaço original.
    A perplexidade (quantos vizinhos cada ponto considera) precisa ser menor que N.
    """
    vectors = vectors.detach().float().cpu().numpy()
    perplexity = min(30.0, max(2.0, len(vectors) / 4))
    return TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=seed).fit_transform(vectors)


def plot_token_embeddings(model, tokenizer, ax=None, title="Embeddings dos tokens (t-SNE)", seed=0):
    """t-SNE da tabela `tok_emb` (V, C) de um modelo de caracteres, um ponto por caractere.

    A cor diz o tipo do caractere: vogal, consoante, dígito, pontuação ou espaço.
    """
    weights = model.tok_emb.weight
    points = tsne_2d(weights, seed)
    chars = [tokenizer.decode([i]) for i in range(weights.shape[0])]
    categories = [char_category(c) if len(c) == 1 else "pontuação" for c in chars]
    ax = new_axes(ax, figsize=(8, 6))
    for category, color in CATEGORY_COLORS.items():
        chosen = [i for i, c in enumerate(categories) if c == category]
        if chosen:
            ax.scatter(points[chosen, 0], points[chosen, 1], s=18, color=color, label=category)
    for i, char in enumerate(chars):
        ax.annotate(token_label(char), points[i], fontsize=8, xytext=(2, 2), textcoords="offset points")
    ax.set_title(title)
    ax.set_xlabel("dimensão 1 do t-SNE")
    ax.set_ylabel("dimensão 2 do t-SNE")
    ax.legend(fontsize=8)
    return ax


def plot_positional_embeddings(model, ax=None, title="Embeddings posicionais (t-SNE)", seed=0):
    """t-SNE da tabela `pos_emb` (T, C): um ponto por posição, ligados em ordem 0, 1, 2...

    Se o modelo aprendeu a noção de ordem, posições vizinhas ficam vizinhas no plano e a
    linha forma um caminho suave; antes do treino ela salta ao acaso.
    """
    points = tsne_2d(model.pos_emb.weight, seed)
    positions = np.arange(len(points))
    ax = new_axes(ax, figsize=(8, 6))
    ax.plot(points[:, 0], points[:, 1], color="lightgray", linewidth=0.8, zorder=1)
    scatter = ax.scatter(points[:, 0], points[:, 1], c=positions, cmap="viridis", s=22, zorder=2)
    step = max(1, len(points) // 16)
    for position in positions[::step]:
        ax.annotate(str(position), points[position], fontsize=8, xytext=(3, 3), textcoords="offset points")
    ax.figure.colorbar(scatter, ax=ax, label="posição no contexto")
    ax.set_title(title)
    ax.set_xlabel("dimensão 1 do t-SNE")
    ax.set_ylabel("dimensão 2 do t-SNE")
    return ax


@torch.no_grad()
def attention_weights(model, idx, layer=-1):
    """Pesos de atenção de um bloco do GPTModel: IDs (1, T) -> tensor (H, T, T).

    A linha i diz quanto o token i olha para cada token anterior (cada linha soma 1).
    Ganchos guardam as queries e keys que `W_query` e `W_key` do bloco calculam no forward
    normal; daí vêm os escores q·k / sqrt(head_dim), a máscara causal e a softmax.
    """
    attention = model.trf_blocks[layer].att
    captured = {}
    hooks = [
        getattr(attention, name).register_forward_hook(
            lambda module, inputs, output, name=name: captured.__setitem__(name, output)
        )
        for name in ("W_query", "W_key")
    ]
    was_training = model.training
    try:
        model.eval()
        model(idx)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    queries = attention.split_heads(captured["W_query"])[0]  # (H, T, head_dim)
    keys = attention.split_heads(captured["W_key"])[0]
    num_tokens = idx.shape[1]
    scores = queries @ keys.transpose(1, 2) / attention.head_dim**0.5  # (H, T, T)
    scores = scores.masked_fill(attention.mask.bool()[:num_tokens, :num_tokens], -torch.inf)
    return torch.softmax(scores, dim=-1)


def draw_attention_map(ax, weights, labels, title, fontsize=10):
    """Desenha em `ax` os pesos de atenção (T, T) de uma cabeça: linhas são a query (quem
    observa), colunas a key (quem é observado). Devolve a imagem, para a barra de cores."""
    image = ax.imshow(weights.numpy(), cmap="viridis", vmin=0, vmax=1)
    ax.set_xticks(range(len(labels)), labels, fontsize=fontsize)
    ax.set_yticks(range(len(labels)), labels, fontsize=fontsize)
    ax.set_title(title)
    ax.set_xlabel("token observado (key)")
    ax.set_ylabel("token que observa (query)")
    return image


def plot_attention_heads(model, tokenizer, text, layer=-1):
    """Um mapa de calor por cabeça com os pesos de atenção de `layer` para a frase `text`.

    As camadas são contadas a partir de 0, como os índices de `model.trf_blocks`: num modelo
    de 4 blocos, `layer=-1` é a camada 3, a última.
    """
    device = next(model.parameters()).device
    idx = torch.tensor([tokenizer.encode(text)], device=device)
    weights = attention_weights(model, idx, layer).cpu()
    labels = [token_label(tokenizer.decode([i])) for i in idx[0].tolist()]
    num_heads = weights.shape[0]
    columns = min(num_heads, 2)
    rows = (num_heads + columns - 1) // columns
    fontsize = 10 if len(labels) <= 24 else 8
    fig, axes = plt.subplots(
        rows, columns, figsize=(6 * columns, 5.6 * rows), squeeze=False, layout="constrained"
    )
    num_layers = len(model.trf_blocks)
    layer_number = layer % num_layers
    for head, ax in enumerate(axes.flat):
        if head >= num_heads:
            ax.axis("off")
            continue
        image = draw_attention_map(ax, weights[head], labels, f"cabeça {head}", fontsize)
    fig.colorbar(image, ax=axes.ravel().tolist(), label="peso de atenção", shrink=0.8)
    fig.suptitle(
        f"Pesos de atenção da camada {layer_number} (contando de 0; o modelo tem {num_layers}): {text!r}"
    )
    return fig


@torch.no_grad()
def plot_next_token_probabilities(model, tokenizer, text, temperatures=(0.5, 1.0, 2.0), top=12):
    """Barras com a probabilidade dos `top` próximos tokens mais prováveis, uma por temperatura.

    Os mesmos tokens (os mais prováveis a temperatura 1) aparecem em todos os painéis, para
    ver a distribuição ficar mais pontuda (T < 1) ou mais achatada (T > 1).
    """
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    logits = model(torch.tensor([tokenizer.encode(text)], device=device))[:, -1, :]  # (1, V)
    model.train(was_training)
    top = min(top, logits.shape[-1])
    chosen = torch.topk(logits[0], top).indices
    labels = [token_label(tokenizer.decode([i])) for i in chosen.tolist()]
    fig, axes = plt.subplots(1, len(temperatures), figsize=(4.5 * len(temperatures), 3.5), sharey=True)
    for ax, temperature in zip(np.atleast_1d(axes), temperatures):
        probas = next_token_probabilities(logits, temperature)[0, chosen].cpu().numpy()
        ax.bar(range(top), probas, color="tab:blue")
        ax.set_xticks(range(top), labels)
        ax.set_title(f"temperatura = {format_decimal(temperature, 1)}")
        ax.set_xlabel("próximo token")
    np.atleast_1d(axes)[0].set_ylabel("probabilidade")
    fig.suptitle(f"Próximo token depois de {text!r}")
    fig.tight_layout()
    return fig
