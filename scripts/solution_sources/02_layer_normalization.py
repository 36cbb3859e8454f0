# ruff: noqa: E402
# Fonte de solutions/ e exercises/02_layer_normalization.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 02 · Layer normalization
#
# A normalização de camada deixa as ativações de cada token com média 0 e variância 1 e depois
# devolve à rede o controle da escala, com dois vetores treináveis. Aqui você a escreve do
# zero e conta quanto ela pesa no GPT de 124M.
#
# ## Objetivos de aprendizagem
#
# - Implementar a `LayerNorm` com `eps`, `scale`, `shift` e a variância enviesada.
# - Contar os parâmetros de todas as LayerNorms do GPT-2 pequeno.
# - Explicar para que serve normalizar e para que servem `scale` e `shift`.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import GPT_CONFIG_124M
from gptlab_helpers.checks.lesson02 import q1, q2, q3

# %% [markdown]
# ## Exercício 1 · A classe LayerNorm
#
# Complete a classe: no `__init__`, `eps = 1e-5` e os parâmetros `scale` (uns) e `shift`
# (zeros), cada um com `emb_dim` valores; no `forward`, normalize ao longo da última dimensão
# com a variância **enviesada** (`unbiased=False`) e aplique `scale` e `shift`.


# %%
class LayerNorm(nn.Module):
    def __init__(self, emb_dim):
        super().__init__()
        ### BEGIN SOLUTION
        self.eps = 1e-5
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim))
        ### END SOLUTION

    def forward(self, x):
        """(..., emb_dim) -> mesma forma, cada vetor com média 0 e variância 1 antes de scale/shift."""
        ### BEGIN SOLUTION
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        norm_x = (x - mean) / torch.sqrt(var + self.eps)
        return self.scale * norm_x + self.shift
        ### END SOLUTION


# %%
q1.check()

# %% [markdown]
# Com o mesmo `batch_example` da aula, a sua LayerNorm deve dar média 0 e variância 1 em cada linha:

# %%
torch.manual_seed(123)
batch_example = torch.randn(2, 5)
out_ln = LayerNorm(emb_dim=5)(batch_example)
print(out_ln)
print("médias:", out_ln.mean(dim=-1).detach())
print("variâncias:", out_ln.var(dim=-1, unbiased=False).detach())

# %% [markdown]
# Os valores são os da aula (`0.5528, 1.0693, ...`). A média da primeira linha sai da ordem
# de 1e-8, e não 0 exato, por arredondamento de ponto flutuante; a variância fica 1 até a
# quarta casa (o `eps` no denominador a deixa ligeiramente abaixo de 1).

# %% [markdown]
# ## Exercício 2 · Quanto pesam as LayerNorms
#
# No GPT de 124M, cada bloco transformer tem duas LayerNorms (`norm1` e `norm2`) e o modelo tem
# mais uma depois do último bloco (`final_norm`). Quantos parâmetros treináveis têm **todas**
# elas juntas? Escreva em `layer_norm_params`, usando os valores de `GPT_CONFIG_124M`.

# %%
### BEGIN SOLUTION
layer_norm_params = (2 * GPT_CONFIG_124M["n_layers"] + 1) * 2 * GPT_CONFIG_124M["emb_dim"]
### END SOLUTION

print(f"parâmetros das LayerNorms: {layer_norm_params:,}")

# %%
q2.check()

# %% [markdown] tags=["solucao"]
# São 25 LayerNorms com 2 × 768 parâmetros cada: 38.400, uma fração desprezível dos 163 milhões.
# Pouco peso, muito efeito: sem elas um GPT profundo dificilmente treina.

# %% [markdown]
# ## Exercício 3 · Para que normalizar?
#
# Explique em `explanation`, com suas palavras (pelo menos 15 palavras): que problema a
# LayerNorm resolve numa rede profunda, e por que ela tem `scale` e `shift` treináveis?

# %%
### BEGIN SOLUTION
explanation = """
Numa rede profunda as ativações podem crescer ou encolher de camada em camada, e os gradientes
junto, o que deixa o treino instável e lento. A LayerNorm recoloca cada vetor com média 0 e
variância 1, numa escala previsível. Como essa escala nem sempre é a melhor, scale e shift
treináveis deixam a rede reescalar e deslocar o resultado, e até desfazer a normalização.
"""
### END SOLUTION

# %%
q3.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/02_layer_normalization.ipynb`](../notebooks/02_layer_normalization.ipynb)
# - Próximos exercícios: [03 · GELU e feed-forward](03_gelu_feed_forward.ipynb)
