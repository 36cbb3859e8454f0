"""Aula 05: o bloco transformer e o modelo GPT completo."""

import torch
import torch.nn as nn

from .attention import MultiHeadAttention
from .config import dropout_rates, validate_config
from .layers import FeedForward, LayerNorm
from .modern import GroupedQueryAttention, RMSNorm, SwiGLUFeedForward
from .validation import check_token_ids


# --- as peças escolhidas pela configuração (aula 13); sem as chaves novas, as do GPT-2 --------
def make_norm(cfg, default=LayerNorm):
    """A normalização de `cfg["norm"]`: LayerNorm (padrão), sem shift se `bias=False`, ou RMSNorm."""
    if cfg.get("norm", "layernorm") == "rmsnorm":
        return RMSNorm(cfg["emb_dim"])
    if not cfg.get("bias", True):
        return LayerNorm(cfg["emb_dim"], bias=False)
    return default(cfg["emb_dim"])


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
            use_sdpa=cfg.get("use_sdpa", False),
        )
    return MultiHeadAttention(
        d_in=cfg["emb_dim"],
        d_out=cfg["emb_dim"],
        context_length=cfg["context_length"],
        num_heads=cfg["n_heads"],
        dropout=attn_rate,
        qkv_bias=cfg["qkv_bias"],
        use_sdpa=cfg.get("use_sdpa", False),
    )


class TransformerBlock(nn.Module):
    """Bloco Pre-LN do GPT-2: (B, T, C) -> (B, T, C).

    x + dropout(atenção(norm1(x))), depois x + dropout(feed_forward(norm2(x))). A norma vem
    antes de cada subcamada e o atalho soma a entrada original de volta.
    """

    def __init__(self, cfg):
        super().__init__()
        _, _, shortcut_rate = dropout_rates(cfg)
        self.att = make_attention(cfg)
        self.ff = make_feed_forward(cfg)
        self.norm1 = make_norm(cfg)
        self.norm2 = make_norm(cfg)
        self.drop_shortcut = nn.Dropout(shortcut_rate)

    def forward(self, x):
        shortcut = x
        x = self.drop_shortcut(self.att(self.norm1(x)))
        x = x + shortcut

        shortcut = x
        x = self.drop_shortcut(self.ff(self.norm2(x)))
        return x + shortcut


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
        self.final_norm = make_norm(cfg, default=self.norm_class)
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        check_token_ids(in_idx, self.cfg["vocab_size"], self.cfg["context_length"])
        batch_size, seq_len = in_idx.shape
        x = self.tok_emb(in_idx)  # (B, T, C): o que é cada token
        if self.pos_emb is not None:
            x = x + self.pos_emb(torch.arange(seq_len, device=in_idx.device))  # (T, C): onde está
        x = self.drop_emb(x)
        x = self.trf_blocks(x)
        x = self.final_norm(x)
        return self.out_head(x)  # (B, T, V)
