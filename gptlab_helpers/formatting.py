"""Números escritos como em português: vírgula decimal e ponto de milhar.

Usado nos gráficos (`plots`) e nas mensagens das conferências (`checks`).
"""


def format_decimal(value, digits=1):
    """Um número com vírgula decimal e ponto de milhar, como em português: 3197.56 -> '3.197,56'."""
    return f"{value:,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def format_general(value):
    """Um número em notação compacta (`:g`), com vírgula decimal: 0.000123 -> '0,000123'."""
    return f"{value:g}".replace(".", ",")


def format_int(value):
    """Um inteiro com ponto de milhar, como se escreve em português: 786432 -> '786.432'."""
    return f"{int(value):,}".replace(",", ".")
