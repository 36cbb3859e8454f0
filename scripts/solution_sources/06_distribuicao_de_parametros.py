# ruff: noqa: E402
# Fonte de solutions/ e exercises/06_distribuicao_de_parametros.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 06 · Distribuição de parâmetros
#
# Um GPT é uma camada de embeddings, uma pilha de blocos transformer (cada um com atenção e
# feed-forward) e uma cabeça de saída (`out_head`, uma camada linear). Quanto de cada coisa?
# Aqui você recria o modelo da aula 05 com as suas próprias classes, conta os parâmetros de cada
# parte e depois faz o GPT-2 crescer até o tamanho XL mudando só a configuração.
#
# ## Objetivos de aprendizagem
#
# - Escrever de memória as seis classes do GPT e conferir que dão os mesmos logits que o pacote.
# - Separar os 163 milhões de parâmetros entre embedding, atenção, feed-forward e saída.
# - Contar os parâmetros do GPT-2 medium, large e XL sem alocar memória (dispositivo `meta`).
# - Calcular a memória ocupada pelos pesos.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers.checks.lesson06 import q1, q2, q3, q4

# %% [markdown]
# ## Exercício 1 · Recrie o GPTModel
#
# Escreva, cada uma na sua célula, as classes da aula 05: `LayerNorm`, `GELU`, `FeedForward`,
# `MultiHeadAttention`, `TransformerBlock` e `GPTModel`. Use os nomes do livro para as
# classes e para os atributos (`tok_emb`, `pos_emb`, `drop_emb`, `trf_blocks`, `final_norm`,
# `out_head`, `att`, `ff`, `norm1`, `norm2`, `drop_shortcut`...): a conferência copia os pesos
# do `gptlab_helpers.GPTModel` para o seu modelo e compara os logits.


# %%
### BEGIN SOLUTION
class LayerNorm(nn.Module):
    def __init__(self, emb_dim):
        super().__init__()
        self.eps = 1e-5
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim))

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        return self.scale * (x - mean) / torch.sqrt(var + self.eps) + self.shift


### END SOLUTION


# %%
### BEGIN SOLUTION
class GELU(nn.Module):
    def forward(self, x):
        return 0.5 * x * (1 + torch.tanh(torch.sqrt(torch.tensor(2.0 / torch.pi)) * (x + 0.044715 * x**3)))


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(cfg["emb_dim"], 4 * cfg["emb_dim"]),
            GELU(),
            nn.Linear(4 * cfg["emb_dim"], cfg["emb_dim"]),
        )

    def forward(self, x):
        return self.layers(x)


### END SOLUTION


# %%
### BEGIN SOLUTION
class MultiHeadAttention(nn.Module):
    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        self.d_out, self.num_heads, self.head_dim = d_out, num_heads, d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def forward(self, x):
        b, num_tokens, _ = x.shape
        # (B, T, d_out) -> (B, H, T, head_dim)
        keys, queries, values = (
            w(x).view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
            for w in (self.W_key, self.W_query, self.W_value)
        )
        attn_scores = queries @ keys.transpose(2, 3)
        attn_scores.masked_fill_(self.mask.bool()[:num_tokens, :num_tokens], -torch.inf)
        attn_weights = self.dropout(torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1))
        context = (attn_weights @ values).transpose(1, 2).contiguous().view(b, num_tokens, self.d_out)
        return self.out_proj(context)


### END SOLUTION


# %%
### BEGIN SOLUTION
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
        x = x + self.drop_shortcut(self.att(self.norm1(x)))
        return x + self.drop_shortcut(self.ff(self.norm2(x)))


### END SOLUTION


# %%
### BEGIN SOLUTION
class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        seq_len = in_idx.shape[1]
        x = self.tok_emb(in_idx) + self.pos_emb(torch.arange(seq_len, device=in_idx.device))
        x = self.trf_blocks(self.drop_emb(x))
        return self.out_head(self.final_norm(x))


### END SOLUTION

# %%
q1.check()

# %% [markdown]
# A conferência criou o seu `GPTModel` numa configuração minúscula, copiou para ele os pesos do
# modelo de referência e comparou os logits em modo `eval` e, com a mesma semente, em modo
# treino (o que confere também os lugares dos dropouts).
#
# Agora o modelo de verdade, com a configuração de 124M (não precisa mudar esta célula):

# %%
GPT_CONFIG_124M = {
    "vocab_size": 50257,  # tamanho do vocabulário
    "context_length": 1024,  # tamanho do contexto
    "emb_dim": 768,  # dimensão do embedding
    "n_heads": 12,  # cabeças de atenção
    "n_layers": 12,  # blocos transformer
    "drop_rate": 0.1,  # taxa de dropout
    "qkv_bias": False,  # bias em query, key e value
}

model = GPTModel(GPT_CONFIG_124M)

# %% [markdown]
# ## Exercício 2 · Onde estão os parâmetros
#
# Some os parâmetros de cada grupo nas quatro variáveis abaixo, sem mudar os `print`:
#
# | variável | o que conta |
# | --- | --- |
# | `emb_params_count` | a camada de embedding: **tokens + posições** (`tok_emb` e `pos_emb`) |
# | `att_params_count` | os módulos de atenção (`att`) dos 12 blocos |
# | `ff_params_count` | as redes feed-forward (`ff`) dos 12 blocos |
# | `output_params_count` | a cabeça de saída (`out_head`) |
#
# As LayerNorms (`norm1`, `norm2` e `final_norm`) não entram em nenhum dos quatro grupos.
# `model.named_parameters()` dá o nome e o tensor de cada parâmetro; `p.numel()` conta os
# números de um tensor.

# %%
emb_params_count = 0
att_params_count = 0
ff_params_count = 0
output_params_count = 0

### BEGIN SOLUTION
for name, param in model.named_parameters():
    if name.startswith(("tok_emb.", "pos_emb.")):
        emb_params_count += param.numel()
    elif ".att." in name:
        att_params_count += param.numel()
    elif ".ff." in name:
        ff_params_count += param.numel()
    elif name.startswith("out_head."):
        output_params_count += param.numel()
### END SOLUTION

print(f"Total de parâmetros da camada de embedding: {emb_params_count:,}")
print(f"Total de parâmetros dos módulos de atenção: {att_params_count:,}")
print(f"Total de parâmetros das camadas feed forward: {ff_params_count:,}")
print(f"Total de parâmetros da camada de output geracional: {output_params_count:,}")

# %%
q2.check()

# %% [markdown] tags=["solucao"]
# Lendo os números:
#
# - **Embedding, 39.383.808**: 50.257 × 768 = 38.597.376 do embedding de tokens mais
#   1024 × 768 = 786.432 do posicional.
# - **Atenção, 28.320.768**: por bloco, quatro matrizes 768 × 768 (query, key, value e `out_proj`)
#   e o bias de 768 do `out_proj`, isto é, 2.360.064; vezes 12 blocos.
# - **Feed-forward, 56.669.184**: por bloco, 768 × 3072 + 3072 e 3072 × 768 + 768, isto é,
#   4.722.432, o dobro da atenção; vezes 12.
# - **Saída, 38.597.376**: a matriz 768 × 50.257, sem bias; o mesmo tamanho do embedding de tokens.
#
# Os quatro somam 162.971.136; os 38.400 que faltam para 163.009.536 são das LayerNorms.

# %% [markdown]
# ## Exercício 3 · GPT-2 medium, large e XL
#
# Os tamanhos maiores do GPT-2 usam o mesmo código; só mudam três números da configuração:
#
# | modelo | `emb_dim` | `n_layers` | `n_heads` |
# | --- | --- | --- | --- |
# | GPT-2 medium | 1024 | 24 | 16 |
# | GPT-2 large | 1280 | 36 | 20 |
# | GPT-2 XL | 1600 | 48 | 25 |
#
# Crie `gpt2_configs`, um dicionário com as chaves `"medium"`, `"large"` e `"xl"`, em que cada
# configuração é uma cópia de `GPT_CONFIG_124M` com esses três valores trocados.

# %%
### BEGIN SOLUTION
gpt2_configs = {
    "medium": {**GPT_CONFIG_124M, "emb_dim": 1024, "n_layers": 24, "n_heads": 16},
    "large": {**GPT_CONFIG_124M, "emb_dim": 1280, "n_layers": 36, "n_heads": 20},
    "xl": {**GPT_CONFIG_124M, "emb_dim": 1600, "n_layers": 48, "n_heads": 25},
}
### END SOLUTION

# %% [markdown]
# O GPT-2 XL tem cerca de 1,6 bilhão de parâmetros: criá-lo de verdade ocuparia mais de 6 GB.
# Dentro de `with torch.device("meta"):` o PyTorch cria os tensores só com forma, sem
# memória nem valores, e `p.numel()` continua funcionando. Complete `count_parameters` com o
# seu `GPTModel` e calcule, para cada tamanho, o total de parâmetros (sem descontar a cabeça
# de saída) e a memória dos pesos em MB, com 4 bytes por parâmetro (`float32`) e
# 1 MB = 1024 × 1024 bytes. A conferência chama a sua `count_parameters` com uma configuração
# pequena para ver se ela cria o modelo no `meta`; contar por fórmula, sem criar o modelo, também vale.


# %%
def count_parameters(cfg):
    """Total de parâmetros do GPTModel com a configuração `cfg`, sem alocar memória."""
    ### BEGIN SOLUTION
    with torch.device("meta"):
        meta_model = GPTModel(cfg)
    return sum(p.numel() for p in meta_model.parameters())
    ### END SOLUTION


### BEGIN SOLUTION
gpt2_param_counts = {size: count_parameters(cfg) for size, cfg in gpt2_configs.items()}
gpt2_memory_mb = {size: count * 4 / (1024 * 1024) for size, count in gpt2_param_counts.items()}
### END SOLUTION

for size in gpt2_configs:
    print(f"GPT-2 {size:<6}: {gpt2_param_counts[size]:>13,} parâmetros, {gpt2_memory_mb[size]:>9,.2f} MB")

# %%
q3.check()

# %% [markdown] tags=["solucao"]
# O medium tem 406 milhões de parâmetros (1.549,58 MB em `float32`), o large 838 milhões
# (3.197,56 MB) e o XL 1,64 bilhão (6.247,68 MB). Os nomes oficiais (355M, 774M e 1558M)
# descontam a cabeça de saída, que o GPT-2 original divide com o embedding de tokens.

# %% [markdown]
# Repare que a memória calculada é só a dos pesos: treinar com o AdamW exige ainda os
# gradientes (4 bytes por parâmetro) e as duas médias do otimizador (mais 8), quatro vezes a
# memória dos pesos ao todo, sem contar as ativações (aula 05, seção 4).

# %% [markdown]
# ## Exercício 4 · Por que 163 milhões?
#
# O modelo que você criou tem 163.009.536 parâmetros, mas o GPT-2 pequeno é conhecido como o
# modelo "de 124M". Explique a diferença em `explanation`, com suas palavras (pelo menos 15
# palavras).

# %%
### BEGIN SOLUTION
explanation = """
A diferença, 38.597.376, é a cabeça de saída: uma matriz 768 x 50257, do mesmo tamanho do
embedding de tokens. O GPT-2 original reaproveita a matriz do embedding na saída (weight
tying), então conta esses pesos uma vez só: 163.009.536 - 38.597.376 = 124.412.160.
"""
### END SOLUTION

# %%
q4.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/06_distribuicao_de_parametros.ipynb`](../notebooks/06_distribuicao_de_parametros.ipynb)
# - Próximos exercícios: [07 · Dropout separado](07_dropout_separado.ipynb)
