"""O GPT-2 de caracteres contra a sua versão moderna, com o mesmo tempo de CPU (aula 13).

Treina os dois modelos lado a lado no conto de Machado de Assis (`train_side_by_side`: um passo
de cada vez, cada um conta só o tempo dos seus passos, um núcleo) e imprime, lado a lado, a
perda de validação depois de cada fração do orçamento, os passos dados e os parâmetros.

Uso (na raiz do repositório):

    python scripts/benchmark_modern.py                  # 120 s de CPU para cada modelo
    python scripts/benchmark_modern.py --seconds 45     # o orçamento do notebook 13
"""

import argparse
import platform
import time

import torch

from gptlab_helpers import GPTModel, parameter_breakdown
from gptlab_helpers.presets import MODERN_CHAR_CONFIG
from gptlab_helpers.training import CHAR_GPT_CONFIG, CHAR_TRAIN_SETTINGS
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.training.corpus import load_corpus
from gptlab_helpers.training.data import train_val_split
from gptlab_helpers.training.side_by_side import train_side_by_side

CONFIGS = {"GPT-2": CHAR_GPT_CONFIG, "moderno": MODERN_CHAR_CONFIG}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="segundos de CPU por modelo")
    parser.add_argument("--evaluations", type=int, default=4, help="avaliações ao longo do orçamento")
    args = parser.parse_args()

    text = load_corpus("machado_de_assis_conto")
    tokenizer = CharTokenizer.from_text(text)
    train_ids, val_ids = train_val_split(torch.tensor(tokenizer.encode(text)))
    models = {}
    for name, cfg in CONFIGS.items():
        torch.manual_seed(123)  # a mesma semente para os dois
        models[name] = GPTModel(cfg)
    settings = dict(CHAR_TRAIN_SETTINGS, eval_batches=10)
    start = time.perf_counter()
    histories = train_side_by_side(models, train_ids, val_ids, args.seconds, settings, args.evaluations)
    print(
        f"{platform.processor() or platform.machine()}, torch {torch.__version__}, {args.seconds:g} s por modelo"
    )
    print(f"{'':>24}" + "".join(f"{name:>12}" for name in CONFIGS))
    print(f"{'parâmetros':>24}" + "".join(f"{parameter_breakdown(m)['total']:>12,}" for m in models.values()))
    for index in range(1, args.evaluations + 1):
        cells = []
        for history in histories.values():
            position = min(index, len(history["val_loss"]) - 1)
            cells.append(f"{history['val_loss'][position]:>12.3f}")
        label = f"perda val. após {args.seconds * index / args.evaluations:.0f} s"
        print(f"{label:>24}" + "".join(cells))
    print(f"{'passos':>24}" + "".join(f"{h['step'][-1]:>12,}" for h in histories.values()))
    print(f"tempo total (com avaliações): {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
