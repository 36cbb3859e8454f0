# ruff: noqa: E402
# Fonte de notebooks/09_treinando_um_gpt_com_machado.ipynb. Depois de editar, rode:
# python scripts/build_notebooks.py --only 09

# %% [markdown]
# # 09 · Treinando um GPT com Machado de Assis
#
# Nas aulas 01 a 08 montamos o `GPTModel` peça por peça, mas os pesos eram aleatórios e o
# texto gerado não fazia sentido. Agora vamos **treinar** o mesmo modelo, numa versão pequena,
# com os contos de Machado de Assis, lendo o texto caractere por caractere, como faz o projeto
# [GPTLab](https://github.com/wmelo52/GPTLab). Tudo roda na CPU de um notebook comum em poucos
# minutos.
#
# ## Objetivos de aprendizagem
#
# - Carregar um corpus conferindo a origem e a integridade do arquivo (sha256).
# - Construir um tokenizador de caracteres e reconhecer os IDs que o GPTLab usa.
# - Montar lotes de treino: janelas do texto e o alvo deslocado de um caractere.
# - Treinar um `GPTModel` com AdamW, aquecimento + cosseno e corte do gradiente, acompanhando as
#   perdas de treino e de validação.
# - Gravar e recarregar um checkpoint.
# - Gerar texto com temperaturas diferentes e com top-k, e explicar por que a geração gulosa
#   entra em laços de repetição.
#
# **Quanto tempo leva:** o treino desta página tem um número fixo de passos, que levam cerca de
# um minuto e meio numa CPU de 2 núcleos sem outros programas pesados rodando (mais num Colab
# gratuito, bem menos com GPU); o resto do notebook leva alguns segundos. Como o limite é de
# passos, e não de tempo, a sua execução dá o mesmo modelo e as mesmas saídas desta página.

# %% [markdown]
# ## 1. O corpus
#
# O texto de treino são os contos de Machado de Assis (domínio público) que o GPTLab usa. Ele
# vem no repositório, em `corpus/`, ao lado de um **manifesto** com a origem, o tamanho e o
# sha256 de cada arquivo. `load_corpus` lê o arquivo de `corpus/` e confere o sha256; se ele não
# estiver lá (no Colab, por exemplo), baixa da origem, conferindo do mesmo jeito.

# %%
import torch

from gptlab_helpers.training.corpus import CORPORA, load_corpus

for key, value in CORPORA["machado_de_assis_conto"].items():
    print(f"{key:>12}: {value}")

text = load_corpus("machado_de_assis_conto")
print(f"\n{len(text):,} caracteres")

# %% [markdown]
# São 1.724.227 caracteres (o arquivo tem 1.779.401 bytes porque letras acentuadas ocupam dois
# bytes em UTF-8). O sha256 é uma impressão digital do arquivo: se um único byte mudasse, ele
# seria outro, e `load_corpus` recusaria o texto. Assim, todos treinam com o mesmo texto e as
# perdas podem ser comparadas.
#
# Um trecho do primeiro conto, "Miss Dollar", que termina na frase que vamos usar para gerar
# texto:

# %%
end = text.find("A figura é poética") + len("A figura é poética, mas não é a da heroína do romance.")
print(text[end - 330 : end])

# %% [markdown]
# ## 2. Um tokenizador de caracteres
#
# O GPT-2 usa um tokenizador BPE com 50.257 pedaços de palavras. O GPTLab faz algo mais simples:
# **cada caractere distinto do texto é um token**. O vocabulário são os caracteres do corpus em
# ordem de código Unicode, e o ID de um caractere é a sua posição nessa lista.

# %%
from gptlab_helpers.training.char_tokenizer import CharTokenizer

tokenizer = CharTokenizer.from_text(text)
print("tamanho do vocabulário:", tokenizer.n_vocab)
print(repr("".join(tokenizer.chars)))

# %% [markdown]
# São 115 caracteres: quebra de linha, espaço, pontuação, dígitos, letras maiúsculas e
# minúsculas e as letras acentuadas do português. O vocabulário é minúsculo perto dos 50.257
# tokens do GPT-2 (o notebook 11 compara os dois).
#
# Codificando o começo da frase do GPTLab:

# %%
ids = tokenizer.encode("A figura é poética, mas ")
print(ids)
print(repr(tokenizer.decode(ids)))

# %% [markdown]
# Um ID por caractere: 24 caracteres, 24 IDs. São **os mesmos números** do README do GPTLab
# (`26` = "A", `1` = espaço, `101` = "é"), porque o vocabulário foi montado do mesmo jeito. O
# `decode` faz o caminho de volta.
#
# Um caractere que não aparece nos contos não tem ID, e o tokenizador diz qual é e onde está:

# %%
try:
    tokenizer.encode("Olá, señor")
except ValueError as error:
    print("erro:", error)

# %% [markdown]
# ## 3. Treino e validação
#
# Seguindo o GPTLab, os primeiros 90% do texto são para treinar e os últimos 10% para
# **validar**: medir a perda num trecho que o modelo nunca viu. Se a perda de treino cai e a de
# validação não, o modelo está decorando em vez de aprender.

# %%
from gptlab_helpers.training.data import train_val_split

data = torch.tensor(tokenizer.encode(text))
train_ids, val_ids = train_val_split(data)
print(f"treino: {len(train_ids):,} tokens | validação: {len(val_ids):,} tokens")

# %% [markdown]
# 1.551.804 caracteres para treinar e 172.423 para validar. O corte é contíguo: a validação é o
# final do livro, não frases sorteadas do meio dele.
#
# ## 4. Lotes: entrada e alvo
#
# O modelo aprende a prever o próximo caractere. Um exemplo de treino é uma janela de
# `context_length` caracteres, e o alvo é a mesma janela deslocada de uma posição. A função
# `random_batch` sorteia várias janelas de uma vez (é o `get_batch` do GPTLab):

# %%
from gptlab_helpers.training.data import random_batch

x, y = random_batch(train_ids, batch_size=2, context_length=16, generator=torch.Generator().manual_seed(1))
print("forma de x e y:", tuple(x.shape))
for row in range(2):
    print(f"x: {tokenizer.decode(x[row])!r}\ny: {tokenizer.decode(y[row])!r}")

# %% [markdown]
# `x` e `y` têm forma `(2, 16)`: 2 janelas de 16 caracteres, e cada `y` é o seu `x` deslocado
# de uma posição. Uma janela só ensina 16 previsões de uma vez, cada uma com um contexto maior:

# %%
for t in range(6):
    print(f"contexto {tokenizer.decode(x[0, : t + 1])!r:>10} -> alvo {tokenizer.decode(y[0, t : t + 1])!r}")

# %% [markdown]
# A posição 0 prevê com um caractere de contexto; a posição 5, com seis. É por isso que a
# atenção precisa da máscara causal: a posição 2 não pode espiar o alvo que está na posição 3.

# %% [markdown]
# ## 5. O modelo
#
# É o `GPTModel` das aulas, sem mudar uma linha: só a configuração é outra. O GPT-2 da aula tem
# 768 dimensões e 12 blocos; aqui usamos uma versão reduzida, que cabe numa CPU:

# %%
from gptlab_helpers import GPTModel
from gptlab_helpers.training import CHAR_GPT_CONFIG

for key, value in CHAR_GPT_CONFIG.items():
    print(f"{key:>15}: {value}")
torch.manual_seed(123)
model = GPTModel(CHAR_GPT_CONFIG)
print(f"\nparâmetros: {sum(p.numel() for p in model.parameters()):,}")

# %% [markdown]
# Cerca de 218 mil parâmetros, quase 600 vezes menos que os 124 milhões do GPT-2 pequeno. É o
# tamanho do modelo de CPU do GPTLab (4 camadas, 4 cabeças, 64 dimensões); a única diferença de
# forma é o contexto, 64 caracteres em vez de 32. `use_sdpa=True` faz a atenção com
# `F.scaled_dot_product_attention`, a função pronta do PyTorch para a mesma conta da aula 05, mais
# depressa; `fast_kernels=True` faz o mesmo com a LayerNorm e a GELU (`F.layer_norm` e `F.gelu`,
# as contas das aulas 02 e 03). Os parâmetros são os mesmos, e os resultados coincidem até a 5ª
# casa decimal: só o treino fica mais rápido.
# Sem dropout: com 1,5 milhão de caracteres e poucos minutos de treino, o modelo não chega a
# decorar o texto.
#
# Antes de treinar, quanto vale a perda de validação?

# %%
import math

from gptlab_helpers.training import estimate_loss
from gptlab_helpers.training.data import fixed_batches

# 20 lotes de 32 janelas espalhados pela validação: os mesmos trechos que `train` vai usar
val_batches = fixed_batches(val_ids, 32, CHAR_GPT_CONFIG["context_length"], num_batches=20)
print(f"perda de validação antes do treino: {estimate_loss(model, val_batches, 'cpu'):.2f}")
print(f"ln(115) = {math.log(115):.2f}")

# %% [markdown]
# A perda é a **entropia cruzada**: a média de −ln(probabilidade que o modelo deu ao caractere
# certo). Um modelo que chutasse ao acaso, 1/115 para cada caractere, teria perda ln(115) ≈ 4,74.
# O modelo sem treino está um pouco pior que isso (4,9): seus palpites aleatórios são confiantes
# demais. O GPTLab chegou a 2,02 depois de 5.000 iterações na CPU e a 1,87 depois de 10.000.

# %% [markdown]
# ## 6. O treino
#
# A função `train` faz o laço completo. Em cada passo:
#
# 1. sorteia um lote de 32 janelas de 64 caracteres (`random_batch`);
# 2. calcula a entropia cruzada entre os logits `(B, T, 115)` e os alvos `(B, T)`;
# 3. retropropaga, **corta** a norma do gradiente em 1,0 (um lote estranho não dá um passo
#    enorme) e dá um passo do otimizador **AdamW**;
# 4. a cada 100 passos mede as perdas de treino e validação, sempre nos mesmos trechos.
#
# A taxa de aprendizado não é fixa: ela sobe durante 50 passos de **aquecimento** (os pesos
# começam aleatórios e o AdamW ainda não tem boas médias dos gradientes) e depois desce como
# meio **cosseno** até um décimo do valor máximo. Passos grandes no começo, passos finos no fim:

# %% alt="Curva da taxa de aprendizado ao longo dos passos do treino desta página: sobe em linha reta durante o aquecimento até o pico e depois desce em forma de cosseno até um décimo do pico."
import matplotlib.pyplot as plt

from gptlab_helpers.training import CHAR_TRAIN_SETTINGS, CHAR_TRAIN_STEPS, learning_rate_at

steps = range(CHAR_TRAIN_STEPS)
peak = CHAR_TRAIN_SETTINGS["learning_rate"]
warmup = CHAR_TRAIN_SETTINGS["warmup_steps"]
rates = [learning_rate_at(s, CHAR_TRAIN_STEPS, peak, warmup, peak / 10) for s in steps]
plt.figure(figsize=(6, 3))
plt.plot(steps, rates)
plt.title("Taxa de aprendizado: aquecimento + cosseno")
plt.xlabel(f"passo (num treino de {CHAR_TRAIN_STEPS} passos)")
plt.ylabel("taxa de aprendizado")
plt.show()

# %% [markdown]
# Aqui o treino dá um número fixo de passos (`max_steps`), e o cosseno vai do pico ao piso ao
# longo deles. Com a mesma semente, o mesmo texto e os mesmos passos, o resultado não depende da
# máquina: uma CPU lenta só demora mais para chegar ao mesmo modelo. A barra mostra o passo, a
# velocidade e as perdas. (Se o seu tempo é curto, `train` também aceita um limite de relógio,
# `max_seconds=...`: o cosseno passa a acompanhar a fração do tempo, e o treino para no que
# vier primeiro. O modelo então depende da velocidade da máquina.)
#
# No fim, `train` grava um **checkpoint** (modelo, otimizador, configuração, tokenizador e passo)
# em `checkpoints/`. Se você interromper o kernel no meio (botão ■ ou Ctrl-C), o treino para,
# grava o que já aprendeu e devolve o histórico.

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers.training import CHAR_TRAIN_STEPS, train

TRAIN_STEPS = CHAR_TRAIN_STEPS  # aumente (por exemplo, 10 vezes) e a perda de validação desce mais
CHECKPOINT = "checkpoints/machado_char.pt"

history = train(
    model,
    train_ids,
    val_ids,
    max_steps=TRAIN_STEPS,
    checkpoint_path=CHECKPOINT,
    tokenizer=tokenizer,
    **CHAR_TRAIN_SETTINGS,
)

# %% [markdown]
# ## 7. A curva de perda
#
# `history` guarda, para cada avaliação, o passo, os segundos, os tokens vistos e as duas perdas.
# As linhas cinzentas marcam os resultados de CPU do GPTLab. Cuidado ao lê-las: são só **níveis
# de perda**. O GPTLab chegou a eles depois de 5.000 e 10.000 iterações da receita **dele**
# (outro tamanho de lote, outro contexto, outra taxa de aprendizado), e não nos passos do eixo x
# deste gráfico; a legenda diz isso em cada linha.

# %% alt="Curvas da perda de treino e de validação ao longo dos passos, quase sobrepostas: despencam de perto de 4,9 para perto de 2,5 nos primeiros 100 passos e depois descem devagar até perto de 1,7, abaixo das duas linhas horizontais de referência com a perda do GPTLab após 5.000 e 10.000 iterações da receita dele."
from gptlab_helpers.viz.plots import plot_losses

gptlab_levels = {
    "GPTLab, após 5.000 iterações da receita dele": 2.02,
    "GPTLab, após 10.000 iterações da receita dele": 1.87,
}
plot_losses(history, reference=gptlab_levels)
plt.show()

# %%
# NBVAL_IGNORE_OUTPUT
print(f"passos: {history['step'][-1]:,} | tokens vistos: {history['tokens'][-1]:,}")
print(f"tempo: {history['seconds'][-1]:.0f} s | perda de validação final: {history['val_loss'][-1]:.3f}")
print(f"passadas pelo texto de treino: {history['tokens'][-1] / len(train_ids):.1f}")

# %% [markdown]
# Só o tempo depende da máquina; os passos, os tokens e as perdas são os mesmos em qualquer uma.
# A perda de validação final fica abaixo das duas linhas do GPTLab no gráfico.
# A perda despenca nos primeiros passos, quando o modelo aprende quais caracteres são
# comuns e que depois de espaço vem letra; depois desce devagar, enquanto aprende sílabas,
# palavras e pontuação. As curvas de treino e validação andam juntas: a última linha acima
# (tokens vistos divididos pelo tamanho do texto de treino) diz quantas vezes, em média, o
# modelo passou por cada trecho do texto: poucas, pouco para decorá-lo. Num treino dez vezes
# mais longo a curva de treino começa a descer mais que a de validação: é o começo do sobreajuste.

# %% [markdown]
# ## 8. O checkpoint
#
# `load_trained_model` reconstrói o modelo a partir do arquivo. O checkpoint é lido com
# `torch.load(..., weights_only=True)`: só tensores e tipos simples, nenhum código. Isso protege
# contra o risco do pickle (um arquivo .pt comum pode executar código qualquer ao ser aberto),
# não contra pesos ruins: um checkpoint de outra pessoa abre sem rodar nada dela, mas pode
# conter qualquer modelo.

# %%
from gptlab_helpers.training import load_trained_model

model, tokenizer, checkpoint = load_trained_model(CHECKPOINT, device="cpu")
print("chaves:", sorted(checkpoint))
print("mesmo passo do histórico:", checkpoint["step"] == history["step"][-1])
print("mesmo tokenizador:", tokenizer.n_vocab, "caracteres")

# %% [markdown]
# O arquivo guarda os pesos (`model_state`), o estado do AdamW (`optimizer_state`, as médias dos
# gradientes), a configuração do modelo, o vocabulário, o passo, o histórico, os argumentos do
# treino (`settings`) e o estado dos sorteios (`rng`). Com tudo isso, `train(..., resume=True)`
# continua exatamente de onde parou.
#
# ## 9. Gerando texto
#
# `generate` é o `generate_text_simple` da aula 08 com três botões a mais: `temperature`,
# `top_k` e `top_p`. Com temperatura 0 ela escolhe sempre o caractere mais provável (geração
# **gulosa**, o `argmax`):

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers.generation import generate

prompt = torch.tensor([tokenizer.encode("A figura é poética")])
context_size = CHAR_GPT_CONFIG["context_length"]


def complete(temperature, top_k=None, new_chars=300):
    seeded = torch.Generator().manual_seed(123)  # o mesmo sorteio a cada chamada
    out = generate(model, prompt, new_chars, context_size, temperature, top_k, generator=seeded)
    return tokenizer.decode(out[0])


print(complete(temperature=0.0))

# %% [markdown]
# O começo pode até soar como Machado, mas logo a geração gulosa entra num **laço**: a mesma
# expressão se repete até o fim. Por quê? São duas coisas juntas. Primeiro, a escolha gulosa é
# uma função fixa dos últimos 64 caracteres: quando uma janela inteira de 64 caracteres se
# repete, tudo o que vem depois se repete também, para sempre. Segundo, isso acontece cedo,
# porque um modelo treinado dá mais probabilidade a continuar um padrão que acabou de aparecer
# no contexto: cada repetição torna a próxima mais provável, um ciclo que se reforça (Holtzman
# et al., 2020, *The Curious Case of Neural Text Degeneration*, mediram esse efeito no GPT-2).
# O sorteio da próxima seção quebra o ciclo. O GPTLab mostra o mesmo efeito com o modelo grande.
#
# Com os mesmos passos e a mesma semente, o seu modelo é este, e a sua saída deve ser a desta
# página; com um treino mais longo o texto muda, mas o laço continua aparecendo.

# %% [markdown]
# Com temperatura, o próximo caractere é **sorteado** das probabilidades (divididas pela
# temperatura antes da softmax), e o texto sai do laço. Temperatura 0,5 fica perto da escolha
# gulosa, 0,9 é o valor que o GPTLab preferiu, e 2,0 achata as probabilidades. O gráfico mostra
# o efeito na distribuição do próximo caractere depois de "A figura é poétic", com os mesmos 12
# caracteres em cada painel:

# %% alt="Três gráficos de barras com a probabilidade dos caracteres mais prováveis depois de 'A figura é poétic', um por temperatura (0,5, 0,9 e 2,0): com temperatura baixa quase toda a probabilidade fica em 'o' e 'a', com 'o' na frente; com temperatura 2,0 essas duas barras baixam e os outros caracteres ganham probabilidade."
from gptlab_helpers.viz.plots import plot_next_token_probabilities

plot_next_token_probabilities(model, tokenizer, "A figura é poétic", temperatures=(0.5, 0.9, 2.0))
plt.show()

# %% [markdown]
# Com 0,5 a probabilidade se concentra ainda mais no favorito; com 2,0 ela se espalha pelos
# outros caracteres. Agora o texto gerado com cada uma:

# %%
# NBVAL_IGNORE_OUTPUT
for temperature in (0.5, 0.9, 2.0):
    print(f"--- temperatura {temperature}\n{complete(temperature)}\n")

# %% [markdown]
# - **0,5**: a maior parte das palavras existe e a pontuação cai em lugares plausíveis, mas já
#   escapam palavras inventadas, e as frases não chegam a fazer sentido.
# - **0,9**: mais variado e com mais palavras inventadas, todas com cara de português.
# - **2,0**: letras raras, maiúsculas e dígitos no meio das palavras. Dividir os logits por 2
#   aproxima as probabilidades dos caracteres improváveis das dos prováveis, e os raros, que são
#   muitos, passam a sair o tempo todo.
#
# O **top-k** corta a cauda: só os `k` caracteres mais prováveis podem ser sorteados. Mesmo com
# temperatura 2,0, `top_k=5` impede os caracteres absurdos:

# %%
# NBVAL_IGNORE_OUTPUT
print(complete(temperature=2.0, top_k=5))

# %% [markdown]
# Continua ousado (a temperatura alta espalha a probabilidade entre os 5 finalistas), mas sem os
# dígitos e as maiúsculas no meio das palavras. `top_p` faz o mesmo corte de outro jeito: mantém
# o menor grupo de caracteres cuja probabilidade somada chega a `top_p`.

# %% [markdown]
# ## Perguntas frequentes
#
# **Por que a perda começa perto de ln(115)?**
# Porque um modelo sem treino não sabe nada e espalha a probabilidade entre os 115 caracteres:
# −ln(1/115) ≈ 4,74. Cada ponto a menos é ganho do treino; 2,0 significa que, em média, o modelo
# dá probabilidade e^(−2) ≈ 0,14 ao caractere certo.
#
# **O que é uma época aqui?**
# O treino não percorre o texto em ordem: cada passo sorteia janelas de qualquer ponto. Uma
# "época" seriam 1,55 milhão de caracteres, ou cerca de 760 passos de 32 × 64 caracteres.
#
# **Como treinar mais?**
# Aumente `TRAIN_STEPS` e rode de novo. Para continuar um treino salvo em vez de recomeçar, use
# `train(model, train_ids, val_ids, max_steps=NOVO_TOTAL, checkpoint_path=CHECKPOINT, resume=True,
# **CHAR_TRAIN_SETTINGS)` com um total maior que os passos já dados. Atenção: o cosseno é
# calculado sobre o total, então continuar até `NOVO_TOTAL` não dá exatamente o mesmo que um treino
# que tivesse começado com esse total.
#
# **E se eu tiver GPU?**
# `train` escolhe sozinho `cuda` (NVIDIA), `mps` (Mac com chip Apple) ou `cpu`. No Colab, ative a
# GPU em *Ambiente de execução → Alterar o tipo de ambiente de execução*.
#
# **Por que aqui um minuto e meio basta e o GPTLab levou 14 minutos para chegar a 2,02?**
# O modelo tem o mesmo tamanho; mudam as escolhas de treino. A taxa de aprendizado é 20 vezes
# maior (6e-3 em vez de 3e-4), com aquecimento, cosseno e corte do gradiente para o treino não
# divergir;
# as janelas têm 64 caracteres em vez de 32 (mais contexto para cada previsão); não há dropout;
# a atenção, a LayerNorm e a GELU usam kernels fundidos; e as avaliações são baratas (as mesmas
# 640 janelas a cada 100 passos, em lotes de 128, enquanto o treino do GPTLab gasta metade do
# tempo avaliando). O script
# `scripts/benchmark_training.py` mede as duas receitas na mesma máquina.
#
# **Por que não usar dropout?**
# Dropout combate o sobreajuste, que aparece quando o modelo decora o texto de treino. Neste
# treino o modelo vê cada trecho do texto só umas poucas vezes (a seção 7 imprime quantas) e as curvas de treino e validação
# andam juntas: o dropout só atrasaria o aprendizado. Em treinos longos a distância entre as
# curvas cresce; aí vale experimentar um modelo com dropout,
# `GPTModel(dict(CHAR_GPT_CONFIG, drop_rate=0.1))`.

# %% [markdown]
# ## Próximos passos
#
# - [10 · Olhando dentro do modelo](10_olhando_dentro_do_modelo.ipynb): o que os embeddings e a
#   atenção aprenderam com este treino.
# - [11 · Caracteres ou BPE?](11_caracteres_vs_bpe.ipynb): o que muda com o tokenizador do GPT-2.
