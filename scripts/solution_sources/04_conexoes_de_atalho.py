# ruff: noqa: E402
# Fonte de solutions/ e exercises/04_conexoes_de_atalho.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 04 · Conexões de atalho
#
# Uma conexão de atalho soma a entrada de uma camada à saída dela, abrindo um caminho direto
# para o gradiente. Aqui você escreve esse `forward` e mede quanto ele muda o gradiente que
# chega à primeira camada da rede de 5 camadas da aula.
#
# ## Objetivos de aprendizagem
#
# - Implementar o `forward` com atalho, somando só quando as formas coincidem.
# - Medir a razão entre os gradientes da primeira camada com e sem atalho.
# - Explicar, pela derivada de x + f(x), por que o atalho ajuda.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import GELU, gradient_means
from gptlab_helpers.checks.lesson04 import q1, q2, q3

# %% [markdown]
# ## Exercício 1 · O forward com atalho
#
# A rede tem 5 camadas `Linear + GELU`. Complete o `forward`: passe `x` por cada camada e, se
# `use_shortcut` for verdadeiro **e** a saída tiver a mesma forma da entrada, some as duas;
# caso contrário, siga só com a saída. A classe tem o nome da aula 04, `ExampleDeepNeuralNetwork`
# (nos slides do curso, `SimpleDeepNeuralNetwork`: a conferência aceita os dois nomes).


# %%
class ExampleDeepNeuralNetwork(nn.Module):
    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(
            [nn.Sequential(nn.Linear(layer_sizes[i], layer_sizes[i + 1]), GELU()) for i in range(5)]
        )

    def forward(self, x):
        """(B, layer_sizes[0]) -> (B, layer_sizes[-1])."""
        ### BEGIN SOLUTION
        for layer in self.layers:
            layer_output = layer(x)
            if self.use_shortcut and x.shape == layer_output.shape:
                x = x + layer_output
            else:
                x = layer_output
        return x
        ### END SOLUTION


# %%
q1.check()

# %% [markdown]
# Os gradientes médios de cada camada, como na aula (semente 123 antes de criar cada rede).
# Mostramos 4 algarismos significativos: as últimas casas variam com a versão do PyTorch.

# %%
layer_sizes = [3, 3, 3, 3, 3, 1]
sample_input = torch.tensor([[1.0, 0.0, -1.0]])

torch.manual_seed(123)
model_without_shortcut = ExampleDeepNeuralNetwork(layer_sizes, use_shortcut=False)
torch.manual_seed(123)
model_with_shortcut = ExampleDeepNeuralNetwork(layer_sizes, use_shortcut=True)

for label, model in (("sem atalho", model_without_shortcut), ("com atalho", model_with_shortcut)):
    means = gradient_means(model, sample_input)
    print(f"{label}: " + "  ".join(f"{mean:.4g}" for mean in means.values()))

# %% [markdown]
# Leia as duas linhas da primeira camada (à esquerda) até a última e compare a ordem
# de grandeza dos gradientes nas duas redes; o exercício 2 mede essa diferença.

# %% [markdown] tags=["solucao"]
# Da primeira camada (à esquerda) à última: sem atalho, o gradiente médio vai de 0,0002 a
# 0,005, minúsculo justamente no começo da rede; com atalho, fica entre 0,2 e 1,3 em todas.

# %% [markdown]
# ## Exercício 2 · Quantas vezes maior?
#
# Usando `gradient_means(model, sample_input)` (devolve um dicionário nome → média do gradiente
# absoluto), calcule em `gradient_ratio` quantas vezes o gradiente médio de
# `layers.0.0.weight` (a primeira camada) com atalho é maior que sem atalho.

# %%
### BEGIN SOLUTION
gradient_ratio = (
    gradient_means(model_with_shortcut, sample_input)["layers.0.0.weight"]
    / gradient_means(model_without_shortcut, sample_input)["layers.0.0.weight"]
)
### END SOLUTION

print(f"com atalho, o gradiente da primeira camada é {gradient_ratio:.0f} vezes maior")

# %%
q2.check()

# %% [markdown] tags=["solucao"]
# Cerca de mil vezes: sem atalho, o sinal do erro chega à primeira camada quase apagado, e ela
# aprende muito mais devagar que as outras; com dezenas de camadas, pararia de aprender.

# %% [markdown]
# ## Exercício 3 · Por que o atalho ajuda
#
# Explique em `explanation`, com suas palavras (pelo menos 15 palavras): por que somar a
# entrada à saída de uma camada ajuda a evitar que o gradiente desapareça numa rede profunda?

# %%
### BEGIN SOLUTION
explanation = """
Com o atalho a saída é x + f(x), e a derivada em relação a x é 1 + f'(x). O termo 1 cria um
caminho em que o gradiente passa intacto de uma camada para a anterior, em vez de ser
multiplicado por muitos fatores pequenos, um por camada. Assim as primeiras camadas recebem
um sinal de erro útil mesmo numa rede com dezenas de camadas.
"""
### END SOLUTION

# %%
q3.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/04_conexoes_de_atalho.ipynb`](../notebooks/04_conexoes_de_atalho.ipynb)
# - Próximos exercícios: [05 · O bloco transformer e o GPT](05_bloco_transformer_e_gpt.ipynb)
