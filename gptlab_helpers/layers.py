"""Aulas 02 e 03: normalização de camada, ativação GELU e a rede feed-forward."""

import torch
import torch.nn as nn

from .config import option


class LayerNorm(nn.Module):
    """Normaliza cada vetor da última dimensão para média 0 e variância 1.

    (B, T, C) -> (B, T, C). `scale` e `shift` são treináveis e deixam a rede desfazer a
    normalização se isso ajudar. A variância é a enviesada (divide por C, não por C - 1),
    como no GPT-2 e em `nn.LayerNorm`. Com `bias=False` não há `shift` (aula 13: os modelos
    atuais tiram todos os bias).
    """

    def __init__(self, emb_dim, bias=True):
        super().__init__()
        self.eps = 1e-5  # evita dividir por zero quando a variância é 0
        self.scale = nn.Parameter(torch.ones(emb_dim))
        self.shift = nn.Parameter(torch.zeros(emb_dim)) if bias else None

    def forward(self, x):
        mean = x.mean(dim=-1, keepdim=True)
        var = x.var(dim=-1, keepdim=True, unbiased=False)
        norm_x = (x - mean) / torch.sqrt(var + self.eps)
        if self.shift is None:
            return self.scale * norm_x
        return self.scale * norm_x + self.shift


class GELU(nn.Module):
    """GELU com a aproximação por tangente hiperbólica usada no GPT-2: x -> mesma forma."""

    def forward(self, x):
        # torch.sqrt de um tensor float32, como no livro: os mesmos bits, os mesmos números.
        coefficient = torch.sqrt(torch.tensor(2.0 / torch.pi))
        return 0.5 * x * (1 + torch.tanh(coefficient * (x + 0.044715 * torch.pow(x, 3))))


class FeedForward(nn.Module):
    """Duas camadas lineares com GELU no meio: (B, T, C) -> (B, T, 4C) -> (B, T, C).

    A camada do meio é 4 vezes mais larga: é ali que cada token, sozinho, é reprocessado.
    As chaves opcionais `ff_hidden_dim` (no lugar de 4C) e `bias` (False tira os bias) são as
    da aula 13.
    """

    def __init__(self, cfg):
        super().__init__()
        emb, hidden, bias = cfg["emb_dim"], option(cfg, "ff_hidden_dim"), option(cfg, "bias")
        self.layers = nn.Sequential(
            nn.Linear(emb, hidden, bias=bias), GELU(), nn.Linear(hidden, emb, bias=bias)
        )

    def forward(self, x):
        return self.layers(x)
