"""Espiar os dropouts de um modelo durante um forward (usado na conferência da aula 07).

Ganchos globais (forward hooks de todos os módulos) registram, para cada chamada de um
`nn.Dropout` (ou de F.dropout), o próprio módulo que foi chamado, a taxa `p`, a entrada, a saída, a pilha de
módulos em cujo forward a chamada aconteceu e o texto impresso logo depois dela. Assim dá para
dizer, sem ler o código do aluno, onde cada dropout foi aplicado e o que cada print mostrou.
"""

import contextlib
import io
import re
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.modules.module import register_module_forward_hook, register_module_forward_pre_hook
from torch.overrides import TorchFunctionMode


@dataclass(eq=False)
class DropoutCall:
    """Uma chamada de um nn.Dropout durante o forward."""

    module: nn.Module  # None numa chamada de F.dropout
    p: float
    input: torch.Tensor
    output: torch.Tensor
    context: tuple  # os módulos cujo forward estava em andamento, do mais externo ao mais interno
    offset: int  # quanto texto já tinha sido impresso no momento da chamada
    printed: str = ""  # o que foi impresso depois desta chamada e antes da próxima

    @property
    def zero_percent(self):
        """Porcentagem de valores zerados na saída, como na dica da lista: 100 * (1 - não zeros / total)."""
        return 100 * (1 - torch.count_nonzero(self.output).item() / self.output.numel())


class DropoutProbe:
    """Roda um modelo observando cada módulo chamado: `probe = DropoutProbe(model); probe.run(x)`.

    Depois de `run`, `probe.calls` tem as chamadas de dropout na ordem, `probe.outputs` as
    entradas e saídas dos outros módulos e `probe.printed` tudo o que o modelo imprimiu.
    Os ganchos são globais para pegar também um nn.Dropout criado dentro do forward.
    """

    def __init__(self, model):
        self.model = model
        self.calls = []
        self.outputs = {}  # módulo -> lista de (entrada, saída) de cada chamada
        self.printed = ""
        self.stack = []
        self.buffer = None

    def run(self, *inputs):
        """Chama o modelo com `inputs`, guardando o que ele imprime; devolve a saída do modelo."""
        self.buffer = io.StringIO()
        handles = [register_module_forward_pre_hook(self.enter), register_module_forward_hook(self.leave)]
        try:
            with contextlib.redirect_stdout(self.buffer), FunctionalDropouts(self):
                output = self.model(*inputs)
        finally:
            for handle in handles:
                handle.remove()
        self.printed = self.buffer.getvalue()
        ends = [call.offset for call in self.calls[1:]] + [len(self.printed)]
        for call, end in zip(self.calls, ends):
            call.printed = self.printed[call.offset : end]
        return output

    def enter(self, module, inputs):
        self.stack.append(module)

    def leave(self, module, inputs, output):
        if self.stack and self.stack[-1] is module:
            self.stack.pop()
        if not isinstance(output, torch.Tensor) or not inputs or not isinstance(inputs[0], torch.Tensor):
            return
        x = inputs[0].detach().clone()
        y = output.detach().clone()
        if isinstance(module, nn.Dropout):
            self.record(module, module.p, x, y)
        else:
            self.outputs.setdefault(module, []).append((x, y))

    def record(self, module, p, x, y):
        offset = len(self.buffer.getvalue())
        self.calls.append(DropoutCall(module, p, x, y, tuple(self.stack), offset))

    def producers(self, tensor):
        """Os módulos que, em alguma chamada, devolveram exatamente `tensor`."""
        return [
            module
            for module, calls in self.outputs.items()
            if any(y.shape == tensor.shape and torch.equal(y, tensor) for _, y in calls)
        ]


class FunctionalDropouts(TorchFunctionMode):
    """Registra também as chamadas de F.dropout e torch.dropout feitas fora de um nn.Dropout.

    Elas não têm módulo (`module` fica None); o lugar sai da pilha de módulos, como nas outras.
    """

    FUNCTIONS = (F.dropout, torch.dropout)

    def __init__(self, probe):
        super().__init__()
        self.probe = probe

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        output = func(*args, **kwargs)
        inside_module = self.probe.stack and isinstance(self.probe.stack[-1], nn.Dropout)
        if func in self.FUNCTIONS and not inside_module and isinstance(output, torch.Tensor):
            x = args[0] if args else kwargs["input"]
            p = args[1] if len(args) > 1 else kwargs.get("p", 0.5)
            self.probe.record(None, float(p), x.detach().clone(), output.detach().clone())
        return output


def contains(module, predicate):
    """True se algum submódulo de `module` (ele incluído) satisfaz `predicate`."""
    return any(predicate(sub) for sub in module.modules())


def is_attention_weights(tensor, atol=1e-5):
    """(..., T, T) com linhas que somam 1 e zeros acima da diagonal: pesos de atenção causal.

    Vale para (B, H, T, T), da atenção com várias cabeças num tensor só, e para (B, T, T), de
    uma cabeça por vez.
    """
    if tensor.dim() < 3 or tensor.shape[-1] != tensor.shape[-2]:
        return False
    num_tokens = tensor.shape[-1]
    future = torch.triu(torch.ones(num_tokens, num_tokens, dtype=torch.bool), diagonal=1)
    rows_sum_to_one = torch.allclose(tensor.sum(dim=-1), torch.ones(()), atol=atol)
    return rows_sum_to_one and bool((tensor[..., future] == 0).all())


NUMBER = re.compile(r"-?\d+(?:[.,]\d+)?")


def parse_numbers(text):
    """Todos os números de um texto impresso, na ordem ("5.03%", "tensor(4.9913)", "12,5")."""
    return [float(token.replace(",", ".")) for token in NUMBER.findall(text)]


def printed_value_matches(token, measured):
    """True se o número impresso `token` é a porcentagem `measured` com algum arredondamento.

    Vale qualquer número de casas decimais: "5", "4,99" e "4.9913" servem para 4,9913, com a
    tolerância de um passo na última casa impressa (arredondar ou truncar). Vale também a
    fração, com pelo menos duas casas (0.05 para 4,99%). O 1e-4 cobre a conta em float32 do aluno.
    """
    value = float(token.replace(",", "."))
    decimals = len(re.split(r"[.,]", token)[1]) if re.search(r"[.,]", token) else 0
    step = 10.0**-decimals
    if abs(value - measured) <= step + 1e-4:
        return True
    # a fração só com duas casas ou mais: "0" ou "0.1" diriam pouco demais sobre a porcentagem
    return decimals >= 2 and abs(100 * value - measured) <= 100 * step + 1e-4


def print_shows(text, measured):
    """True se algum número de `text` é a porcentagem `measured` (veja `printed_value_matches`)."""
    return any(printed_value_matches(token, measured) for token in NUMBER.findall(text))


def match_printed(shares, printed):
    """Quantas das porcentagens `shares` aparecem, em ordem, entre os números de `printed`.

    Serve para quem imprime tudo de uma vez no fim: a ordem dos números tem de ser a das chamadas.
    """
    tokens = NUMBER.findall(printed)
    position = 0
    matched = 0
    for share in shares:
        while position < len(tokens):
            position += 1
            if printed_value_matches(tokens[position - 1], share):
                matched += 1
                break
    return matched
