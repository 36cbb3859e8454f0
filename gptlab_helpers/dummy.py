"""Aula 01: o esqueleto do GPT, com bloco e normalização que ainda não fazem nada.

Serve para ver o caminho dos dados (IDs -> embeddings -> blocos -> logits) antes de
implementar as peças de verdade nas aulas seguintes. As camadas são criadas na mesma ordem do
`GPTModel` da aula 05 (e do livro): com a mesma semente, os embeddings e a cabeça de saída
começam com os mesmos pesos.
"""

import torch
import torch.nn as nn

from .config import dropout_rates, validate_config
from .core.validation import check_token_ids


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


class DummyGPTModel(nn.Module):
    """Esqueleto do GPT: embeddings e cabeça de saída reais, blocos vazios.

    forward: IDs (B, T) -> logits (B, T, vocab_size).
    """

    def __init__(self, cfg):
        super().__init__()
        self.cfg = validate_config(cfg)
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(dropout_rates(cfg)[0])
        self.trf_blocks = nn.Sequential(*[DummyTransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = DummyLayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        check_token_ids(in_idx, self.cfg["vocab_size"], self.cfg["context_length"])
        seq_len = in_idx.shape[1]
        tok_embeds = self.tok_emb(in_idx)  # (B, T, C): o que é cada token
        pos_embeds = self.pos_emb(torch.arange(seq_len, device=in_idx.device))  # (T, C): onde está
        x = self.drop_emb(tok_embeds + pos_embeds)
        x = self.trf_blocks(x)
        x = self.final_norm(x)
        return self.out_head(x)  # (B, T, V)


# Sinônimos: os nomes dos slides do curso. Notebooks e exercícios usam só os nomes do livro
# (Dummy...); estes ficam para quem copiou o código dos slides.
SimpleGPTModel = DummyGPTModel
SimpleTransformerBlock = DummyTransformerBlock
SimpleLayerNorm = DummyLayerNorm
