"""Quanto tempo o GPT de caracteres leva para chegar às perdas de validação do GPTLab?

Treina um GPTModel de caracteres no conto de Machado de Assis (divisão 90/10 do GPTLab) por
um tempo fixo e imprime: o tempo até a perda de validação chegar a 2,02 (o resultado de CPU
do GPTLab depois de 5.000 iterações) e a 1,87 (10.000 iterações), a melhor perda de
validação dentro do tempo e os tokens de treino por segundo. As avaliações contam no tempo.

Uso (na raiz do repositório):

    python scripts/benchmark_training.py                   # nossa receita, 10 minutos
    python scripts/benchmark_training.py --recipe gptlab   # a receita de CPU do GPTLab
    python scripts/benchmark_training.py --minutes 1.5     # verificação rápida
    python scripts/benchmark_training.py --peer hf --minutes 1.5   # ao lado do GPT2LMHeadModel, mediana de 3

Com `--peer hf` (precisa do extra `bench`: pip install -e ".[bench]") os dois modelos têm a mesma
forma, 4 camadas, 4 cabeças, 128 dimensões e contexto 64, e são treinados pela mesma função
`train`, com os mesmos lotes, a mesma taxa de aprendizado e as mesmas avaliações, cada um por
`--minutes`: o nosso GPTModel (com `fast_kernels`) e o `GPT2LMHeadModel` do `transformers`.

Roda sem internet: o conto de Machado de Assis vem no git, em corpus/.
"""

import argparse
import os
import platform
import statistics
import time

import torch
import torch.nn as nn
from hf_peer import hf_gpt2

from gptlab_helpers import GPTModel
from gptlab_helpers.training import CHAR_GPT_CONFIG, CHAR_TRAIN_SETTINGS, estimate_loss, train
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.training.corpus import load_corpus
from gptlab_helpers.training.data import fixed_batches, train_val_split

# As perdas de validação que o README do GPTLab relata para o modelo de CPU.
GPTLAB_TARGETS = {"GPTLab, 5.000 iterações": 2.02, "GPTLab, 10.000 iterações": 1.87}

RECIPES = {
    # training_nanoGPT_CPU.py do GPTLab: 4 camadas, 4 cabeças, 64 dimensões, contexto 32, lote
    # 32, AdamW com taxa fixa de 3e-4, dropout 0.2, avaliação a cada 100 passos em 200 lotes.
    "gptlab": {
        "model": {"context_length": 32, "emb_dim": 64, "n_heads": 4, "n_layers": 4, "drop_rate": 0.2},
        "train": {
            "batch_size": 32,
            "learning_rate": 3e-4,
            "min_learning_rate": 3e-4,
            "warmup_steps": 0,
            "weight_decay": 0.01,
            "grad_clip": float("inf"),
            "eval_interval": 100,
            "eval_batches": 200,
        },
    },
    # A do pacote (notebook 09): o mesmo GPTModel, escolhas feitas para a CPU.
    "rapida": {"model": CHAR_GPT_CONFIG, "train": CHAR_TRAIN_SETTINGS},
}


# A largura da comparação com o Hugging Face: a mesma do nanoGPT na issue 12.
PEER_MODEL = {"context_length": 64, "emb_dim": 128, "n_heads": 4, "n_layers": 4, "drop_rate": 0.0}


class HFGPT2(nn.Module):
    """GPT2LMHeadModel com a interface do GPTModel: IDs (B, T) -> logits (B, T, V), e um `cfg`."""

    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.hf = hf_gpt2(cfg, use_cache=False)  # no treino não há cache a guardar

    def forward(self, in_idx):
        return self.hf(input_ids=in_idx).logits


def build_model(recipe, vocab_size, seed):
    cfg = {"qkv_bias": False, "use_sdpa": True, **recipe["model"], "vocab_size": vocab_size}
    torch.manual_seed(seed)
    return GPTModel(cfg)


def first_time_below(history, target):
    """Segundos até a primeira avaliação com perda de validação <= target (ou None)."""
    for seconds, loss in zip(history["seconds"], history["val_loss"]):
        if loss <= target:
            return seconds
    return None


def report(history, budget_seconds, load_before, load_after):
    """Imprime o resumo do benchmark."""
    print("\npasso      tempo    treino  validação")
    for step, seconds, train_loss, val_loss in zip(
        history["step"], history["seconds"], history["train_loss"], history["val_loss"]
    ):
        print(f"{step:>6} {seconds:>8.1f} s  {train_loss:>7.3f}  {val_loss:>8.3f}")
    print()
    for label, target in GPTLAB_TARGETS.items():
        seconds = first_time_below(history, target)
        when = f"{seconds:.1f} s" if seconds is not None else f"não alcançou em {budget_seconds:.0f} s"
        print(f"tempo até validação <= {target} ({label}): {when}")
    within = [loss for loss, s in zip(history["val_loss"], history["seconds"]) if s <= budget_seconds * 1.02]
    print(
        f"melhor perda de validação em {budget_seconds / 60:.1f} min: {min(within or history['val_loss']):.3f}"
    )
    print(
        f"tokens de treino por segundo (avaliações incluídas): {history['tokens'][-1] / history['seconds'][-1]:,.0f}"
    )
    print(f"carga média da máquina (1, 5, 15 min): antes {load_before}, depois {load_after}")


def run(model, recipe, train_ids, val_ids, budget, seed, show_progress=False):
    """Treina `model` por `budget` segundos com a receita; devolve (histórico, segundos)."""
    start = time.perf_counter()
    history = train(
        model,
        train_ids,
        val_ids,
        max_steps=10**9,  # quem para o treino é o relógio
        max_seconds=budget,
        device="cpu",
        seed=seed,
        show_progress=show_progress,
        **recipe["train"],
    )
    return history, time.perf_counter() - start


def compare_with_hf(args, train_ids, val_ids, vocab_size):
    """Treina o nosso GPTModel e o GPT2LMHeadModel, mesma forma e mesmos lotes, e imprime os dois.

    `--repeats` execuções de cada um, intercaladas (nosso, HF, nosso, ...), para que a carga da
    máquina pese igual nos dois; o resumo é a mediana.
    """
    recipe = {"model": {**PEER_MODEL, "fast_kernels": True}, "train": RECIPES[args.recipe]["train"]}
    budget = 60 * args.minutes
    print(f"modelo {PEER_MODEL}, treino {recipe['train']}, {budget:.0f} s cada, {args.repeats} vez(es)")
    names = ("nosso GPTModel", "HF GPT2LMHeadModel")
    runs = {name: [] for name in names}
    print(f"\n{'execução':<24}{'parâmetros':>12}{'passos':>8}{'tokens/s':>10}{'validação':>11}  carga antes")
    for repeat in range(args.repeats):
        for name in names:
            model = build_model(recipe, vocab_size, args.seed)
            if name.startswith("HF"):
                torch.manual_seed(args.seed)
                model = HFGPT2(model.cfg)
            load = tuple(round(x, 1) for x in os.getloadavg())
            history, seconds = run(model, recipe, train_ids, val_ids, budget, args.seed)
            speed = history["tokens"][-1] / seconds
            runs[name].append((history["step"][-1], speed, history["val_loss"][-1]))
            parameters = sum(p.numel() for p in model.parameters())
            print(
                f"{f'{name} ({repeat + 1})':<24}{parameters:>12,}{history['step'][-1]:>8}{speed:>10,.0f}"
                f"{history['val_loss'][-1]:>11.3f}  {load}"
            )
    print(f"\n{'mediana':<24}{'passos':>8}{'tokens/s':>10}{'validação':>11}")
    medians = {}
    for name, results in runs.items():
        steps, speed, val_loss = (statistics.median(column) for column in zip(*results))
        medians[name] = speed
        print(f"{name:<24}{steps:>8.0f}{speed:>10,.0f}{val_loss:>11.3f}")
    ours, theirs = medians.values()
    print(f"razão de tokens/s (avaliações incluídas), nosso / HF: {ours / theirs:.2f}x")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Benchmark de treino do GPT de caracteres (Machado de Assis)."
    )
    parser.add_argument(
        "--recipe", choices=sorted(RECIPES), default="rapida", help="receita (padrão: rapida)"
    )
    parser.add_argument("--minutes", type=float, default=10.0, help="tempo de treino em minutos (padrão: 10)")
    parser.add_argument(
        "--threads", type=int, default=None, help="threads do PyTorch (padrão: as do sistema)"
    )
    parser.add_argument("--seed", type=int, default=123, help="semente dos pesos e dos lotes (padrão: 123)")
    parser.add_argument(
        "--peer",
        choices=["hf"],
        default=None,
        help="treinar também o GPT2LMHeadModel (transformers), lado a lado",
    )
    parser.add_argument(
        "--repeats", type=int, default=3, help="com --peer: execuções de cada modelo, mediana (padrão: 3)"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    recipe = RECIPES[args.recipe]
    text = load_corpus("machado_de_assis_conto")
    tokenizer = CharTokenizer.from_text(text)
    train_ids, val_ids = train_val_split(tokenizer.encode(text))
    print(
        f"{platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, torch {torch.__version__}"
    )
    if args.peer == "hf":
        compare_with_hf(args, train_ids, val_ids, tokenizer.n_vocab)
        return
    model = build_model(recipe, tokenizer.n_vocab, args.seed)
    budget = 60 * args.minutes
    parameters = sum(p.numel() for p in model.parameters())
    print(f"receita {args.recipe!r}: {parameters:,} parâmetros, {recipe['model']}")
    print(f"treino {recipe['train']}")
    load_before = tuple(round(x, 2) for x in os.getloadavg())
    history, seconds = run(model, recipe, train_ids, val_ids, budget, args.seed, show_progress=True)
    print(f"\ntempo total: {seconds:.1f} s")
    report(history, budget, load_before, tuple(round(x, 2) for x in os.getloadavg()))
    # fora do cronômetro: a perda do modelo final na validação inteira, sem amostragem
    full_val = fixed_batches(val_ids, 64, model.cfg["context_length"])
    print(f"perda do modelo final na validação inteira: {estimate_loss(model, full_val, 'cpu'):.3f}")


if __name__ == "__main__":
    main()
