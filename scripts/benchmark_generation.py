"""Quantos tokens por segundo a geração produz, com e sem KV cache, ao lado do Hugging Face?

GPT-2 124M com pesos aleatórios, lote de 1, um contexto de 4 tokens e geração gulosa de 100 e
500 tokens novos. Compara, na mesma execução e com as mesmas condições da máquina:

- nosso `generate(..., use_cache=False)` (recalcula a janela inteira a cada token);
- nosso `generate(..., use_cache=True)` (KV cache, o padrão);
- o mesmo com `fast_kernels=True` (LayerNorm, GELU e atenção fundidas);
- `GPT2LMHeadModel.generate` do `transformers`, com e sem cache (a mesma configuração).

Cada medida é a mediana de `--repeats` execuções, intercaladas (nosso, deles, nosso, ...) para
que a carga da máquina afete todos igualmente. Imprime tokens/s e as razões nosso/HF.

Uso (na raiz do repositório; precisa do extra `bench`: pip install -e ".[bench]"):

    python scripts/benchmark_generation.py                      # 100 e 500 tokens, mediana de 3
    python scripts/benchmark_generation.py --tokens 100 --repeats 1   # verificação rápida
    python scripts/benchmark_generation.py --cache-layout       # cache pré-alocado x torch.cat
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

    def run_ours(model, use_cache):
        return lambda: generate(model, prompt, new_tokens, context, use_cache=use_cache)

    def run_hf(use_cache):
        mask = torch.ones_like(prompt)
        options = {"max_new_tokens": new_tokens, "min_new_tokens": new_tokens, "do_sample": False}
        return lambda: hf.generate(prompt, attention_mask=mask, use_cache=use_cache, **options)

    table = {"nosso, com cache": run_ours(ours, True), "HF, com cache": run_hf(True)}
    if uncached:
        table.update({"nosso, sem cache": run_ours(ours, False), "HF, sem cache": run_hf(False)})
    if include_fast:
        table["nosso, cache + fast_kernels"] = run_ours(our_model(fast=True), True)
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


def measure(table, repeats, new_tokens):
    """Mediana dos tokens/s de cada linha, medidas intercaladas."""
    seconds = {name: [] for name in table}
    for _ in range(repeats):
        for name, run in table.items():
            start = time.perf_counter()
            with torch.no_grad():
                out = run()
            seconds[name].append(time.perf_counter() - start)
            assert out.shape[1] == len(PROMPT) + new_tokens, (name, out.shape)
    return {name: new_tokens / statistics.median(values) for name, values in seconds.items()}


def print_table(new_tokens, speeds):
    print(f"\n{new_tokens} tokens novos")
    print(f"{'caminho':<30}{'tokens/s':>10}")
    for name, speed in speeds.items():
        print(f"{name:<30}{speed:>10.1f}")
    pairs = [("nosso, com cache", "HF, com cache"), ("nosso, sem cache", "HF, sem cache")]
    pairs.append(("nosso, com cache", "nosso, sem cache"))
    for ours, theirs in pairs:
        if ours in speeds and theirs in speeds:
            print(f"razão {ours} / {theirs}: {speeds[ours] / speeds[theirs]:.2f}x")
    if "nosso, cache + fast_kernels" in speeds:
        ratio = speeds["nosso, cache + fast_kernels"] / speeds["HF, com cache"]
        print(f"razão nosso cache + fast_kernels / HF, com cache: {ratio:.2f}x")


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
