"""Aula 06: onde moram os parâmetros de um GPT e quanta memória eles ocupam."""

import torch

from .config import model_options

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

    Serve para os modelos grandes (GPT-2 XL tem 1,6 bilhão de parâmetros) sem alocá-los. Conta
    também as peças da aula 13: RMSNorm (só `scale`), SwiGLU (três matrizes), GQA (K e V com
    `n_kv_heads` cabeças), RoPE (sem embedding posicional) e `bias=False` (sem bias nem shift).
    """
    options = model_options(cfg)
    counts = {
        "token_embedding": options.vocab_size * options.emb_dim,
        "positional_embedding": options.context_length * options.emb_dim
        if options.pos_encoding == "learned"
        else 0,
        "attention": options.n_layers * attention_parameters(cfg),
        "feed_forward": options.n_layers * feed_forward_parameters(cfg),
        "layer_norms": norm_count(cfg) * norm_parameters(cfg),
        "output_head": options.emb_dim * options.vocab_size,
    }
    return with_totals(counts)


def norm_count(cfg):
    """Quantas normalizações o modelo tem: duas por bloco e a final (Pre-LN), sem a final (Post-LN) ou 0."""
    options = model_options(cfg)
    per_block = 0 if options.norm_position == "none" else 2 * options.n_layers
    return per_block + (1 if options.norm_position == "pre" else 0)


def attention_parameters(cfg):
    """Parâmetros da atenção de um bloco: W_query, W_key, W_value e out_proj (com seus bias)."""
    options = model_options(cfg)
    emb, kv_dim = options.emb_dim, options.n_kv_heads * options.head_dim  # K e V: só n_kv_heads cabeças
    qkv = emb * emb + 2 * emb * kv_dim + ((emb + 2 * kv_dim) if options.qkv_bias else 0)
    return qkv + emb * emb + (emb if options.bias else 0)


def feed_forward_parameters(cfg):
    """Parâmetros da feed-forward de um bloco: 2 matrizes (GELU) ou 3 (SwiGLU), com seus bias."""
    options = model_options(cfg)
    into_hidden = 2 if options.ff_activation == "swiglu" else 1  # SwiGLU: porta e valor
    weights = (into_hidden + 1) * options.emb_dim * options.ff_hidden_dim
    return weights + ((into_hidden * options.ff_hidden_dim + options.emb_dim) if options.bias else 0)


def norm_parameters(cfg):
    """Parâmetros de uma normalização: scale e shift (LayerNorm), só scale (RMSNorm ou sem bias)."""
    options = model_options(cfg)
    has_shift = options.norm == "layernorm" and options.bias
    return (2 if has_shift else 1) * options.emb_dim


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
