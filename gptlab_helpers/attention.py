"""Aula 05: a atenção multi-cabeças causal (do capítulo anterior), dentro de cada bloco transformer."""

import torch
import torch.nn as nn


class MultiHeadAttention(nn.Module):
    """Atenção causal com `num_heads` cabeças: (B, T, d_in) -> (B, T, d_out).

    Cada token só olha para si e para os anteriores: a máscara triangular fica guardada
    como buffer (vai junto com `.to(device)` e com o state dict, como no livro). O
    dropout age sobre os pesos de atenção. A mesma conta num kernel só
    (`F.scaled_dot_product_attention`) é a `MultiHeadAttentionFast` de
    `gptlab_helpers.variants.fast`.
    """

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"d_out ({d_out}) deve ser divisível por num_heads ({num_heads})")
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.W_query = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_key = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.W_value = nn.Linear(d_in, d_out, bias=qkv_bias)
        self.out_proj = nn.Linear(d_out, d_out)  # junta as cabeças de volta
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("mask", torch.triu(torch.ones(context_length, context_length), diagonal=1))

    def split_heads(self, x):
        """(B, T, d_out) -> (B, num_heads, T, head_dim)."""
        batch_size, num_tokens, _ = x.shape
        return x.view(batch_size, num_tokens, self.num_heads, self.head_dim).transpose(1, 2)

    def forward(self, x, layer_cache=None):
        """(B, T, d_in) -> (B, T, d_out).

        Com `layer_cache` (um `kv_cache.LayerKVCache`), `x` traz só os T_novo tokens que ainda
        não foram vistos: suas chaves e valores entram no cache e as consultas olham para
        todas as T_total posições guardadas.
        """
        batch_size, num_tokens, _ = x.shape
        keys = self.split_heads(self.W_key(x))
        queries = self.split_heads(self.W_query(x))
        values = self.split_heads(self.W_value(x))

        offset = 0  # posições anteriores a x (só existem com cache)
        if layer_cache is not None:
            offset = layer_cache.offset
            keys, values = layer_cache.update(keys, values)  # (B, H, T_total, head_dim)

        context = self.attend(queries, keys, values, offset)  # (B, H, T_novo, head_dim)
        context = context.transpose(1, 2).contiguous().view(batch_size, num_tokens, self.d_out)
        return self.out_proj(context)

    def attend(self, queries, keys, values, offset=0):
        """softmax(q kᵀ / sqrt(head_dim)) v, sem olhar o futuro: (B, H, T_novo, d) -> (B, H, T_novo, d).

        `offset` é a posição da primeira query (as anteriores vêm do cache).
        """
        num_tokens = queries.shape[2]
        attn_scores = queries @ keys.transpose(2, 3)  # (B, H, T_novo, T_total)
        if num_tokens > 1:
            # as linhas da máscara das posições offset..offset+T_novo-1; sem cache, [:T, :T].
            # Um token novo sozinho só tem o passado à frente: a linha dele não esconde nada.
            causal_mask = self.mask[offset : offset + num_tokens, : keys.shape[2]].bool()
            attn_scores.masked_fill_(causal_mask, -torch.inf)  # o futuro fica invisível
        # dividir por sqrt(head_dim) mantém a softmax longe da saturação
        attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
        attn_weights = self.dropout(attn_weights)
        return attn_weights @ values
