# ruff: noqa: E402
# Fonte de solutions/ e exercises/13_gpt2_vs_modelos_atuais.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 13 · O GPT-2 e os modelos de hoje
#
# A maioria dos decodificadores atuais trocou quatro peças do GPT-2: RMSNorm no lugar da
# LayerNorm, SwiGLU no lugar da GELU, RoPE no lugar do embedding posicional e atenção com grupos
# de cabeças (GQA); e quase todos tiraram os bias (o GPT-OSS mantém os da atenção). Aqui você
# escreve a RMSNorm e o giro do RoPE, conta os parâmetros de um bloco moderno e explica o que a
# GQA economiza.
#
# ## Objetivos de aprendizagem
#
# - Implementar a RMSNorm e compará-la com `torch.nn.RMSNorm`.
# - Girar query e key pelo ângulo da posição (RoPE) e ver o escore depender só da distância.
# - Contar os parâmetros da atenção com GQA, da feed-forward SwiGLU e das normas de um bloco.
# - Explicar por que a GQA deixa a geração de texto mais barata.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers.checks.lesson13 import q1, q2, q3, q4

# %% [markdown]
# ## Exercício 1 · A RMSNorm
#
# A RMSNorm divide cada vetor (a última dimensão) pela raiz da média dos quadrados dos seus
# elementos, com um ε dentro da raiz para não dividir por zero, e multiplica o resultado por um
# vetor treinável `scale` (começa em uns):
#
# $$\mathrm{RMSNorm}(x) = \mathrm{scale} \cdot \frac{x}{\sqrt{\mathrm{média}(x^2) + \varepsilon}}$$
#
# Escreva a classe `RMSNorm(emb_dim, eps=1e-5)`. Diferente da LayerNorm da aula 02, ela **não
# subtrai a média** e **não tem `shift`**. A conferência compara a sua classe com
# `torch.nn.RMSNorm`, com o mesmo ε.


# %%
### BEGIN SOLUTION
class RMSNorm(nn.Module):
    def __init__(self, emb_dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.scale = nn.Parameter(torch.ones(emb_dim))

    def forward(self, x):
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)
        return self.scale * x / rms


### END SOLUTION

# %%
q1.check()

# %% [markdown]
# Uma conferência rápida, com a sua classe: um vetor com todos os elementos iguais a 3 tem RMS 3,
# e a RMSNorm o leva para (quase) 1 em cada posição.

# %%
print(RMSNorm(4)(torch.full((1, 4), 3.0)))

# %% [markdown]
# ## Exercício 2 · O giro do RoPE
#
# O RoPE gira cada par de coordenadas de uma query (ou key) pelo ângulo da sua posição. Com
# `head_dim = D`, o par i é (a, b) = (x[i], x[i + D/2]), e o giro de um ângulo φ é
#
# $$a' = a\cos\varphi - b\sin\varphi, \qquad b' = b\cos\varphi + a\sin\varphi.$$
#
# `rope_angles` (do pacote) já calcula os cossenos e senos de cada posição e coordenada, dois
# tensores (T, D) com o mesmo ângulo nas duas metades. Complete `apply_rope(x, cos, sin)` para
# `x` de forma (B, H, T, D): uma conta só, sem laços.

# %%
from gptlab_helpers.variants.modern import rope_angles


def apply_rope(x, cos, sin):
    """Gira os pares (x[i], x[i + D/2]) de x (B, H, T, D) pelos ângulos de cos, sin (T, D)."""
    ### BEGIN SOLUTION
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)  # (a, b) -> (-b, a)
    return x * cos + rotated * sin
    ### END SOLUTION


# %%
q2.check()

# %% [markdown]
# Com a sua função, o escore entre uma query na posição m e uma key na posição n depende só de
# m − n (as duas primeiras linhas têm a mesma distância):

# %%
cos, sin = rope_angles(head_dim=8, context_length=40)
torch.manual_seed(0)
query, key = torch.randn(1, 1, 1, 8), torch.randn(1, 1, 1, 8)
for m, n in [(7, 4), (30, 27), (7, 5)]:
    score = (
        apply_rope(query, cos[m : m + 1], sin[m : m + 1]) * apply_rope(key, cos[n : n + 1], sin[n : n + 1])
    ).sum()
    print(f"query em {m}, key em {n}: {score.item():+.4f}")

# %% [markdown]
# ## Exercício 3 · Os parâmetros de um bloco moderno
#
# Este é o modelo de caracteres do notebook 09 na versão moderna do notebook 13:

# %%
MODERN_CHAR_CONFIG = {
    "vocab_size": 115,
    "context_length": 64,
    "emb_dim": 64,  # C
    "n_heads": 4,  # cabeças de query
    "n_layers": 4,
    "drop_rate": 0.0,
    "qkv_bias": False,
    "norm": "rmsnorm",
    "ff_activation": "swiglu",
    "ff_hidden_dim": 200,  # a camada do meio da SwiGLU
    "pos_encoding": "rope",
    "n_kv_heads": 2,  # cabeças de key/value
    "bias": False,  # nenhuma Linear tem bias, nenhuma norma tem shift
}

# %% [markdown]
# Calcule, para **um** bloco transformer desse modelo:
#
# | variável | o que conta |
# | --- | --- |
# | `attention_params` | a atenção com GQA: `W_query`, `W_key`, `W_value` e `out_proj` |
# | `feed_forward_params` | a feed-forward SwiGLU: `fc1` (porta), `fc2` (valor) e `fc3` (saída) |
# | `norm_params` | as duas RMSNorms do bloco, `norm1` e `norm2` |
#
# Lembre que cada cabeça tem `head_dim = emb_dim // n_heads` dimensões, e que key e value têm só
# `n_kv_heads` cabeças. Pode fazer a conta à mão (com as fórmulas) ou criar o modelo com
# `gptlab_helpers.GPTModel(MODERN_CHAR_CONFIG)` e somar `p.numel()` de `model.trf_blocks[0]`.

# %%
attention_params = 0
feed_forward_params = 0
norm_params = 0

### BEGIN SOLUTION
emb = MODERN_CHAR_CONFIG["emb_dim"]
head_dim = emb // MODERN_CHAR_CONFIG["n_heads"]
kv_dim = MODERN_CHAR_CONFIG["n_kv_heads"] * head_dim  # as saídas de W_key e de W_value
attention_params = emb * emb + 2 * emb * kv_dim + emb * emb  # W_query, W_key + W_value, out_proj
feed_forward_params = 3 * emb * MODERN_CHAR_CONFIG["ff_hidden_dim"]  # fc1, fc2 e fc3
norm_params = 2 * emb  # norm1 e norm2, só scale
### END SOLUTION

print(f"atenção: {attention_params:,} | SwiGLU: {feed_forward_params:,} | normas: {norm_params:,}")

# %%
q3.check()

# %% [markdown] tags=["solucao"]
# - **Atenção, 12.288**: W_query e out_proj são 64 × 64 = 4.096 cada; W_key e W_value saem com
#   2 cabeças × 16 dimensões = 32, então têm 64 × 32 = 2.048 cada. No GPT-2 de caracteres (4
#   cabeças de K/V e bias no out_proj) são 16.448.
# - **SwiGLU, 38.400**: três matrizes de 64 × 200.
# - **Normas, 128**: duas RMSNorms com 64 números de `scale` cada.
#
# O bloco tem 50.816 parâmetros, quase os mesmos 49.792 do bloco do GPT-2 de caracteres: o que a
# GQA e a falta de bias economizaram foi para a camada do meio da feed-forward.

# %% [markdown]
# ## Exercício 4 · O que a GQA economiza
#
# No Llama 3 8B, cada camada tem 32 cabeças de query e só 8 de key/value. Explique em
# `explanation`, com suas palavras (pelo menos 15 palavras), por que isso deixa a **geração** de
# texto mais barata. Pense no que o modelo guarda de cada token anterior enquanto gera.

# %%
### BEGIN SOLUTION
explanation = """
Para gerar cada token novo sem refazer as contas dos anteriores, o modelo guarda as keys e os
values de todos os tokens já vistos, em cada camada (o KV cache). Com GQA só as 8 cabeças de
key/value entram no cache, e não 32: ele fica 4 vezes menor, cabe mais contexto ou mais
conversas na mesma memória, e cada passo lê 4 vezes menos dados da memória.
"""
### END SOLUTION

# %%
q4.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/13_gpt2_vs_modelos_atuais.ipynb`](../notebooks/13_gpt2_vs_modelos_atuais.ipynb)
# - Experimente trocar as peças de `MODERN_CHAR_CONFIG` uma de cada vez e contar os parâmetros
#   com `gptlab_helpers.parameter_breakdown_from_config`.
# - Próximos exercícios: [14 · Os pesos do GPT-2](14_pesos_do_gpt2.ipynb)
