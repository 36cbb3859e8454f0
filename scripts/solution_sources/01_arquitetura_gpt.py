# ruff: noqa: E402
# Fonte de solutions/ e exercises/01_arquitetura_gpt.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 01 · A arquitetura de um GPT
#
# Antes de implementar as peças do GPT, vale saber de cor o caminho dos dados: IDs de tokens
# viram vetores, atravessam os blocos e saem como logits, um escore por token do
# vocabulário. Estes exercícios treinam esse caminho no esqueleto da aula 01.
#
# ## Objetivos de aprendizagem
#
# - Prever a forma dos logits para qualquer lote.
# - Escrever o `forward` do esqueleto do GPT: embeddings de tokens e de posições, dropout,
#   blocos, normalização e cabeça de saída.
# - Explicar o que representam os 50.257 números de cada posição.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import GPT_CONFIG_124M, DummyLayerNorm, DummyTransformerBlock, get_tokenizer
from gptlab_helpers.checks.lesson01 import q1, q2, q3

# %% [markdown]
# ## Exercício 1 · A forma dos logits
#
# Um lote de **3 textos com 7 tokens cada** entra no modelo com a configuração `GPT_CONFIG_124M`.
# Qual a forma do tensor de logits que sai? Escreva-a em `logits_shape` (uma tupla) e o total
# de números desse tensor em `n_logits`. Use os valores da configuração, não números soltos.

# %%
### BEGIN SOLUTION
logits_shape = (3, 7, GPT_CONFIG_124M["vocab_size"])
n_logits = 3 * 7 * GPT_CONFIG_124M["vocab_size"]
### END SOLUTION

print("forma dos logits:", logits_shape)
print(f"números no tensor: {n_logits:,}")

# %%
q1.check()

# %% [markdown] tags=["solucao"]
# São 3 × 7 = 21 posições e, em cada uma, 50.257 logits: 1.055.397 números. O `emb_dim` (768)
# não aparece na saída: ele é o tamanho dos vetores *dentro* do modelo, e a cabeça de saída os
# projeta de volta para o tamanho do vocabulário.

# %% [markdown]
# ## Exercício 2 · O forward do esqueleto
#
# O `__init__` abaixo já cria as peças (os blocos e a normalização são os lugares reservados
# do pacote, que devolvem a entrada). A classe tem o nome da aula 01, `DummyGPTModel` (nos
# slides do curso, `SimpleGPTModel`: a conferência aceita os dois nomes). Escreva o `forward`:
# embedding dos tokens, mais o embedding das posições `0, 1, ..., T-1`, dropout, blocos,
# normalização final e cabeça de saída.


# %%
class DummyGPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[DummyTransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = DummyLayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        """IDs (B, T) -> logits (B, T, vocab_size)."""
        ### BEGIN SOLUTION
        seq_len = in_idx.shape[1]
        tok_embeds = self.tok_emb(in_idx)  # (B, T, C)
        pos_embeds = self.pos_emb(torch.arange(seq_len, device=in_idx.device))  # (T, C)
        x = self.drop_emb(tok_embeds + pos_embeds)
        x = self.trf_blocks(x)
        x = self.final_norm(x)
        return self.out_head(x)
        ### END SOLUTION


# %%
q2.check()

# %% [markdown]
# Com a semente da aula, o seu modelo reproduz os logits do lote de duas frases da aula 01
# (a primeira linha começa com `-1.2034, 0.3201, -0.7130`):

# %%
tokenizer = get_tokenizer("gpt2")
batch = torch.tensor([tokenizer.encode("Every effort moves you"), tokenizer.encode("Every day holds a")])

torch.manual_seed(123)
model = DummyGPTModel(GPT_CONFIG_124M)
logits = model(batch)
print("forma:", logits.shape)
print(logits[0, 0, :3])

# %% [markdown]
# Compare a forma impressa com a sua resposta do exercício 1 e os três logits com os
# da aula.

# %% [markdown] tags=["solucao"]
# A forma `[2, 4, 50257]` é a do exercício 1 com B = 2 e T = 4, e os três primeiros logits da
# primeira posição são os da aula.

# %% [markdown]
# ## Exercício 3 · Para que 50.257 números?
#
# Explique em `explanation`, com suas palavras (pelo menos 15 palavras): o que representa cada
# um dos 50.257 números que o modelo devolve para uma posição, e como eles servem para escolher o
# próximo token?

# %%
### BEGIN SOLUTION
explanation = """
Cada um dos 50257 números é o escore (logit) de um token do vocabulário do GPT-2: quanto maior,
mais o modelo aposta que aquele token vem logo depois da posição. Aplicando a softmax, os
escores viram probabilidades que somam 1, e o próximo token é o de maior probabilidade (ou
sorteado entre os mais prováveis).
"""
### END SOLUTION

# %%
q3.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/01_arquitetura_gpt.ipynb`](../notebooks/01_arquitetura_gpt.ipynb)
# - Próximos exercícios: [02 · Layer normalization](02_layer_normalization.ipynb)
