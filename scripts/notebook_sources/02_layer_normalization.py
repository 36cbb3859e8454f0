# ruff: noqa: E402, B018
# Fonte de notebooks/02_layer_normalization.ipynb. Depois de editar, rode: python scripts/build_notebooks.py --only 02

# %% [markdown]
# # 02 · Layer normalization
#
# Numa rede profunda, a saída de uma camada é a entrada da seguinte. Se os números crescem
# um pouco a cada camada, depois de dezenas delas eles explodem; se encolhem, somem. No
# treino acontece o mesmo com os gradientes, que pela regra da cadeia são produtos de muitos
# fatores. A **normalização de camada** (*layer normalization*) recoloca as ativações de
# cada token numa escala fixa, com média 0 e variância 1, e assim deixa o treino mais estável.
# A ideia vem de Ba, Kiros e Hinton, *Layer Normalization* (2016, arXiv:1607.06450).
#
# ## Objetivos de aprendizagem
#
# - Calcular média e variância ao longo da última dimensão (`dim=-1`) e entender `keepdim`.
# - Normalizar as saídas de uma camada à mão e conferir o resultado.
# - Escrever a classe `LayerNorm` com `eps`, `scale`, `shift` e variância enviesada.
# - Comparar com a `LayerNorm` do pacote e com `nn.LayerNorm`.
# - Conhecer a RMSNorm, a variante usada em muitos modelos recentes.

# %% [markdown]
# ## 1. Uma camada pequena para observar
#
# Dois exemplos com 5 características cada, sorteados com a semente 123:

# %%
import torch
import torch.nn as nn

torch.manual_seed(123)
batch_example = torch.randn(2, 5)  # 2 exemplos, 5 características cada
batch_example

# %% [markdown]
# Passamos esses exemplos por uma camada linear de 5 entradas e 6 saídas, seguida de ReLU
# (que troca todo valor negativo por zero):

# %%
layer = nn.Sequential(nn.Linear(5, 6), nn.ReLU())
out = layer(batch_example)
print(out)

# %% [markdown]
# Cada linha tem agora 6 valores; os `0.0000` são saídas que eram negativas e a ReLU zerou.
# Vamos medir a média e a variância **de cada linha**, isto é, de cada exemplo:

# %%
mean = out.mean(dim=-1, keepdim=True)
var = out.var(dim=-1, keepdim=True)
print("Média:\n", mean)
print("Variância:\n", var)

# %% [markdown]
# - `dim=-1` calcula ao longo da **última** dimensão, a das 6 saídas: uma média por exemplo.
#   Usar `-1` em vez de `1` faz o mesmo código servir para tensores `(B, T, C)`, em que a
#   última dimensão é a do embedding.
# - `keepdim=True` mantém a forma `(2, 1)` em vez de `(2,)`, para que `out - mean` subtraia a
#   média certa de cada linha (por *broadcasting*).
#
# As médias são 0,1324 e 0,2170 e as variâncias 0,0231 e 0,0398: longe de 0 e de 1.

# %% [markdown]
# ## 2. Normalizando à mão
#
# Subtrair a média e dividir pelo desvio-padrão (a raiz da variância) leva cada linha para
# média 0 e variância 1:

# %%
out_norm = (out - mean) / torch.sqrt(var)
print("Saídas normalizadas:\n", out_norm)

mean = out_norm.mean(dim=-1, keepdim=True)
var = out_norm.var(dim=-1, keepdim=True)
torch.set_printoptions(sci_mode=False)  # -0.0000 em vez de algo como -2.9802e-08
print("Média:\n", mean)
print("Variância:\n", var)

# %% [markdown]
# As médias agora são zero e as variâncias, um. Na verdade as médias não são exatamente zero,
# e sim números minúsculos (da ordem de 0,00000001), restos de arredondamento do ponto
# flutuante; sem o `sci_mode=False` eles apareceriam em notação científica. A aula mostra
# `-0.0000` na primeira linha: o sinal desse resto depende da ordem das contas e pode mudar
# entre versões do PyTorch. Os zeros da ReLU viraram `-0.8719` e `-1.0876`: depois da normalização,
# "zero" passou a ser "abaixo da média da linha".

# %% [markdown]
# ## 3. A classe `LayerNorm`, passo a passo
#
# A versão usada no GPT-2 acrescenta três detalhes à conta acima:
#
# 1. **`eps`**: um número pequeno (1e-5) somado à variância antes da raiz, para nunca
#    dividir por zero.
# 2. **`scale` e `shift`**: dois vetores treináveis, do tamanho do embedding, que começam em 1 e
#    0. Como começam neutros, no início não mudam nada; no treino, deixam a rede reajustar a
#    escala e o centro de cada dimensão se isso ajudar.
# 3. **Variância enviesada**: divide por *n*, não por *n* − 1 (`unbiased=False`). É a
#    convenção do GPT-2 e de `nn.LayerNorm`; seguir a mesma é necessário para que os pesos
#    pré-treinados deem os mesmos resultados.
#
# A diferença entre as duas variâncias, nas 6 saídas da camada acima:

# %%
print("dividindo por n - 1:", out.var(dim=-1, unbiased=True))
print("dividindo por n:    ", out.var(dim=-1, unbiased=False))

# %% [markdown]
# Com 6 valores a diferença é visível (o fator é 5/6); com os 768 valores de um embedding do
# GPT-2 ela é de cerca de 0,1%. Agora a classe:


# %%
class LayerNorm(nn.Module):
    """Normaliza a última dimensão para média 0 e variância 1: (B, T, C) -> (B, T, C)."""

    def __init__(self, emb_dim):
        super().__init__()
        self.eps = 1e-5  # evita divisão por zero quando todos os valores são iguais
        self.scale = nn.Parameter(torch.ones(emb_dim))  # treinável, começa neutro
        self.shift = nn.Parameter(torch.zeros(emb_dim))  # treinável, começa neutro

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        norm_x = (x - mean) / torch.sqrt(var + self.eps)
        return self.scale * norm_x + self.shift


# %% [markdown]
# Aplicamos a camada nos dois exemplos de 5 características:

# %%
ln = LayerNorm(emb_dim=5)
out_ln = ln(batch_example)
out_ln

# %% [markdown]
# Conferindo média e variância (enviesada, como na classe) de cada linha:

# %%
mean = out_ln.mean(dim=-1, keepdim=True)
var = out_ln.var(dim=-1, keepdim=True, unbiased=False)
print("Média:\n", mean)
print("Variância:\n", var)

# %% [markdown]
# Média 0 e variância 1 (o `eps` deixa a variância ligeiramente abaixo de 1, o que não aparece
# com 4 casas). A camada tem 10 parâmetros treináveis, 5 em `scale` e 5 em `shift`:

# %%
for name, param in ln.named_parameters():
    print(f"{name}: {param.data}")

# %% [markdown]
# ### Por que o `eps`?
#
# Se todos os valores de uma linha forem iguais, a variância é zero e a conta vira 0 / 0:

# %%
constant = torch.full((1, 4), 3.0)  # uma linha com quatro valores iguais
no_eps = (constant - constant.mean(dim=-1, keepdim=True)) / constant.var(dim=-1, unbiased=False).sqrt()
print("sem eps:", no_eps)
print("com eps:", LayerNorm(emb_dim=4)(constant))

# %% [markdown]
# Sem `eps` aparece `nan` (*not a number*), que contaminaria todas as contas seguintes; com
# `eps`, a linha constante vira zeros, como deveria.

# %% [markdown]
# ### A distribuição antes e depois
#
# Com 5 valores por linha é difícil ver o efeito; com vetores do tamanho do GPT-2 ele fica
# claro. Sorteamos 8 vetores de 768 números, cada um com média e escala diferentes (como
# ativações de tokens diferentes), e comparamos os histogramas de todos os valores. O sorteio
# usa um gerador próprio, para não mexer na semente da aula.

# %% alt="Histogramas sobrepostos dos valores de 8 vetores de 768 números: antes da LayerNorm, assimétricos, com o pico perto de −3 e uma cauda longa à direita, de cerca de −10 a 18; depois, uma curva estreita em sino centrada em 0 com desvio 1."
import matplotlib.pyplot as plt

from gptlab_helpers.viz.plots import plot_value_histograms

generator = torch.Generator().manual_seed(0)
row_scale = torch.linspace(0.5, 4.0, 8).unsqueeze(1)  # (8, 1): cada vetor com a sua escala
row_shift = torch.linspace(-3.0, 3.0, 8).unsqueeze(1)  # (8, 1): e o seu centro
activations = row_scale * torch.randn(8, 768, generator=generator) + row_shift  # (8, 768)
plot_value_histograms(activations, LayerNorm(emb_dim=768)(activations))
plt.show()

# %% [markdown]
# Antes, os valores se espalham de cerca de −10 a 18, uma mistura de oito distribuições
# diferentes. Depois, cada vetor foi centrado e reescalado separadamente, e todos juntos formam
# uma única curva em forma de sino, com média 0 e desvio-padrão 1.

# %% [markdown]
# ## 4. A mesma peça no pacote e no PyTorch
#
# O pacote traz a mesma classe, `gptlab_helpers.LayerNorm`, que o bloco transformer da aula 05
# usa. O PyTorch tem a sua, `nn.LayerNorm`, que faz a mesma conta com os nomes `weight` e
# `bias` no lugar de `scale` e `shift`:

# %%
import gptlab_helpers

package_ln = gptlab_helpers.LayerNorm(emb_dim=5)
torch_ln = nn.LayerNorm(5, eps=1e-5)
print("pacote igual à nossa:", torch.allclose(package_ln(batch_example), out_ln))
print("nn.LayerNorm igual à nossa:", torch.allclose(torch_ln(batch_example), out_ln, atol=1e-6))

# %% [markdown]
# Nos três casos o resultado é o mesmo. (A comparação com `nn.LayerNorm` usa uma tolerância
# de 1e-6 porque a implementação dela soma os números em outra ordem.)

# %% [markdown]
# ## 5. Nota lateral: RMSNorm
#
# Muitos modelos recentes (Llama, Gemma, Qwen…) usam a **RMSNorm**: em vez de subtrair a média
# e dividir pelo desvio-padrão, ela só divide pela raiz da média dos quadrados (*root mean
# square*) e multiplica por um `scale`. Sem média e sem `shift`, é mais barata; Zhang e
# Sennrich, *Root Mean Square Layer Normalization* (NeurIPS 2019, arXiv:1910.07467), mostraram
# que ela treina tão bem quanto a LayerNorm nos modelos que testaram.


# %%
def rms_norm(x, eps=1e-5):
    """x / sqrt(média(x²) + eps) ao longo da última dimensão (sem scale, para comparar)."""
    rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
    return x / rms


print(rms_norm(batch_example))
print("igual a nn.RMSNorm:", torch.allclose(rms_norm(batch_example), nn.RMSNorm(5, eps=1e-5)(batch_example)))

# %% [markdown]
# A saída da RMSNorm não tem média zero (a primeira linha é quase toda negativa), mas tem a
# mesma "energia" em todas as linhas: a média dos quadrados é 1.

# %% [markdown]
# ## Explorando: `scale` e `shift`
#
# Os mesmos 8 vetores de 768 números da seção 3, agora com os controles de `scale` e `shift`
# (os dois parâmetros treináveis da `LayerNorm`). Mova os sliders: depois da normalização,
# `scale` estica ou encolhe a curva verde e `shift` a desloca. A figura abaixo é o estado
# inicial (`scale = 1`, `shift = 0`); os controles aparecem quando o notebook roda no
# JupyterLab ou no Colab.

# %% alt="Histogramas sobrepostos dos valores de 8 vetores de 768 números: antes da LayerNorm, assimétricos, com o pico perto de −3 e uma cauda longa à direita; depois, com scale 1 e shift 0, uma curva estreita em sino centrada em 0 com desvio 1. Abaixo, sliders de scale e shift."
from gptlab_helpers.viz.explorations import explore_layer_norm

panel = explore_layer_norm(activations)

# %% [markdown]
# ## Perguntas frequentes
#
# **Por que queremos média 0 e variância 1?**
# Porque assim cada camada recebe números de tamanho parecido, seja qual for a profundidade.
# Pela regra da cadeia, o gradiente de uma camada lá do começo é um produto de fatores de
# todas as camadas seguintes: fatores sistematicamente maiores que 1 fazem o produto explodir
# (*exploding gradient*); menores que 1, desaparecer (*vanishing gradient*). Manter as
# ativações numa escala fixa evita boa parte disso.
#
# **Normalizar é como colocar os vetores dentro de uma "bola" de raio 1?**
# Quase. Depois da LayerNorm (com `scale` 1 e `shift` 0), cada vetor tem média 0 e variância
# 1, então a soma dos quadrados é igual ao número de dimensões *C*: o vetor fica **sobre** a
# esfera de raio √*C* (√768 ≈ 27,7 no GPT-2). Os 5 valores de cada linha de `out_ln` têm
# comprimento √5 ≈ 2,236: confira com `out_ln.norm(dim=-1)`. Depois, `scale` e `shift`
# esticam e deslocam essa esfera.
#
# **Mas isso não pode ainda causar *underflow* dos gradientes?**
# *Underflow* é um limite do ponto flutuante: um número menor que o menor representável vira
# zero (em `float32`, abaixo de cerca de 1e-38, ou 1e-45 contando os subnormais). Com ativações
# na escala de 1, como a LayerNorm deixa, um gradiente em `float32` está muito longe disso; o
# risco real aparece em `float16`, que para em cerca de 6e-8, e é por isso que quem treina em
# `float16` multiplica a perda por um fator (*loss scaling*). Outra coisa é o gradiente ficar
# pequeno demais para a rede aprender, mesmo representável: é o **desaparecimento do
# gradiente**, da aula 04. A normalização não resolve esse sozinha; o GPT a combina com
# **conexões de atalho**, que criam um caminho direto para o gradiente.
#
# **E se, em vez de normalizar, apenas impedíssemos os números de estourar (cortando-os num
# limite)?**
# Cortar valores (*clipping*) existe e é usado, mas nos **gradientes**, durante o treino, como
# cinto de segurança. Nas ativações, cortar joga informação fora e tem derivada zero além do
# limite. A normalização reescala suavemente: a forma do vetor (quem é maior que quem) é
# preservada e tudo continua diferenciável.
#
# **Por que normalizar ao longo de `dim=-1` e não ao longo do lote?**
# Normalizar pelo lote é a *batch normalization*: depende de quais exemplos estão juntos e
# se comporta diferente no treino e na geração. A LayerNorm olha só para o vetor de um token,
# então dá o mesmo resultado com lote de 1 ou de 1000.
#
# **Para que tornar a rede profunda, se isso complica o treino?**
# Porque profundidade é capacidade: cada camada trabalha sobre o que as anteriores já
# construíram, e empilhar transformações simples produz funções muito mais ricas do que uma
# camada larga com o mesmo número de parâmetros. O preço é o que esta aula discute: a cada
# camada a escala dos números pode crescer ou encolher, e a rede "perde a linha" (ativações e
# gradientes explodem ou somem). LayerNorm e conexões de atalho (aula 04) são o que torna
# dezenas de camadas treináveis; He et al. (2016) mostraram que, sem atalhos, uma rede mais
# profunda pode treinar *pior* que uma mais rasa.
#
# **Onde a LayerNorm aparece no GPT-2?**
# Antes da atenção e antes do feed-forward em cada bloco (o arranjo *Pre-LN*, aula 05) e uma
# última vez antes da cabeça de saída (`final_norm`, que na aula 01 era um lugar reservado).
#
# > **O slide diz** que, no GPT-2, a normalização costuma vir antes e depois da atenção
# > multi-cabeças, e antes da saída.
# >
# > **Mais preciso:** no GPT-2 não há LayerNorm depois da atenção. Cada bloco tem duas, uma
# > antes da atenção (`norm1`) e outra antes da feed-forward (`norm2`), e o modelo tem mais uma,
# > `final_norm`, antes da cabeça de saída. "Antes e depois" descreve a soma de dois arranjos
# > diferentes: o Pre-LN do GPT-2 e o Post-LN do Transformer original (aula 05).

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/02_layer_normalization.ipynb`](../exercises/02_layer_normalization.ipynb)
# - Próxima aula: [03 · GELU e a rede feed-forward](03_gelu_feed_forward.ipynb).
