"""O GPT-2 do Hugging Face na forma de uma configuração nossa, para os benchmarks compararem.

Usado por `benchmark_generation.py` e `benchmark_training.py --peer hf`; precisa do extra
`bench` (pip install -e ".[bench]").
"""


def hf_gpt2(cfg, **options):
    """GPT2LMHeadModel com a forma de `cfg` (um dict como GPT_CONFIG_124M), pesos aleatórios.

    A cabeça de saída não é amarrada ao embedding, como o nosso `out_head`: os dois modelos têm
    o mesmo número de parâmetros. `options` vai para o `GPT2Config` (por exemplo, use_cache).
    """
    from transformers import GPT2Config, GPT2LMHeadModel

    drop_rate = cfg.get("drop_rate", 0.0)
    config = GPT2Config(
        vocab_size=cfg["vocab_size"],
        n_positions=cfg["context_length"],
        n_embd=cfg["emb_dim"],
        n_layer=cfg["n_layers"],
        n_head=cfg["n_heads"],
        resid_pdrop=drop_rate,
        embd_pdrop=drop_rate,
        attn_pdrop=drop_rate,
        tie_word_embeddings=False,
        bos_token_id=None,  # os IDs especiais do GPT-2 (50256) não existem num vocabulário menor
        eos_token_id=None,
        **options,
    )
    return GPT2LMHeadModel(config)
