"""O que os comandos do pacote (`gptlab-grade`, `gptlab-train`) têm em comum: o argparse em português.

O argparse escreve o uso e os erros em inglês; `PortugueseParser` traduz o que um usuário
encontra ("uso:", argumentos que faltam, valores inválidos) e sai com o código 2, como o
argparse faz em qualquer erro de uso.
"""

import argparse
import math
import re
import sys

ARGPARSE_MESSAGES = (
    (r"the following arguments are required: (.*)", r"faltam argumentos obrigatórios: \1"),
    (r"unrecognized arguments: (.*)", r"argumentos desconhecidos: \1"),
    (r"argument (\S+): expected one argument", r"a opção \1 precisa de um valor"),
    (r"invalid choice: (.*) \(choose from (.*)\)", r"escolha inválida: \1 (as opções são \2)"),
    (r"not allowed with argument (\S+)", r"não pode ser usada junto com \1"),
    (r"argument (\S+): ", r"opção \1: "),
)


class PortugueseParser(argparse.ArgumentParser):
    """ArgumentParser com as mensagens (uso, ajuda e erros) em português."""

    def __init__(self, *args, add_help=True, **kwargs):
        super().__init__(*args, add_help=False, **kwargs)
        if add_help:
            self.add_argument("-h", "--help", action="help", help="mostra esta ajuda e sai")

    def error(self, message):
        for pattern, replacement in ARGPARSE_MESSAGES:
            message = re.sub(pattern, replacement, message)
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: erro: {message}\n")

    def format_usage(self):
        return super().format_usage().replace("usage:", "uso:", 1)

    def format_help(self):
        text = super().format_help().replace("usage:", "uso:", 1)
        return text.replace("\npositional arguments:", "\nargumentos:").replace("\noptions:", "\nopções:")


def whole_number(text):
    """Tipo do argparse: um inteiro >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"esperava um número inteiro, recebi {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"precisa ser pelo menos 1, recebi {value}")
    return value


def seconds(text):
    """Tipo do argparse: um número de segundos > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"esperava um número de segundos, recebi {text!r}") from None
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"precisa ser um número de segundos maior que zero, recebi {text}")
    return value
