"""O que os comandos do GPTLab têm em comum: o argparse em português e os erros de uso.

O argparse escreve o uso, a ajuda e os erros em inglês; `PortugueseParser` traduz o que um
usuário encontra ("uso:", argumentos que faltam, valores inválidos), põe o padrão de cada
opção no fim da ajuda ("(padrão: 32)", lido do próprio argumento: nunca repetido à mão) e sai
com o código 2 num erro de uso, como o argparse faz. `UsageError` é o erro de uso que o
próprio comando descobre depois de ler os argumentos (um arquivo que não existe, um lote que
não se divide); `run_command` o transforma na mesma linha de erro e no mesmo código 2.
"""

import argparse
import math
import re
import sys

from .formatting import format_general

EXIT_USAGE = 2

ARGPARSE_MESSAGES = (
    (r"the following arguments are required: (.*)", r"faltam argumentos obrigatórios: \1"),
    (r"unrecognized arguments: (.*)", r"argumentos desconhecidos: \1"),
    (r"argument (\S+): expected one argument", r"a opção \1 precisa de um valor"),
    (r"invalid choice: (.*) \(choose from (.*)\)", r"escolha inválida: \1 (as opções são \2)"),
    (r"not allowed with argument (\S+)", r"não pode ser usada junto com \1"),
    (r"argument (\S+): ", r"opção \1: "),
)


class UsageError(Exception):
    """Um argumento que não serve: a mensagem diz o que está errado e o que fazer."""


def describe_default(value):
    """Como a ajuda mostra um padrão: números com vírgula decimal, listas separadas por vírgula."""
    if isinstance(value, bool):
        return "sim" if value else "não"
    if isinstance(value, (int, float)):
        return format_general(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


class DefaultsHelpFormatter(argparse.HelpFormatter):
    """Acrescenta "(padrão: ...)" à ajuda de cada opção que tem um padrão de verdade."""

    def _get_help_string(self, action):
        text = action.help or ""
        default = action.default
        silent = default is None or default is False or default is argparse.SUPPRESS
        if silent or "padrão" in text or action.option_strings == [] and action.nargs is None:
            return text
        return f"{text} (padrão: {describe_default(default)})"


class PortugueseParser(argparse.ArgumentParser):
    """ArgumentParser com as mensagens (uso, ajuda e erros) em português e os padrões na ajuda."""

    def __init__(self, *args, add_help=True, **kwargs):
        kwargs.setdefault("formatter_class", DefaultsHelpFormatter)
        super().__init__(*args, add_help=False, **kwargs)
        self._positionals.title = "argumentos"
        self._optionals.title = "opções"
        if add_help:
            self.add_help_option()

    def add_help_option(self):
        """A opção -h/--help; chame por último quando ela deve aparecer no fim da ajuda."""
        self.add_argument("-h", "--help", action="help", help="mostra esta ajuda e sai")

    def error(self, message):
        for pattern, replacement in ARGPARSE_MESSAGES:
            message = re.sub(pattern, replacement, message)
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: erro: {message}\n")

    def format_usage(self):
        return super().format_usage().replace("usage:", "uso:", 1)

    def format_help(self):
        return super().format_help().replace("usage:", "uso:", 1)


def run_command(prog, function, *args, usage_errors=(), report=True):
    """Chama `function(*args)` e devolve o seu código de saída; um erro de uso vira a linha
    "prog: erro: ..." na saída de erros (se `report`) e o código 2. `usage_errors` são outras
    exceções que também descrevem um uso errado (ex.: uma pasta de entregas que não existe)."""
    try:
        return function(*args)
    except (UsageError, *usage_errors) as error:
        if report:
            print(f"{prog}: erro: {error}", file=sys.stderr)
        return EXIT_USAGE


# --- tipos de argumento ------------------------------------------------------------------------
def number(text, what="um número"):
    """O texto como float; aceita vírgula decimal ("0,5"). Levanta ArgumentTypeError em português."""
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"esperava {what}, recebi {text!r}") from None


def whole_number(text):
    """Tipo do argparse: um inteiro >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"esperava um número inteiro, recebi {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"precisa ser pelo menos 1, recebi {value}")
    return value


def whole_number_or_zero(text):
    """Tipo do argparse: um inteiro >= 0 (ex.: passos de aquecimento)."""
    return 0 if text.strip() == "0" else whole_number(text)


def non_negative_number(text):
    """Tipo do argparse: um número >= 0 e finito (ex.: a taxa de aprendizado)."""
    value = number(text)
    if not value >= 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"precisa ser um número >= 0, recebi {text}")
    return value


def seconds(text):
    """Tipo do argparse: um número de segundos > 0."""
    value = number(text, "um número de segundos")
    if not value > 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"precisa ser um número de segundos maior que zero, recebi {text}")
    return value
