# ruff: noqa: E402
# Fonte de notebooks/13b_corrida_gpt2_vs_moderno.ipynb. Depois de editar, rode:
# python scripts/build_notebooks.py --only 13b

# %% [markdown]
# # 13b · Apêndice: a corrida entre o GPT-2 e um modelo moderno
#
# A aula 13 montou as peças dos modelos atuais (RMSNorm, SwiGLU, RoPE, GQA, sem bias) e dois
# modelos de caracteres com o mesmo número de parâmetros: o GPT-2 do notebook 09 e a sua versão
# moderna. Este apêndice faz a pergunta seguinte, que pede outro método: **as peças novas ajudam
# um modelo pequeno a aprender mais depressa?** Para responder, treinamos os dois com o mesmo
# tempo de CPU. Leia antes a [aula 13](13_gpt2_vs_modelos_atuais.ipynb) (seção 7) e o
# [notebook 09](09_treinando_um_gpt_com_machado.ipynb) (o treino com Machado de Assis).
#
# ## Objetivos de aprendizagem
#
# - Comparar dois modelos com o mesmo orçamento de tempo, e não só com o mesmo número de passos.
# - Separar duas perguntas: quem dá passos mais baratos e quem aprende mais por passo.
#
# **Quanto tempo leva:** cerca de dois minutos, quase todo gasto na corrida (45 s de treino para
# cada modelo).

# %% [markdown]
# ## 1. Os dois modelos
#
# Os mesmos da seção 7 da aula 13: `CHAR_GPT_CONFIG` e `MODERN_CHAR_CONFIG`, criados com a mesma
# semente. A célula imprime o total de parâmetros de cada um:

# %%
import torch

from gptlab_helpers import GPTModel
from gptlab_helpers.presets import MODERN_CHAR_CONFIG
from gptlab_helpers.training import CHAR_GPT_CONFIG

torch.manual_seed(123)
gpt2_char, modern_char = GPTModel(CHAR_GPT_CONFIG), GPTModel(MODERN_CHAR_CONFIG)
for name, model in (("GPT-2", gpt2_char), ("moderno", modern_char)):
    print(f"{name:>8}: {sum(p.numel() for p in model.parameters()):,} parâmetros")

# %% [markdown]
# ## 2. A corrida, com o mesmo tempo de CPU
#
# As peças novas ajudam um modelo pequeno a aprender mais depressa? Treinamos os dois modelos
# (mesmo número de parâmetros, mesma taxa de aprendizado e mesmos lotes) com os contos de
# Machado de Assis, como no notebook 09, e damos a cada um **45 segundos** de CPU.
#
# `train_side_by_side` reveza os modelos, um passo de cada vez, e cada um só conta o tempo dos
# seus próprios passos. Assim, se a máquina ficar mais lenta no meio (outro programa, o
# navegador), os dois sofrem igual. Durante a corrida o PyTorch usa um núcleo só: os 45 segundos
# de cada modelo são 45 segundos de um núcleo.

# %%
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.training.corpus import load_corpus
from gptlab_helpers.training.data import train_val_split

text = load_corpus("machado_de_assis_conto")
tokenizer = CharTokenizer.from_text(text)
train_ids, val_ids = train_val_split(torch.tensor(tokenizer.encode(text)))
print(f"treino: {len(train_ids):,} caracteres | validação: {len(val_ids):,}")

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers.training import CHAR_TRAIN_SETTINGS
from gptlab_helpers.training.side_by_side import train_side_by_side

RACE_SECONDS = 45  # por modelo; aumente para ver as curvas mais longe
settings = dict(CHAR_TRAIN_SETTINGS, eval_batches=10)
histories = train_side_by_side(
    {"GPT-2": gpt2_char, "moderno": modern_char}, train_ids, val_ids, RACE_SECONDS, settings, evaluations=6
)
for name, history in histories.items():
    print(
        f"{name:>8}: {history['step'][-1]:>5,} passos em {history['seconds'][-1]:.0f} s, "
        f"perda de validação {history['val_loss'][-1]:.3f}"
    )

# %% alt="Dois gráficos da perda de validação do GPT-2 e do modelo moderno, com o mesmo número de parâmetros: à esquerda pelo tempo de CPU gasto em passos de treino, à direita pelo número do passo; nos dois, as curvas caem juntas no começo e depois a do moderno fica abaixo da do GPT-2."
import matplotlib.pyplot as plt

fig, (by_time, by_step) = plt.subplots(1, 2, figsize=(10, 4), sharey=True)
for name, history in histories.items():
    by_time.plot(history["seconds"], history["val_loss"], "o-", label=name)
    by_step.plot(history["step"], history["val_loss"], "o-", label=name)
by_time.set_title("Por tempo de CPU")
by_time.set_xlabel("segundos de CPU (um núcleo) em passos de treino")
by_time.set_ylabel("perda de validação (nats)")
by_step.set_title("Por passo de treino")
by_step.set_xlabel("passos")
by_step.legend()
fig.suptitle("GPT-2 x moderno, com o mesmo número de parâmetros (Machado, caracteres)")
plt.show()

# %% [markdown]
# Os números exatos dependem da máquina (e de quanto ela estava ocupada), por isso a célula da
# corrida não é conferida pelo nbval. Os dois gráficos separam duas perguntas, e a célula abaixo
# as responde em números para esta execução:
#
# - **Quem dá passos mais baratos (à esquerda)?** O moderno não tem embedding posicional e tem
#   K/V menores, mas o RoPE, a RMSNorm e a SwiGLU somam operações pequenas que, num modelo deste
#   tamanho na CPU, custam quase o mesmo que economizam: conforme a máquina, ele dá um pouco
#   mais ou um pouco menos passos que o GPT-2 no mesmo tempo.
# - **Quem aprende mais por passo (à direita)?** Na execução gravada, com o mesmo número de
#   passos, a curva do moderno fica abaixo (a célula abaixo dá a perda dos dois no mesmo
#   passo). Uma explicação provável: o RoPE dá a cada atenção a distância entre os caracteres,
#   que é o que um modelo de caracteres mais usa (qual letra veio duas posições atrás), sem ter
#   de aprender 64 vetores de posição. Separar o efeito de cada peça pede um experimento por
#   peça (veja os próximos passos).

# %%
# NBVAL_IGNORE_OUTPUT
import numpy as np

common_step = min(history["step"][-1] for history in histories.values())
for name, history in histories.items():
    at_common = np.interp(common_step, history["step"], history["val_loss"])
    print(
        f"{name:>8}: {history['step'][-1] / history['seconds'][-1]:.1f} passos/s | "
        f"perda de validação no passo {common_step:,}: {at_common:.3f}"
    )

# %% [markdown]
# Um modelo tão pequeno, treinado tão pouco, não decide a questão para modelos de bilhões de
# parâmetros; mas as mesmas escolhas aparecem em todos os modelos da tabela porque pagaram o seu
# custo em experimentos bem maiores (veja as referências).

# %% [markdown]
# ## Próximos passos
#
# - Volte uma peça de cada vez ao GPT-2, por exemplo
#   `GPTModel(dict(MODERN_CHAR_CONFIG, pos_encoding="learned"))`, e rode a corrida de novo: qual
#   peça pesa mais neste modelo pequeno? (Confira o número de parâmetros de cada variante.)
# - `python scripts/benchmark_modern.py --seconds 300` faz a mesma corrida fora do notebook, com
#   5 minutos de CPU para cada modelo.
# - De volta à trilha: [14 · Os pesos do GPT-2](14_pesos_do_gpt2.ipynb).
