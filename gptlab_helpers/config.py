"""Configurações do GPT-2 (aula 01) e a validação de uma configuração.

Uma configuração é um dicionário simples, como no livro: quem lê o notebook vê
exatamente os números que definem o modelo.
"""

import copy

# O modelo de 124 milhões de parâmetros do GPT-2 ("small").
GPT_CONFIG_124M = {
    "vocab_size": 50257,  # tamanho do vocabulário do tokenizador BPE do GPT-2
    "context_length": 1024,  # número máximo de tokens que o modelo enxerga de uma vez
    "emb_dim": 768,  # dimensão do embedding de cada token
    "n_heads": 12,  # número de cabeças de atenção
    "n_layers": 12,  # número de blocos transformer
    "drop_rate": 0.1,  # taxa de dropout
    "qkv_bias": False,  # bias nas camadas lineares de query, key e value
}

# Os quatro tamanhos do GPT-2: só mudam emb_dim, n_layers e n_heads.
GPT2_SIZES = {
    "gpt2-small (124M)": {"emb_dim": 768, "n_layers": 12, "n_heads": 12},
    "gpt2-medium (355M)": {"emb_dim": 1024, "n_layers": 24, "n_heads": 16},
    "gpt2-large (774M)": {"emb_dim": 1280, "n_layers": 36, "n_heads": 20},
    "gpt2-xl (1558M)": {"emb_dim": 1600, "n_layers": 48, "n_heads": 25},
}

REQUIRED_KEYS = ("vocab_size", "context_length", "emb_dim", "n_heads", "n_layers", "qkv_bias")
SPLIT_DROPOUT_KEYS = ("drop_rate_emb", "drop_rate_attn", "drop_rate_shortcut")

# Onde fica a normalização em cada bloco (aula 12): "pre" é o GPT-2 (o padrão, o do livro),
# "post" é o transformer original de 2017 e "none" tira a normalização dos blocos.
NORM_POSITIONS = ("pre", "post", "none")


def gpt2_size_name(size):
    """O nome completo em GPT2_SIZES de um tamanho: "medium" -> "gpt2-medium (355M)".

    Aceita "small", "medium", "large", "xl" ou o próprio nome completo.
    """
    matches = [name for name in GPT2_SIZES if name == size or name.startswith(f"gpt2-{size} ")]
    if not matches:
        options = ", ".join(["small", "medium", "large", "xl"])
        raise ValueError(f"tamanho de GPT-2 desconhecido: {size!r}. Use um destes: {options}.")
    return matches[0]


def get_gpt2_config(size="small", **overrides):
    """Devolve uma cópia de GPT_CONFIG_124M com as dimensões do tamanho pedido.

    `size` aceita "small", "medium", "large", "xl" (ou o nome completo de GPT2_SIZES).
    Qualquer chave pode ser trocada em `overrides`, por exemplo `qkv_bias=True`.
    """
    cfg = copy.deepcopy(GPT_CONFIG_124M)
    cfg.update(GPT2_SIZES[gpt2_size_name(size)])
    cfg.update(overrides)
    return validate_config(cfg)


def dropout_rates(cfg):
    """As três taxas de dropout (embedding, atenção, atalho) de uma configuração.

    Uma configuração pode dar uma só taxa, `drop_rate`, usada nos três lugares, ou as
    três chaves do exercício `drop_rate_emb`, `drop_rate_attn` e `drop_rate_shortcut`
    (cada uma vale sobre `drop_rate`).
    """
    default = cfg.get("drop_rate")
    rates = {}
    for key in SPLIT_DROPOUT_KEYS:
        rates[key] = cfg.get(key, default)
    return rates["drop_rate_emb"], rates["drop_rate_attn"], rates["drop_rate_shortcut"]


def norm_position(cfg):
    """Onde o bloco normaliza: "pre" (padrão, GPT-2), "post" (2017) ou "none" (sem norma)."""
    return cfg.get("norm_position", "pre")


def validate_norm_position(cfg):
    """Confere a chave opcional `norm_position` (levanta ValueError em português)."""
    position = norm_position(cfg)
    if position not in NORM_POSITIONS:
        raise ValueError(
            f"cfg['norm_position'] deve ser um de {', '.join(map(repr, NORM_POSITIONS))}, mas vale "
            f"{position!r}: 'pre' normaliza antes de cada subcamada (GPT-2), 'post' depois da soma "
            "com o atalho (transformer de 2017) e 'none' não normaliza"
        )


def validate_config(cfg):
    """Confere uma configuração de GPT e devolve a própria `cfg`.

    Levanta `ValueError` em português dizendo o que falta ou o que está errado.
    """
    if not isinstance(cfg, dict):
        raise TypeError(
            f"a configuração deve ser um dicionário como GPT_CONFIG_124M, mas recebi {type(cfg).__name__}"
        )
    missing = [key for key in REQUIRED_KEYS if key not in cfg]
    has_split = all(key in cfg for key in SPLIT_DROPOUT_KEYS)
    if "drop_rate" not in cfg and not has_split:
        absent = [key for key in SPLIT_DROPOUT_KEYS if key not in cfg]
        missing.append("drop_rate (ou " + ", ".join(absent) + ")")
    if missing:
        raise ValueError(
            "faltam chaves na configuração: "
            + ", ".join(missing)
            + ". Parta de uma cópia de GPT_CONFIG_124M: cfg = dict(GPT_CONFIG_124M)."
        )
    for key in ("vocab_size", "context_length", "emb_dim", "n_heads", "n_layers"):
        value = cfg[key]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"cfg['{key}'] deve ser um inteiro positivo, mas vale {value!r}")
    if cfg["emb_dim"] % cfg["n_heads"] != 0:
        raise ValueError(
            f"emb_dim ({cfg['emb_dim']}) deve ser divisível por n_heads ({cfg['n_heads']}), "
            "pois cada cabeça recebe emb_dim // n_heads dimensões; "
            "escolha, por exemplo, n_heads que divida emb_dim"
        )
    for key, rate in zip(SPLIT_DROPOUT_KEYS, dropout_rates(cfg)):
        name = key if key in cfg else "drop_rate"
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ValueError(
                f"cfg['{name}'] deve ser um número em [0, 1), mas vale {rate!r}; "
                "0.1 significa zerar 10% dos valores durante o treino"
            )
    if not isinstance(cfg["qkv_bias"], bool):
        raise ValueError(f"cfg['qkv_bias'] deve ser True ou False, mas vale {cfg['qkv_bias']!r}")
    validate_fast_kernels(cfg)
    validate_norm_position(cfg)
    validate_modern_keys(cfg)
    return cfg


def validate_fast_kernels(cfg):
    """`fast_kernels` (opcional, False por padrão): LayerNorm, GELU e atenção em kernels fundidos,
    e as camadas lineares com o caminho rápido de geração (`layers.LinearFast`)."""
    value = cfg.get("fast_kernels", False)
    if not isinstance(value, bool):
        raise ValueError(
            f"cfg['fast_kernels'] deve ser True ou False, mas vale {value!r}; True troca LayerNorm, "
            "GELU e a atenção da aula por F.layer_norm, F.gelu e F.scaled_dot_product_attention, e "
            "nn.Linear por LinearFast"
        )


# As chaves da aula 13 (componentes dos decodificadores atuais): chave -> (padrão, opções).
# O padrão de cada uma reproduz o GPT-2 da aula.
MODERN_CHOICES = {
    "norm": ("layernorm", ("layernorm", "rmsnorm")),
    "ff_activation": ("gelu", ("gelu", "swiglu")),
    "pos_encoding": ("learned", ("learned", "rope")),
}


def feed_forward_hidden_dim(cfg):
    """Largura da camada do meio da feed-forward.

    `cfg["ff_hidden_dim"]` quando existe; senão 4 * emb_dim (GPT-2) ou, com SwiGLU, 2/3 disso
    no múltiplo de 8 mais próximo: a SwiGLU tem três matrizes em vez de duas, e assim a
    feed-forward fica com quase o mesmo número de parâmetros (a regra do Llama).
    """
    if "ff_hidden_dim" in cfg:
        return cfg["ff_hidden_dim"]
    if cfg.get("ff_activation", "gelu") == "swiglu":
        return max(8, round(8 * cfg["emb_dim"] / 3 / 8) * 8)
    return 4 * cfg["emb_dim"]


def validate_modern_keys(cfg):
    """Confere as chaves opcionais da aula 13: norm, ff_activation, ff_hidden_dim, pos_encoding,
    rope_base, n_kv_heads e bias (mensagens em português)."""
    for key, (default, options) in MODERN_CHOICES.items():
        if cfg.get(key, default) not in options:
            raise ValueError(
                f"cfg['{key}'] deve ser um de {', '.join(repr(o) for o in options)}, mas vale {cfg[key]!r}"
            )
    if "ff_hidden_dim" in cfg:
        check_positive(cfg, "ff_hidden_dim", int, "a largura da camada do meio da feed-forward")
    if "rope_base" in cfg:
        check_positive(cfg, "rope_base", (int, float), "a base das frequências do RoPE (10000 no artigo)")
    n_heads = cfg["n_heads"]
    if "n_kv_heads" in cfg:
        check_positive(cfg, "n_kv_heads", int, "o número de cabeças de key/value")
        if n_heads % cfg["n_kv_heads"] != 0:
            raise ValueError(
                f"n_heads ({n_heads}) deve ser múltiplo de n_kv_heads ({cfg['n_kv_heads']}): cada cabeça "
                f"de key/value atende um grupo do mesmo tamanho de cabeças de query; use um divisor de {n_heads}"
            )
    if cfg.get("pos_encoding") == "rope" and (cfg["emb_dim"] // n_heads) % 2 != 0:
        raise ValueError(
            f"com pos_encoding='rope' a dimensão de cada cabeça (emb_dim // n_heads = "
            f"{cfg['emb_dim'] // n_heads}) deve ser par: o RoPE gira as coordenadas aos pares"
        )
    if not isinstance(cfg.get("bias", True), bool):
        raise ValueError(f"cfg['bias'] deve ser True ou False, mas vale {cfg['bias']!r}")


def check_positive(cfg, key, types, meaning):
    """Levanta ValueError se `cfg[key]` não for um número positivo dos tipos dados."""
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, types) or not value > 0:
        kind = "um inteiro positivo" if types is int else "um número positivo"
        raise ValueError(f"cfg['{key}'] ({meaning}) deve ser {kind}, mas vale {value!r}")
