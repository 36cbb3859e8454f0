"""Pesos do GPT-2 no formato do Hugging Face: a tradução das chaves e o download (sem rede).

Nenhum teste usa a internet: `hf_hub_download` é trocado por uma função que copia de uma
pasta local escrita pelo próprio teste (o GPT-2 minúsculo de `write_tiny_gpt2`).
"""

import json
import shutil

import pytest
import torch
from huggingface_hub.errors import LocalEntryNotFoundError

from gptlab_helpers import GPTModel, load_gpt2_weights, pretrained
from gptlab_helpers.config import GPT2_SIZES
from gptlab_helpers.pretrained import (
    GPT2DownloadError,
    download_gpt2,
    gpt2_repo_id,
    load_gpt2_folder,
    load_pretrained_gpt2,
    tiny_gpt2_state_dict,
    write_tiny_gpt2,
)
from gptlab_helpers.variants.fast import LinearFast


def hf_config_of(cfg):
    """A nossa configuração no formato do config.json do Hugging Face."""
    return {
        "vocab_size": cfg["vocab_size"],
        "n_positions": cfg["context_length"],
        "n_embd": cfg["emb_dim"],
        "n_layer": cfg["n_layers"],
        "n_head": cfg["n_heads"],
    }


def fake_hf_state_dict(cfg, seed=0):
    """Um state dict aleatório (desvio 1) com as chaves e formas do GPT2LMHeadModel."""
    sd = tiny_gpt2_state_dict(hf_config_of(cfg), seed, std=1.0, prefix="transformer.")
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


# --- download e carga (sem rede) ---------------------------------------------------------
@pytest.mark.parametrize(
    ("size", "repo_id"),
    [
        ("small", "openai-community/gpt2"),
        ("gpt2-small (124M)", "openai-community/gpt2"),
        ("medium", "openai-community/gpt2-medium"),
        ("gpt2-large (774M)", "openai-community/gpt2-large"),
        ("xl", "openai-community/gpt2-xl"),
    ],
)
def test_repo_id_of_each_size(size, repo_id):
    assert gpt2_repo_id(size) == repo_id


def test_every_size_has_a_repository():
    assert sorted(pretrained.GPT2_REPO_IDS) == sorted(GPT2_SIZES)


def test_unknown_size_is_explained():
    with pytest.raises(ValueError, match="tamanho de GPT-2 desconhecido: 'gigante'"):
        gpt2_repo_id("gigante")


def test_tiny_checkpoint_loads_through_the_same_path_as_the_real_one(tmp_path, cfg):
    folder = write_tiny_gpt2(tmp_path / "mini", seed=3, hf_config=hf_config_of(cfg))
    assert sorted(path.name for path in folder.iterdir()) == ["config.json", "model.safetensors"]
    model = load_gpt2_folder(folder)
    assert not model.training
    assert model.cfg == dict(cfg, drop_rate=0.1)
    sd = {"transformer." + k: v for k, v in tiny_gpt2_state_dict(hf_config_of(cfg), seed=3).items()}
    sd["lm_head.weight"] = sd["transformer.wte.weight"]
    idx = torch.tensor([[3, 1, 4, 1, 5, 9]])
    torch.testing.assert_close(model(idx), reference_forward(sd, cfg, idx), atol=1e-5, rtol=1e-4)


def test_pretrained_weights_load_into_the_fast_path_too(tmp_path, cfg):
    folder = write_tiny_gpt2(tmp_path / "mini", seed=3, hf_config=hf_config_of(cfg))
    model, fast = load_gpt2_folder(folder), load_gpt2_folder(folder, fast_kernels=True)
    assert fast.cfg == dict(model.cfg, fast_kernels=True)
    assert isinstance(fast.out_head, LinearFast) and not isinstance(model.out_head, LinearFast)
    idx = torch.tensor([[3, 1, 4, 1, 5, 9]])
    with torch.no_grad():
        torch.testing.assert_close(fast(idx), model(idx), atol=1e-5, rtol=0)
        torch.testing.assert_close(fast(idx[:, :1]), model(idx[:, :1]), atol=1e-5, rtol=0)


class FakeHub:
    """Faz o papel de hf_hub_download: copia de uma pasta local e anota as chamadas."""

    def __init__(self, source, cache):
        self.source, self.cache, self.calls = source, cache, []

    def __call__(self, repo_id, filename, **options):
        self.calls.append((repo_id, filename, options))
        target = self.cache / repo_id.replace("/", "--") / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(self.source / filename, target)
        return str(target)


@pytest.fixture
def fake_hub(tmp_path, monkeypatch):
    """Um 'Hub' com um GPT-2 small de mentira: as dimensões de verdade num config.json, pesos minúsculos."""
    source = tmp_path / "hub"
    write_tiny_gpt2(source)
    hub = FakeHub(source, tmp_path / "cache")
    monkeypatch.setattr(pretrained, "hf_hub_download", hub)
    monkeypatch.setattr(pretrained, "hub_is_reachable", lambda timeout=5.0: True)
    return hub


def test_download_asks_the_hub_for_config_and_safetensors(fake_hub):
    with open(fake_hub.source / "config.json", encoding="utf-8") as file:
        hf_config = json.load(file)
    hf_config.update(n_embd=768, n_layer=12, n_head=12)  # as dimensões do small
    (fake_hub.source / "config.json").write_text(json.dumps(hf_config), encoding="utf-8")
    folder = download_gpt2("small", timeout=2.0)
    assert [(repo, name) for repo, name, _ in fake_hub.calls] == [
        ("openai-community/gpt2", "config.json"),
        ("openai-community/gpt2", "model.safetensors"),
    ]
    assert fake_hub.calls[0][2]["local_files_only"] is False
    assert fake_hub.calls[0][2]["etag_timeout"] == 2.0
    assert (folder / "model.safetensors").is_file()


def test_download_refuses_a_config_of_another_size(fake_hub):
    with pytest.raises(ValueError, match="não é do gpt2-medium \\(355M\\): emb_dim = 16 \\(esperava 1024\\)"):
        download_gpt2("medium")


def test_without_network_only_the_cache_is_tried(fake_hub, monkeypatch):
    monkeypatch.setattr(pretrained, "hub_is_reachable", lambda timeout=5.0: False)

    def offline(repo_id, filename, **options):
        assert options["local_files_only"] is True
        raise LocalEntryNotFoundError("fora do cache")

    monkeypatch.setattr(pretrained, "hf_hub_download", offline)
    with pytest.raises(
        GPT2DownloadError, match="sem conexão com https://huggingface.co.*precisa de internet"
    ):
        download_gpt2("small")


def test_offline_falls_back_to_the_tiny_random_model(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(pretrained, "hub_is_reachable", lambda timeout=5.0: False)

    def offline(repo_id, filename, **options):
        raise LocalEntryNotFoundError("fora do cache")

    monkeypatch.setattr(pretrained, "hf_hub_download", offline)
    model, is_real = load_pretrained_gpt2("small", fallback_dir=tmp_path / "reserva")
    assert is_real is False
    assert (
        model.cfg["vocab_size"] == 50257 and model.cfg["n_layers"] == pretrained.TINY_GPT2_CONFIG["n_layer"]
    )
    printed = capsys.readouterr().out
    assert "precisa de internet" in printed and "ALEATÓRIOS" in printed
    assert (tmp_path / "reserva" / "model.safetensors").is_file()


def test_hub_is_reachable_is_false_for_a_closed_port(monkeypatch):
    monkeypatch.setattr(pretrained.hub_constants, "ENDPOINT", "http://127.0.0.1:9")
    assert pretrained.hub_is_reachable(timeout=1.0) is False


def test_offline_mode_uses_only_the_cache_and_says_why(fake_hub, monkeypatch):
    monkeypatch.setattr(pretrained.hub_constants, "HF_HUB_OFFLINE", True)
    calls = []

    def offline(repo_id, filename, **options):
        calls.append(options["local_files_only"])
        raise LocalEntryNotFoundError("fora do cache")

    monkeypatch.setattr(pretrained, "hf_hub_download", offline)
    with pytest.raises(GPT2DownloadError, match="HF_HUB_OFFLINE=1"):
        download_gpt2("small")
    assert calls == [True]
