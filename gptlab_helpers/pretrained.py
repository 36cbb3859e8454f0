"""Carregar os pesos oficiais do GPT-2 (formato Hugging Face) num GPTModel nosso.

Quem tem internet pode baixar o `GPT2LMHeadModel` do Hugging Face e passar o seu
`state_dict()` para `load_gpt2_weights`: o texto gerado deixa de ser aleatório.
"""

import torch

# Camadas Conv1D do GPT-2 guardam o peso como (entrada, saída); nn.Linear usa (saída, entrada).
CONV1D_SUFFIXES = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")


def strip_prefix(state_dict):
    """Aceita chaves de GPT2LMHeadModel ('transformer.h.0...') e de GPT2Model ('h.0...')."""
    cleaned = {}
    for key, value in state_dict.items():
        key = key.removeprefix("transformer.")
        if key.endswith(("attn.bias", "attn.masked_bias")) and not key.endswith("c_attn.bias"):
            continue  # buffers da máscara causal em versões antigas: não são pesos
        cleaned[key] = value
    return cleaned


def take(hf, key, expected_shape, transpose=False):
    """Tira `key` do state dict do Hugging Face, conferindo a forma."""
    if key not in hf:
        raise KeyError(f"a chave {key!r} não está no state dict; é um GPT-2 do Hugging Face?")
    tensor = hf.pop(key)
    if transpose:
        tensor = tensor.t()
    if tuple(tensor.shape) != tuple(expected_shape):
        raise ValueError(
            f"a chave {key!r} tem forma {tuple(tensor.shape)}, mas o modelo espera "
            f"{tuple(expected_shape)}; confira se a configuração (emb_dim, n_layers, "
            "context_length, vocab_size) é a do mesmo tamanho de GPT-2"
        )
    return tensor


def hf_to_gptmodel_state_dict(model, state_dict):
    """Traduz as chaves e formas do Hugging Face para as do nosso GPTModel."""
    if not model.cfg["qkv_bias"]:
        raise ValueError(
            "os pesos do GPT-2 têm bias em query, key e value: crie o modelo com "
            "qkv_bias=True, por exemplo get_gpt2_config('small', qkv_bias=True)"
        )
    hf = strip_prefix(state_dict)
    ours = model.state_dict()
    emb = model.cfg["emb_dim"]
    new = {
        "tok_emb.weight": take(hf, "wte.weight", ours["tok_emb.weight"].shape),
        "pos_emb.weight": take(hf, "wpe.weight", ours["pos_emb.weight"].shape),
        "final_norm.scale": take(hf, "ln_f.weight", (emb,)),
        "final_norm.shift": take(hf, "ln_f.bias", (emb,)),
    }
    for i in range(model.cfg["n_layers"]):
        hf_block, block = f"h.{i}.", f"trf_blocks.{i}."
        qkv_w = take(hf, hf_block + "attn.c_attn.weight", (3 * emb, emb), transpose=True)
        qkv_b = take(hf, hf_block + "attn.c_attn.bias", (3 * emb,))
        for name, w, b in zip(("W_query", "W_key", "W_value"), qkv_w.chunk(3), qkv_b.chunk(3)):
            new[f"{block}att.{name}.weight"], new[f"{block}att.{name}.bias"] = w, b
        pairs = {
            "att.out_proj": ("attn.c_proj", (emb, emb)),
            "ff.layers.0": ("mlp.c_fc", (4 * emb, emb)),
            "ff.layers.2": ("mlp.c_proj", (emb, 4 * emb)),
        }
        for ours_name, (hf_name, shape) in pairs.items():
            new[f"{block}{ours_name}.weight"] = take(hf, f"{hf_block}{hf_name}.weight", shape, transpose=True)
            new[f"{block}{ours_name}.bias"] = take(hf, f"{hf_block}{hf_name}.bias", (shape[0],))
        for norm, ln in (("norm1", "ln_1"), ("norm2", "ln_2")):
            new[f"{block}{norm}.scale"] = take(hf, f"{hf_block}{ln}.weight", (emb,))
            new[f"{block}{norm}.shift"] = take(hf, f"{hf_block}{ln}.bias", (emb,))
    # O GPT-2 amarra a cabeça de saída ao embedding de tokens; lm_head, se vier, é a mesma matriz.
    head = hf.pop("lm_head.weight", new["tok_emb.weight"])
    new["out_head.weight"] = head
    if hf:
        extra = ", ".join(sorted(hf)[:5])
        raise KeyError(
            f"chaves que o modelo não usa: {extra}; o state dict tem mais camadas que "
            f"n_layers={model.cfg['n_layers']}?"
        )
    for key, value in ours.items():
        if key.endswith(".mask"):
            new[key] = value  # a máscara causal é nossa, não vem do GPT-2
    return new


def load_gpt2_weights(model, state_dict):
    """Copia um state dict do GPT-2 (Hugging Face) para `model` e devolve o modelo."""
    new = hf_to_gptmodel_state_dict(model, state_dict)
    with torch.no_grad():
        model.load_state_dict({key: value.detach().clone() for key, value in new.items()})
    return model
