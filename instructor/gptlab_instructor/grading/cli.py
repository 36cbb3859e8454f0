"""A linha de comando `gptlab-grade` (e `python -m gptlab_instructor.grading`): argumentos em
português, erros de uso com código 2."""

import argparse
import math
import os
import sys
from pathlib import Path

from gptlab_helpers.core.cli import PortugueseParser, number, run_command, seconds, whole_number

from .batch import Settings, grade_folder
from .inputs import SubmissionsError
from .kernel import GB, Limits
from .manual import ManualGradesError
from .roster import RosterError

# --- linha de comando --------------------------------------------------------------------------


def gigabytes(text):
    """Tipo do argparse: um número de GB (aceita vírgula decimal) -> bytes."""
    value = number(text, "um número de GB, como 4 ou 0,5")
    if not value >= 0.5 or math.isinf(value):
        raise argparse.ArgumentTypeError(
            f"precisa ser pelo menos 0,5 GB (o PyTorch sozinho ocupa isso), recebi {text}"
        )
    return int(value * GB)


def fraction(text):
    """Tipo do argparse: uma fração de 0 a 1 (aceita vírgula decimal), como 0,25."""
    value = number(text, "uma fração de 0 a 1, como 0,25")
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"precisa ser uma fração de 0 a 1 (0,25 é um quarto), recebi {text}")
    return value


DEFAULT_MEMORY_GB = 4

# (nomes, opções do argparse) de cada argumento, na ordem em que a ajuda os mostra
ARGUMENTS = (
    (("submissions",), dict(metavar="ENTREGAS", help="pasta ou arquivo .zip com os .ipynb entregues")),
    (
        ("-o", "--output"),
        dict(metavar="SAIDA", required=True, help="pasta para notas.csv e feedback/ (criada se faltar)"),
    ),
    (
        ("-j", "--jobs"),
        dict(metavar="N", type=whole_number, default=1, help="entregas corrigidas ao mesmo tempo"),
    ),
    (
        ("--timeout",),
        dict(metavar="SEGUNDOS", type=seconds, default=60.0, help="limite de cada célula"),
    ),
    (
        ("--total-timeout",),
        dict(
            metavar="SEGUNDOS",
            type=seconds,
            default=600.0,
            help="limite de cada entrega inteira",
        ),
    ),
    (
        ("--exercise-set",),
        dict(
            metavar="NN",
            help="a lista esperada (ex.: 06); sem isto, cada entrega é corrigida pela lista que ela é",
        ),
    ),
    (
        ("--memoria-max",),
        dict(
            metavar="GB",
            type=gigabytes,
            default=DEFAULT_MEMORY_GB * GB,
            help=f"memória máxima do kernel de cada entrega (padrão: {DEFAULT_MEMORY_GB})",
        ),
    ),
    (
        ("--processos-max",),
        dict(
            metavar="N",
            type=whole_number,
            default=256,
            help="processos e threads que cada kernel pode criar",
        ),
    ),
    (
        ("--com-rede",),
        dict(
            action="store_true",
            help="deixa o kernel acessar a rede (por padrão ela é cortada onde o sistema deixa)",
        ),
    ),
    (
        ("--notas-manuais",),
        dict(
            metavar="ARQUIVO",
            type=Path,
            help="o respostas_abertas.csv com as notas dadas às respostas abertas",
        ),
    ),
    (
        ("--roster", "--turma"),
        dict(
            metavar="TURMA",
            type=Path,
            help="CSV da turma (nome, email, matricula): liga cada entrega a um aluno e grava moodle.csv e canvas.csv",
        ),
    ),
    (
        ("--penalizar-dicas",),
        dict(
            metavar="F",
            type=fraction,
            default=0.0,
            help="desconta a fração F dos pontos de um exercício em que o aluno chamou hint() ou solution(); "
            "0 só informa o uso",
        ),
    ),
    (
        ("--sem-casos-ocultos",),
        dict(
            action="store_true",
            help="confere só com as entradas que o aluno vê (por padrão, cada exercício de código também "
            "é conferido com outras configurações e sementes, que valem metade dos pontos dele)",
        ),
    ),
    (("-h", "--help"), dict(action="help", help="mostra esta ajuda e sai")),
)


def build_parser():
    parser = PortugueseParser(
        prog="gptlab-grade",
        usage=(
            "%(prog)s ENTREGAS -o SAIDA [-j N] [--timeout SEGUNDOS] [--total-timeout SEGUNDOS] "
            "[--exercise-set NN] [--memoria-max GB] [--processos-max N] [--com-rede] [--notas-manuais ARQUIVO] "
            "[--roster TURMA] [--penalizar-dicas F] [--sem-casos-ocultos]"
        ),
        add_help=False,
        description="Corrige uma pasta (ou .zip) de notebooks de exercícios do GPTLab entregues pelos alunos.",
        epilog="Rodar o mesmo comando de novo continua de onde parou, sem corrigir de novo o que já foi.",
    )
    for names, options in ARGUMENTS:
        parser.add_argument(*names, **options)
    return parser


def main(argv=None):
    """O comando `gptlab-grade`: devolve o código de saída (0 corrigido, 2 erro de uso, 130 Ctrl-C)."""
    args = build_parser().parse_args(argv)
    if args.exercise_set and args.exercise_set.isdigit():
        args.exercise_set = args.exercise_set.zfill(2)  # "6" é a lista "06"
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    limits = Limits(
        cell_timeout=args.timeout,
        total_timeout=args.total_timeout,
        threads=threads,
        memory=args.memoria_max,
        processes=args.processos_max,
        network=args.com_rede,
    )
    settings = Settings(
        Path(args.output),
        args.jobs,
        limits,
        args.exercise_set,
        manual_grades=args.notas_manuais,
        roster=args.roster,
        hint_penalty=args.penalizar_dicas,
        hidden_cases=not args.sem_casos_ocultos,
    )
    return run_command(
        "gptlab-grade",
        grade_folder,
        args.submissions,
        settings,
        usage_errors=(SubmissionsError, ManualGradesError, RosterError),
    )


if __name__ == "__main__":
    sys.exit(main())
