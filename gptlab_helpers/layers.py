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


class LinearFast(nn.Linear):
    """A mesma `nn.Linear`, com um caminho rápido para poucas linhas na CPU: (..., in) -> (..., out).

    Gerando com KV cache, cada passo multiplica um vetor só, (1, C), por cada matriz de pesos:
    o tempo é o de ler os pesos da memória. Para esse formato o `F.linear` da CPU escolhe um
    kernel que lê os pesos bem abaixo da velocidade da memória, e não acelera com mais threads
    (na cabeça de saída do GPT-2, 50.257 x 768, medimos 8,9 ms com 1 ou 2 threads, contra 2,5 a
    3,7 ms do caminho abaixo; veja `scripts/benchmark_generation.py --linear`). Por isso, sem
    gradiente e na CPU:

    - 1 linha: as linhas de W são divididas em blocos, um por thread, e `torch.bmm` multiplica
      cada bloco pelo vetor;
    - 2 a 16 linhas (lotes pequenos): W @ x^T, transposto de volta;
    - mais linhas, ou com gradiente (treino): o `F.linear` de sempre.

    Cada saída continua sendo o produto escalar de uma linha de W com x: muda só a ordem das
    somas, e o resultado difere do `F.linear` no arredondamento (bem abaixo de 1e-5).
    """

    max_rows = 16  # até quantas linhas vale W @ x^T (medido com 124M numa CPU de 2 núcleos)

    def forward(self, x):
        rows = x.numel() // self.in_features
        needs_grad = torch.is_grad_enabled() and (x.requires_grad or self.weight.requires_grad)
        if needs_grad or x.device.type != "cpu" or rows == 0 or rows > self.max_rows:
            return F.linear(x, self.weight, self.bias)
        x_columns = x.reshape(rows, self.in_features).t()  # (in, M)
        out = self.weight_times(x_columns) if rows == 1 else self.weight @ x_columns  # (out, M)
        out = out.t()
        if self.bias is not None:
            out = out + self.bias
        return out.reshape(*x.shape[:-1], self.out_features)

    def weight_times(self, x_column):
        """W @ x para um vetor coluna (in, 1) -> (out, 1), com as linhas de W em blocos por thread."""
        parts = max(2, torch.get_num_threads())
        block = self.out_features // parts
        if block == 0:
            return self.weight @ x_column
        covered = block * parts  # linhas de W que cabem nos blocos
        weight_blocks = self.weight[:covered].view(parts, block, self.in_features)
        out = torch.bmm(weight_blocks, x_column.expand(parts, -1, -1)).view(covered, 1)
        if covered == self.out_features:
            return out
        # as linhas que sobram da divisão (ex.: 50.257 = 2 x 25.128 + 1) vão à parte
        return torch.cat((out, self.weight[covered:] @ x_column))


def use_fast_linears(model):
    """Troca, no lugar, cada `nn.Linear` de `model` por `LinearFast`: os mesmos pesos, outro forward.

    Só a classe muda (os parâmetros são os mesmos objetos, com os mesmos nomes), então o state
    dict, os checkpoints e os pesos do GPT-2 servem igual. Devolve `model`.
    """
    for module in model.modules():
        if type(module) is nn.Linear:
            module.__class__ = LinearFast
    return model


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
