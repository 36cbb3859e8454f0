"""Saber se o aluno contou os parâmetros "sem alocar memória" (exercício 06.3), sem alocar nada.

O GPT-2 XL criado de verdade ocupa mais de 6 GB só de pesos. A conferência não recria o modelo
do aluno: chama a `count_parameters` dele com uma configuração minúscula, observando cada
tensor criado (um TorchFunctionMode). Tensores que iriam para a CPU são criados no dispositivo
`meta` mesmo assim, e só contados: se o aluno esqueceu o `with torch.device("meta")`, a
conferência percebe e não gasta a memória.
"""

import torch
import torch.nn as nn
from torch.overrides import TorchFunctionMode

from .modules import TINY_CONFIG

# as funções que criam tensores novos ao construir um nn.Module
FACTORIES = {
    torch.empty,
    torch.zeros,
    torch.ones,
    torch.full,
    torch.rand,
    torch.randn,
    torch.randint,
    torch.eye,
    torch.arange,
    torch.linspace,
    torch.tensor,
}

# Um modelo com mais parâmetros que isto, fora do meta, é um GPT-2 medium ou maior criado de verdade
# (o de 124M do exercício 06.2, com 163 milhões, fica abaixo).
LARGE_MODEL = 300_000_000


class AllocationWatch(TorchFunctionMode):
    """Conta os valores que seriam alocados de verdade (fora do meta) e os cria no meta."""

    def __init__(self):
        super().__init__()
        self.real_values = 0

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = dict(kwargs or {})
        if func in FACTORIES:
            device = torch.device(kwargs.get("device") or torch.get_default_device())
            if device.type != "meta":
                kwargs["device"] = "meta"
                result = func(*args, **kwargs)
                self.real_values += result.numel()
                return result
        return func(*args, **kwargs)


def counts_on_meta(count_parameters):
    """True se `count_parameters(cfg)` conta sem alocar, False se aloca, None se não dá para saber.

    Contar por fórmula, sem criar o modelo, também é "sem alocar memória".
    """
    watch = AllocationWatch()
    try:
        with watch:
            count = int(count_parameters(dict(TINY_CONFIG)))  # um GPT minúsculo: milissegundos
    except Exception:  # a função do aluno pode esperar outra coisa; então não dá para saber
        return None
    if count <= 0:
        return None
    return watch.real_values < count / 2


def large_models_in_memory(namespace):
    """Os nomes das variáveis do aluno que guardam um GPT grande criado de verdade (fora do meta)."""
    found = []
    for name, value in namespace.items():
        items = value.items() if isinstance(value, dict) else [(None, value)]
        for key, item in items:
            if isinstance(item, nn.Module) and real_parameters(item) > LARGE_MODEL:
                found.append(name if key is None else f"{name}[{key!r}]")
    return found


def real_parameters(module):
    return sum(p.numel() for p in module.parameters() if p.device.type != "meta")
