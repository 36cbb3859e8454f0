# ruff: noqa: E402
# Fonte de notebooks/11_caracteres_vs_bpe.ipynb. Depois de editar, rode:
# python scripts/build_notebooks.py --only 11

# %% [markdown]
# # 11 · Caracteres ou BPE?
#
# O GPT-2 das aulas lê o texto em pedaços de palavras (o tokenizador BPE, com 50.257 tokens); o
# modelo do notebook 09 lê caractere por caractere (115 tokens). Neste notebook comparamos os
# dois com números: o tamanho do vocabulário, quanto do modelo vai para os embeddings, o
# comprimento das sequências e o que muda no treino. É o experimento 4 do GPTLab.
#
# ## Objetivos de aprendizagem
#
# - Comparar como os dois tokenizadores cortam a mesma frase em português.
# - Calcular a fatia dos parâmetros que fica nos embeddings, nos tamanhos de modelo do GPTLab.
# - Relacionar o tamanho do vocabulário com o custo de cada passo de treino.
# - Converter perdas por token em perdas por caractere para comparar modelos com tokenizadores
#   diferentes.
#
# **Quanto tempo leva:** menos de um minuto; nada é treinado até o fim.

# %% [markdown]
# ## 1. Dois tokenizadores, uma interface
#
# O `CharTokenizer` e o BPE do GPT-2 (`get_tokenizer("gpt2")`) respondem às mesmas perguntas:
# `encode(texto)` dá a lista de IDs, `decode(ids)` volta ao texto e `n_vocab` é o tamanho do
# vocabulário.

# %%
import math

import torch

from gptlab_helpers import get_tokenizer
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.training.corpus import load_corpus

text = load_corpus("machado_de_assis_conto")
tokenizers = {"caracteres": CharTokenizer.from_text(text), "BPE do GPT-2": get_tokenizer("gpt2")}
for name, tokenizer in tokenizers.items():
    print(f"{name:>13}: {tokenizer.n_vocab:>6,} tokens no vocabulário")

# %% [markdown]
# 115 contra 50.257: o vocabulário do BPE é 437 vezes maior. Cada token do vocabulário tem uma
# linha no embedding de tokens e uma linha na cabeça de saída, então essa diferença vai aparecer
# no tamanho do modelo.
#
# ## 2. A mesma frase, cortada de dois jeitos

# %%
sentence = "A figura é poética, mas não é a da heroína do romance."
for name, tokenizer in tokenizers.items():
    ids = tokenizer.encode(sentence)
    print(f"{name}: {len(ids)} tokens")
bpe = tokenizers["BPE do GPT-2"]
print([bpe.decode_single_token_bytes(i) for i in bpe.encode(sentence)])

# %% [markdown]
# A frase tem 54 caracteres, logo 54 tokens de caractere, e só 20 tokens BPE. Os pedaços do BPE
# são bytes (o `b` na frente): palavras comuns inteiras, com o espaço grudado na frente
# (`b' mas'`, `b' romance'`), e palavras menos comuns partidas (`b' fig'` + `b'ura'`). O BPE do
# GPT-2 foi treinado com texto em inglês, e as letras acentuadas pagam o preço: em UTF-8, "é"
# ocupa dois bytes, `b'\xc3\xa9'`, e "heroína" vira `b' hero'` + `b'\xc3\xad'` + `b'na'`.
#
# Nesta frase cada letra acentuada ainda cabe num token. Com letras mais raras no inglês, nem
# isso: os dois bytes de "õ" e de "Ó" caem em tokens separados.

# %%
for word in ["põe", "corações", "Ó"]:
    print(f"{word!r}: {[bpe.decode_single_token_bytes(i) for i in bpe.encode(word)]}")

# %% [markdown]
# Em "põe", o "õ" vira `b'\xc3'` + `b'\xb5'`: nenhum dos dois tokens é, sozinho, um caractere.
#
# E no corpus inteiro?

# %%
bpe_ids = bpe.encode(text)
print(f"caracteres: {len(text):,} | tokens BPE: {len(bpe_ids):,}")
print(f"caracteres por token BPE: {len(text) / len(bpe_ids):.2f}")
counts = torch.bincount(torch.tensor(bpe_ids), minlength=bpe.n_vocab)
print(f"tokens BPE que aparecem no corpus: {(counts > 0).sum().item():,} de {bpe.n_vocab:,}")
print(f"tokens BPE que aparecem menos de 5 vezes: {((counts > 0) & (counts < 5)).sum().item():,}")

# %% [markdown]
# - Cada token BPE cobre, em média, 2,47 caracteres: a mesma janela de 64 tokens enxerga cerca de
#   158 caracteres de texto, contra 64 do modelo de caracteres.
# - Dos 50.257 tokens do GPT-2, só 6.396 aparecem nos contos (o resto é inglês, código, nomes...).
#   As outras 43.861 linhas do embedding nunca recebem um exemplo.
# - E 2.798 dos que aparecem, aparecem menos de 5 vezes: pouco para aprender um vetor. O
#   tokenizador de caracteres não tem esse problema: cada um dos 115 caracteres aparece no corpus
#   (por construção) e a maioria, milhares de vezes.

# %% [markdown]
# ## 3. Quanto do modelo fica nos embeddings
#
# O GPTLab cita dois tamanhos de modelo: o de CPU (4 camadas, 4 cabeças, 64 dimensões, contexto
# de 32) e o de GPU (6 camadas, 6 cabeças, 384 dimensões, contexto de 64). A função
# `parameter_breakdown_from_config` da aula 06 conta os parâmetros de cada parte sem criar o
# modelo; basta trocar o `vocab_size`.

# %%
from gptlab_helpers import parameter_breakdown_from_config

GPTLAB_SIZES = {
    "CPU": {"context_length": 32, "emb_dim": 64, "n_heads": 4, "n_layers": 4},
    "GPU": {"context_length": 64, "emb_dim": 384, "n_heads": 6, "n_layers": 6},
}


def columns(cfg):
    """Total com tying, embedding, fatia dele; total do GPTModel, fatia de embedding + cabeça."""
    counts = parameter_breakdown_from_config(cfg)
    tied, untied, embedding = counts["total_with_weight_tying"], counts["total"], counts["token_embedding"]
    both = embedding + counts["output_head"]
    return [f"{tied:,}", f"{embedding:,}", f"{embedding / tied:.1%}", f"{untied:,}", f"{both / untied:.1%}"]


ROW = "{:<6}{:>14}{:>13}{:>12}{:>8}{:>13}{:>13}"
print(f"{'com weight tying':>55}{'GPTModel (sem tying)':>24}")
print(ROW.format("modelo", "tokenizador", "total", "embedding", "fatia", "total", "emb.+cabeça"))
for size, shape in GPTLAB_SIZES.items():
    for name, tokenizer in tokenizers.items():
        cfg = dict(shape, vocab_size=tokenizer.n_vocab, drop_rate=0.0, qkv_bias=True)
        print(ROW.format(size, name, *columns(cfg)))

# %% [markdown]
# As três primeiras colunas de números contam o modelo com **weight tying** (a cabeça de saída
# reaproveita a matriz do embedding, como no GPT-2 original e no nanoGPT do GPTLab). As duas
# últimas contam o `GPTModel` das aulas, que tem uma cabeça de saída separada, e a fatia que o
# embedding e a cabeça ocupam juntos.
#
# - **Modelo de CPU:** com caracteres, o embedding é 7.360 parâmetros, 3,5% do modelo. Com o BPE,
#   3.216.448 parâmetros, 94% do modelo: quase tudo vira tabela de consulta, e os blocos
#   transformer, onde mora a "inteligência", ficam com 6%.
# - **Modelo de GPU:** 0,4% com caracteres, 64% com BPE.
#
# O README do GPTLab dá 3,54% e 94,13% (CPU) e 0,41% e 64,46% (GPU): as pequenas diferenças vêm
# de o nanoGPT não ter bias em algumas camadas lineares. Sem weight tying, a cabeça de saída é
# uma segunda matriz do mesmo tamanho, e o BPE leva 97% do modelo de CPU.

# %% [markdown]
# ## 4. O que muda no treino
#
# **O custo de cada passo.** A cabeça de saída calcula um logit por token do vocabulário para
# cada posição: um lote de 8 janelas de 64 tokens produz 8 × 64 × 115 logits com caracteres e
# 8 × 64 × 50.257 com BPE, e a softmax da perda percorre todos eles. Medimos o tempo de um passo
# de treino do modelo do notebook 09 com os dois vocabulários:

# %%
# NBVAL_IGNORE_OUTPUT
import time

import torch.nn.functional as F

from gptlab_helpers import GPTModel
from gptlab_helpers.training import CHAR_GPT_CONFIG


def seconds_per_step(model, x, repeats=3):
    """Tempo médio de um passo de treino (forward + backward) no lote x (B, T)."""
    F.cross_entropy(model(x).flatten(0, 1), x.flatten()).backward()  # o primeiro passo aquece
    start = time.perf_counter()
    for _ in range(repeats):
        F.cross_entropy(model(x).flatten(0, 1), x.flatten()).backward()
    return (time.perf_counter() - start) / repeats


for name, tokenizer in tokenizers.items():
    model = GPTModel(dict(CHAR_GPT_CONFIG, vocab_size=tokenizer.n_vocab))
    seconds = seconds_per_step(model, torch.randint(tokenizer.n_vocab, (8, 64)))
    parameters = sum(p.numel() for p in model.parameters())
    print(f"{name:>13}: {parameters:>10,} parâmetros | {seconds * 1000:5.0f} ms por passo")

# %% [markdown]
# O mesmo modelo fica muito mais lento com o BPE (quantas vezes, exatamente, depende da máquina e
# de quanto ela está ocupada): o trabalho a mais é quase todo da cabeça de saída de 64 × 50.257 e
# da softmax sobre 50.257 logits, já que o resto do modelo é o mesmo. Os
# logits ocupam memória na mesma proporção: 8 × 64 × 50.257 números de 4 bytes são 98 MB, contra
# 0,22 MB com caracteres (com 1 MB = 1024 × 1024 bytes, a convenção do curso). Por isso o
# GPTLab treinou o modelo BPE só na GPU (36 minutos numa GTX 1050 Ti).
#
# **A perda começa em outro lugar.** Sem treino, a perda é cerca de ln(tamanho do vocabulário):

# %%
for name, tokenizer in tokenizers.items():
    print(f"{name:>13}: ln({tokenizer.n_vocab}) = {math.log(tokenizer.n_vocab):.2f}")

# %% [markdown]
# **As perdas não se comparam diretamente.** A perda é por token, e um token BPE carrega perto
# de dois caracteres e meio (a seção 2 mediu no corpus inteiro; a célula abaixo mede só na
# parte de validação, que é a que a perda usa). Para comparar, convertemos para **nats por caractere**: perda por token × número de
# tokens ÷ número de caracteres. O GPTLab relata perda de validação 1,44 para o modelo de
# caracteres de GPU e 3,42 para o modelo BPE de tamanho parecido. Com a razão caracteres/token da
# parte de validação do corpus:

# %%
n_train = int(0.9 * len(text))
val_text = text[n_train:]
chars_per_token = len(val_text) / len(bpe.encode(val_text))
print(f"caracteres por token BPE na validação: {chars_per_token:.3f}")
print(f"modelo BPE do GPTLab: 3.42 nats/token = {3.42 / chars_per_token:.2f} nats/caractere")
print("modelo de caracteres do GPTLab: 1.44 nats/caractere")

# %% [markdown]
# Medido por caractere, o modelo BPE (1,40) fica um pouco à frente do modelo de caracteres (1,44),
# e cada passo de geração escolhe um pedaço de palavra já pronto, o que facilita escrever
# palavras reais. Mas ele tem quase três vezes mais parâmetros, quase todos na tabela de tokens, e precisou
# de uma GPU. Para aprender a arquitetura numa CPU, o tokenizador de caracteres é a escolha
# certa; para um modelo de verdade, com muito texto e hardware, o BPE (ou um tokenizador treinado
# em português) compensa.
#
# **Resumo do que muda no treino ao trocar caracteres por BPE:**
#
# | | caracteres | BPE do GPT-2 |
# | --- | --- | --- |
# | vocabulário | 115 | 50.257 |
# | tokens do corpus | 1.724.227 | 699.038 |
# | texto numa janela de 64 tokens | 64 caracteres | ~158 caracteres |
# | perda sem treino | 4,74 | 10,82 |
# | embedding no modelo de CPU (com tying) | 3,5% | 94% |
# | custo da cabeça de saída | desprezível | domina o passo |
# | linhas do embedding sem nenhum exemplo | 0 | 43.861 |

# %% [markdown]
# ## Perguntas frequentes
#
# **Por que o BPE às vezes corta uma letra acentuada em dois?**
# O BPE do GPT-2 trabalha com bytes, e em UTF-8 as letras acentuadas ocupam dois bytes. O
# vocabulário foi aprendido com texto em inglês: letras que aparecem bastante nele, como "é",
# ganharam um token para os seus dois bytes (`b'\xc3\xa9'`), mas raramente um token junto com
# as letras vizinhas. Letras raras no inglês, como "õ", nem isso: em "põe" os dois bytes do "õ"
# ficam em tokens separados (seção 2).
#
# **Um token BPE sozinho pode não ser um texto válido?**
# Pode. `b'\xc3'` sozinho não é um caractere UTF-8; só junto com o byte seguinte (`b'\xb5'`)
# vira "õ". Por
# isso mostramos os pedaços como bytes e decodificamos sempre a sequência inteira.
#
# **Por que não treinar um BPE em português?**
# Seria melhor: com um vocabulário aprendido nos contos, palavras frequentes como "não"
# provavelmente virariam um token só. O GPTLab (e este curso) usa o BPE pronto do GPT-2 para não precisar treinar um
# tokenizador.
#
# **O modelo de caracteres consegue aprender palavras?**
# Consegue: a atenção e os blocos aprendem quais sequências de caracteres formam palavras. Ele
# só precisa de mais passos de geração para escrever a mesma frase (54 em vez de 20) e de mais
# contexto para enxergar o mesmo trecho de texto.

# %% [markdown]
# ## Próximos passos
#
# - Voltar ao [09 · Treinando um GPT com Machado de Assis](09_treinando_um_gpt_com_machado.ipynb)
#   e experimentar outros tamanhos de modelo no `CHAR_GPT_CONFIG`.
# - Ver o que o modelo aprendeu em [10 · Olhando dentro do modelo](10_olhando_dentro_do_modelo.ipynb).
