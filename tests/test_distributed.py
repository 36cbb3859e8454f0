"""gptlab-train com torchrun: 2 processos na CPU (gloo), só pelo loopback (127.0.0.1).

A equivalência que estes testes conferem vem de como os lotes são sorteados: o lote global de
B exemplos é sorteado inteiro, pela mesma semente, em todos os processos, e cada processo treina
nas suas B / N linhas (`DataParallel.rows`). O DDP tira a média dos gradientes entre os
processos, e a média das N médias de B / N exemplos é a média dos B exemplos. Então 1 processo e
2 processos dão o mesmo passo, a menos da ordem das somas em ponto flutuante: a tolerância é
1e-5 nas perdas e nos pesos (medimos 3e-7 em 30 passos), enquanto a perda cai mais de 0,3 no
mesmo treino (se os processos treinassem em exemplos diferentes dos de um processo só, a
diferença seria dessa ordem). O treino de 2 processos ainda acumula 2 pedaços por passo, então
a equivalência vale também para a acumulação com `no_sync`.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gptlab_helpers.training import load_checkpoint, load_trained_model
from gptlab_helpers.training.cli import main

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]  # o torchrun roda na raiz, onde o pacote está

TOLERANCE = 1e-5
MODEL = ["--size", "minusculo", "--n-layers", "1", "--context-length", "16", "--device", "cpu"]
RUN = [*MODEL, "--batch-size", "8", "--warmup-steps", "2", "--eval-interval", "4", "--eval-batches", "2"]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def torchrun_command(nproc, *args):
    launcher = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nnodes",
        "1",
        "--nproc_per_node",
        str(nproc),
    ]
    address = ["--master_addr", "127.0.0.1", "--master_port", str(free_port())]
    return [*launcher, *address, "-m", "gptlab_helpers.training", *map(str, args)]


def child_environment():
    # uma thread por processo (o que o torchrun já faz com 2 ou mais) e saída sem buffer
    return dict(os.environ, OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")


def torchrun(nproc, *args):
    done = subprocess.run(
        torchrun_command(nproc, *args),
        capture_output=True,
        text=True,
        env=child_environment(),
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_two_processes_match_one_process_with_the_same_global_batch(text_file, tmp_path, capsys):
    alone, pair = tmp_path / "um.pt", tmp_path / "dois.pt"
    assert main([str(text_file), *RUN, "--max-steps", "8", "--checkpoint", str(alone)]) == 0
    out = torchrun(2, text_file, *RUN, "--max-steps", "8", "--accum", "2", "--checkpoint", pair)
    assert "lote global 8 = 2 exemplos x 2 pedaço(s) x 2 processo(s)" in out
    assert out.count("Treino concluído") == 1  # só o processo 0 escreve

    one, two = load_checkpoint(alone), load_checkpoint(pair)
    assert one["history"]["val_loss"][0] - one["history"]["val_loss"][-1] > 0.3  # aprendeu algo
    for key in ("train_loss", "val_loss"):
        assert two["history"][key] == pytest.approx(one["history"][key], abs=TOLERANCE), key
    for name, weights in one["model_state"].items():
        assert torch.allclose(two["model_state"][name], weights, atol=TOLERANCE), name

    # (b) o mesmo formato: as mesmas chaves, e o notebook 10 lê o de 2 processos
    assert sorted(two) == sorted(one)
    assert sorted(two["settings"]) == sorted(one["settings"])
    assert (one["settings"]["world_size"], two["settings"]["world_size"]) == (1, 2)
    model, tokenizer, _ = load_trained_model(pair, device="cpu")
    assert not model.training and tokenizer.n_vocab == model.cfg["vocab_size"]


def test_sigterm_to_torchrun_saves_once_and_resumes_with_one_process(text_file, tmp_path, capsys):
    checkpoint, log = tmp_path / "modelo.pt", tmp_path / "saida.txt"
    args = [*RUN, "--eval-interval", "20", "--max-steps", "1000000", "--checkpoint", checkpoint]
    with open(log, "w") as output:
        launcher = subprocess.Popen(
            torchrun_command(2, text_file, *args),
            stdout=output,
            stderr=subprocess.STDOUT,
            env=child_environment(),
        )
        try:
            deadline = time.monotonic() + 240
            while "passo     20/" not in log.read_text() and time.monotonic() < deadline:
                assert launcher.poll() is None, log.read_text()
                time.sleep(0.2)
            launcher.send_signal(signal.SIGTERM)  # como um gerenciador de filas (SLURM, Kubernetes)
            launcher.wait(timeout=60)
        finally:
            if launcher.poll() is None:
                launcher.kill()
    out = log.read_text()
    saved = load_checkpoint(checkpoint)
    step = saved["step"]
    assert step >= 20
    assert out.count(f"Treino interrompido no passo {step}; checkpoint salvo em {checkpoint}") == 1
    assert "Traceback" not in out.split("Treino interrompido")[0]  # os processos saíram limpos

    # retoma com outro número de processos (1), até 4 passos depois
    code = main(
        [
            str(text_file),
            *args[:-4],
            "--max-steps",
            str(step + 4),
            "--checkpoint",
            str(checkpoint),
            "--resume",
        ]
    )
    assert code == 0
    resumed = load_checkpoint(checkpoint)
    assert resumed["step"] == step + 4
    assert resumed["history"]["step"][: len(saved["history"]["step"])] == saved["history"]["step"]
    assert f"Treino concluído no passo {step + 4}" in capsys.readouterr().out
