"""A atenção multi-cabeças causal (da aula anterior), usada dentro de cada bloco transformer."""

import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiHeadAttention(nn.Module):
    """Atenção causal com `num_heads` cabeças: (B, T, d_in) -> (B, T, d_out).

    Cada token só olha para si e para os anteriores: a máscara triangular fica guardada
    como buffer (vai junto com `.to(device)` e com o state dict, como no livro). O
    dropout age sobre os pesos de atenção. Com `use_sdpa=True` o cálculo usa
    `F.scaled_dot_product_attention`, que dá o mesmo resultado mais rápido (útil para
    treinar), mas sorteia o dropout de outro jeito.
    """

    def __init__(self, d_in, d_out, context_length, dropout, num_heads, qkv_bias=False, use_sdpa=False):
        super().__init__()
        if d_out % num_heads != 0:
            raise ValueError(f"d_out ({d_out}) deve ser divisível por num_heads ({num_heads})")
        self.d_out = d_out
        self.num_heads = num_heads
        self.head_dim = d_out // num_heads
        self.use_sdpa = use_sdpa
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

        if self.use_sdpa:
            context = self.sdpa_context(queries, keys, values, offset)
        else:
            attn_scores = queries @ keys.transpose(2, 3)  # (B, H, T_novo, T_total)
            if layer_cache is None or num_tokens > 1:
                # as linhas da máscara das posições offset..offset+T_novo-1; sem cache, [:T, :T].
                # Um token novo só tem o passado à frente: a linha dele não esconde nada.
                causal_mask = self.mask[offset : offset + num_tokens, : keys.shape[2]].bool()
                attn_scores.masked_fill_(causal_mask, -torch.inf)  # o futuro fica invisível
            # dividir por sqrt(head_dim) mantém a softmax longe da saturação
            attn_weights = torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1)
            attn_weights = self.dropout(attn_weights)
            context = attn_weights @ values  # (B, H, T_novo, head_dim)

        context = context.transpose(1, 2).contiguous().view(batch_size, num_tokens, self.d_out)
        return self.out_proj(context)

    def sdpa_context(self, queries, keys, values, offset):
        """A atenção com `F.scaled_dot_product_attention`: (B, H, T_novo, d) -> (B, H, T_novo, d)."""
        dropout_p = self.dropout.p if self.training else 0.0
        num_tokens = queries.shape[2]
        if offset == 0:  # sem nada guardado antes: a máscara triangular de sempre
            return F.scaled_dot_product_attention(queries, keys, values, dropout_p=dropout_p, is_causal=True)
        # is_causal alinharia a máscara pelo canto de cima; com cache ela é o fim da triangular.
        # Um token novo só (o caso da geração) vê todas as posições: não há o que mascarar.
        allowed = None
        if num_tokens > 1:
            allowed = ~self.mask[offset : offset + num_tokens, : keys.shape[2]].bool()
        return F.scaled_dot_product_attention(queries, keys, values, attn_mask=allowed, dropout_p=dropout_p)
