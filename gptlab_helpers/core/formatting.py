"""Números escritos como em português: vírgula decimal e ponto de milhar.

Usado nos gráficos, nas mensagens das conferências e na saída do `gptlab-train`.
"""


def format_number(value, spec):
    """`format(value, spec)` com a pontuação do português: (12345.6, ',.1f') -> '12.345,6'."""
    return format(value, spec).replace(",", "_").replace(".", ",").replace("_", ".")


def format_decimal(value, digits=1):
    """Um número com vírgula decimal e ponto de milhar: 1234.5 -> '1.234,50' (digits=2)."""
    return format_number(value, f",.{digits}f")


def format_general(value):
    """Um número em notação compacta (`:g`), com vírgula decimal: 0.000123 -> '0,000123'."""
    return format_number(value, "g")


def format_int(value):
    """Um inteiro com ponto de milhar: 786432 -> '786.432'."""
    return format_number(int(value), ",d")
