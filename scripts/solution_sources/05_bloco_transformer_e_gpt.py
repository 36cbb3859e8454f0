# ruff: noqa: E402
# Fonte de solutions/ e exercises/05_bloco_transformer_e_gpt.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 05 · O bloco transformer e o GPT
#
# O bloco transformer junta tudo o que vimos: LayerNorm, atenção, feed-forward, dropout e
# atalhos. Aqui você compara o peso da atenção e da feed-forward dentro de um bloco e escreve o
# `forward` do bloco na ordem do GPT-2.
#
# ## Objetivos de aprendizagem
#
# - Contar os parâmetros da atenção e da feed-forward de um bloco e comparar os dois.
# - Escrever o `forward` do `TransformerBlock` (Pre-LN, dropout e atalho).
# - Explicar por que o bloco preserva a forma `(B, T, C)`.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

import gptlab_helpers
from gptlab_helpers import GPT_CONFIG_124M, FeedForward, LayerNorm, MultiHeadAttention
from gptlab_helpers.checks.lesson05 import q1, q2, q3

# %% [markdown]
# ## Exercício 1 · Feed-forward contra atenção
#
# Usando o bloco do pacote abaixo, conte em `ff_params` os parâmetros da feed-forward
# (`block.ff`) e em `att_params` os da atenção multi-cabeças (`block.att`).

# %%
block = gptlab_helpers.TransformerBlock(GPT_CONFIG_124M)

### BEGIN SOLUTION
ff_params = sum(p.numel() for p in block.ff.parameters())
att_params = sum(p.numel() for p in block.att.parameters())
### END SOLUTION

print(f"parâmetros da feed-forward: {ff_params:,}")
print(f"parâmetros da atenção:      {att_params:,}")

# %%
q1.check()

# %% [markdown] tags=["solucao"]
# A feed-forward tem 4.722.432 parâmetros e a atenção 2.360.064: o dobro. Com C = 768, a
# atenção tem quatro matrizes C × C (query, key, value e a projeção de saída) e a feed-forward
# duas matrizes C × 4C, isto é, 8 C². Os vetores de bias (768 na atenção, 3.840 na feed-forward) quase
# não contam.

# %% [markdown]
# ## Exercício 2 · O forward do bloco
#
# O `__init__` já cria as peças. Complete o `forward` na ordem do GPT-2 (Pre-LN), duas vezes o
# mesmo padrão: guarde a entrada como atalho, normalize, passe pela subcamada (primeiro a
# atenção, depois a feed-forward), aplique `drop_shortcut` e some o atalho.


# %%
class TransformerBlock(nn.Module):
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
        shortcut = x
        x = self.drop_shortcut(self.att(self.norm1(x)))
        x = x + shortcut

        shortcut = x
        x = self.drop_shortcut(self.ff(self.norm2(x)))
        return x + shortcut
        ### END SOLUTION


# %%
q2.check()

# %% [markdown]
# O mesmo teste da aula:

# %%
torch.manual_seed(123)
x = torch.rand(2, 4, 768)
output = TransformerBlock(GPT_CONFIG_124M)(x)
print("forma da entrada:", x.shape)
print("forma da saída:  ", output.shape)

# %% [markdown]
# Entrada e saída têm a forma `[2, 4, 768]`: 2 textos, 4 tokens, 768 dimensões.

# %% [markdown]
# ## Exercício 3 · Por que a forma se mantém
#
# Explique em `explanation`, com suas palavras (pelo menos 15 palavras): por que é importante
# que a saída do bloco tenha exatamente a forma da entrada?

# %%
### BEGIN SOLUTION
explanation = """
Como a saída tem a forma da entrada, a saída de um bloco serve de entrada para o próximo, e dá
para empilhar 12, 24 ou 48 blocos iguais mudando só n_layers. A mesma forma também é o que
permite somar o atalho (x + f(x)), e a cabeça de saída recebe sempre vetores de emb_dim,
qualquer que seja a profundidade.
"""
### END SOLUTION

# %%
q3.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/05_bloco_transformer_e_gpt.ipynb`](../notebooks/05_bloco_transformer_e_gpt.ipynb)
# - Próximos exercícios: [06 · Distribuição de parâmetros](06_distribuicao_de_parametros.ipynb)
