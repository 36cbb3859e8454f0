"""Espiar os dropouts de um modelo durante um forward (usado na conferência da aula 07).

Ganchos (forward hooks) registram, para cada chamada de `nn.Dropout`, a taxa `p`, a entrada,
a saída e a porcentagem de zeros na saída; e, para os outros módulos, as saídas. Assim dá para
dizer, sem ler o código do aluno, onde cada dropout foi aplicado.
"""

import re
from dataclasses import dataclass

import torch
import torch.nn as nn


@dataclass(eq=False)
class DropoutCall:
    """Uma chamada de um nn.Dropout durante o forward."""

    module: nn.Module
    p: float
    input: torch.Tensor
    output: torch.Tensor

    @property
    def zero_percent(self):
        """Porcentagem de valores zerados na saída, como na dica da lista: 100 * (1 - não zeros / total)."""
        return 100 * (1 - torch.count_nonzero(self.output).item() / self.output.numel())


class DropoutProbe:
    """Context manager: `with DropoutProbe(model) as probe: model(x)` e depois `probe.calls`."""

    def __init__(self, model):
        self.model = model
        self.calls = []
        self.outputs = {}  # módulo -> lista de (entrada, saída) de cada chamada
        self.handles = []

    def __enter__(self):
        for module in self.model.modules():
            self.handles.append(module.register_forward_hook(self.record))
        return self

    def __exit__(self, *exc_info):
        for handle in self.handles:
            handle.remove()
        self.handles = []

    def record(self, module, inputs, output):
        if not isinstance(output, torch.Tensor) or not inputs or not isinstance(inputs[0], torch.Tensor):
            return
        x = inputs[0].detach().clone()
        y = output.detach().clone()
        if isinstance(module, nn.Dropout):
            self.calls.append(DropoutCall(module, module.p, x, y))
        else:
            self.outputs.setdefault(module, []).append((x, y))

    def producers(self, tensor):
        """Os módulos que, em alguma chamada, devolveram exatamente `tensor`."""
        return [
            module
            for module, calls in self.outputs.items()
            if any(y.shape == tensor.shape and torch.equal(y, tensor) for _, y in calls)
        ]


def contains(module, predicate):
    """True se algum submódulo de `module` (ele incluído) satisfaz `predicate`."""
    return any(predicate(sub) for sub in module.modules())


def is_attention_weights(tensor, atol=1e-5):
    """(B, H, T, T) com linhas que somam 1 e zeros acima da diagonal: pesos de atenção causal."""
    if tensor.dim() != 4 or tensor.shape[-1] != tensor.shape[-2]:
        return False
    num_tokens = tensor.shape[-1]
    future = torch.triu(torch.ones(num_tokens, num_tokens, dtype=torch.bool), diagonal=1)
    rows_sum_to_one = torch.allclose(tensor.sum(dim=-1), torch.ones(()), atol=atol)
    return rows_sum_to_one and bool((tensor[..., future] == 0).all())


def parse_numbers(text):
    """Todos os números de um texto impresso, na ordem ("5.03%", "tensor(4.9913)", "12,5")."""
    return [float(match.replace(",", ".")) for match in re.findall(r"-?\d+(?:[.,]\d+)?", text)]


def match_printed(shares, printed, tolerance=0.06):
    """Quantas das porcentagens `shares` aparecem, em ordem, entre os números de `printed`.

    Aceita a porcentagem (5.03) ou a fração (0.0503); a tolerância cobre arredondar para uma
    casa decimal.
    """
    numbers = parse_numbers(printed)
    position = 0
    matched = 0
    for share in shares:
        while position < len(numbers):
            number = numbers[position]
            position += 1
            if abs(number - share) <= tolerance or abs(100 * number - share) <= tolerance:
                matched += 1
                break
    return matched
