# ruff: noqa: E402
# Fonte de notebooks/10_olhando_dentro_do_modelo.ipynb. Depois de editar, rode:
# python scripts/build_notebooks.py --only 10

# %% [markdown]
# # 10 · Olhando dentro do modelo
#
# O modelo do notebook 09 aprendeu a escrever algo parecido com Machado de Assis. Mas o que,
# exatamente, mudou nos pesos? Neste notebook abrimos o modelo treinado e comparamos com o mesmo
# modelo antes do treino: as tabelas de embeddings, os pesos de atenção e as probabilidades do
# próximo caractere. São os experimentos 1, 3 e 5 do GPTLab, com o nosso modelo.
#
# ## Objetivos de aprendizagem
#
# - Projetar embeddings em 2-D com t-SNE e ler o gráfico (o que fica perto de quê).
# - Ver que o embedding de tokens agrupa vogais, consoantes, dígitos e pontuação, e que o
#   embedding posicional aprende a ordem das posições.
# - Ler um mapa de atenção por cabeça.
# - Entender a diferença entre escolher o mais provável (`argmax`) e sortear (`multinomial`).
#
# **Quanto tempo leva:** alguns segundos se o notebook 09 já gravou o checkpoint; senão, este
# notebook primeiro faz o mesmo treino do 09 (cerca de um minuto e meio numa CPU de 2 núcleos).

# %% [markdown]
# ## 1. O modelo treinado
#
# O notebook 09 grava o modelo em `checkpoints/machado_char.pt`. Se o arquivo existe, usamos
# esse modelo (o seu, com os passos que você escolheu). Se não existe, por exemplo ao abrir este
# notebook direto no Colab, fazemos aqui o treino do 09: a mesma semente, a mesma receita e os
# mesmos passos dão o mesmo modelo, e as saídas desta página são as dele.

# %%
# NBVAL_IGNORE_OUTPUT
from pathlib import Path

import torch

from gptlab_helpers import GPTModel
from gptlab_helpers.training import (
    CHAR_GPT_CONFIG,
    CHAR_TRAIN_SETTINGS,
    CHAR_TRAIN_STEPS,
    load_trained_model,
    train,
)
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.training.corpus import load_corpus
from gptlab_helpers.training.data import train_val_split

CHECKPOINT = Path("checkpoints/machado_char.pt")
if not CHECKPOINT.is_file():  # o notebook 09 não rodou: o mesmo treino dele
    text = load_corpus("machado_de_assis_conto")
    tokenizer = CharTokenizer.from_text(text)
    torch.manual_seed(123)
    settings = dict(CHAR_TRAIN_SETTINGS, max_steps=CHAR_TRAIN_STEPS, tokenizer=tokenizer)
    splits = train_val_split(tokenizer.encode(text))
    train(GPTModel(CHAR_GPT_CONFIG), *splits, checkpoint_path=CHECKPOINT, **settings)
model, tokenizer, checkpoint = load_trained_model(CHECKPOINT, device="cpu")
print(f"passo {checkpoint['step']:,}, perda de validação {checkpoint['history']['val_loss'][-1]:.3f}")

# %% [markdown]
# Para comparar, o **mesmo modelo antes do treino**: a mesma configuração e a mesma semente
# (123) que o notebook 09 usou para criar os pesos iniciais.

# %%
cfg = checkpoint["model_config"]
torch.manual_seed(123)
untrained = GPTModel(cfg).eval()
print(f"{sum(p.numel() for p in untrained.parameters()):,} parâmetros, contexto de {cfg['context_length']}")

# %% [markdown]
# ## 2. Embeddings dos tokens
#
# `tok_emb` é uma tabela de 115 linhas, uma por caractere, com `emb_dim` = 64 números cada. Não
# dá para desenhar 64 dimensões; o **t-SNE** procura uma posição no plano para cada caractere de
# modo que vizinhos na tabela continuem vizinhos no desenho. As distâncias grandes do gráfico não
# querem dizer muito; o que vale é quem fica junto de quem.

# %% alt="Dois gráficos de dispersão t-SNE dos embeddings dos caracteres, antes e depois do treino, coloridos por tipo (vogal, consoante, dígito, pontuação, espaço), com o caractere escrito em cada ponto: antes, os tipos aparecem misturados; depois, os dígitos formam uma faixa, os sinais como '?', '!' e o travessão ficam juntos num canto e as vogais acentuadas se agrupam do outro lado, com consoantes e vogais sem acento ainda misturadas no meio."
import matplotlib.pyplot as plt

from gptlab_helpers.viz.plots import plot_positional_embeddings, plot_token_embeddings

fig, axes = plt.subplots(1, 2, figsize=(15, 6))
plot_token_embeddings(untrained, tokenizer, ax=axes[0], title="Embeddings dos tokens antes do treino")
plot_token_embeddings(model, tokenizer, ax=axes[1], title="Embeddings dos tokens depois do treino")
plt.show()

# %% [markdown]
# Antes do treino as cores estão misturadas: os vetores são sorteados e nada aproxima um "a" de
# um "e". Depois do treino do notebook 09 já aparecem vizinhanças: os dígitos formam uma faixa
# só deles, os sinais que terminam ou cortam frases ("?", "!", ":", o travessão) ficam juntos
# num canto e as vogais acentuadas se agrupam do outro lado. Outros grupos ainda são frouxos: as
# consoantes e as vogais sem acento se misturam no meio.
# Ninguém disse ao modelo o que é uma vogal ou um dígito; ele só precisava prever o próximo
# caractere, e caracteres que aparecem nos mesmos contextos (depois de "?" ou "!" costuma vir
# uma quebra de linha ou um travessão) acabam com vetores parecidos.
#
# O mesmo, em números: os vizinhos mais próximos de alguns caracteres pela **similaridade de
# cosseno** (1 = mesma direção, 0 = sem relação):

# %%
# NBVAL_IGNORE_OUTPUT
import torch.nn.functional as F


def nearest(embedding, char, k=5):
    vectors = F.normalize(embedding.weight.detach(), dim=-1)
    similarity = vectors @ vectors[tokenizer.encode(char)[0]]
    best = similarity.topk(k + 1).indices[1:]  # o primeiro é o próprio caractere
    return " ".join(f"{tokenizer.decode([i])!r}:{similarity[i]:.2f}" for i in best.tolist())


for char in ["a", "p", "?", "1"]:
    print(f"{char!r} antes: {nearest(untrained.tok_emb, char)}")
    print(f"{char!r} depois: {nearest(model.tok_emb, char)}\n")

# %% [markdown]
# Antes, os vizinhos são aleatórios. Depois, vários fazem sentido: o "?" tem como vizinhos o "!"
# e o ".", que aparecem nos mesmos lugares do texto; o "p" fica perto do "P"; o "a", perto do
# "à" e do "A". Os caracteres raros mudam menos, porque aparecem pouco no texto e recebem poucos
# gradientes: entre os vizinhos do "1", só o "2" é outro dígito. O GPTLab mostra grupos bem mais
# nítidos no modelo de 10 milhões de parâmetros; com mais passos no notebook 09 (`TRAIN_STEPS`),
# os nossos também se firmam.

# %% [markdown]
# ## 3. Embeddings posicionais
#
# `pos_emb` tem uma linha por posição do contexto (64). No gráfico, cada ponto é uma posição, a
# cor vai de 0 (roxo) a 63 (amarelo) e uma linha cinza liga as posições em ordem.

# %% alt="Dois gráficos de dispersão t-SNE dos embeddings posicionais, antes e depois do treino, um ponto por posição colorido pela posição no contexto e ligado por linhas cinzas à posição seguinte: antes, as cores estão misturadas pelo gráfico todo; depois, as primeiras posições (roxas) tendem a ficar de um lado e as últimas (amarelas) do outro, ainda com muita mistura e linhas cruzando o gráfico."
fig, axes = plt.subplots(1, 2, figsize=(15, 6))
plot_positional_embeddings(untrained, ax=axes[0], title="Embeddings posicionais antes do treino")
plot_positional_embeddings(model, ax=axes[1], title="Embeddings posicionais depois do treino")
plt.show()

# %% [markdown]
# Antes do treino a linha salta de um canto a outro: a posição 10 não tem nada a ver com a 11.
# Depois do treino as cores começam a se separar: as primeiras posições (roxas) de um lado, as
# últimas (amarelas) do outro, ainda com muita mistura no meio. O
# modelo aprende uma noção de "cedo" e "tarde" na janela. O GPTLab viu o mesmo efeito,
# nítido no modelo grande e, no modelo de CPU, só depois de 10.000 iterações. Em números, a
# similaridade média entre posições vizinhas e entre posições a 32 de distância:


# %%
# NBVAL_IGNORE_OUTPUT
def neighbour_similarity(embedding, gap):
    vectors = F.normalize(embedding.weight.detach(), dim=-1)
    return (vectors[:-gap] * vectors[gap:]).sum(dim=-1).mean().item()


for name, m in [("antes", untrained), ("depois", model)]:
    near, far = neighbour_similarity(m.pos_emb, 1), neighbour_similarity(m.pos_emb, 32)
    print(f"{name}: posições vizinhas {near:.2f} | posições a 32 de distância {far:.2f}")

# %% [markdown]
# Antes, vizinhas e distantes são igualmente (des)parecidas, com similaridade perto de 0.
# Depois do treino, as posições vizinhas já ficam mais parecidas entre si que as distantes: a
# diferença ainda é pequena, mas tem o sinal certo, e cresce com o treino. A tabela começa a
# virar uma régua.

# %% [markdown]
# ## 4. Atenção
#
# Em cada bloco, cada cabeça de atenção decide, para cada posição, quanto olhar para cada
# posição anterior. `plot_attention_heads` desenha esses pesos para a última camada e a frase
# "A figura é poética". As camadas são contadas a partir de 0, como os índices de
# `model.trf_blocks`: o modelo tem 4, e a última é a **camada 3**. Nos rótulos, `␣` é o espaço.
# A linha de um caractere mostra para onde ele olha (cada linha soma 1), e tudo acima da
# diagonal é zero por causa da máscara causal.

# %% alt="Quatro mapas de calor em grade 2 por 2, um por cabeça, com os pesos de atenção da camada 3 para a frase 'A figura é poética': linhas são o caractere que observa, colunas o observado, cada linha soma 1 e tudo acima da diagonal é zero pela máscara causal; na cabeça 0, as letras de 'poética' concentram o peso no 'p' do começo da palavra, e nas outras o peso se espalha entre os caracteres recentes."
from gptlab_helpers.viz.plots import plot_attention_heads

plot_attention_heads(model, tokenizer, "A figura é poética")
plt.show()

# %% [markdown]
# Cada cabeça aprendeu um padrão diferente. A primeira linha é sempre 1 (o "A" só pode olhar
# para si mesmo); o interessante está abaixo. Neste modelo, a cabeça 0 é a mais fácil de ler: as
# letras de "poética" olham quase todas para o "p", o começo da palavra (o começo ajuda a prever
# como a palavra continua). As outras espalham o peso entre os caracteres recentes e algumas
# posições mais atrás. Os padrões exatos mudam de um treino para outro; o que se repete é a
# divisão de trabalho entre as cabeças.

# %% [markdown]
# ## 5. Escolher ou sortear o próximo caractere
#
# O modelo devolve uma distribuição de probabilidades para o próximo caractere. Depois de
# "A figura é poétic", só duas letras fazem sentido: "a" (poética) e "o" (poético). A certa é
# "a", porque "figura" é feminina; mas essa palavra está 12 caracteres atrás, longe para um
# modelo tão pequeno. As barras mostram os caracteres mais prováveis em três temperaturas:

# %% alt="Três gráficos de barras com a probabilidade dos caracteres mais prováveis depois de 'A figura é poétic', um por temperatura (0,5, 1,0 e 2,0): com temperatura baixa um caractere domina; com temperatura alta as barras ficam parecidas."
from gptlab_helpers.viz.plots import plot_next_token_probabilities

plot_next_token_probabilities(model, tokenizer, "A figura é poétic", temperatures=(0.5, 1.0, 2.0))
plt.show()

# %% [markdown]
# Com o treino do notebook 09, este modelo prefere o "o" e erra o gênero. Não é por imitar o
# texto de treino: nos contos, a forma feminina é a mais comum.

# %%
from gptlab_helpers.training.corpus import load_corpus

machado = load_corpus("machado_de_assis_conto")
for word in ("poética", "poético"):
    print(f"{word!r}: {machado.count(word)} vezes nos contos")

# %% [markdown]
# O modelo ainda não liga o fim de uma palavra a um substantivo 12 caracteres atrás; é o tipo de
# concordância que um modelo maior, ou treinado por mais passos, costuma aprender.

# %% [markdown]
# Com temperatura 0,5 a distribuição fica mais pontuda (o favorito ganha ainda mais); com 2,0,
# mais achatada (os caracteres menos prováveis ganham chance). Há duas maneiras de escolher:
#
# - `torch.argmax(probas)`: sempre o mais provável. Determinístico.
# - `torch.multinomial(probas, 1)`: um sorteio em que cada caractere sai com a sua probabilidade.
#
# Sorteando 1.000 vezes, a frequência de cada caractere se aproxima da probabilidade:

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers.generation import next_token_probabilities

context = torch.tensor([tokenizer.encode("Ela olhou para o ")])
with torch.no_grad():
    probas = next_token_probabilities(model(context)[:, -1, :], temperature=1.0)[0]
draws = torch.multinomial(probas, 1000, replacement=True, generator=torch.Generator().manual_seed(0))
counts = torch.bincount(draws, minlength=len(probas))
print("argmax:", repr(tokenizer.decode([probas.argmax().item()])))
for i in probas.topk(6).indices.tolist():
    print(f"{tokenizer.decode([i])!r}: probabilidade {probas[i]:.3f} | sorteado {counts[i] / 1000:.3f}")

# %% [markdown]
# Depois de "Ela olhou para o " muitas letras são possíveis (a próxima palavra pode ser
# qualquer uma): o `argmax` sempre escolhe a mesma, o `multinomial` escolhe cada uma na proporção
# certa. Em um texto longo, essa diferença decide entre repetir e variar. Medimos quantos
# trechos de 20 caracteres são diferentes em 600 caracteres gerados de cada jeito:

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers.generation import generate

prompt = torch.tensor([tokenizer.encode("A figura é poética")])
for name, temperature in [("argmax", 0.0), ("multinomial", 1.0)]:
    seeded = torch.Generator().manual_seed(0)
    ids = generate(model, prompt, 600, cfg["context_length"], temperature, generator=seeded)
    out = tokenizer.decode(ids[0])
    pieces = [out[i : i + 20] for i in range(len(out) - 20)]
    print(f"{name:>12}: {len(set(pieces)) / len(pieces):.0%} dos trechos de 20 caracteres são inéditos")
    print(f"{'':>14}...{out[-120:]!r}\n")

# %% [markdown]
# Com `argmax`, depois que o texto cai num laço os mesmos trechos voltam sem parar e a fração de
# trechos inéditos despenca. Com `multinomial` quase todo trecho é novo. É o que o GPTLab mostra
# no experimento 3: a escolha gulosa é útil quando se quer a resposta mais provável, mas para
# escrever texto o sorteio (com uma temperatura ajustada) funciona melhor.

# %% [markdown]
# ## Explorando: camada e cabeça de atenção
#
# Os mapas da seção 4 mostram só a última camada. Aqui dá para escolher a camada (0 a 3) e a
# cabeça e ver o mapa de atenção da mesma frase. A figura abaixo é o estado inicial (camada 3,
# cabeça 0); os seletores aparecem quando o notebook roda no JupyterLab ou no Colab.

# %% alt="Mapa de calor dos pesos de atenção da camada 3, cabeça 0, para a frase 'A figura é poética': linhas são o caractere que observa, colunas o observado, e tudo acima da diagonal é zero pela máscara causal. Abaixo, seletores de camada e cabeça."
from gptlab_helpers.viz.explorations import explore_attention

panel = explore_attention(model, tokenizer, "A figura é poética")

# %% [markdown]
# ## Perguntas frequentes
#
# **O t-SNE dá sempre o mesmo desenho?**
# Com a mesma semente (`random_state`) e os mesmos vetores, sim. Com outra semente, o desenho
# pode girar ou espelhar, e os grupos mudam de lugar, mas quem está perto de quem se mantém. Por
# isso o que se lê num t-SNE é a vizinhança, não as coordenadas.
#
# **Por que o embedding posicional do modelo de CPU do GPTLab não formou padrão em 5.000
# iterações?**
# A ordem das posições só é aprendida quando o modelo usa bem o contexto; com taxa de aprendizado
# baixa e poucos passos, as linhas de `pos_emb` quase não saem do sorteio inicial. Com a receita
# do notebook 09 (taxa 20 vezes maior, com aquecimento e cosseno), os passos dele bastam para o
# padrão **começar** a aparecer, como mostra a seção 3; o GPTLab o viu ficar nítido com mais
# iterações.
#
# **Os pesos de atenção dizem o que o modelo "pensa"?**
# Dizem de onde cada cabeça copia informação, não por quê. Eles são um bom ponto de partida para
# investigar, mas a mesma informação pode chegar por vários caminhos (outras cabeças, outras
# camadas, o atalho residual).
#
# **Temperatura 0 é o mesmo que `argmax`?**
# Sim. Dividir por 0 não é possível; por isso `generate` trata `temperature=0` como o caso
# especial "escolha o mais provável".

# %% [markdown]
# ## Próximos passos
#
# - [11 · Caracteres ou BPE?](11_caracteres_vs_bpe.ipynb): o que muda quando o tokenizador é o do
#   GPT-2.
# - Voltar ao [09 · Treinando um GPT com Machado de Assis](09_treinando_um_gpt_com_machado.ipynb) e
#   treinar por mais passos: os grupos do t-SNE e a régua posicional ficam mais nítidos.
