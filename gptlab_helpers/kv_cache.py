"""KV cache: guardar as chaves e os valores da atenção para não recalculá-los a cada token.

Na geração, o passo t recalcula do zero as chaves e os valores de todos os t tokens
anteriores, embora eles não mudem: cada token só olha para trás (máscara causal), então a
chave e o valor de uma posição dependem só dela e do passado. O cache guarda esses tensores,
camada por camada, e cada passo novo calcula apenas os do token novo.

Protocolo (o que `MultiHeadAttention.forward(x, layer_cache=...)` usa):
- `layer_cache.offset`: quantas posições já estão guardadas antes desta chamada;
- `layer_cache.update(keys, values)`: recebe as chaves e valores NOVOS, (B, H, T_novo, head_dim),
  e devolve tudo o que foi guardado até agora, (B, H, T_total, head_dim).
"""


class LayerKVCache:
    """O cache de uma camada de atenção: chaves e valores (B, H, T, head_dim) já calculados.

    Os tensores são alocados uma vez, com espaço para `max_length` posições, na primeira
    chamada de `update` (é quando se conhecem B, H, head_dim, dtype e device). Cada passo só
    copia o token novo para o lugar dele; juntar com `torch.cat` copiaria o cache inteiro a
    cada token (veja `scripts/benchmark_generation.py --cache-layout`).
    """

    def __init__(self, max_length):
        self.max_length = max_length
        self.offset = 0  # posições já guardadas
        self.keys = None
        self.values = None

    def update(self, keys, values):
        """Guarda (B, H, T_novo, d) e devolve as chaves e valores de todas as posições, (B, H, T_total, d)."""
        end = self.offset + keys.shape[2]
        if end > self.max_length:
            raise ValueError(
                f"o cache tem espaço para {self.max_length} posições, mas já guarda {self.offset} e "
                f"chegaram mais {keys.shape[2]}; comece um cache novo (cache.reset()) com os últimos "
                f"{self.max_length} tokens"
            )
        if self.keys is None:
            batch, heads, _, head_dim = keys.shape
            self.keys = keys.new_empty(batch, heads, self.max_length, head_dim)
            self.values = values.new_empty(batch, heads, self.max_length, head_dim)
        elif keys.shape[0] != self.keys.shape[0]:
            raise ValueError(
                f"o cache foi criado para lotes de {self.keys.shape[0]} sequências, mas chegou um "
                f"lote de {keys.shape[0]}; use um KVCache novo para cada lote"
            )
        self.keys[:, :, self.offset : end] = keys
        self.values[:, :, self.offset : end] = values
        self.offset = end
        return self.keys[:, :, :end], self.values[:, :, :end]

    def reset(self):
        """Esquece as posições guardadas (os tensores alocados são reaproveitados)."""
        self.offset = 0

    def memory_bytes(self):
        """Bytes ocupados pelas posições guardadas (chaves + valores)."""
        if self.keys is None:
            return 0
        per_position = self.keys[:, :, :1].numel() * self.keys.element_size()
        return 2 * per_position * self.offset


class KVCache:
    """Um `LayerKVCache` por bloco transformer: `cache.layers[i]` é o do bloco i.

    `cache.offset` é o número de posições já processadas, que é também a posição do próximo
    token (o `GPTModel` soma o embedding posicional `offset`, `offset + 1`, ...).
    """

    def __init__(self, n_layers, max_length):
        self.layers = [LayerKVCache(max_length) for _ in range(n_layers)]
        self.max_length = max_length

    @classmethod
    def for_model(cls, model):
        """Um cache vazio do tamanho certo para um `GPTModel`: n_layers camadas, context_length posições."""
        return cls(model.cfg["n_layers"], model.cfg["context_length"])

    @property
    def offset(self):
        return self.layers[0].offset if self.layers else 0

    def reset(self):
        for layer in self.layers:
            layer.reset()

    def memory_bytes(self):
        return sum(layer.memory_bytes() for layer in self.layers)


def kv_cache_bytes_per_token(cfg, bytes_per_value=4):
    """Bytes que cada token ocupa no cache: 2 (K e V) x n_layers x emb_dim x bytes por número.

    As cabeças não mudam a conta: H cabeças de head_dim = emb_dim / H números cada.
    """
    return 2 * cfg["n_layers"] * cfg["emb_dim"] * bytes_per_value
