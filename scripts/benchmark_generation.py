"""Quantos tokens por segundo a geração produz, com e sem KV cache, ao lado do Hugging Face?

GPT-2 124M com pesos aleatórios, lote de 1, um contexto de 4 tokens e geração gulosa de 100 e
500 tokens novos. Compara, na mesma execução e com as mesmas condições da máquina:

- nosso `generate(..., use_cache=False)` (recalcula a janela inteira a cada token);
- nosso `generate(..., use_cache=True)` (KV cache, o padrão);
- os dois com `fast_kernels=True` (LayerNorm, GELU e atenção fundidas e `LinearFast`);
- `GPT2LMHeadModel.generate` do `transformers`, com e sem cache (a mesma configuração).

Cada medida é a mediana de `--repeats` execuções, intercaladas (nosso, deles, nosso, ...) para
que a carga da máquina afete todos igualmente. Imprime tokens/s e as razões nosso/HF.

Uso (na raiz do repositório; precisa do extra `bench`: pip install -e ".[bench]"):

    python scripts/benchmark_generation.py                      # 100 e 500 tokens, mediana de 3
    python scripts/benchmark_generation.py --tokens 100 --repeats 1   # verificação rápida
    python scripts/benchmark_generation.py --cache-layout       # cache pré-alocado x torch.cat
    python scripts/benchmark_generation.py --linear             # F.linear x LinearFast, por matriz
"""

import argparse
import os
import platform
import statistics
import time

import torch
from hf_peer import hf_gpt2

from gptlab_helpers import GPT_CONFIG_124M, GPTModel
from gptlab_helpers.generation import generate
from gptlab_helpers.kv_cache import LayerKVCache

PROMPT = [15496, 11, 314, 716]  # "Hello, I am" no tokenizador do GPT-2


class ConcatLayerKVCache(LayerKVCache):
    """O cache da outra forma possível: junta cada passo com torch.cat (copia tudo a cada token)."""

    def update(self, keys, values):
        if self.keys is None:
            self.keys, self.values = keys, values
        else:
            self.keys = torch.cat((self.keys, keys), dim=2)
            self.values = torch.cat((self.values, values), dim=2)
        self.offset += keys.shape[2]
        return self.keys, self.values

    def reset(self):
        self.offset, self.keys, self.values = 0, None, None


def our_model(fast=False):
    torch.manual_seed(123)
    return GPTModel({**GPT_CONFIG_124M, "fast_kernels": fast}).eval()


def hf_model():
    """GPT2LMHeadModel com a configuração do GPT_CONFIG_124M, em modo de avaliação."""
    torch.manual_seed(123)
    model = hf_gpt2(GPT_CONFIG_124M).eval()
    model.generation_config.eos_token_id = None  # gerar sempre todos os tokens pedidos
    model.generation_config.pad_token_id = 0
    return model


def runners(new_tokens, include_fast, cache_layout, uncached=True):
    """Nome -> função que gera `new_tokens` tokens uma vez."""
    prompt = torch.tensor([PROMPT])
    context = GPT_CONFIG_124M["context_length"]
    ours, hf = our_model(), hf_model()
    fast = our_model(fast=True) if include_fast else None

    def run_ours(model, use_cache):
        return lambda: generate(model, prompt, new_tokens, context, use_cache=use_cache)

    def run_hf(use_cache):
        mask = torch.ones_like(prompt)
        options = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens, "do_sample": False}
        return lambda: hf.generate(prompt, attention_mask=mask, use_cache=use_cache, **options)

    table = {}
    for use_cache, label in ((False, "sem cache"), (True, "com cache")):
        if not use_cache and not uncached:
            continue
        table[f"nosso, {label}"] = run_ours(ours, use_cache)
        if fast is not None:
            table[f"nosso + fast_kernels, {label}"] = run_ours(fast, use_cache)
        table[f"HF, {label}"] = run_hf(use_cache)
    if cache_layout:
        table["nosso, cache com torch.cat"] = with_concat_cache(run_ours(ours, True))
    return table


def with_concat_cache(run):
    """Roda `run` com o LayerKVCache trocado pela versão que junta com torch.cat."""

    def wrapped():
        import gptlab_helpers.kv_cache as kv_cache

        original = kv_cache.LayerKVCache
        kv_cache.LayerKVCache = ConcatLayerKVCache
        try:
            return run()
        finally:
            kv_cache.LayerKVCache = original

    return wrapped


def median_seconds(table, repeats, calls=1):
    """Nome -> mediana dos segundos de uma chamada de cada função de `table`.

    São `repeats` rodadas intercaladas (nosso, deles, nosso, ...), para que a carga da máquina
    pese igual em todas; em cada rodada, a média de `calls` chamadas seguidas.
    """
    samples = {name: [] for name in table}
    with torch.no_grad():
        for _ in range(repeats):
            for name, run in table.items():
                start = time.perf_counter()
                for _ in range(calls):
                    run()
                samples[name].append((time.perf_counter() - start) / calls)
    return {name: statistics.median(values) for name, values in samples.items()}


def measure(table, repeats, new_tokens):
    """Nome -> tokens/s (mediana) de cada caminho de geração, conferindo que todos geraram `new_tokens`."""

    def checked(name, run):
        def generate_and_check():
            out = run()
            assert out.shape[1] == len(PROMPT) + new_tokens, (name, out.shape)

        return generate_and_check

    seconds = median_seconds({name: checked(name, run) for name, run in table.items()}, repeats)
    return {name: new_tokens / value for name, value in seconds.items()}


def print_table(new_tokens, speeds):
    """Tokens/s de cada caminho e a razão para o HF com o mesmo uso do cache."""
    print(f"\n{new_tokens} tokens novos")
    print(f"{'caminho':<34}{'tokens/s':>10}  razão")
    for name, speed in speeds.items():
        label = name.rsplit(", ", 1)[-1]
        peer = f"HF, {label}"
        ratio = f"{speed / speeds[peer]:.2f}x o {peer}" if peer in speeds and name != peer else ""
        print(f"{name:<34}{speed:>10.1f}  {ratio}")
    if "nosso, com cache" in speeds and "nosso, sem cache" in speeds:
        print(f"o cache acelera o nosso {speeds['nosso, com cache'] / speeds['nosso, sem cache']:.2f}x")


def linear_table(repeats):
    """F.linear x LinearFast nas matrizes do GPT-2 124M, com 1 e 4 linhas (ms por multiplicação)."""
    import torch.nn as nn

    from gptlab_helpers.variants.fast import LinearFast

    emb, vocab = GPT_CONFIG_124M["emb_dim"], GPT_CONFIG_124M["vocab_size"]
    shapes = {"cabeça de saída": (emb, vocab), "W_query": (emb, emb), "feed-forward, 1ª": (emb, 4 * emb)}
    print(f"\n{'matriz':<18}{'linhas':>7}{'F.linear':>11}{'LinearFast':>12}  razão")
    for name, (d_in, d_out) in shapes.items():
        # 12 cópias (uma por bloco, como no modelo): as matrizes pequenas não ficam todas no cache da CPU
        copies = 1 if d_out == vocab else 12
        plain = [nn.Linear(d_in, d_out, bias=False) for _ in range(copies)]
        fast = [LinearFast(d_in, d_out, bias=False) for _ in range(copies)]
        for rows in (1, 4):
            x = torch.randn(rows, d_in)
            runs = {
                kind: lambda layers=layers, x=x: [layer(x) for layer in layers]
                for kind, layers in (("plain", plain), ("fast", fast))
            }
            median_seconds(runs, repeats=1)  # aquecimento
            times = {kind: value / copies for kind, value in median_seconds(runs, repeats, calls=20).items()}
            print(
                f"{name:<18}{rows:>7}{1000 * times['plain']:>9.2f} ms{1000 * times['fast']:>9.2f} ms  "
                f"{times['plain'] / times['fast']:.2f}x"
            )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Benchmark de geração: KV cache x Hugging Face.")
    parser.add_argument(
        "--tokens", type=int, nargs="+", default=[100, 500], help="tokens novos (padrão: 100 500)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="execuções por medida, mediana (padrão: 3)")
    parser.add_argument(
        "--threads", type=int, default=None, help="threads do PyTorch (padrão: as do sistema)"
    )
    parser.add_argument("--no-fast", action="store_true", help="não medir o caminho com fast_kernels")
    parser.add_argument(
        "--skip-uncached",
        action="store_true",
        help="só os caminhos com cache (sem cache, 500 tokens demoram)",
    )
    parser.add_argument(
        "--cache-layout", action="store_true", help="medir também o cache que junta com torch.cat"
    )
    parser.add_argument(
        "--linear", action="store_true", help="só comparar F.linear e LinearFast nas matrizes do 124M"
    )
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    import transformers

    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}, transformers {transformers.__version__}"
    )
    if args.linear:
        linear_table(args.repeats)
        return
    print(f"GPT-2 124M, pesos aleatórios, lote 1, contexto de {len(PROMPT)} tokens, geração gulosa")
    print(f"mediana de {args.repeats} execuções intercaladas")
    for new_tokens in args.tokens:
        load_before = tuple(round(x, 1) for x in os.getloadavg())
        speeds = measure(
            runners(new_tokens, not args.no_fast, args.cache_layout, not args.skip_uncached),
            args.repeats,
            new_tokens,
        )
        print_table(new_tokens, speeds)
        print(
            f"carga da máquina (1, 5, 15 min): antes {load_before}, depois {tuple(round(x, 1) for x in os.getloadavg())}"
        )


if __name__ == "__main__":
    main()
