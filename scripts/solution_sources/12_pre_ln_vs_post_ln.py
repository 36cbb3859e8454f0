# ruff: noqa: E402
# Fonte de solutions/ e exercises/12_pre_ln_vs_post_ln.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 12 · Pre-LN ou Post-LN
#
# O GPT-2 normaliza a entrada de cada subcamada (Pre-LN); o Transformer de Vaswani et al. (2017) normalizava
# depois de somar o atalho (Post-LN). Aqui você escreve o bloco Post-LN, mede a norma do
# gradiente de cada bloco nos dois casos e explica por que o Post-LN depende do aquecimento.
#
# ## Objetivos de aprendizagem
#
# - Escrever o `forward` de um bloco Post-LN.
# - Medir a norma do gradiente dos parâmetros de cada bloco com uma retropropagação.
# - Explicar, com as medidas, por que o Post-LN precisa de aquecimento da taxa de aprendizado.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import GPTModel, MultiHeadAttention
from gptlab_helpers.checks.lesson12 import GRADIENT_CONFIG, gradient_batch, q1, q2, q3
from gptlab_helpers.layers import FeedForward, LayerNorm

# %% [markdown]
# ## Exercício 1 · O bloco Post-LN
#
# O `__init__` já cria as mesmas peças do bloco do GPT-2. Complete o `forward` na ordem do
# transformer de 2017: para cada subcamada (primeiro a atenção, depois a feed-forward), aplique
# a subcamada à entrada, passe por `drop_shortcut`, **some** a entrada e só então normalize
# (`norm1` depois da atenção, `norm2` depois da feed-forward).


# %%
class PostLNBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.att = MultiHeadAttention(
            d_in=cfg["emb_dim"],
            d_out=cfg["emb_dim"],
            context_length=cfg["context_length"],
            num_heads=cfg["n_heads"],
            dropout=cfg["drop_rate"],
            qkv_bias=cfg["qkv_bias"],
        )
        self.ff = FeedForward(cfg)
        self.norm1 = LayerNorm(cfg["emb_dim"])
        self.norm2 = LayerNorm(cfg["emb_dim"])
        self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

    def forward(self, x):
        """(B, T, C) -> (B, T, C)."""
        ### BEGIN SOLUTION
        x = self.norm1(x + self.drop_shortcut(self.att(x)))
        return self.norm2(x + self.drop_shortcut(self.ff(x)))
        ### END SOLUTION


# %%
q1.check()

# %% [markdown]
# ## Exercício 2 · A norma do gradiente de cada bloco
#
# `GRADIENT_CONFIG` é um GPT minúsculo com 12 blocos e `gradient_batch()` devolve um lote fixo
# `x, y` de forma `(4, 8)`. Para cada posição da norma (`"pre"` e `"post"`):
#
# 1. crie o modelo logo depois de `torch.manual_seed(123)`:
#    `GPTModel(dict(GRADIENT_CONFIG, norm_position=...))`;
# 2. calcule a entropia cruzada entre `model(x)` e `y` e rode `loss.backward()` **uma** vez;
# 3. para cada bloco de `model.trf_blocks`, a norma L2 de todos os gradientes dos seus
#    parâmetros juntos: a raiz da soma dos quadrados de todos os números de `p.grad`.
#
# Guarde as 12 normas, do bloco 1 ao 12, em `pre_norms` e em `post_norms` (listas ou tensores).

# %%
x, y = gradient_batch()


### BEGIN SOLUTION
def block_norms(position):
    torch.manual_seed(123)
    model = GPTModel(dict(GRADIENT_CONFIG, norm_position=position))
    loss = nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten())
    loss.backward()
    return [
        torch.sqrt(sum((p.grad**2).sum() for p in block.parameters())).item() for block in model.trf_blocks
    ]


### END SOLUTION


### BEGIN SOLUTION
pre_norms = block_norms("pre")
post_norms = block_norms("post")
### END SOLUTION

# %%
q2.check()

# %% [markdown]
# Um gráfico das duas listas ajuda a comparar:

# %% alt="Linhas com a norma L2 do gradiente de cada um dos 12 blocos na inicialização, do bloco 1, perto da entrada, ao 12, uma com círculos para o Pre-LN e outra tracejada com quadrados para o Post-LN: a do Post-LN fica acima da do Pre-LN em todos os blocos."
import matplotlib.pyplot as plt

plt.figure(figsize=(6, 3))
plt.plot(range(1, 13), pre_norms, "o-", label="Pre-LN")
plt.plot(range(1, 13), post_norms, "s--", label="Post-LN")
plt.title("Norma do gradiente por bloco na inicialização")
plt.xlabel("bloco (1 = perto da entrada)")
plt.ylabel("norma L2 do gradiente")
plt.legend()
plt.show()

# %% [markdown] tags=["solucao"]
# Com a mesma semente e os mesmos pesos de atenção e feed-forward, cada bloco do Post-LN recebe
# um gradiente maior que o do Pre-LN: no Post-LN o caminho do gradiente até cada bloco passa
# pelas LayerNorms dos blocos seguintes, também no atalho.

# %% [markdown]
# ## Exercício 3 · Por que aquecer
#
# Explique em `explanation`, com suas palavras (pelo menos 15 palavras): por que um Post-LN
# costuma precisar de aquecimento da taxa de aprendizado e um Pre-LN não? Use o que você mediu
# no exercício 2 e o que o notebook 12 mostrou no treino.

# %%
### BEGIN SOLUTION
explanation = """
No início do treino o Post-LN tem gradientes maiores (exercício 2), e uma taxa de aprendizado
alta logo no primeiro passo, quando o AdamW ainda não tem boas médias dos gradientes, dá passos
grandes demais e desestabiliza o modelo. O aquecimento começa com passos pequenos até as
estimativas se firmarem. No Pre-LN o atalho leva o gradiente sem passar pelas normas e as
normas ficam parecidas em todos os blocos, então a taxa alta desde o começo não desanda o
treino (Xiong et al., 2020).
"""
### END SOLUTION

# %%
q3.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/12_pre_ln_vs_post_ln.ipynb`](../notebooks/12_pre_ln_vs_post_ln.ipynb)
# - Próximos exercícios: [13 · O GPT-2 e os modelos de hoje](13_gpt2_vs_modelos_atuais.ipynb)
