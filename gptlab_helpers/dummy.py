"""Aula 01: o esqueleto do GPT, com bloco e normalização que ainda não fazem nada.

Serve para ver o caminho dos dados (IDs -> embeddings -> blocos -> logits) antes de
implementar as peças de verdade nas aulas seguintes. O `DummyGPTModel` é o próprio
`GPTModel` com as duas peças trocadas por estas que devolvem a entrada.
"""

import torch.nn as nn

from .gpt import GPTModel


class DummyTransformerBlock(nn.Module):
    """Lugar reservado para o bloco transformer: (B, T, C) -> (B, T, C) sem mudança."""

    def __init__(self, cfg):
        super().__init__()

    def forward(self, x):
        return x


class DummyLayerNorm(nn.Module):
    """Lugar reservado para a LayerNorm: recebe os mesmos argumentos e devolve x."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()

    def forward(self, x):
        return x


class DummyGPTModel(GPTModel):
    """Esqueleto do GPT: embeddings e cabeça de saída reais, blocos vazios.

    forward: IDs (B, T) -> logits (B, T, vocab_size).
    """

    block_class = DummyTransformerBlock
    norm_class = DummyLayerNorm


# Sinônimos: os nomes dos slides do curso. Notebooks e exercícios usam só os nomes do livro
# (Dummy...); estes ficam para quem copiou o código dos slides.
SimpleGPTModel = DummyGPTModel
SimpleTransformerBlock = DummyTransformerBlock
SimpleLayerNorm = DummyLayerNorm
