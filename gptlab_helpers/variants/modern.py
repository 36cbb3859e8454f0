"""Aula 13: as peças dos decodificadores atuais (Llama 3, Qwen3, GPT-OSS) no lugar das do GPT-2.

- `RMSNorm`: normaliza só pela raiz da média dos quadrados, sem subtrair a média e sem shift
  (Zhang e Sennrich, 2019).
- `SwiGLUFeedForward`: feed-forward com porta, três matrizes em vez de duas (Shazeer, 2020).
- `rope_angles` e `apply_rope`: posição codificada como rotação de query e key (RoPE, Su et
  al., 2021), no lugar do embedding posicional aprendido.
- `GroupedQueryAttention`: menos cabeças de key/value que de query (GQA, Ainslie et al., 2023).

Cada peça é escolhida pela configuração (chaves `norm`, `ff_activation`, `ff_hidden_dim`,
`pos_encoding`, `rope_base`, `n_kv_heads` e `bias`); sem essas chaves, o `GPTModel` é o da aula.
`register()` as põe em `gpt.PARTS`, com os nomes que essas chaves usam.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import gpt
from ..config import option


class RMSNorm(nn.Module):
    """Divide cada vetor pela sua raiz da média dos quadrados: (B, T, C) -> (B, T, C).

    x / sqrt(média(x²) + eps), vezes um `scale` treinável. Não centraliza (não subtrai a média)
    e não tem `shift`: uma conta a menos e metade dos parâmetros da LayerNorm. O eps fica dentro
    da raiz, como em `torch.nn.RMSNorm`.
    """

    def __init__(self, emb_dim, eps=1e-5):
        super().__init__()
        self.eps = eps
        self.scale = nn.Parameter(torch.ones(emb_dim))

    def forward(self, x):
        rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)  # (B, T, 1)
        return self.scale * (x / rms)


class SwiGLUFeedForward(nn.Module):
    """Feed-forward com porta SwiGLU: (B, T, C) -> (B, T, H) -> (B, T, C).

    fc3(SiLU(fc1(x)) * fc2(x)): `fc1` decide, posição a posição da camada do meio, quanto de
    `fc2(x)` passa (a porta); `fc3` volta para C dimensões. H = `feed_forward_hidden_dim(cfg)`.
    """

    def __init__(self, cfg):
        super().__init__()
        emb, hidden, bias = cfg["emb_dim"], option(cfg, "ff_hidden_dim"), option(cfg, "bias")
        self.fc1 = nn.Linear(emb, hidden, bias=bias)  # a porta
        self.fc2 = nn.Linear(emb, hidden, bias=bias)  # o valor que a porta deixa passar
        self.fc3 = nn.Linear(hidden, emb, bias=bias)  # de volta a emb_dim

    def forward(self, x):
        return self.fc3(F.silu(self.fc1(x)) * self.fc2(x))


def rope_angles(head_dim, context_length, base=10_000.0):
    """Cossenos e senos do RoPE para as posições 0..context_length-1: dois tensores (T, head_dim).

    O par de coordenadas i (i e i + head_dim/2) da posição m gira de m * θ_i, com
    θ_i = base^(-2i / head_dim): os primeiros pares giram depressa, os últimos devagar.
    """
    if head_dim % 2 != 0:
        raise ValueError(f"o RoPE gira coordenadas aos pares: head_dim deve ser par, mas vale {head_dim}")
    frequencies = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)  # (D/2,)
    positions = torch.arange(context_length, dtype=torch.float32)
    angles = torch.outer(positions, frequencies)  # (T, D/2)
    angles = torch.cat([angles, angles], dim=-1)  # (T, D): o mesmo ângulo nas duas metades do par
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Gira cada par de coordenadas de x (B, H, T, D) pelo ângulo da sua posição.

    `cos` e `sin` são (T, D), já cortados nas posições de x. O par é (x[i], x[i + D/2]), a
    convenção do Llama no Hugging Face (o artigo junta coordenadas vizinhas; a conta é a mesma
    a menos de uma permutação das coordenadas).
    """
    half = x.shape[-1] // 2
    first, second = x[..., :half], x[..., half:]
    rotated = torch.cat([-second, first], dim=-1)  # (a, b) -> (-b, a): o par girado de 90°
    return x * cos + rotated * sin


class GroupedQueryAttention(nn.Module):
    """Atenção causal com `num_kv_heads` cabeças de key/value para `num_heads` de query.

    (B, T, d_in) -> (B, T, d_out). Cada grupo de num_heads // num_kv_heads cabeças de query
    usa a mesma key e o mesmo value: W_key e W_value ficam menores, e o cache de keys/values
    na geração também. Com `num_kv_heads == num_heads` é a `MultiHeadAttention` da aula (os
    mesmos nomes de pesos); com `rope_base` as posições entram girando query e key (RoPE).
    `bias=False` tira o bias de `out_proj`; o de query/key/value segue `qkv_bias`.

    `forward(x, layer_cache=None)`: com um cache de camada (atributo `offset` e método
    `update(keys, values)`), x são só os tokens novos, nas posições offset, offset + 1, ...
    A mesma conta com `F.scaled_dot_product_attention` é a `GroupedQueryAttentionFast` de
    `variants.fast`.
    """

    def __init__(
        self,
        d_in,
        d_out,
        context_length,
        dropout,
        num_heads,
        num_kv_heads=None,
        qkv_bias=False,
        bias=True,
        rope_base=None,
    ):
        super().__init__()
        num_kv_heads = num_heads if num_kv_heads is None else num_kv_heads
        if d_out % num_heads != 0 or num_heads % num_kv_heads != 0:
            raise ValueError(
                f"d_out ({d_out}) deve ser divisível por num_heads ({num_heads}), e num_heads "
                f"por num_kv_heads ({num_kv_heads})"
            )
        self.d_out, self.num_heads, self.num_kv_heads = d_out, num_heads, num_kv_heads
        self.head_dim = d_out // num_heads
        self.group_size = num_heads // num_kv_heads  # cabeças de query por cabeça de key/value
        self.context_length = context_length
        kv_dim = num_kv_heads * self.head_dim
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, kv_dim, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, kv_dim, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out, bias=bias)
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))
        self.rope = rope_base is not None
        if self.rope:
            # recalculáveis a partir da configuração: ficam fora do state dict (persistent=False)
            cos, sin = rope_angles(self.head_dim, context_length, rope_base)
            self.register_buffer("rope_cos", cos, persistent=False)
            self.register_buffer("rope_sin", sin, persistent=False)

    def split_heads(self, x, heads):
        """(B, T, heads * head_dim) -> (B, heads, T, head_dim)."""
        batch_size, num_tokens, _ = x.shape
        return x.view(batch_size, num_tokens, heads, self.head_dim).transpose(1, 2)

    def forward(self, x, layer_cache=None):
        batch_size, num_tokens, _ = x.shape
        offset = 0 if layer_cache is None else layer_cache.offset
        if offset + num_tokens > self.context_length:
            raise ValueError(
                f"a posição {offset + num_tokens - 1} passa do context_length ({self.context_length}); "
                "corte o contexto ou recomece o cache"
            )
        queries = self.split_heads(self.W_query(x), self.num_heads)  # (B, H, T, D)
        keys = self.split_heads(self.W_key(x), self.num_kv_heads)  # (B, H_kv, T, D)
        values = self.split_heads(self.W_value(x), self.num_kv_heads)
        if self.rope:
            cos = self.rope_cos[offset : offset + num_tokens]
            sin = self.rope_sin[offset : offset + num_tokens]
            queries, keys = apply_rope(queries, cos, sin), apply_rope(keys, cos, sin)
        if layer_cache is not None:
            keys, values = layer_cache.update(keys, values)  # (B, H_kv, T_total, D)
        # cada key/value serve o seu grupo de cabeças de query: (B, H_kv, ., D) -> (B, H, ., D)
        keys = keys.repeat_interleave(self.group_size, dim=1)
        values = values.repeat_interleave(self.group_size, dim=1)
        # linha i (posição offset + i) não enxerga as colunas depois dela
        future = self.mask.bool()[offset : offset + num_tokens, : keys.shape[2]]
        context = self.attend(queries, keys, values, future)  # (B, H, T, D)
        context = context.transpose(1, 2).contiguous().view(batch_size, num_tokens, self.d_out)
        return self.out_proj(context)

    def attend(self, queries, keys, values, future):
        """softmax(q kᵀ / sqrt(D)) v com o futuro mascarado: (B, H, T, D) -> (B, H, T, D)."""
        attn_scores = (queries @ keys.transpose(2, 3)).masked_fill(future, -torch.inf)
        attn_weights = torch.softmax(attn_scores / self.head_dim**0.5, dim=-1)
        return self.dropout(attn_weights) @ values


def grouped_query_attention(cfg, options):
    """A atenção da aula 13 montada a partir da configuração resolvida (veja `gpt.attention_kind`)."""
    return GroupedQueryAttention(
        **gpt.attention_arguments(options),
        num_kv_heads=options.n_kv_heads,
        bias=options.bias,
        rope_base=options.rope_base if options.pos_encoding == "rope" else None,
    )


def register():
    """Põe as peças desta aula em `gpt.PARTS`, com os nomes das chaves da configuração."""
    gpt.register_part("norm", "rmsnorm", lambda cfg, options: RMSNorm(options.emb_dim))
    gpt.register_part("feed_forward", "swiglu", lambda cfg, options: SwiGLUFeedForward(cfg))
    gpt.register_part("attention", "grouped_query", grouped_query_attention)
