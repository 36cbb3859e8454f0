# ruff: noqa: E402
# Fonte de solutions/ e exercises/07_dropout_separado.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 07 · Dropout separado
#
# O GPT da aula 05 usa uma taxa de dropout só, `drop_rate`, em três lugares diferentes: logo
# depois dos embeddings, nos pesos de atenção e antes de cada soma com o atalho. Aqui cada
# lugar ganha a sua taxa, e o modelo passa a contar quantos valores cada dropout zerou, para
# conferirmos que ele faz o que dizemos.
#
# ## Objetivos de aprendizagem
#
# - Localizar os três dropouts do GPT e dizer sobre que tensor cada um age.
# - Dar a cada um a sua taxa: `drop_rate_emb`, `drop_rate_attn` e `drop_rate_shortcut`.
# - Medir a porcentagem de zeros depois de cada dropout e explicar os valores medidos.
# - Entender por que o dropout reescala os valores que sobrevivem e por que `model.eval()` o desliga.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import FeedForward, LayerNorm
from gptlab_helpers.checks.lesson07 import q1, q2, q3, q4

# %% [markdown]
# ## Exercício 1 · Três taxas de dropout
#
# Altere `MultiHeadAttention`, `TransformerBlock` e `GPTModel` (partindo das classes que a aula
# 05 monta passo a passo, nas seções 1 e 2 de `notebooks/05_bloco_transformer_e_gpt.ipynb`; as
# do pacote têm opções das aulas 12 e 13 que este exercício não usa) para que:
#
# - o dropout logo depois da soma dos embeddings use `cfg["drop_rate_emb"]`;
# - o dropout dos pesos de atenção use `cfg["drop_rate_attn"]`;
# - o dropout antes de cada soma com o atalho use `cfg["drop_rate_shortcut"]`.
#
# Dentro das classes, logo depois de cada dropout, imprima a porcentagem de valores do tensor
# que ficaram zerados. A função abaixo faz essa conta (conta os não zeros, divide pelo total e
# subtrai de 1); `LayerNorm` e `FeedForward` vêm prontas do pacote. Arredonde como preferir:
# `5%`, `4,99%` e `4.9913` servem, porque a conferência compara cada print com a porcentagem
# que ela mesma mede na saída daquele dropout, com a tolerância das casas que você imprimiu.


# %%
def zero_percent(x):
    """Porcentagem de valores iguais a zero no tensor x."""
    return (100 * (1 - torch.count_nonzero(x) / x.numel())).item()


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
        keys, queries, values = (
            w(x).view(b, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)
            for w in (self.W_key, self.W_query, self.W_value)
        )
        attn_scores = queries @ keys.transpose(2, 3)
        attn_scores.masked_fill_(self.mask.bool()[:num_tokens, :num_tokens], -torch.inf)
        attn_weights = self.dropout(torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1))
        print(f"  atenção  (drop_rate_attn):     {zero_percent(attn_weights):5.2f}% zerados")
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
            dropout=cfg["drop_rate_attn"],
            qkv_bias=cfg["qkv_bias"],
        )
        self.ff = FeedForward(cfg)
        self.norm1 = LayerNorm(cfg["emb_dim"])
        self.norm2 = LayerNorm(cfg["emb_dim"])
        self.drop_shortcut = nn.Dropout(cfg["drop_rate_shortcut"])

    def forward(self, x):
        for sublayer, norm in ((self.att, self.norm1), (self.ff, self.norm2)):
            out = self.drop_shortcut(sublayer(norm(x)))
            print(f"  atalho   (drop_rate_shortcut): {zero_percent(out):5.2f}% zerados")
            x = x + out
        return x


### END SOLUTION


# %%
### BEGIN SOLUTION
class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate_emb"])
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        seq_len = in_idx.shape[1]
        x = self.tok_emb(in_idx) + self.pos_emb(torch.arange(seq_len, device=in_idx.device))
        x = self.drop_emb(x)
        print(f"embedding  (drop_rate_emb):      {zero_percent(x):5.2f}% zerados")
        x = self.trf_blocks(x)
        return self.out_head(self.final_norm(x))


### END SOLUTION

# %% [markdown]
# A célula abaixo é a da lista de exercícios (só acrescentamos a semente, para os números se
# repetirem): não precisa mudar nada, apenas execute e leia as porcentagens impressas.

# %%
GPT_CONFIG_124M = {
    "vocab_size": 50257,
    "context_length": 1024,
    "emb_dim": 768,
    "n_heads": 12,
    "n_layers": 12,
    "drop_rate_emb": 0.05,  # NOVO: dropout da camada de embedding
    "drop_rate_attn": 0.10,  # NOVO: dropout do módulo de atenção
    "drop_rate_shortcut": 0.15,  # NOVO: dropout das conexões de atalho
    "qkv_bias": False,
}

torch.manual_seed(123)
model = GPTModel(GPT_CONFIG_124M)

inputs = torch.tensor(
    [[43, 15, 89],
     [55, 87, 66],
     [57, 85, 64],
     [22, 58, 33],
     [77, 25, 10],
     [15, 80, 55]]
)  # fmt: skip

output = model(inputs)

# %%
q1.check()

# %% [markdown]
# Cada linha impressa é a porcentagem de zeros logo depois de um dropout: 1 do embedding e,
# em cada um dos 12 blocos, 1 da atenção e 2 dos atalhos, 37 ao todo. Compare cada uma com a
# taxa configurada para aquele lugar: alguma foge dela?

# %% [markdown] tags=["solucao"]
# Como ler as 37 linhas:
#
# - **Embedding, perto de 5%**: o tensor `(6, 3, 768)` tem 13.824 valores; o dropout zera cada
#   um com probabilidade 0,05, então a porcentagem medida oscila um pouco em torno de 5%.
# - **Atalhos, perto de 15%**: o mesmo raciocínio, com `drop_rate_shortcut = 0.15`.
# - **Atenção, perto de 40%, e não de 10%**: os pesos de atenção já chegam ao dropout com
#   zeros, os que a máscara causal escondeu. O exercício 2 faz essa conta.

# %% [markdown]
# E fora do treino? Rode o mesmo modelo em modo `eval` e veja quantos zeros sobram em
# cada lugar.

# %%
model.eval()
with torch.no_grad():
    output = model(inputs[:1])  # uma frase basta: a máscara é a mesma em todas

# %% [markdown] tags=["solucao"]
# No embedding e nos atalhos, 0% de zeros; na atenção, 33,33%: são os 3 pesos acima da
# diagonal, de 9, que a máscara causal zera em cada matriz 3 × 3.

# %% [markdown]
# ## Exercício 2 · Quantos zeros esperar na atenção
#
# Com as 3 posições de `inputs`, cada cabeça tem uma matriz 3 × 3 de pesos de atenção. Qual a
# porcentagem de zeros que esperamos, **em média**, depois do dropout com `drop_rate_attn = 0.10`?
# Escreva em `attn_zero_percent` (em porcentagem, por exemplo `12.5`).

# %%
### BEGIN SOLUTION
attn_zero_percent = 100 * (3 / 9 + 0.10 * 6 / 9)
### END SOLUTION

print(f"zeros esperados nos pesos de atenção: {attn_zero_percent:.1f}%")

# %%
q2.check()

# %% [markdown] tags=["solucao"]
# A máscara zera 3 dos 9 pesos (33,3%); dos 6 que sobram, o dropout zera em média 10%, isto é,
# mais 6,7 pontos: 40% no total, perto do que os blocos imprimiram no exercício 1.

# %% [markdown]
# ## Exercício 3 · O que acontece com quem sobrevive
#
# Veja o que `nn.Dropout(0.15)` faz com um tensor de uns em modo treino:

# %%
torch.manual_seed(123)
dropout = nn.Dropout(GPT_CONFIG_124M["drop_rate_shortcut"])
print(dropout(torch.ones(10)))

# %% [markdown]
# Os valores que não viraram zero também mudaram. Por quanto eles foram multiplicados?
# Escreva o fator em `survivor_scale` como uma conta com a taxa `drop_rate_shortcut`.

# %%
### BEGIN SOLUTION
survivor_scale = 1 / (1 - GPT_CONFIG_124M["drop_rate_shortcut"])
### END SOLUTION

print(f"fator dos sobreviventes: {survivor_scale:.4f}")

# %%
q3.check()

# %% [markdown] tags=["solucao"]
# O fator é 1 / (1 − 0,15) ≈ 1,1765. Sem ele, a soma (e a média) das ativações cairia 15% no
# treino e voltaria ao normal na inferência; com ele, o valor esperado é o mesmo nos dois modos.

# %% [markdown]
# ## Exercício 4 · Dropout no treino e na inferência
#
# Explique em `explanation`, com suas palavras (pelo menos 15 palavras): por que o dropout só
# age no treino, e o que `model.eval()` muda no `nn.Dropout`?

# %%
### BEGIN SOLUTION
explanation = """
O dropout é uma regularização: no treino, zerar valores ao acaso obriga a rede a não depender
de nenhum neurônio isolado, o que reduz o sobreajuste. Na inferência queremos a resposta mais
confiável e sempre a mesma, então model.eval() põe training=False e o nn.Dropout devolve a
entrada sem mudança; como no treino os sobreviventes já foram multiplicados por 1 / (1 - p),
a escala das ativações é a mesma nos dois modos.
"""
### END SOLUTION

# %%
q4.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/07_dropout_separado.ipynb`](../notebooks/07_dropout_separado.ipynb)
# - Próximos exercícios: [08 · Gerando texto](08_gerando_texto.ipynb)
