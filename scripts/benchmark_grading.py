"""Quanto tempo o `gptlab-grade` leva para corrigir uma turma (por padrão, 30 entregas).

    python scripts/benchmark_grading.py                  # 30 entregas, com -j 1 e com -j 2
    python scripts/benchmark_grading.py --count 10 --jobs 1 2 4

As entregas são as de uma turma típica (soluções completas e parciais das listas 06 e 07,
de tests/fixtures/make_submissions.py). Cada medida roda o comando de verdade, num processo
novo e com uma pasta de saída vazia, e confere que todas as entregas foram corrigidas.
"""

import argparse
import csv
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_fixtures():
    path = ROOT / "tests" / "fixtures" / "make_submissions.py"
    spec = importlib.util.spec_from_file_location("make_submissions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def grade(folder, output, jobs):
    """Roda o comando e devolve os segundos de relógio (o processo inteiro, com a partida)."""
    command = [
        sys.executable,
        "-m",
        "gptlab_instructor.grading",
        str(folder),
        "-o",
        str(output),
        "-j",
        str(jobs),
    ]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"o comando falhou com código {result.returncode}:\n{result.stderr[-2000:]}")
    return elapsed


def main():
    parser = argparse.ArgumentParser(description="Mede o tempo do gptlab-grade numa turma de exemplo.")
    parser.add_argument("--count", type=int, default=30, help="quantas entregas (padrão: 30)")
    parser.add_argument(
        "--jobs", type=int, nargs="+", default=[1, 2], help="valores de -j a medir (padrão: 1 2)"
    )
    args = parser.parse_args()
    fixtures = load_fixtures()
    print(f"Máquina: {os.cpu_count()} núcleos; Python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="gptlab-benchmark-") as scratch:
        folder = fixtures.write_notebooks(Path(scratch) / "entregas", fixtures.benchmark_cases(args.count))
        results = []
        for jobs in args.jobs:
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            output = Path(scratch) / f"saida-j{jobs}"
            elapsed = grade(folder, output, jobs)
            with open(output / "notas.csv", encoding="utf-8") as handle:
                rows = list(csv.DictReader(handle))
            if len(rows) != args.count:
                sys.exit(f"esperava {args.count} linhas em notas.csv, mas há {len(rows)}")
            statuses = sorted({row["situacao"] for row in rows})
            results.append((jobs, elapsed, load, statuses))
            print(f"-j {jobs}: {elapsed:.1f} s (carga da máquina antes: {load:.1f})", flush=True)
    base = results[0][1]
    print(f"\n{args.count} entregas")
    print(f"{'-j':>3} {'tempo (s)':>10} {'s/entrega':>10} {'ganho':>6}  situações")
    for jobs, elapsed, _, statuses in results:
        print(
            f"{jobs:>3} {elapsed:>10.1f} {elapsed / args.count:>10.2f} {base / elapsed:>6.2f}  {', '.join(statuses)}"
        )


if __name__ == "__main__":
    main()
