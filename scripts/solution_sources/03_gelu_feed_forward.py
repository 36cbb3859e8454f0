# ruff: noqa: E402
# Fonte de solutions/ e exercises/03_gelu_feed_forward.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 03 · GELU e a rede feed-forward
#
# A feed-forward de cada bloco é uma rede pequena: expande cada token para 4 × 768 dimensões,
# aplica a GELU e volta para 768. Aqui você escreve a GELU e mede formas e parâmetros dessa rede.
#
# ## Objetivos de aprendizagem
#
# - Implementar a GELU com a aproximação por tangente hiperbólica do GPT-2.
# - Prever a forma do tensor no meio da feed-forward e contar seus parâmetros.
# - Comparar GELU e ReLU para entradas negativas.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import GPT_CONFIG_124M, FeedForward
from gptlab_helpers.checks.lesson03 import q1, q2, q3

# %% [markdown]
# ## Exercício 1 · A GELU
#
# Complete o `forward` com a aproximação usada no GPT-2:
#
# GELU(x) ≈ 0,5 · x · (1 + tanh(√(2/π) · (x + 0,044715 · x³)))


# %%
class GELU(nn.Module):
    def forward(self, x):
        """Mesma forma na entrada e na saída."""
        ### BEGIN SOLUTION
        return 0.5 * x * (1 + torch.tanh(torch.sqrt(torch.tensor(2.0 / torch.pi)) * (x + 0.044715 * x**3)))
        ### END SOLUTION


# %%
q1.check()

# %% [markdown]
# Alguns valores, ao lado da ReLU:

# %%
x = torch.tensor([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0])
print("x:   ", x)
print("GELU:", GELU()(x))
print("ReLU:", torch.relu(x))

# %% [markdown]
# Compare as duas linhas para x positivo e para x negativo: onde as funções quase
# coincidem e onde se separam? Guarde a observação para o exercício 3.

# %% [markdown] tags=["solucao"]
# Para x positivo e grande, as duas quase coincidem (GELU(3) = 2,9964). Para x negativo, a ReLU
# devolve 0 e a GELU devolve um valor pequeno e negativo (GELU(−1) = −0,1588), que vai a zero
# aos poucos: a curva é suave e o gradiente não some de uma vez.

# %% [markdown]
# ## Exercício 2 · Formas e parâmetros da FeedForward
#
# A `FeedForward` do pacote é `Linear(768, 3072) → GELU → Linear(3072, 768)`. Para a entrada
# `x` de forma `(2, 3, 768)` abaixo, qual a forma do tensor logo depois da primeira camada
# linear (`hidden_shape`, uma tupla)? E quantos parâmetros tem uma `FeedForward` dessas
# (`ff_block_params`)? Meça com o próprio módulo.

# %%
torch.manual_seed(123)
ff = FeedForward(GPT_CONFIG_124M)
x = torch.rand(2, 3, GPT_CONFIG_124M["emb_dim"])

### BEGIN SOLUTION
hidden_shape = tuple(ff.layers[0](x).shape)
ff_block_params = sum(p.numel() for p in ff.parameters())
### END SOLUTION

print("forma no meio da FeedForward:", hidden_shape)
print(f"parâmetros de uma FeedForward: {ff_block_params:,}")
print("forma da saída:", ff(x).shape)

# %%
q2.check()

# %% [markdown] tags=["solucao"]
# No meio, cada token tem 3072 dimensões (4 × 768); na saída, de novo 768, a forma da entrada.
# Os 4.722.432 parâmetros são 768 × 3072 + 3072 da primeira camada e 3072 × 768 + 768 da
# segunda. Como o GPT de 124M tem 12 blocos, as feed-forward somam 56,7 milhões.

# %% [markdown]
# ## Exercício 3 · GELU ou ReLU?
#
# Explique em `explanation`, com suas palavras (pelo menos 15 palavras): o que acontece com o
# gradiente da ReLU e da GELU para entradas negativas, e por que isso favorece a GELU no treino?

# %%
### BEGIN SOLUTION
explanation = """
Para entradas negativas a ReLU devolve zero e tem gradiente zero: um neurônio que fica sempre
nessa região para de aprender. A GELU é suave e, para valores negativos não muito grandes,
devolve um valor pequeno com gradiente diferente de zero, então o sinal de erro continua
passando e os pesos continuam sendo ajustados.
"""
### END SOLUTION

# %%
q3.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/03_gelu_feed_forward.ipynb`](../notebooks/03_gelu_feed_forward.ipynb)
# - Próximos exercícios: [04 · Conexões de atalho](04_conexoes_de_atalho.ipynb)
