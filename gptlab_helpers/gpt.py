"""Aula 05: o bloco transformer e o modelo GPT completo."""

import torch
import torch.nn as nn

from .attention import MultiHeadAttention
from .config import dropout_rates, norm_position, validate_config
from .layers import FeedForward, LayerNorm, fast_variant, use_fast_linears
from .modern import GroupedQueryAttention, RMSNorm, SwiGLUFeedForward
from .validation import check_token_ids


# --- as peças escolhidas pela configuração (aulas 12 e 13); sem as chaves novas, as do GPT-2 ---
def make_norm(cfg, default=LayerNorm):
    """A normalização de `cfg["norm"]`: LayerNorm (padrão), sem shift se `bias=False`, ou RMSNorm."""
    if cfg.get("norm", "layernorm") == "rmsnorm":
        return RMSNorm(cfg["emb_dim"])
    if not cfg.get("bias", True):
        return LayerNorm(cfg["emb_dim"], bias=False)
    return fast_variant(default, cfg)(cfg["emb_dim"])


def block_norm(cfg):
    """A normalização de um bloco: a de `make_norm`, ou nn.Identity com norm_position = "none"."""
    if norm_position(cfg) == "none":
        return nn.Identity()
    return make_norm(cfg)


def make_feed_forward(cfg):
    """A feed-forward de `cfg["ff_activation"]`: GELU (padrão) ou SwiGLU."""
    if cfg.get("ff_activation", "gelu") == "swiglu":
        return SwiGLUFeedForward(cfg)
    return FeedForward(cfg)


def make_attention(cfg):
    """A atenção do bloco: a MultiHeadAttention da aula, ou a GroupedQueryAttention quando a
    configuração pede GQA (`n_kv_heads`), RoPE (`pos_encoding="rope"`) ou `bias=False`."""
    _, attn_rate, _ = dropout_rates(cfg)
    rope = cfg.get("pos_encoding", "learned") == "rope"
    if "n_kv_heads" in cfg or rope or not cfg.get("bias", True):
        return GroupedQueryAttention(
            d_in=cfg["emb_dim"],
            d_out=cfg["emb_dim"],
            context_length=cfg["context_length"],
            dropout=attn_rate,
            num_heads=cfg["n_heads"],
            num_kv_heads=cfg.get("n_kv_heads"),
            qkv_bias=cfg["qkv_bias"],
            bias=cfg.get("bias", True),
            rope_base=cfg.get("rope_base", 10_000.0) if rope else None,
            use_sdpa=cfg.get("use_sdpa", False) or cfg.get("fast_kernels", False),
        )
    return MultiHeadAttention(
        d_in=cfg["emb_dim"],
        d_out=cfg["emb_dim"],
        context_length=cfg["context_length"],
        num_heads=cfg["n_heads"],
        dropout=attn_rate,
        qkv_bias=cfg["qkv_bias"],
        use_sdpa=cfg.get("use_sdpa", False) or cfg.get("fast_kernels", False),
    )


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
        _, _, shortcut_rate = dropout_rates(cfg)
        self.att = make_attention(cfg)
        self.ff = make_feed_forward(cfg)
        self.norm1 = block_norm(cfg)
        self.norm2 = block_norm(cfg)
        self.drop_shortcut = nn.Dropout(shortcut_rate)
        self.norm_position = norm_position(cfg)

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

    block_class = TransformerBlock
    norm_class = LayerNorm

    def __init__(self, cfg):
        super().__init__()
        validate_config(cfg)
        self.cfg = cfg
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        # com RoPE a posição entra na atenção: não há embedding posicional
        learned = cfg.get("pos_encoding", "learned") == "learned"
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"]) if learned else None
        self.drop_emb = nn.Dropout(dropout_rates(cfg)[0])
        self.trf_blocks = nn.Sequential(*[self.block_class(cfg) for _ in range(cfg["n_layers"])])
        # Só o Pre-LN precisa de uma norma final: no Post-LN o último bloco já termina numa
        # LayerNorm, e com norm_position = "none" não há normalização em lugar nenhum.
        pre_ln = norm_position(cfg) == "pre"
        self.final_norm = make_norm(cfg, default=self.norm_class) if pre_ln else nn.Identity()
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)
        if cfg.get("fast_kernels", False):
            use_fast_linears(self)  # as mesmas camadas, mais rápidas na geração (layers.LinearFast)
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
