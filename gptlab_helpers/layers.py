"""Aulas 02 e 03: normalização de camada, ativação GELU e a rede feed-forward."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .config import feed_forward_hidden_dim


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


class LayerNormFast(LayerNorm):
    """A mesma `LayerNorm`, num kernel só (`F.layer_norm`): (B, T, C) -> (B, T, C).

    Os parâmetros têm os mesmos nomes (`scale`, `shift`), então checkpoints e pesos do GPT-2
    servem às duas. A conta da aula faz cinco passagens pelo tensor (média, variância,
    subtração, divisão, escala); a fundida faz uma. O resultado difere só no arredondamento.
    """

    def forward(self, x):
        return F.layer_norm(x, self.scale.shape, self.scale, self.shift, self.eps)


class GELUFast(GELU):
    """A mesma GELU de tangente hiperbólica, num kernel só (`F.gelu(approximate="tanh")`)."""

    def forward(self, x):
        return F.gelu(x, approximate="tanh")


# As versões rápidas que cfg["fast_kernels"] = True põe no lugar das da aula.
FAST_VARIANTS = {LayerNorm: LayerNormFast, GELU: GELUFast}


def fast_variant(layer_class, cfg):
    """A classe a usar: a versão fundida de `layer_class` se cfg["fast_kernels"], senão a própria."""
    if cfg.get("fast_kernels", False):
        return FAST_VARIANTS.get(layer_class, layer_class)
    return layer_class


class FeedForward(nn.Module):
    """Duas camadas lineares com GELU no meio: (B, T, C) -> (B, T, 4C) -> (B, T, C).

    A camada do meio é 4 vezes mais larga: é ali que cada token, sozinho, é reprocessado.
    As chaves opcionais `ff_hidden_dim` (no lugar de 4C) e `bias` (False tira os bias) são as
    da aula 13.
    """

    def __init__(self, cfg):
        super().__init__()
        hidden, bias = feed_forward_hidden_dim(cfg), cfg.get("bias", True)
        self.layers = nn.Sequential(
            nn.Linear(cfg["emb_dim"], hidden, bias=bias),
            fast_variant(GELU, cfg)(),
            nn.Linear(hidden, cfg["emb_dim"], bias=bias),
        )

    def forward(self, x):
        return self.layers(x)
