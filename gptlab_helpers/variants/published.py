"""Aula 13: as configurações publicadas do GPT-2 e de três decodificadores atuais, com a fonte.

Cada linha de `PUBLISHED_CONFIGS` copia números do `config.json` do modelo no Hugging Face (e
do artigo ou cartão do modelo); `source` diz de onde veio cada um. `gptlab_config(nome)`
traduz a linha para uma configuração do nosso `GPTModel`, quando as peças do pacote bastam
para montá-lo, e assim `parameter_breakdown_from_config` conta os parâmetros sem alocá-los.
"""

from ..analysis import parameter_breakdown_from_config
from ..config import GPT_CONFIG_124M

GPT2_SMALL = {
    "year": 2019,
    "n_layers": 12,
    "emb_dim": 768,
    "n_heads": 12,
    "n_kv_heads": 12,
    "head_dim": 64,
    "ff_hidden_dim": 3072,
    "norm": "LayerNorm",
    "activation": "GELU",
    "pos_encoding": "aprendida",
    "vocab_size": 50257,
    "context_length": 1024,
    "bias": True,
    "tied_embeddings": True,
    "experts": None,
    "published_parameters": "124M",
    "source": "openai-community/gpt2, config.json no Hugging Face (n_layer, n_embd, n_head, "
    "n_positions, vocab_size); Radford et al. 2019, 'Language Models are Unsupervised "
    "Multitask Learners'",
}

PUBLISHED_CONFIGS = {
    "GPT-2 small (124M)": GPT2_SMALL,
    # o XL é o mesmo desenho, maior: só mudam camadas, largura e cabeças
    "GPT-2 XL (1558M)": dict(
        GPT2_SMALL,
        n_layers=48,
        emb_dim=1600,
        n_heads=25,
        n_kv_heads=25,
        ff_hidden_dim=6400,
        published_parameters="1558M",
        source="openai-community/gpt2-xl, config.json no Hugging Face; Radford et al. 2019, tabela 2",
    ),
    "Llama 3 8B": {
        "year": 2024,
        "n_layers": 32,
        "emb_dim": 4096,
        "n_heads": 32,
        "n_kv_heads": 8,
        "head_dim": 128,
        "ff_hidden_dim": 14336,
        "norm": "RMSNorm",
        "activation": "SwiGLU",
        "pos_encoding": "RoPE (base 500.000)",
        "rope_base": 500_000.0,
        "vocab_size": 128256,
        "context_length": 8192,
        "bias": False,
        "tied_embeddings": False,
        "experts": None,
        "published_parameters": "8,0B",
        "source": "meta-llama/Meta-Llama-3-8B, config.json no Hugging Face (hidden_size, "
        "intermediate_size, num_key_value_heads, rope_theta, max_position_embeddings); Grattafiori "
        "et al. 2024, 'The Llama 3 Herd of Models', tabela 3",
    },
    "Qwen3 8B": {
        "year": 2025,
        "n_layers": 36,
        "emb_dim": 4096,
        "n_heads": 32,
        "n_kv_heads": 8,
        "head_dim": 128,
        "ff_hidden_dim": 12288,
        "norm": "RMSNorm (+ QK-norm)",
        "activation": "SwiGLU",
        "pos_encoding": "RoPE (base 1.000.000)",
        "rope_base": 1_000_000.0,
        "vocab_size": 151936,
        "context_length": 32768,
        "bias": False,
        "tied_embeddings": False,
        "experts": None,
        "published_parameters": "8,2B",
        "source": "Qwen/Qwen3-8B, config.json e cartão do modelo no Hugging Face (contexto nativo "
        "de 32.768; max_position_embeddings = 40.960); Yang et al. 2025, 'Qwen3 Technical Report', "
        "tabela 1",
    },
    "GPT-OSS 20B": {
        "year": 2025,
        "n_layers": 24,
        "emb_dim": 2880,
        "n_heads": 64,
        "n_kv_heads": 8,
        "head_dim": 64,
        "ff_hidden_dim": 2880,
        "norm": "RMSNorm",
        "activation": "SwiGLU (MoE)",
        "pos_encoding": "RoPE (base 150.000, YaRN)",
        "rope_base": 150_000.0,
        "vocab_size": 201088,
        "context_length": 131072,
        "bias": True,
        "tied_embeddings": False,
        "experts": {"total": 32, "active": 4},
        "sliding_window": 128,
        "published_parameters": "20,9B (3,6B ativos)",
        "source": "openai/gpt-oss-20b, config.json no Hugging Face (num_local_experts, "
        "num_experts_per_tok, sliding_window, layer_types, head_dim); OpenAI 2025, 'gpt-oss-120b "
        "& gpt-oss-20b Model Card', tabela 1",
    },
}

# A convenção de cada coluna da tabela: chave -> título em português.
TABLE_COLUMNS = {
    "year": "ano",
    "n_layers": "camadas",
    "emb_dim": "dimensão",
    "n_heads": "cabeças",
    "n_kv_heads": "cabeças K/V",
    "norm": "normalização",
    "activation": "ativação",
    "pos_encoding": "posição",
    "vocab_size": "vocabulário",
    "context_length": "contexto",
    "published_parameters": "parâmetros",
}


def published_config(name):
    """A linha `name` de PUBLISHED_CONFIGS (erro em português com as opções se não existir)."""
    if name not in PUBLISHED_CONFIGS:
        raise KeyError(f"não conheço o modelo {name!r}; use um destes: {', '.join(PUBLISHED_CONFIGS)}")
    return PUBLISHED_CONFIGS[name]


def gptlab_config(name):
    """A configuração do nosso GPTModel que reproduz o modelo `name`, ou None se não der.

    Não dá quando o modelo usa peças que o pacote não tem: mistura de especialistas (MoE) ou
    cabeças com head_dim diferente de emb_dim // n_heads (o GPT-OSS tem as duas coisas). O
    GPT-2 original tem bias em query, key e value (`qkv_bias=True`), ao contrário da aula.
    """
    row = published_config(name)
    if row["experts"] is not None or row["head_dim"] * row["n_heads"] != row["emb_dim"]:
        return None
    cfg = dict(GPT_CONFIG_124M, drop_rate=0.0, qkv_bias=row["bias"])
    cfg.update({key: row[key] for key in ("vocab_size", "context_length", "emb_dim", "n_heads", "n_layers")})
    cfg["ff_hidden_dim"] = row["ff_hidden_dim"]
    if row["norm"].startswith("RMSNorm"):
        cfg["norm"] = "rmsnorm"
    if row["activation"].startswith("SwiGLU"):
        cfg["ff_activation"] = "swiglu"
    if row["pos_encoding"].startswith("RoPE"):
        cfg.update(pos_encoding="rope", rope_base=row["rope_base"])
    if row["n_kv_heads"] != row["n_heads"]:
        cfg["n_kv_heads"] = row["n_kv_heads"]
    if not row["bias"]:
        cfg["bias"] = False
    return cfg


def published_parameter_count(name):
    """Parâmetros do modelo `name` contados por `parameter_breakdown_from_config` (None se não der).

    Com embeddings amarrados (weight tying, como no GPT-2) a cabeça de saída não conta de novo.
    """
    cfg = gptlab_config(name)
    if cfg is None:
        return None
    counts = parameter_breakdown_from_config(cfg)
    return counts["total_with_weight_tying"] if published_config(name)["tied_embeddings"] else counts["total"]


def table_cell(key, value):
    """Um valor da tabela: inteiros com ponto de milhar, como se escreve em português."""
    if isinstance(value, int) and key != "year":
        return f"{value:,}".replace(",", ".")
    return str(value)


def format_published_table(names=None):
    """A tabela de PUBLISHED_CONFIGS em Markdown, uma linha por modelo, com as colunas de TABLE_COLUMNS."""
    names = list(PUBLISHED_CONFIGS) if names is None else names
    lines = ["| modelo | " + " | ".join(TABLE_COLUMNS.values()) + " |"]
    lines.append("| --- " * (len(TABLE_COLUMNS) + 1) + "|")
    for name in names:
        row = published_config(name)
        cells = [table_cell(key, row[key]) for key in TABLE_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
