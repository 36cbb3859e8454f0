"""Aula 06: onde moram os parâmetros de um GPT e quanta memória eles ocupam."""

import torch

from .config import validate_config

# nome do componente -> rótulo em português (a ordem é a do caminho dos dados)
COMPONENT_LABELS = {
    "token_embedding": "embedding de tokens",
    "positional_embedding": "embedding posicional",
    "attention": "atenção (todos os blocos)",
    "feed_forward": "feed-forward (todos os blocos)",
    "layer_norms": "LayerNorms",
    "output_head": "cabeça de saída",
}


def component_of(parameter_name):
    """Diz a que componente pertence um parâmetro, pelo nome (ex.: 'trf_blocks.0.att.W_key.weight')."""
    if parameter_name.startswith("tok_emb."):
        return "token_embedding"
    if parameter_name.startswith("pos_emb."):
        return "positional_embedding"
    if ".att." in parameter_name:
        return "attention"
    if ".ff." in parameter_name:
        return "feed_forward"
    if "norm" in parameter_name:
        return "layer_norms"
    if parameter_name.startswith("out_head."):
        return "output_head"
    raise ValueError(f"não sei a que componente pertence o parâmetro {parameter_name!r}")


def parameter_breakdown(model):
    """Conta os parâmetros de um GPTModel por componente, olhando os tensores de verdade.

    Devolve um dict com as chaves de COMPONENT_LABELS e mais `total` e
    `total_with_weight_tying` (o total sem contar a cabeça de saída, que no GPT-2 original
    reaproveita a matriz do embedding de tokens). Um tensor compartilhado conta uma vez só.
    """
    counts = dict.fromkeys(COMPONENT_LABELS, 0)
    seen = set()
    for name, param in model.named_parameters(remove_duplicate=False):
        if id(param) in seen:
            continue
        seen.add(id(param))
        counts[component_of(name)] += param.numel()
    return with_totals(counts)


def parameter_breakdown_from_config(cfg):
    """A mesma contagem de `parameter_breakdown`, calculada só com a configuração.

    Serve para os modelos grandes (GPT-2 XL tem 1,6 bilhão de parâmetros) sem alocá-los.
    """
    validate_config(cfg)
    vocab, context, emb, layers = cfg["vocab_size"], cfg["context_length"], cfg["emb_dim"], cfg["n_layers"]
    qkv = 3 * emb * emb + (3 * emb if cfg["qkv_bias"] else 0)
    out_proj = emb * emb + emb
    feed_forward = (emb * 4 * emb + 4 * emb) + (4 * emb * emb + emb)
    counts = {
        "token_embedding": vocab * emb,
        "positional_embedding": context * emb,
        "attention": layers * (qkv + out_proj),
        "feed_forward": layers * feed_forward,
        "layer_norms": (2 * layers + 1) * 2 * emb,  # scale e shift de cada norma
        "output_head": emb * vocab,
    }
    return with_totals(counts)


def with_totals(counts):
    """Acrescenta `total` e `total_with_weight_tying` a uma contagem por componente."""
    counts = dict(counts)
    counts["total"] = sum(counts[key] for key in COMPONENT_LABELS)
    counts["total_with_weight_tying"] = counts["total"] - counts["output_head"]
    return counts


def model_size_mb(num_params, dtype=torch.float32):
    """Memória dos parâmetros em MB (1 MB = 1024 * 1024 bytes), para o dtype dado."""
    bytes_per_param = torch.tensor([], dtype=dtype).element_size()
    return num_params * bytes_per_param / (1024 * 1024)


def format_parameter_table(breakdown):
    """Tabela em texto: componente, número de parâmetros e fatia do total."""
    total = breakdown["total"]
    lines = [f"{'componente':<32}{'parâmetros':>16}{'% do total':>12}"]
    for key, label in COMPONENT_LABELS.items():
        lines.append(f"{label:<32}{breakdown[key]:>16,}{100 * breakdown[key] / total:>11.1f}%")
    lines.append(f"{'total':<32}{total:>16,}{100.0:>11.1f}%")
    lines.append(f"{'total com weight tying':<32}{breakdown['total_with_weight_tying']:>16,}")
    return "\n".join(lines)
