"""Aula 01: as configurações do GPT-2, a validação de uma configuração e os seus padrões.

Uma configuração é um dicionário simples, como no livro: quem lê o notebook vê exatamente os
números que definem o modelo. As chaves opcionais das aulas seguintes (posição da norma na
aula 12, peças dos modelos atuais na aula 13, o caminho rápido) têm o seu padrão escrito uma
vez só, em `OPTIONAL_DEFAULTS`; `model_options(cfg)` devolve a configuração com tudo
resolvido e conferido (`ModelOptions`), e é isso que os módulos leem, em vez de repetir
`cfg.get(chave, padrão)` cada um.
"""

import copy
from dataclasses import dataclass

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

# As chaves opcionais e o seu padrão, que reproduz o GPT-2 da aula. None quer dizer "calculado
# a partir das outras chaves" (veja `model_options`).
OPTIONAL_DEFAULTS = {
    "norm_position": "pre",  # aula 12: "pre" (GPT-2), "post" (2017) ou "none" (sem norma)
    "norm": "layernorm",  # aula 13: ou "rmsnorm"
    "ff_activation": "gelu",  # aula 13: ou "swiglu"
    "ff_hidden_dim": None,  # aula 13: 4 * emb_dim (GPT-2), ou a regra da SwiGLU
    "pos_encoding": "learned",  # aula 13: ou "rope"
    "rope_base": 10_000.0,  # aula 13: a base das frequências do RoPE
    "n_kv_heads": None,  # aula 13: = n_heads (sem GQA)
    "bias": True,  # aula 13: False tira os bias de out_proj, da feed-forward e das normas
    "fast_kernels": False,  # kernels fundidos e LinearFast (gptlab_helpers.variants.fast)
    "use_sdpa": False,  # só a atenção com F.scaled_dot_product_attention (fast_kernels também liga)
}

# As escolhas de cada chave de texto: chave -> opções aceitas.
CHOICES = {
    "norm_position": ("pre", "post", "none"),
    "norm": ("layernorm", "rmsnorm"),
    "ff_activation": ("gelu", "swiglu"),
    "pos_encoding": ("learned", "rope"),
}
NORM_POSITIONS = CHOICES["norm_position"]
CHOICE_MEANINGS = {
    "norm_position": "'pre' normaliza antes de cada subcamada (GPT-2), 'post' depois da soma com o "
    "atalho (transformer de 2017) e 'none' não normaliza",
}


@dataclass(frozen=True)
class ModelOptions:
    """Uma configuração com todas as chaves resolvidas: o que cada módulo do modelo lê.

    Crie com `model_options(cfg)`, que confere tudo antes.
    """

    vocab_size: int
    context_length: int
    emb_dim: int
    n_heads: int
    n_layers: int
    qkv_bias: bool
    drop_rate_emb: float
    drop_rate_attn: float
    drop_rate_shortcut: float
    norm_position: str
    norm: str
    ff_activation: str
    ff_hidden_dim: int
    pos_encoding: str
    rope_base: float
    n_kv_heads: int
    bias: bool
    fast_kernels: bool
    use_sdpa: bool

    @property
    def head_dim(self):
        """Dimensões de cada cabeça de atenção: emb_dim // n_heads."""
        return self.emb_dim // self.n_heads


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


def model_options(cfg):
    """Confere `cfg` e devolve as suas chaves resolvidas (`ModelOptions`).

    Levanta `TypeError`/`ValueError` em português dizendo o que falta ou o que está errado.
    """
    check_required_keys(cfg)
    values = {key: cfg.get(key, default) for key, default in OPTIONAL_DEFAULTS.items()}  # None: abaixo
    for key in ("vocab_size", "context_length", "emb_dim", "n_heads", "n_layers"):
        check_positive(cfg, key, int)
    if cfg["emb_dim"] % cfg["n_heads"] != 0:
        raise ValueError(
            f"emb_dim ({cfg['emb_dim']}) deve ser divisível por n_heads ({cfg['n_heads']}), "
            "pois cada cabeça recebe emb_dim // n_heads dimensões; "
            "escolha, por exemplo, n_heads que divida emb_dim"
        )
    rates = dict(zip(SPLIT_DROPOUT_KEYS, dropout_rates(cfg)))
    for key, rate in rates.items():
        check_rate(key if key in cfg else "drop_rate", rate)
    for key in ("qkv_bias", "bias", "fast_kernels", "use_sdpa"):
        check_bool(key, cfg[key] if key == "qkv_bias" else values[key])
    for key, options in CHOICES.items():
        if values[key] not in options:
            meaning = CHOICE_MEANINGS.get(key, "")
            raise ValueError(
                f"cfg['{key}'] deve ser um de {', '.join(map(repr, options))}, mas vale {values[key]!r}"
                + (f": {meaning}" if meaning else "")
            )
    if "ff_hidden_dim" in cfg:
        check_positive(cfg, "ff_hidden_dim", int, "a largura da camada do meio da feed-forward")
    if "rope_base" in cfg:
        check_positive(cfg, "rope_base", (int, float), "a base das frequências do RoPE (10000 no artigo)")
    values["n_kv_heads"] = kv_heads(cfg)
    values["ff_hidden_dim"] = feed_forward_hidden_dim(cfg)
    values["use_sdpa"] = values["use_sdpa"] or values["fast_kernels"]
    values["rope_base"] = float(values["rope_base"])
    if values["pos_encoding"] == "rope" and (cfg["emb_dim"] // cfg["n_heads"]) % 2 != 0:
        raise ValueError(
            f"com pos_encoding='rope' a dimensão de cada cabeça (emb_dim // n_heads = "
            f"{cfg['emb_dim'] // cfg['n_heads']}) deve ser par: o RoPE gira as coordenadas aos pares"
        )
    required = {key: cfg[key] for key in REQUIRED_KEYS}
    return ModelOptions(**required, **rates, **values)


def option(cfg, key):
    """O valor da chave opcional `key` em `cfg`, ou o seu padrão de `OPTIONAL_DEFAULTS`.

    Para as peças que recebem uma configuração parcial (uma FeedForward só precisa de
    `emb_dim`); o modelo inteiro usa `model_options`, que resolve e confere tudo de uma vez.
    """
    if key == "ff_hidden_dim":
        return feed_forward_hidden_dim(cfg)
    return cfg.get(key, OPTIONAL_DEFAULTS[key])


def validate_config(cfg):
    """Confere uma configuração de GPT e devolve a própria `cfg` (veja `model_options`)."""
    model_options(cfg)
    return cfg


def check_required_keys(cfg):
    """Confere que `cfg` é um dicionário com as chaves obrigatórias (e alguma taxa de dropout)."""
    if not isinstance(cfg, dict):
        raise TypeError(
            f"a configuração deve ser um dicionário como GPT_CONFIG_124M, mas recebi {type(cfg).__name__}"
        )
    missing = [key for key in REQUIRED_KEYS if key not in cfg]
    if "drop_rate" not in cfg and not all(key in cfg for key in SPLIT_DROPOUT_KEYS):
        absent = [key for key in SPLIT_DROPOUT_KEYS if key not in cfg]
        missing.append("drop_rate (ou " + ", ".join(absent) + ")")
    if missing:
        raise ValueError(
            "faltam chaves na configuração: "
            + ", ".join(missing)
            + ". Parta de uma cópia de GPT_CONFIG_124M: cfg = dict(GPT_CONFIG_124M)."
        )


def dropout_rates(cfg):
    """As três taxas de dropout (embedding, atenção, atalho) de uma configuração.

    Uma configuração pode dar uma só taxa, `drop_rate`, usada nos três lugares, ou as
    três chaves do exercício `drop_rate_emb`, `drop_rate_attn` e `drop_rate_shortcut`
    (cada uma vale sobre `drop_rate`).
    """
    default = cfg.get("drop_rate")
    return tuple(cfg.get(key, default) for key in SPLIT_DROPOUT_KEYS)


def kv_heads(cfg):
    """Cabeças de key/value: `cfg["n_kv_heads"]` (GQA, aula 13) ou n_heads; conferidas."""
    n_heads = cfg["n_heads"]
    if "n_kv_heads" not in cfg:
        return n_heads
    check_positive(cfg, "n_kv_heads", int, "o número de cabeças de key/value")
    if n_heads % cfg["n_kv_heads"] != 0:
        raise ValueError(
            f"n_heads ({n_heads}) deve ser múltiplo de n_kv_heads ({cfg['n_kv_heads']}): cada cabeça "
            f"de key/value atende um grupo do mesmo tamanho de cabeças de query; use um divisor de {n_heads}"
        )
    return cfg["n_kv_heads"]


def feed_forward_hidden_dim(cfg):
    """Largura da camada do meio da feed-forward.

    `cfg["ff_hidden_dim"]` quando existe; senão 4 * emb_dim (GPT-2) ou, com SwiGLU, 2/3 disso
    no múltiplo de 8 mais próximo: a SwiGLU tem três matrizes em vez de duas, e assim a
    feed-forward fica com quase o mesmo número de parâmetros (a regra do Llama).
    """
    if "ff_hidden_dim" in cfg:
        return cfg["ff_hidden_dim"]
    if option(cfg, "ff_activation") == "swiglu":
        return max(8, round(8 * cfg["emb_dim"] / 3 / 8) * 8)
    return 4 * cfg["emb_dim"]


def check_positive(cfg, key, types, meaning=None):
    """Levanta ValueError se `cfg[key]` não for um número positivo dos tipos dados."""
    value = cfg[key]
    if isinstance(value, bool) or not isinstance(value, types) or not value > 0:
        kind = "um inteiro positivo" if types is int else "um número positivo"
        what = f" ({meaning})" if meaning else ""
        raise ValueError(f"cfg['{key}']{what} deve ser {kind}, mas vale {value!r}")


def check_rate(key, rate):
    """Uma taxa de dropout: um número em [0, 1)."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ValueError(
            f"cfg['{key}'] deve ser um número em [0, 1), mas vale {rate!r}; "
            "0.1 significa zerar 10% dos valores durante o treino"
        )


def check_bool(key, value):
    """Uma chave de sim ou não: True ou False (não 1, nem "sim")."""
    if not isinstance(value, bool):
        hint = {
            "fast_kernels": "; True troca LayerNorm, GELU, a atenção e nn.Linear pelas versões rápidas "
            "de gptlab_helpers.variants.fast (os mesmos parâmetros)",
        }.get(key, "")
        raise ValueError(f"cfg['{key}'] deve ser True ou False, mas vale {value!r}{hint}")
