"""O caminho rápido: as mesmas camadas das aulas, com os mesmos parâmetros, em kernels mais rápidos.

`cfg["fast_kernels"] = True` troca, no modelo já montado, a LayerNorm e a GELU das aulas por
`F.layer_norm` e `F.gelu(approximate="tanh")`, a atenção por `F.scaled_dot_product_attention` e
cada `nn.Linear` por `LinearFast`; `cfg["use_sdpa"] = True` troca só a atenção. Só a classe de
cada módulo muda (`module.__class__`): os parâmetros são os mesmos objetos, com os mesmos nomes,
e nada é sorteado, então os pesos iniciais, o state dict, os checkpoints e os pesos do GPT-2
servem igual. As saídas diferem das da aula só no arredondamento (abaixo de 1e-5).

As aulas 01 a 08 ensinam as versões escritas à mão; esta é a que os treinos e a geração rápida
usam (e que os benchmarks medem: `scripts/benchmark_generation.py`).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import gpt
from ..attention import MultiHeadAttention
from ..layers import GELU, LayerNorm
from .modern import GroupedQueryAttention


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


class MultiHeadAttentionFast(MultiHeadAttention):
    """A `MultiHeadAttention` da aula com `F.scaled_dot_product_attention`: a mesma conta num kernel.

    Sorteia o dropout de outro jeito (no treino, os números não são os da aula).
    """

    def attend(self, queries, keys, values, offset=0):
        """(B, H, T_novo, d) -> (B, H, T_novo, d), com o futuro mascarado."""
        dropout_p = self.dropout.p if self.training else 0.0
        num_tokens = queries.shape[2]
        if offset == 0:  # sem nada guardado antes: a máscara triangular de sempre
            return F.scaled_dot_product_attention(queries, keys, values, dropout_p=dropout_p, is_causal=True)
        # is_causal alinharia a máscara pelo canto de cima; com cache ela é o fim da triangular.
        # Um token novo só (o caso da geração) vê todas as posições: não há o que mascarar.
        allowed = None
        if num_tokens > 1:
            allowed = ~self.mask[offset : offset + num_tokens, : keys.shape[2]].bool()
        return F.scaled_dot_product_attention(queries, keys, values, attn_mask=allowed, dropout_p=dropout_p)


class GroupedQueryAttentionFast(GroupedQueryAttention):
    """A `GroupedQueryAttention` da aula 13 com `F.scaled_dot_product_attention`."""

    def attend(self, queries, keys, values, future):
        """(B, H, T, D) -> (B, H, T, D); `future` (T, T_total) marca o que cada query não vê."""
        dropout_p = self.dropout.p if self.training else 0.0
        if future.shape[0] == future.shape[1]:  # sem nada em cache: a máscara causal comum, mais rápida
            return F.scaled_dot_product_attention(queries, keys, values, dropout_p=dropout_p, is_causal=True)
        return F.scaled_dot_product_attention(queries, keys, values, attn_mask=~future, dropout_p=dropout_p)


# aula -> rápida: o que cada chave da configuração troca
SDPA_CLASSES = {MultiHeadAttention: MultiHeadAttentionFast, GroupedQueryAttention: GroupedQueryAttentionFast}
FAST_CLASSES = {**SDPA_CLASSES, LayerNorm: LayerNormFast, GELU: GELUFast, nn.Linear: LinearFast}


def swap_classes(model, replacements):
    """Troca, no lugar, a classe de cada módulo de `model` que está em `replacements`; devolve `model`.

    Só a classe muda (os parâmetros e buffers são os mesmos objetos). A conferência é pela
    classe exata: uma subclasse escrita por um aluno fica como está.
    """
    for module in model.modules():
        replacement = replacements.get(type(module))
        if replacement is not None:
            module.__class__ = replacement
    return model


def use_fast_kernels(model):
    """Todas as trocas de `FAST_CLASSES` (o que `cfg["fast_kernels"] = True` faz): devolve `model`."""
    return swap_classes(model, FAST_CLASSES)


def use_sdpa(model):
    """Só a atenção (o que `cfg["use_sdpa"] = True` faz): devolve `model`."""
    return swap_classes(model, SDPA_CLASSES)


def register():
    """Registra as duas adaptações em `gpt.ADAPTERS`, pelas chaves da configuração."""
    gpt.ADAPTERS["use_sdpa"] = use_sdpa
    gpt.ADAPTERS["fast_kernels"] = use_fast_kernels
