"""`gptlab-grade`: corrige de uma vez uma pasta (ou .zip) de notebooks de exercícios entregues.

    gptlab-grade ENTREGAS -o SAIDA [-j N] [--timeout SEGUNDOS] [--total-timeout SEGUNDOS]
    python -m gptlab_helpers.grading ENTREGAS -o SAIDA

As peças, na ordem em que agem:

- `grading_inputs`: acha os .ipynb (pasta ou .zip), dá um nome a cada aluno e reconhece a
  lista de exercícios pelo conteúdo do notebook;
- `grading_batch`: corrige as entregas que faltam, `-j N` de cada vez, e retoma o que parou;
- `grading_runner`: executa uma entrega num kernel novo, com tempos limite;
- `grading_evaluator`: dentro do kernel, confere cada exercício depois do código do aluno, com
  uma cópia das conferências que o aluno não alcança;
- `grading_reports`: notas.csv, um feedback por aluno, o estado para retomar e o resumo.
"""

import os
import sys
from pathlib import Path

from .cli import PortugueseParser, seconds, whole_number
from .grading_batch import Settings, UsageError, grade_folder
from .grading_inputs import SubmissionsError
from .grading_runner import Limits

__all__ = ["Settings", "grade_folder", "main"]

# --- linha de comando --------------------------------------------------------------------------


def build_parser():
    parser = PortugueseParser(
        prog="gptlab-grade",
        usage="%(prog)s ENTREGAS -o SAIDA [-j N] [--timeout SEGUNDOS] [--total-timeout SEGUNDOS] [--exercise-set NN]",
        add_help=False,
        description="Corrige uma pasta (ou .zip) de notebooks de exercícios do GPTLab entregues pelos alunos.",
        epilog="Rodar o mesmo comando de novo continua de onde parou, sem corrigir de novo o que já foi.",
    )
    parser._positionals.title = "argumentos"
    parser._optionals.title = "opções"
    parser.add_argument(
        "submissions", metavar="ENTREGAS", help="pasta ou arquivo .zip com os .ipynb entregues"
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="SAIDA",
        required=True,
        help="pasta para notas.csv e feedback/ (criada se faltar)",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        metavar="N",
        type=whole_number,
        default=1,
        help="entregas corrigidas ao mesmo tempo (padrão: 1)",
    )
    parser.add_argument(
        "--timeout", metavar="SEGUNDOS", type=seconds, default=60.0, help="limite de cada célula (padrão: 60)"
    )
    parser.add_argument(
        "--total-timeout",
        metavar="SEGUNDOS",
        type=seconds,
        default=600.0,
        help="limite de cada entrega inteira (padrão: 600)",
    )
    parser.add_argument(
        "--exercise-set",
        metavar="NN",
        help="a lista esperada (ex.: 06); sem isto, cada entrega é corrigida pela lista que ela é",
    )
    parser.add_argument("-h", "--help", action="help", help="mostra esta ajuda e sai")
    return parser


def main(argv=None):
    """O comando `gptlab-grade`: devolve o código de saída (0 corrigido, 2 erro de uso, 130 Ctrl-C)."""
    args = build_parser().parse_args(argv)
    if args.exercise_set and args.exercise_set.isdigit():
        args.exercise_set = args.exercise_set.zfill(2)  # "6" é a lista "06"
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    limits = Limits(cell_timeout=args.timeout, total_timeout=args.total_timeout, threads=threads)
    settings = Settings(Path(args.output), args.jobs, limits, args.exercise_set)
    try:
        return grade_folder(args.submissions, settings)
    except (SubmissionsError, UsageError) as exc:
        print(f"gptlab-grade: erro: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
