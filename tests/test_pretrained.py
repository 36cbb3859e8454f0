"""Round trip de um state dict no formato do Hugging Face GPT2LMHeadModel."""

import pytest
import torch

from gptlab_helpers import GPTModel, load_gpt2_weights


def fake_hf_state_dict(cfg, seed=0):
    """Um state dict aleatório com as chaves e formas do GPT2LMHeadModel (Conv1D: entrada x saída)."""
    generator = torch.Generator().manual_seed(seed)

    def rand(*shape):
        return torch.randn(*shape, generator=generator)

    emb, vocab = cfg["emb_dim"], cfg["vocab_size"]
    sd = {
        "transformer.wte.weight": rand(vocab, emb),
        "transformer.wpe.weight": rand(cfg["context_length"], emb),
    }
    for i in range(cfg["n_layers"]):
        p = f"transformer.h.{i}."
        sd |= {
            p + "ln_1.weight": rand(emb), p + "ln_1.bias": rand(emb),
            p + "attn.bias": torch.ones(1, 1, cfg["context_length"], cfg["context_length"]),
            p + "attn.c_attn.weight": rand(emb, 3 * emb), p + "attn.c_attn.bias": rand(3 * emb),
            p + "attn.c_proj.weight": rand(emb, emb), p + "attn.c_proj.bias": rand(emb),
            p + "ln_2.weight": rand(emb), p + "ln_2.bias": rand(emb),
            p + "mlp.c_fc.weight": rand(emb, 4 * emb), p + "mlp.c_fc.bias": rand(4 * emb),
            p + "mlp.c_proj.weight": rand(4 * emb, emb), p + "mlp.c_proj.bias": rand(emb),
        }  # fmt: skip
    sd |= {"transformer.ln_f.weight": rand(emb), "transformer.ln_f.bias": rand(emb)}
    sd["lm_head.weight"] = sd["transformer.wte.weight"]
    return sd


def reference_forward(sd, cfg, idx):
    """Um forward do GPT-2 escrito direto sobre as matrizes do Hugging Face, para comparar."""
    emb, heads = cfg["emb_dim"], cfg["n_heads"]
    ln = torch.nn.functional.layer_norm
    x = sd["transformer.wte.weight"][idx] + sd["transformer.wpe.weight"][: idx.shape[1]]
    T = idx.shape[1]
    for i in range(cfg["n_layers"]):
        p = f"transformer.h.{i}."
        h = ln(x, (emb,), sd[p + "ln_1.weight"], sd[p + "ln_1.bias"])
        q, k, v = (h @ sd[p + "attn.c_attn.weight"] + sd[p + "attn.c_attn.bias"]).split(emb, dim=-1)
        q, k, v = (t.view(1, T, heads, emb // heads).transpose(1, 2) for t in (q, k, v))
        att = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
        att = att.transpose(1, 2).reshape(1, T, emb)
        x = x + att @ sd[p + "attn.c_proj.weight"] + sd[p + "attn.c_proj.bias"]
        h = ln(x, (emb,), sd[p + "ln_2.weight"], sd[p + "ln_2.bias"])
        h = torch.nn.functional.gelu(
            h @ sd[p + "mlp.c_fc.weight"] + sd[p + "mlp.c_fc.bias"], approximate="tanh"
        )
        x = x + h @ sd[p + "mlp.c_proj.weight"] + sd[p + "mlp.c_proj.bias"]
    x = ln(x, (emb,), sd["transformer.ln_f.weight"], sd["transformer.ln_f.bias"])
    return x @ sd["lm_head.weight"].T


@pytest.fixture
def cfg(tiny_cfg):
    return dict(tiny_cfg, qkv_bias=True)


def test_round_trip_gives_the_same_logits(cfg):
    sd = fake_hf_state_dict(cfg)
    model = load_gpt2_weights(GPTModel(cfg).eval(), sd)
    idx = torch.tensor([[3, 1, 4, 1, 5, 9]])
    torch.testing.assert_close(model(idx), reference_forward(sd, cfg, idx), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(
        model.trf_blocks[1].att.W_key.weight, sd["transformer.h.1.attn.c_attn.weight"][:, 16:32].T
    )


def test_accepts_gpt2model_keys_without_prefix_or_head(cfg):
    sd = {
        k.removeprefix("transformer."): v for k, v in fake_hf_state_dict(cfg).items() if k != "lm_head.weight"
    }
    model = load_gpt2_weights(GPTModel(cfg), sd)
    torch.testing.assert_close(model.out_head.weight, sd["wte.weight"])


def test_needs_qkv_bias(tiny_cfg):
    with pytest.raises(ValueError, match="qkv_bias=True"):
        load_gpt2_weights(GPTModel(tiny_cfg), fake_hf_state_dict(tiny_cfg))


def test_shape_mismatch_names_the_key(cfg):
    sd = fake_hf_state_dict(dict(cfg, context_length=16))
    with pytest.raises(
        ValueError, match="'wpe.weight' tem forma \\(16, 16\\), mas o modelo espera \\(8, 16\\)"
    ):
        load_gpt2_weights(GPTModel(cfg), sd)


def test_missing_key_is_named(cfg):
    sd = fake_hf_state_dict(cfg)
    del sd["transformer.h.1.mlp.c_fc.bias"]
    with pytest.raises(KeyError, match="h.1.mlp.c_fc.bias"):
        load_gpt2_weights(GPTModel(cfg), sd)


def test_extra_layers_are_reported(cfg):
    sd = fake_hf_state_dict(dict(cfg, n_layers=3))
    with pytest.raises(KeyError, match="chaves que o modelo não usa: h.2"):
        load_gpt2_weights(GPTModel(cfg), sd)
