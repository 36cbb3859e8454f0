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
    """GPT de mentira: embeddings e cabeça de saída reais, blocos vazios.

    forward: IDs (B, T) -> logits (B, T, vocab_size).
    """

    block_class = DummyTransformerBlock
    norm_class = DummyLayerNorm


# Nomes usados nos slides da aula.
SimpleGPTModel = DummyGPTModel
SimpleTransformerBlock = DummyTransformerBlock
SimpleLayerNorm = DummyLayerNorm
