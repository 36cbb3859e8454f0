"""Aula 04: uma rede de 5 camadas para ver o efeito das conexões de atalho nos gradientes."""

import torch
import torch.nn as nn

from .layers import GELU


class ExampleDeepNeuralNetwork(nn.Module):
    """Cinco camadas Linear + GELU; com `use_shortcut=True` soma a entrada de cada camada
    à sua saída quando as formas coincidem. (B, layer_sizes[0]) -> (B, layer_sizes[-1])."""

    def __init__(self, layer_sizes, use_shortcut):
        super().__init__()
        if len(layer_sizes) != 6:
            raise ValueError(
                f"layer_sizes deve ter 6 tamanhos (entrada + 5 camadas), mas tem {len(layer_sizes)}"
            )
        self.use_shortcut = use_shortcut
        self.layers = nn.ModuleList(
            [nn.Sequential(nn.Linear(layer_sizes[i], layer_sizes[i + 1]), GELU()) for i in range(5)]
        )

    def forward(self, x):
        for layer in self.layers:
            layer_output = layer(x)
            if self.use_shortcut and x.shape == layer_output.shape:
                x = x + layer_output  # o atalho: o gradiente passa direto pela soma
            else:
                x = layer_output
        return x


def gradient_means(model, x, target=None):
    """Faz um passo para trás com perda MSE e devolve {nome do peso: média de |gradiente|}."""
    if target is None:
        target = torch.tensor([[0.0]])
    model.zero_grad()
    output = model(x)
    loss = nn.MSELoss()(output, target)
    loss.backward()
    return {
        name: param.grad.abs().mean().item() for name, param in model.named_parameters() if "weight" in name
    }


def print_gradients(model, x):
    """Imprime a média do gradiente absoluto dos pesos de cada camada, como no livro."""
    for name, mean in gradient_means(model, x).items():
        print(f"{name} tem gradiente médio de {mean}")


# Sinônimo: o nome dos slides do curso. Notebooks e exercícios usam só o nome do livro.
SimpleDeepNeuralNetwork = ExampleDeepNeuralNetwork
