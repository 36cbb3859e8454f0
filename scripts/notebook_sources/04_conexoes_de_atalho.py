# ruff: noqa: E402
# Fonte de notebooks/04_conexoes_de_atalho.ipynb. Depois de editar, rode: python scripts/build_notebooks.py --only 04

# %% [markdown]
# # 04 · Conexões de atalho
#
# No treino, o gradiente de cada peso é calculado de trás para frente, pela regra da cadeia:
# o gradiente de uma camada do começo é um **produto** de fatores de todas as camadas
# seguintes. Quando esses fatores são menores que 1, o produto encolhe a cada camada e as
# primeiras camadas quase não aprendem: é o **desaparecimento do gradiente** (*vanishing
# gradient*). Uma **conexão de atalho** (*shortcut* ou *residual connection*) soma a entrada
# de uma camada à sua saída e abre um caminho direto por onde o gradiente passa sem encolher.
# A forma que o GPT usa (somar a entrada à saída) é a das redes residuais (ResNet) de He,
# Zhang, Ren e Sun, *Deep Residual Learning for Image Recognition* (CVPR 2016,
# arXiv:1512.03385), que a popularizaram; caminhos diretos assim já existiam antes, por exemplo
# nas *highway networks* (Srivastava, Greff e Schmidhuber, 2015).
#
# ## Objetivos de aprendizagem
#
# - Explicar o que é o desaparecimento (e a explosão) do gradiente.
# - Construir uma rede de 5 camadas que pode usar ou não conexões de atalho.
# - Medir o gradiente médio de cada camada nos dois casos e comparar num gráfico em escala log.
# - Entender por que o atalho exige entrada e saída com a mesma forma.

# %% [markdown]
# ## 1. Uma rede de 5 camadas
#
# Cada camada é uma `Linear` seguida da GELU (aula 03). Com `use_shortcut=True`, a rede soma a
# entrada de cada camada à sua saída, **quando as formas coincidem**; a última camada (3 → 1)
# muda a forma e por isso fica sem atalho.
#
# O nome `ExampleDeepNeuralNetwork` é o do livro; nos slides do curso a mesma rede se chama
# `SimpleDeepNeuralNetwork`. Usamos sempre o nome do livro, e o pacote aceita o outro como
# sinônimo.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import GELU


class ExampleDeepNeuralNetwork(nn.Module):
    """Cinco camadas Linear + GELU, com ou sem atalhos: (B, sizes[0]) -> (B, sizes[-1])."""

    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(
            [nn.Sequential(nn.Linear(layer_sizes[i], layer_sizes[i + 1]), GELU()) for i in range(5)]
        )

    def forward(self, x):
        for layer in self.layers:
            layer_output = layer(x)
            if self.use_shortcut and x.shape == layer_output.shape:
                x = x + layer_output  # o atalho: soma a entrada de volta
            else:
                x = layer_output
        return x


# %% [markdown]
# ## 2. Medindo os gradientes
#
# Para ver o tamanho dos gradientes, fazemos um passo de treino sem atualizar nada: a rede
# recebe uma entrada, comparamos a saída com o alvo 0 pelo erro quadrático médio e chamamos
# `backward()`. Depois imprimimos, para a matriz de pesos de cada camada, a média do valor
# absoluto do gradiente.


# %%
def print_gradients(model, x):
    output = model(x)
    target = torch.tensor([[0.0]])
    loss = nn.MSELoss()(output, target)
    loss.backward()  # preenche param.grad em todos os parâmetros

    for name, param in model.named_parameters():
        if "weight" in name:
            print(f"{name} tem gradiente médio de {param.grad.abs().mean().item()}")


# %% [markdown]
# ### Sem conexões de atalho
#
# A entrada é `[[1., 0., -1.]]`, a mesma da aula. (Esta célula e a seguinte mostram todas as
# casas que o Python imprime; as últimas mudam de um processador para outro, por isso o teste
# automático não as compara. Logo abaixo fazemos a comparação com a aula em 5 algarismos.)

# %%
# NBVAL_IGNORE_OUTPUT
layer_sizes = [3, 3, 3, 3, 3, 1]
sample_input = torch.tensor([[1.0, 0.0, -1.0]])

torch.manual_seed(123)
model_without_shortcut = ExampleDeepNeuralNetwork(layer_sizes, use_shortcut=False)
print_gradients(model_without_shortcut, sample_input)

# %% [markdown]
# Lido de baixo para cima: a última camada (`layers.4`) tem gradiente médio de cerca de 0,005;
# a primeira (`layers.0`), de cerca de 0,0002, 25 vezes menor. A queda não é perfeitamente
# regular: o menor gradiente é o da `layers.1`, cerca de 0,00012. Numa rede com dezenas de
# camadas, as primeiras praticamente não aprenderiam.
#
# ### Com conexões de atalho

# %%
# NBVAL_IGNORE_OUTPUT
torch.manual_seed(123)
model_with_shortcut = ExampleDeepNeuralNetwork(layer_sizes, use_shortcut=True)
print_gradients(model_with_shortcut, sample_input)

# %% [markdown]
# Agora todas as camadas têm gradientes da mesma ordem de grandeza (de 0,2 a 1,3), e a
# primeira recebe um gradiente cerca de mil vezes maior que sem atalhos.

# %% [markdown]
# ## 3. Conferindo com a aula e com o pacote
#
# O pacote tem a mesma rede (`gptlab_helpers.ExampleDeepNeuralNetwork`) e a função
# `gradient_means`, que devolve as médias num dicionário em vez de imprimi-las. Com a mesma
# semente, as médias são idênticas às que acabamos de calcular:

# %%
import gptlab_helpers

means = {}
for use_shortcut, our_model in [(False, model_without_shortcut), (True, model_with_shortcut)]:
    torch.manual_seed(123)
    package_model = gptlab_helpers.ExampleDeepNeuralNetwork(layer_sizes, use_shortcut=use_shortcut)
    means[use_shortcut] = gptlab_helpers.gradient_means(package_model, sample_input)
    ours = [p.grad.abs().mean().item() for name, p in our_model.named_parameters() if "weight" in name]
    print(f"atalho={use_shortcut}: pacote igual ao nosso:", ours == list(means[use_shortcut].values()))

# %% [markdown]
# E os valores impressos na aula, lado a lado com os daqui, com 5 algarismos significativos:

# %%
lesson_without = [
    0.00020173587836325169,
    0.0001201116101583466,
    0.0007152041071094573,
    0.0013988735154271126,
    0.005049645435065031,
]
lesson_with = [
    0.22169791162014008,
    0.20694106817245483,
    0.32896995544433594,
    0.2665732204914093,
    1.3258540630340576,
]

print(f"{'peso':<18}{'sem atalho':>12}{'(aula)':>12}{'com atalho':>12}{'(aula)':>12}")
for i, name in enumerate(means[False]):
    print(
        f"{name:<18}{means[False][name]:>12.4e}{lesson_without[i]:>12.4e}{means[True][name]:>12.4e}{lesson_with[i]:>12.4e}"
    )

# %% [markdown]
# As colunas coincidem. Nas saídas completas das duas células anteriores, as diferenças só
# aparecem a partir do sétimo algarismo significativo: na máquina em que este notebook foi
# gerado, `layers.0` sem atalho saiu com todas as casas da aula (`0.00020173587836325169`), mas
# `layers.1` saiu `0.00012011159…` contra `0.00012011161…` da aula. Contas em `float32` somam
# números em ordens ligeiramente diferentes conforme o processador e a versão do PyTorch, por
# isso os últimos algarismos da sua execução podem ser outros.

# %% [markdown]
# ## 4. O gráfico
#
# Como os valores vão de 0,0001 a mais de 1, o eixo vertical precisa de escala logarítmica:

# %% alt="Barras, em escala logarítmica, do gradiente médio dos pesos de cada uma das 5 camadas, sem e com atalho: sem atalho o gradiente encolhe muito nas camadas perto da entrada; com atalho ele fica grande em todas."
import matplotlib.pyplot as plt

positions = torch.arange(5)
plt.figure(figsize=(8, 4))
plt.bar(positions - 0.2, list(means[False].values()), width=0.4, label="sem atalho")
plt.bar(positions + 0.2, list(means[True].values()), width=0.4, label="com atalho")
plt.yscale("log")
plt.xticks(positions, [f"camada {i}" for i in range(5)])
plt.title("Gradiente médio dos pesos de cada camada")
plt.xlabel("camada (da entrada para a saída)")
plt.ylabel("média de |gradiente| (escala log)")
plt.legend()
plt.grid(True, axis="y", alpha=0.3)
plt.show()

# %% [markdown]
# Sem atalho, as barras caem à medida que nos aproximamos da entrada (com a pequena inversão
# entre as camadas 0 e 1); com atalho, ficam todas entre 0,2 e 1,3, a menos de uma divisão do
# eixo umas das outras. Cada divisão do eixo vertical é um fator de 10.

# %% [markdown]
# ## 5. Por que a soma ajuda
#
# Com o atalho, a camada calcula `y = x + f(x)`. A derivada de `y` em relação a `x` é
# `1 + f'(x)`: o `1` é um caminho em que o gradiente chega à camada anterior sem ser
# multiplicado por `f'(x)`, por menor que `f'(x)` seja. Sem o atalho, `y = f(x)` e a derivada
# é só `f'(x)`; empilhando cinco camadas, cinco fatores pequenos se multiplicam. (Com vetores,
# o `1` é a matriz identidade e `f'(x)` é uma matriz de derivadas; a ideia é a mesma.)
#
# > **O slide diz** que as conexões de atalho foram propostas para combater o desaparecimento
# > do gradiente.
# >
# > **Mais preciso:** He et al. (2016), que popularizaram a forma `x + f(x)`, atacavam outro
# > problema, a *degradação*: com normalização, as redes profundas deles já recebiam gradiente,
# > mas acrescentar camadas piorava até o erro de treino. O caminho livre para o gradiente, que
# > esta aula mede, é uma das explicações de por que o atalho resolve isso, não o motivo com que
# > ele foi proposto (veja a pergunta "De que artigo vem essa ideia?", abaixo).
#
# No GPT, cada bloco transformer tem dois atalhos: um em volta da atenção e outro em volta da
# rede feed-forward (aula 05).

# %% [markdown]
# ## Perguntas frequentes
#
# **O que é o desaparecimento do gradiente? E a explosão?**
# O gradiente que chega a uma camada é o produto das derivadas de todas as camadas depois
# dela. Se esses fatores são menores que 1, o produto tende a zero (desaparece) e as
# primeiras camadas param de aprender; se são maiores que 1, o produto cresce sem controle
# (explode) e o treino fica instável. Normalização (aula 02) e atalhos atacam o problema por
# lados diferentes.
#
# **E se a entrada e a saída de uma camada tiverem dimensões diferentes?**
# A soma `x + f(x)` exige formas iguais; por isso a rede acima só usa o atalho quando
# `x.shape == layer_output.shape`, e a última camada (3 → 1) fica sem ele. Redes como a
# ResNet resolvem isso com uma pequena projeção linear no caminho do atalho. O transformer
# evita o problema: todos os blocos recebem e devolvem vetores de `emb_dim` números.
#
# **E se as dimensões variarem no meio (aumenta, diminui, aumenta)?**
# Pode, desde que seja **dentro** da parte que o atalho contorna. A rede feed-forward é
# exatamente isso: 768 → 3072 → 768, e o atalho liga a entrada de 768 à saída de 768.
#
# **Então a camada aprende só "o quanto mudar"?**
# Sim, essa é a ideia do nome *residual*. Sem atalho, a camada precisa aprender a saída
# inteira (algo como "multiplicar x por 1,0…"); com atalho, aprende só a correção `f(x)`
# que é somada a `x` (algo como "1 ± 0,0…"). No começo do treino, com `f(x)` pequeno, cada
# bloco é quase a identidade, e a rede profunda se comporta como uma rasa.
#
# **De que artigo vem essa ideia?**
# Das redes residuais, a ResNet: He, Zhang, Ren e Sun, *Deep Residual Learning for Image
# Recognition*, CVPR 2016 (arXiv:1512.03385). O problema que eles atacaram não foi bem o
# desaparecimento do gradiente (com normalização, as redes deles já treinavam), e sim a
# *degradação*: sem atalhos, acrescentar camadas a uma rede já profunda piorava até o erro de
# treino. Com atalhos, redes de mais de 100 camadas treinaram bem. O gradiente que passa pelo
# atalho, que esta aula mede, é uma das explicações para isso. O Transformer (Vaswani et al., *Attention Is All You Need*, 2017,
# arXiv:1706.03762) adotou o atalho em volta de cada subcamada, e o GPT-2 o herdou.
#
# **Atalho e normalização fazem a mesma coisa?**
# Não. A normalização controla a **escala** das ativações; o atalho dá ao gradiente um
# **caminho** que não atravessa cada camada. O GPT usa os dois em todo bloco.

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/04_conexoes_de_atalho.ipynb`](../exercises/04_conexoes_de_atalho.ipynb)
# - Próxima aula: [05 · O bloco transformer e o GPT completo](05_bloco_transformer_e_gpt.ipynb).
