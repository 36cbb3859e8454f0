# ruff: noqa: E402
# Fonte de notebooks/07_dropout_separado.ipynb. Depois de editar, rode: python scripts/build_notebooks.py --only 07

# %% [markdown]
# # 07 · Dropout separado
#
# O GPT da aula 05 usa uma só taxa de dropout, `drop_rate = 0.1`, em três lugares diferentes.
# A lista de exercícios pede três taxas, uma para cada lugar, e um jeito de conferir que cada
# dropout zera a fração certa dos valores. Esta aula prepara esse exercício: como o dropout
# funciona, onde ele fica no GPT e duas formas de medir a porcentagem de zeros. O dropout foi
# proposto por Srivastava, Hinton, Krizhevsky, Sutskever e Salakhutdinov, *Dropout: A Simple Way
# to Prevent Neural Networks from Overfitting* (JMLR 15, 2014).
#
# ## Objetivos de aprendizagem
#
# - Ver o dropout em ação: quais valores zera, por que os outros crescem por 1/(1 − p) e o que
#   muda entre `model.train()` e `model.eval()`.
# - Localizar os três dropouts do GPT: embeddings, pesos de atenção e atalhos.
# - Configurar três taxas (`drop_rate_emb`, `drop_rate_attn`, `drop_rate_shortcut`).
# - Medir a porcentagem de valores zerados com um `print` dentro de uma subclasse e com
#   *forward hooks*.

# %% [markdown]
# ## 1. O dropout em um tensor pequeno
#
# No treino, `nn.Dropout(p)` zera cada valor com probabilidade `p`, sorteando de novo a cada
# chamada. Com `p = 0.5`, numa matriz de uns:

# %%
import torch
import torch.nn as nn

torch.manual_seed(123)
dropout = nn.Dropout(p=0.5)
example = torch.ones(6, 6)
dropped = dropout(example)  # um sorteio só, que as próximas células medem e desenham
print(dropped)

# %% [markdown]
# Os valores que sobreviveram não são mais 1, e sim 2 = 1 / (1 − 0,5). O dropout compensa os
# zeros multiplicando os sobreviventes por 1/(1 − p), para que a soma (e a média) dos valores
# continue a mesma, em média, com ou sem dropout. Assim a camada seguinte recebe números da
# mesma escala no treino e fora dele.
#
# Para medir a porcentagem de zeros, usamos a fórmula da dica da lista: conta os valores
# diferentes de zero, divide pelo total e subtrai de 1.


# %%
def zero_share(x):
    """Porcentagem de valores exatamente iguais a zero em x."""
    return 100 * (1 - torch.count_nonzero(x).item() / x.numel())


print(
    f"zerados: {zero_share(dropped):.2f}% | média antes: {example.mean():.4f} | média depois: {dropped.mean():.4f}"
)

# %% [markdown]
# O mapa de calor mostra a mesma matriz impressa acima (o mesmo sorteio, não um novo): cada
# quadrado preto é um zero, e os outros valem 2.

# %% alt="Mapa de calor de uma matriz 6 por 6 de uns depois de nn.Dropout com p 0,5: as células zeradas em preto e as que sobreviveram, com valor 2, em cor; o título diz quantos valores foram zerados."
import matplotlib.pyplot as plt

from gptlab_helpers.viz.plots import plot_dropout_mask

plot_dropout_mask(dropped, title="nn.Dropout(p=0.5) numa matriz 6 × 6 de uns")
plt.show()

# %% [markdown]
# Numa matriz de só 36 valores, a fração zerada varia bastante em torno de 50%. Com um milhão
# de valores, ela fica muito perto de `p`, e a média fica perto de 1:

# %%
torch.manual_seed(123)
big = torch.ones(1000, 1000)
for p in [0.05, 0.10, 0.15]:
    out = nn.Dropout(p)(big)
    survivor = out[out != 0][0].item()  # o valor de um sobrevivente qualquer
    print(
        f"p = {p:.2f}: zerados {zero_share(out):5.2f}% | sobrevivente = {survivor:.4f} | 1/(1-p) = {1 / (1 - p):.4f} | média {out.mean():.4f}"
    )

# %% [markdown]
# > **O slide diz** que `drop_rate` descarta 10% das unidades ocultas durante o treino.
# >
# > **Mais preciso:** cada valor é zerado com probabilidade 0,1, sorteado de novo a cada
# > forward, então a fração zerada flutua em torno de 10% (a matriz 6 × 6 acima, com `p = 0.5`,
# > perdeu menos da metade); os sobreviventes são multiplicados por 1/(1 − p); e no GPT o
# > dropout age em três lugares, um deles sobre os **pesos de atenção** (seção 2), que não são
# > unidades ocultas.
#
# ### Treino e avaliação
#
# O dropout só age no modo de treino. Depois de `.eval()` ele devolve a entrada intacta, e é
# por isso que a geração de texto (aula 08) começa com `model.eval()`:

# %%
dropout.eval()
print("no modo de avaliação, a saída é a própria entrada:", torch.equal(dropout(example), example))
dropout.train()
print("de volta ao treino, há zeros de novo:", zero_share(dropout(example)) > 0)

# %% [markdown]
# ## 2. Os três dropouts do GPT
#
# No `GPTModel` o dropout aparece em três lugares:
#
# 1. **`drop_emb`**: depois da soma dos embeddings de tokens e de posição, uma vez por forward;
# 2. **`att.dropout`**: dentro da atenção, sobre os **pesos de atenção** (depois da softmax),
#    uma vez por bloco;
# 3. **`drop_shortcut`**: na saída da atenção e na saída da feed-forward, antes de somar o
#    atalho, duas vezes por bloco.
#
# A lista de exercícios dá uma configuração com uma taxa para cada lugar:

# %%
GPT_CONFIG_SPLIT_DROPOUT = {
    "vocab_size": 50257,
    "context_length": 1024,
    "emb_dim": 768,
    "n_heads": 12,
    "n_layers": 12,
    "drop_rate_emb": 0.05,  # dropout depois dos embeddings
    "drop_rate_attn": 0.10,  # dropout dos pesos de atenção
    "drop_rate_shortcut": 0.15,  # dropout antes de cada soma com o atalho
    "qkv_bias": False,
}

# %% [markdown]
# O `GPTModel` do pacote já entende os dois formatos de configuração: a função
# `dropout_rates` devolve as taxas (embedding, atenção, atalho), vindas de `drop_rate` ou das
# três chaves novas.

# %%
from gptlab_helpers import GPT_CONFIG_124M, GPTModel, dropout_rates

print("uma taxa só:  ", dropout_rates(GPT_CONFIG_124M))
print("três taxas:   ", dropout_rates(GPT_CONFIG_SPLIT_DROPOUT))

# %% [markdown]
# Criamos o modelo com as três taxas e listamos os seus módulos `nn.Dropout` (fora dos blocos
# e no bloco 0; os outros blocos repetem o bloco 0):

# %%
torch.manual_seed(123)
model = GPTModel(GPT_CONFIG_SPLIT_DROPOUT)

for name, module in model.named_modules():
    if isinstance(module, nn.Dropout) and (
        not name.startswith("trf_blocks.") or name.startswith("trf_blocks.0.")
    ):
        print(f"{name:<28} p = {module.p}")

# %% [markdown]
# As entradas da lista de exercícios são 6 sequências de 3 tokens:

# %%
inputs = torch.tensor(
    [
        [43, 15, 89],
        [55, 87, 66],
        [57, 85, 64],
        [22, 58, 33],
        [77, 25, 10],
        [15, 80, 55],
    ]
)
print("forma:", inputs.shape)

# %% [markdown]
# ## 3. Medindo com um `print` dentro da classe
#
# O exercício pede que a porcentagem de zeros seja impressa **dentro das classes**, logo
# depois de cada dropout. Uma forma de fazer isso sem mexer no pacote é criar uma subclasse e
# reescrever só o `forward`: o `__init__` é herdado, então as camadas (e os pesos, com a mesma
# semente) são os mesmos. Aqui, só para o dropout dos embeddings:


# %%
class GPTModelWithEmbeddingReport(GPTModel):
    """O GPTModel do pacote, imprimindo a % de zeros logo depois do dropout dos embeddings."""

    def forward(self, in_idx):
        seq_len = in_idx.shape[1]
        tok_embeds = self.tok_emb(in_idx)
        pos_embeds = self.pos_emb(torch.arange(seq_len, device=in_idx.device))
        x = self.drop_emb(tok_embeds + pos_embeds)
        print(f"dropout dos embeddings: {zero_share(x):.2f}% zerados")
        x = self.trf_blocks(x)
        return self.out_head(self.final_norm(x))


# %%
torch.manual_seed(123)
report_model = GPTModelWithEmbeddingReport(GPT_CONFIG_SPLIT_DROPOUT)
_ = report_model(inputs)  # o print acontece dentro do forward
del report_model  # libera a memória desta cópia

# %% [markdown]
# O tensor depois do dropout dos embeddings tem 6 × 3 × 768 = 13.824 valores, e cerca de 5%
# deles foram zerados, como `drop_rate_emb` pede. No exercício você faz o mesmo nos outros
# dois lugares, que ficam dentro da atenção e do bloco transformer.

# %% [markdown]
# ## 4. Medindo com *forward hooks*
#
# Espalhar `print`s pelas classes funciona, mas obriga a reescrever cada `forward`. O PyTorch
# oferece um jeito mais limpo: um **forward hook** é uma função que o módulo chama depois de
# cada forward, recebendo a entrada e a saída. Registramos um em cada `nn.Dropout` do modelo,
# rodamos o forward e removemos os ganchos:


# %%
def measure_dropouts(model, inputs):
    """Roda model(inputs) e devolve (nome, p, % de zeros na entrada, % de zeros na saída) por chamada."""
    records = []

    def make_hook(name):
        def hook(module, args, output):
            records.append((name, module.p, zero_share(args[0]), zero_share(output)))

        return hook

    dropouts = [(name, m) for name, m in model.named_modules() if isinstance(m, nn.Dropout)]
    handles = [module.register_forward_hook(make_hook(name)) for name, module in dropouts]
    try:
        model(inputs)
    finally:
        for handle in handles:
            handle.remove()  # um gancho esquecido continuaria medindo em todo forward
    return records


# %% [markdown]
# A taxa de dropout da atenção, `drop_rate_attn = 0.10`, fica guardada para o exercício 07.2,
# que pede a porcentagem de zeros esperada na atenção com ela. Para mostrar o método sem dar a
# resposta, daqui em diante a atenção usa outra taxa, **0,25**; os embeddings e os atalhos
# continuam com 0,05 e 0,15. Criamos o modelo com a mesma semente da seção anterior e olhamos
# as quatro primeiras chamadas:

# %%
DEMO_CONFIG = dict(GPT_CONFIG_SPLIT_DROPOUT, drop_rate_attn=0.25)  # só a atenção muda
torch.manual_seed(123)
model = GPTModel(DEMO_CONFIG)
records = measure_dropouts(model, inputs)

print(f"{len(records)} chamadas de dropout")
print(f"{'módulo':<28}{'p':>6}{'zeros antes':>13}{'zeros depois':>14}")
for name, p, before, after in records[:4]:
    print(f"{name:<28}{p:>6.2f}{before:>12.2f}%{after:>13.2f}%")

# %% [markdown]
# São 37 chamadas: 1 nos embeddings, 12 na atenção (uma por bloco) e 24 nos atalhos (duas por
# bloco, porque o mesmo `drop_shortcut` é usado depois da atenção e depois da feed-forward).
# A primeira linha repete o número da seção 3: mesma semente, mesmos sorteios.
#
# Note a atenção: **33,33% dos pesos já eram zero antes do dropout**. É a máscara causal: com 3
# tokens, a matriz de atenção de cada cabeça é 3 × 3 e as 3 posições acima da diagonal (o
# "futuro") recebem peso zero na softmax. O dropout age sobre os 9 pesos, mas só cria zeros
# novos entre os 6 que ainda não eram zero; por isso a coluna "depois" fica acima de 33,33%.
# (Quanto acima, em média, com a taxa 0,10 da lista? Essa conta é o exercício 07.2.)
#
# Um resumo por lugar, com a média das chamadas:


# %%
def place(name):
    if name == "drop_emb":
        return "embeddings"
    return "atenção" if name.endswith("att.dropout") else "atalhos"


def summarize(records):
    print(f"{'lugar':<12}{'chamadas':>9}{'p':>6}{'zeros antes':>13}{'zeros depois':>14}")
    for label in ["embeddings", "atenção", "atalhos"]:
        rows = [r for r in records if place(r[0]) == label]
        before = sum(r[2] for r in rows) / len(rows)
        after = sum(r[3] for r in rows) / len(rows)
        print(f"{label:<12}{len(rows):>9}{rows[0][1]:>6.2f}{before:>12.2f}%{after:>13.2f}%")


summarize(records)

# %% [markdown]
# Os embeddings e os atalhos zeram em média a fração que a configuração pede, cerca de 5% e
# 15%; na atenção, aos 33,33% da máscara se somam os zeros novos do dropout de taxa 0,25. As
# médias não batem na segunda casa decimal porque os sorteios são aleatórios e os tensores são
# pequenos: a atenção de cada bloco tem só 6 × 12 × 3 × 3 = 648 pesos.
#
# O gráfico mostra as 37 chamadas na ordem em que acontecem. Cada linha horizontal tem a sua
# entrada na legenda: as tracejadas marcam as taxas configuradas dos embeddings e dos atalhos
# e, na atenção, o piso de zeros que a máscara causal produz sozinha; a pontilhada laranja é a
# média medida na atenção. Não desenhamos a média **esperada** na atenção: calculá-la (para a
# taxa 0,10) é justamente o exercício 07.2, e você pode conferir a sua conta com a taxa 0,25
# desta linha.

# %%
colors = {"embeddings": "tab:blue", "atenção": "tab:orange", "atalhos": "tab:green"}
lines = {  # lugar -> (legenda, altura da linha tracejada)
    "embeddings": ("taxa configurada, embeddings: 5%", 5.0),
    "atenção": ("atenção, só a máscara causal: 33,3%", 100 * 3 / 9),
    "atalhos": ("taxa configurada, atalhos: 15%", 15.0),
}

# %% alt="Pontos com a porcentagem de valores zerados em cada chamada de dropout de um forward, uma cor por lugar do modelo (embeddings, atenção, atalhos), e linhas horizontais de referência: os pontos dos embeddings e dos atalhos ficam sobre as linhas das taxas configuradas; os da atenção ficam bem acima da linha do que só a máscara causal zera, em volta da linha pontilhada da média medida."
plt.figure(figsize=(10, 4.5))
for label, color in colors.items():
    calls = [(i, r[3]) for i, r in enumerate(records) if place(r[0]) == label]
    plt.scatter([i for i, _ in calls], [s for _, s in calls], color=color, label=f"chamadas: {label}")
    plt.axhline(lines[label][1], color=color, linestyle="--", linewidth=1, label=lines[label][0])
attention_mean = sum(r[3] for r in records if place(r[0]) == "atenção") / 12  # 12 blocos
plt.axhline(attention_mean, color="tab:orange", linestyle=":", label="atenção, média medida (p = 0,25)")
plt.title("Porcentagem de valores zerados em cada chamada de dropout")
plt.xlabel("ordem da chamada no forward")
plt.ylabel("% de valores zerados")
plt.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
plt.grid(True, alpha=0.3)
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 5. No modo de avaliação
#
# Com `model.eval()`, os três dropouts param de zerar. Só sobram os zeros da máscara causal na
# atenção, que não têm nada a ver com dropout:

# %%
model.eval()
eval_records = measure_dropouts(model, inputs)
model.train()  # de volta ao modo de treino para o resto da aula
summarize(eval_records)

# %% [markdown]
# ## 6. Uma taxa contra três taxas
#
# Para comparar, o mesmo experimento com o formato original da configuração, uma taxa só,
# `drop_rate`, nos três lugares. Usamos 0,25 (e não o 0,1 do GPT-2), a mesma taxa da atenção
# na seção 4:

# %%
del model  # libera a memória do modelo anterior
torch.manual_seed(123)
one_rate_model = GPTModel(dict(GPT_CONFIG_124M, drop_rate=0.25))
summarize(measure_dropouts(one_rate_model, inputs))

# %% [markdown]
# Com uma taxa só, embeddings e atalhos ficam perto de 25%. A atenção dá exatamente o mesmo
# resultado da seção 4, porque a taxa dela é 0,25 nas duas configurações (e a semente é a
# mesma). Separar as taxas permite regularizar mais onde convém:
# por exemplo, dropout forte nos atalhos e fraco nos embeddings, como na configuração da lista.
#
# Os números desta aula são reprodutíveis: com `torch.manual_seed(123)` e a mesma versão do
# PyTorch, os sorteios do dropout se repetem exatamente. Em outra versão, as porcentagens
# podem mudar um pouco, mas continuam perto das taxas configuradas.

# %% [markdown]
# ## Explorando: a taxa de dropout
#
# Uma matriz 8 × 8 de uns passa por `nn.Dropout(p)`, sempre com o mesmo sorteio: mova o slider
# e veja quantos valores viram zero e quanto vale cada sobrevivente, 1/(1 − p). A figura abaixo
# é o estado inicial (`p=0.5`); o slider aparece quando o notebook roda no JupyterLab ou no
# Colab.

# %% alt="Mapa de calor de uma matriz 8 por 8 de uns depois de nn.Dropout com p 0,5: células zeradas em preto, as demais coloridas com o valor 2, e o título com quantos valores foram zerados. Abaixo, um slider da taxa de dropout."
from gptlab_helpers.viz.explorations import explore_dropout

panel = explore_dropout()

# %% [markdown]
# ## Perguntas frequentes
#
# **O dropout apaga pesos do modelo?**
# Não. Ele zera **valores que passam** pela rede (ativações ou pesos de atenção) naquele
# forward; os parâmetros continuam intactos. No forward seguinte, o sorteio é outro.
#
# **Por que os valores que sobram ficam maiores?**
# Porque são multiplicados por 1/(1 − p). Sem isso, a soma dos valores seria, em média, menor
# no treino do que na avaliação, e a rede veria escalas diferentes nos dois modos.
#
# **Por que a atenção mostra tantos zeros, mesmo em `eval()`?**
# Por causa da máscara causal: as posições futuras recebem peso zero. Para medir só o efeito
# do dropout na atenção, compare os zeros antes e depois dele (as duas colunas da tabela).
#
# **Por que a porcentagem medida não é exatamente a taxa configurada?**
# Cada valor é sorteado independentemente, então a fração zerada flutua em torno de `p`; a
# flutuação é maior quanto menor o tensor (seção 1).
#
# **Por que usar taxas diferentes em cada lugar?**
# Os três lugares têm papéis diferentes: o dropout nos embeddings perturba a entrada inteira,
# o da atenção impede que um token dependa sempre dos mesmos vizinhos, e o dos atalhos age
# sobre a contribuição de cada subcamada. Com taxas separadas, dá para ajustar cada um. Muitos
# modelos recentes, treinados com quantidades enormes de texto, usam dropout zero no
# pré-treino; a configuração publicada do GPT-2 usa 0,1, a mesma taxa que o artigo do GPT-1
# (Radford et al. 2018) descreve para embeddings, atenção e atalhos.
#
# **O dropout atrapalha a geração de texto?**
# Se o modelo ficar em modo de treino, sim: a saída muda a cada chamada. Por isso `model.eval()`
# vem antes de gerar texto (aula 08).

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/07_dropout_separado.ipynb`](../exercises/07_dropout_separado.ipynb)
#   (o exercício 2 da lista: as três taxas dentro das classes, com os `print`s)
# - Próxima aula: [08 · Gerando texto](08_gerando_texto.ipynb).
