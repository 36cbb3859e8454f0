"""Aula 05: o bloco transformer e o modelo GPT completo."""

import torch
import torch.nn as nn

from .attention import MultiHeadAttention
from .config import model_options
from .core.validation import check_token_ids
from .layers import FeedForward, LayerNorm


def attention_arguments(options):
    """Os argumentos que toda atenção recebe da configuração resolvida (dimensões, cabeças, dropout)."""
    return {
        "d_in": options.emb_dim,
        "d_out": options.emb_dim,
        "context_length": options.context_length,
        "dropout": options.drop_rate_attn,
        "num_heads": options.n_heads,
        "qkv_bias": options.qkv_bias,
    }


# --- as peças que a configuração escolhe --------------------------------------------------------
# Cada tipo de peça é um dicionário nome -> fábrica(cfg, options), onde `options` é a configuração
# resolvida (`config.model_options`). Esta aula traz as do GPT-2; as variantes das aulas seguintes
# (`gptlab_helpers.variants`: RMSNorm, SwiGLU, a atenção com GQA e RoPE) acrescentam as suas
# com `register_part`, quando o pacote é importado. Assim nenhuma aula importa uma posterior.
PARTS = {
    "norm": {"layernorm": lambda cfg, options: LayerNorm(options.emb_dim, bias=options.bias)},
    "feed_forward": {"gelu": lambda cfg, options: FeedForward(cfg)},
    "attention": {
        "multi_head": lambda cfg, options: MultiHeadAttention(**attention_arguments(options)),
    },
}
# Adaptações do modelo já montado, uma por chave booleana da configuração (`use_sdpa`,
# `fast_kernels`): `variants.fast` as registra; cada uma troca camadas por versões mais rápidas
# com os mesmos parâmetros, sem sortear nada (os pesos iniciais continuam os da aula).
ADAPTERS = {}


def register_part(kind, name, factory):
    """Acrescenta uma peça: `kind` é "norm", "feed_forward" ou "attention"; `factory(cfg, options)`."""
    PARTS[kind][name] = factory


def make_part(kind, name, cfg, options):
    """Cria a peça `name` do tipo `kind` (erro em português se ninguém a registrou)."""
    if name not in PARTS[kind]:
        raise ValueError(
            f"não há peça {kind}={name!r} registrada (as que há: {', '.join(PARTS[kind])}); as das aulas "
            "12 e 13 ficam em gptlab_helpers.variants, que `import gptlab_helpers` registra"
        )
    return PARTS[kind][name](cfg, options)


def attention_kind(options):
    """A atenção da aula cobre o GPT-2; GQA, RoPE ou `bias=False` pedem a "grouped_query" (aula 13)."""
    lesson = options.n_kv_heads == options.n_heads and options.pos_encoding == "learned" and options.bias
    return "multi_head" if lesson else "grouped_query"


def block_norm(cfg, options):
    """A normalização de um bloco: a de `options.norm`, ou nn.Identity com norm_position = "none"."""
    if options.norm_position == "none":
        return nn.Identity()
    return make_part("norm", options.norm, cfg, options)


class TransformerBlock(nn.Module):
    """Bloco Pre-LN do GPT-2: (B, T, C) -> (B, T, C).

    x + dropout(atenção(norm1(x))), depois x + dropout(feed_forward(norm2(x))). A norma vem
    antes de cada subcamada e o atalho soma a entrada original de volta.

    `cfg["norm_position"]` (aula 12) troca o lugar da norma: "post" é o bloco de 2017,
    norm1(x + dropout(atenção(x))) e depois norm2(x + dropout(feed_forward(x))); "none" é o
    Pre-LN com as normas trocadas por nn.Identity. Nenhuma das normas sorteia números, então a
    criação dos pesos (e os números da aula) é a mesma nas três posições.
    """

    def __init__(self, cfg):
        super().__init__()
        options = model_options(cfg)
        self.att = make_part("attention", attention_kind(options), cfg, options)
        self.ff = make_part("feed_forward", options.ff_activation, cfg, options)
        self.norm1 = block_norm(cfg, options)
        self.norm2 = block_norm(cfg, options)
        self.drop_shortcut = nn.Dropout(options.drop_rate_shortcut)
        self.norm_position = options.norm_position

    def forward(self, x, layer_cache=None):
        """(B, T, C) -> (B, T, C); `layer_cache` é o KV cache da atenção deste bloco (ou None)."""
        if self.norm_position == "post":
            return self.forward_post_ln(x, layer_cache)
        return self.forward_pre_ln(x, layer_cache)  # com "none" as normas são nn.Identity

    def forward_pre_ln(self, x, layer_cache=None):
        """GPT-2: normaliza a entrada de cada subcamada; o atalho passa sem normalizar."""
        shortcut = x
        x = self.drop_shortcut(self.att(self.norm1(x), layer_cache=layer_cache))
        x = x + shortcut

        shortcut = x
        x = self.drop_shortcut(self.ff(self.norm2(x)))
        return x + shortcut

    def forward_post_ln(self, x, layer_cache=None):
        """Transformer de 2017: normaliza depois de somar o atalho, então o atalho também passa pela norma."""
        x = self.norm1(x + self.drop_shortcut(self.att(x, layer_cache=layer_cache)))
        return self.norm2(x + self.drop_shortcut(self.ff(x)))


class GPTModel(nn.Module):
    """O GPT-2: IDs de tokens (B, T) -> logits (B, T, vocab_size).

    Os submódulos são criados na mesma ordem do livro, para que `torch.manual_seed(123)`
    produza os mesmos pesos e, portanto, os mesmos números da aula.
    """

    def __init__(self, cfg):
        super().__init__()
        options = model_options(cfg)
        self.cfg = cfg
        self.tok_emb = nn.Embedding(options.vocab_size, options.emb_dim)
        # com RoPE a posição entra na atenção: não há embedding posicional
        learned = options.pos_encoding == "learned"
        self.pos_emb = nn.Embedding(options.context_length, options.emb_dim) if learned else None
        self.drop_emb = nn.Dropout(options.drop_rate_emb)
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(options.n_layers)])
        # Só o Pre-LN precisa de uma norma final: no Post-LN o último bloco já termina numa
        # LayerNorm, e com norm_position = "none" não há normalização em lugar nenhum.
        pre_ln = options.norm_position == "pre"
        self.final_norm = make_part("norm", options.norm, cfg, options) if pre_ln else nn.Identity()
        self.out_head = nn.Linear(options.emb_dim, options.vocab_size, bias=False)
        for key, adapt in ADAPTERS.items():
            if getattr(options, key):
                adapt(self)  # ex.: fast_kernels troca as camadas pelas rápidas, com os mesmos pesos
        # False pula a conferência dos valores dos IDs (min/max), que sincroniza com a GPU a
        # cada forward; o treino desliga depois de conferir o texto inteiro uma vez
        self.check_inputs = True

    def forward(self, in_idx, cache=None, last_only=False):
        """IDs (B, T) -> logits (B, T, V).

        - `cache` (um `kv_cache.KVCache`): `in_idx` traz só os tokens novos, que ocupam as
          posições `cache.offset`, `cache.offset + 1`, ...; as chaves e os valores dos
          anteriores vêm do cache.
        - `last_only=True` devolve só os logits da última posição, (B, 1, V): é o que a geração
          usa, e poupa a multiplicação pela cabeça de saída (C x V) nas outras posições.
        """
        limit = self.cfg["context_length"] if cache is None else None
        check_token_ids(in_idx, self.cfg["vocab_size"], limit, check_values=self.check_inputs)
        offset = 0 if cache is None else self.cache_offset(cache, in_idx.shape[1])
        batch_size, seq_len = in_idx.shape
        x = self.tok_emb(in_idx)  # (B, T, C): o que é cada token
        if self.pos_emb is not None:
            positions = torch.arange(offset, offset + seq_len, device=in_idx.device)
            x = x + self.pos_emb(positions)  # (T, C): onde está
        x = self.drop_emb(x)
        if cache is None:
            x = self.trf_blocks(x)
        else:
            for block, layer_cache in zip(self.trf_blocks, cache.layers):
                x = block(x, layer_cache=layer_cache)
        if last_only:
            x = x[:, -1:, :]  # a norma final age token a token: cortar antes dá o mesmo
        x = self.final_norm(x)
        return self.out_head(x)  # (B, T, V)

    def cache_offset(self, cache, new_tokens):
        """Confere que os tokens novos cabem depois dos que o cache já guarda; devolve cache.offset."""
        context_length = self.cfg["context_length"]
        if len(cache.layers) != len(self.trf_blocks):
            raise ValueError(
                f"o cache tem {len(cache.layers)} camadas, mas o modelo tem {len(self.trf_blocks)} blocos; "
                "crie-o com KVCache.for_model(model)"
            )
        if cache.offset + new_tokens > context_length:
            raise ValueError(
                f"o cache já guarda {cache.offset} posições e chegaram mais {new_tokens}: passaria de "
                f"context_length = {context_length}; recomece com cache.reset() e os últimos "
                f"{context_length} tokens"
            )
        return cache.offset
