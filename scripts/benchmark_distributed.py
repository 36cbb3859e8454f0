"""Tokens por segundo do gptlab-train com 1 e com N processos (torchrun), o mesmo lote global.

Roda, um depois do outro, o mesmo treino curto:

1. 1 processo com as threads padrão do PyTorch (todas as CPUs);
2. 1 processo com 1 thread (OMP_NUM_THREADS=1);
3. N processos com 1 thread cada (o que o torchrun faz por padrão com N >= 2);

e imprime os tokens de treino por segundo lado a lado. Na CPU, 2 processos competem pelos
mesmos núcleos que 1 processo com 2 threads já usa: o ganho do DDP aparece de verdade com
várias GPUs (ou várias máquinas). Uso, na raiz do repositório:

    python scripts/benchmark_distributed.py                     # pequeno, 2 processos, 20 s cada
    python scripts/benchmark_distributed.py --size medio --seconds 60 --device cuda --nproc 8
"""

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RATE = re.compile(r"\(([\d.]+) tokens/s, avaliações incluídas\)")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def command(nproc, train_args):
    launcher = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", f"--nproc_per_node={nproc}"]
    return [
        *launcher,
        "--master_addr",
        "127.0.0.1",
        f"--master_port={free_port()}",
        "-m",
        "gptlab_helpers.training",
        *train_args,
    ]


def measure(label, nproc, threads, train_args):
    """Roda um treino e devolve os tokens/s que ele relata (ou None se falhar)."""
    environment = dict(os.environ)
    if threads is not None:
        environment["OMP_NUM_THREADS"] = str(threads)
    shown = f"OMP_NUM_THREADS={threads} " if threads is not None else ""
    print(f"\n[{label}] {shown}{' '.join(command(nproc, train_args)[1:])}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command(nproc, train_args), capture_output=True, text=True, env=environment)
    match = RATE.search(done.stdout)
    if done.returncode != 0 or match is None:
        print(done.stdout[-2000:], done.stderr[-2000:])
        return None
    print(f"  {match.group(0)}; comando inteiro (com a partida) {time.perf_counter() - started:.1f} s")
    return float(match.group(1).replace(".", ""))


def main():
    parser = argparse.ArgumentParser(description="tokens/s do gptlab-train com 1 e N processos")
    parser.add_argument("--corpus", default="machado_de_assis_conto")
    parser.add_argument("--size", default="pequeno")
    parser.add_argument("--batch-size", type=int, default=32, help="lote global (o mesmo nos três treinos)")
    parser.add_argument("--seconds", type=float, default=20.0, help="duração de cada treino")
    parser.add_argument("--nproc", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:

        def train_args(name):
            return [
                args.corpus, "--size", args.size, "--batch-size", str(args.batch_size), "--device", args.device,
                "--max-seconds", str(args.seconds), "--eval-interval", "1000000", "--eval-batches", "1",
                "--checkpoint", str(Path(folder) / f"{name}.pt"),
            ]  # fmt: skip

        runs = [
            ("1 processo, threads padrão", 1, None),
            ("1 processo, 1 thread", 1, 1),
            (f"{args.nproc} processos, 1 thread cada", args.nproc, 1),
        ]
        rates = {
            label: measure(label, nproc, threads, train_args(f"r{i}"))
            for i, (label, nproc, threads) in enumerate(runs)
        }

    print(
        f"\n{os.cpu_count()} CPUs, carga média agora {os.getloadavg()[0]:.1f}; lote global {args.batch_size}, modelo {args.size}"
    )
    base = rates[runs[1][0]]  # a comparação justa com N processos de 1 thread: 1 processo de 1 thread
    for label, rate in rates.items():
        shown = "falhou" if rate is None else f"{rate:>10,.0f} tokens/s"
        ratio = f"{rate / base:.2f}x o de 1 processo com 1 thread" if rate is not None and base else ""
        print(f"{label:<30} {shown}  {ratio}")


if __name__ == "__main__":
    main()
