"""Aula 14: os pesos oficiais do GPT-2 (formato do Hugging Face) num GPTModel nosso.

`load_pretrained_gpt2("small")` baixa `config.json` e `model.safetensors` do Hugging Face Hub
(`openai-community/gpt2`, `-medium`, `-large`, `-xl`) com `huggingface_hub`, lê os tensores com
`safetensors` e os copia para um `GPTModel` com `load_gpt2_weights`; a biblioteca
`transformers` não é necessária. Sem internet, ele avisa e segue com um GPT-2 minúsculo de
pesos aleatórios (`write_tiny_gpt2`), que passa pelo mesmo caminho de carga.
"""

import json
import os
import socket
import tempfile
import warnings
from pathlib import Path
from urllib.parse import urlparse

import torch
from safetensors.torch import load_file, save_file
from tqdm import TqdmWarning

from .config import get_gpt2_config, gpt2_size_name, validate_config
from .gpt import GPTModel

with warnings.catch_warnings():
    # sem ipywidgets, o tqdm.auto do huggingface_hub avisa (em vermelho) e usa a barra de texto,
    # que funciona do mesmo jeito: o aviso só assustaria quem abre o notebook
    warnings.simplefilter("ignore", TqdmWarning)
    from huggingface_hub import constants as hub_constants
    from huggingface_hub import hf_hub_download

# tamanho (o nome de GPT2_SIZES) -> repositório do Hugging Face Hub com os pesos da OpenAI
GPT2_REPO_IDS = {
    "gpt2-small (124M)": "openai-community/gpt2",
    "gpt2-medium (355M)": "openai-community/gpt2-medium",
    "gpt2-large (774M)": "openai-community/gpt2-large",
    "gpt2-xl (1558M)": "openai-community/gpt2-xl",
}
CONFIG_FILE, WEIGHTS_FILE = "config.json", "model.safetensors"
# as dimensões do GPT-2 mínimo de reserva (pesos aleatórios, só para o caminho de carga rodar)
TINY_GPT2_CONFIG = {"vocab_size": 50257, "n_positions": 128, "n_embd": 16, "n_layer": 2, "n_head": 2}

# Os nomes do GPT-2 do Hugging Face -> os nossos, peça por peça (o exercício 14.1 pede esta
# tabela). "h.N." é o bloco N (trf_blocks.N.); nas normas, weight e bias viram scale e shift.
HF_MODULE_NAMES = {
    "wte": "tok_emb",
    "wpe": "pos_emb",
    "ln_f": "final_norm",
    "ln_1": "norm1",
    "ln_2": "norm2",
    "attn.c_proj": "att.out_proj",
    "mlp.c_fc": "ff.layers.0",
    "mlp.c_proj": "ff.layers.2",
}
NORM_PARAMETER_NAMES = {"weight": "scale", "bias": "shift"}
# As camadas Conv1D do GPT-2 guardam o peso como (entrada, saída); nn.Linear usa (saída, entrada).
CONV1D_MODULES = ("attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj")
# c_attn junta W_query, W_key e W_value numa matriz só (3C saídas): ela é dividida em três
QKV_MODULE, QKV_NAMES = "attn.c_attn", ("att.W_query", "att.W_key", "att.W_value")


def split_hf_key(key):
    """'h.0.ln_1.weight' -> ('trf_blocks.0.', 'ln_1', 'weight'); 'wte.weight' -> ('', 'wte', 'weight')."""
    prefix = ""
    if key.startswith("h."):
        _, number, key = key.split(".", 2)
        prefix = f"trf_blocks.{number}."
    module, parameter = key.rsplit(".", 1)
    return prefix, module, parameter


def hf_key_to_ours(key):
    """Uma chave do GPT-2 do Hugging Face -> a do nosso GPTModel: 'h.0.ln_1.weight' -> 'trf_blocks.0.norm1.scale'.

    Vale para todas as chaves menos as de `attn.c_attn`, que viram três (veja `translated_tensors`).
    """
    prefix, module, parameter = split_hf_key(key)
    if module not in HF_MODULE_NAMES:
        raise KeyError(f"a chave {key!r} não é de um GPT-2 do Hugging Face (ou é de c_attn, que vira três)")
    if module.startswith("ln_"):
        parameter = NORM_PARAMETER_NAMES[parameter]
    return f"{prefix}{HF_MODULE_NAMES[module]}.{parameter}"


def ours_key_to_hf(key):
    """O inverso de `hf_key_to_ours`, para as mensagens: 'trf_blocks.1.ff.layers.0.bias' -> 'h.1.mlp.c_fc.bias'."""
    prefix, rest = "", key
    if key.startswith("trf_blocks."):
        _, number, rest = key.split(".", 2)
        prefix = f"h.{number}."
    module, parameter = rest.rsplit(".", 1)
    if module in QKV_NAMES:
        return f"{prefix}{QKV_MODULE}.{parameter}"
    hf_module = {ours: hf for hf, ours in HF_MODULE_NAMES.items()}[module]
    if hf_module.startswith("ln_"):
        parameter = {ours: hf for hf, ours in NORM_PARAMETER_NAMES.items()}[parameter]
    return f"{prefix}{hf_module}.{parameter}"


def strip_prefix(state_dict):
    """Aceita chaves de GPT2LMHeadModel ('transformer.h.0...') e de GPT2Model ('h.0...')."""
    cleaned = {}
    for key, value in state_dict.items():
        key = key.removeprefix("transformer.")
        if key.endswith(("attn.bias", "attn.masked_bias")) and not key.endswith("c_attn.bias"):
            continue  # buffers da máscara causal em versões antigas: não são pesos
        cleaned[key] = value
    return cleaned


def translated_tensors(key, tensor):
    """Os pares (nossa chave, tensor no nosso formato) de uma chave do Hugging Face."""
    prefix, module, parameter = split_hf_key(key)
    if module in CONV1D_MODULES and parameter == "weight":
        tensor = tensor.t()  # (entrada, saída) -> (saída, entrada)
    if module == QKV_MODULE:
        return [(f"{prefix}{name}.{parameter}", part) for name, part in zip(QKV_NAMES, tensor.chunk(3))]
    return [(hf_key_to_ours(key), tensor)]


def hf_to_gptmodel_state_dict(model, state_dict):
    """Traduz as chaves e formas do Hugging Face para as do nosso GPTModel, conferindo cada forma."""
    if not model.cfg["qkv_bias"]:
        raise ValueError(
            "os pesos do GPT-2 têm bias em query, key e value: crie o modelo com "
            "qkv_bias=True, por exemplo get_gpt2_config('small', qkv_bias=True)"
        )
    hf = strip_prefix(state_dict)
    # o GPT-2 amarra a cabeça de saída ao embedding de tokens; lm_head, se vier, é a mesma matriz
    head = hf.pop("lm_head.weight", None)
    ours = {key: value for key, value in model.state_dict().items() if not key.endswith(".mask")}
    new = {}
    for key, tensor in hf.items():
        for our_key, value in translated_tensors(key, tensor):
            if our_key not in ours:
                raise KeyError(
                    f"chaves que o modelo não usa: {key}; o state dict tem mais camadas que "
                    f"n_layers={model.cfg['n_layers']}?"
                )
            if value.shape != ours[our_key].shape:
                raise ValueError(
                    f"a chave {key!r} tem forma {tuple(value.shape)}, mas o modelo espera "
                    f"{tuple(ours[our_key].shape)}; confira se a configuração (emb_dim, n_layers, "
                    "context_length, vocab_size) é a do mesmo tamanho de GPT-2"
                )
            new[our_key] = value
    new["out_head.weight"] = new["tok_emb.weight"] if head is None else head
    missing = sorted(set(ours) - set(new))
    if missing:
        raise KeyError(
            f"faltou a chave {ours_key_to_hf(missing[0])!r} no state dict (a {missing[0]!r} do nosso "
            "modelo); é o state dict de um GPT-2 inteiro?"
        )
    return new


def load_gpt2_weights(model, state_dict):
    """Copia um state dict do GPT-2 (Hugging Face) para `model` e devolve o modelo."""
    new = hf_to_gptmodel_state_dict(model, state_dict)
    with torch.no_grad():
        # strict=False só pelas máscaras causais: são buffers nossos, não vêm do GPT-2
        model.load_state_dict({key: value.detach().clone() for key, value in new.items()}, strict=False)
    return model


# --- baixar do Hugging Face Hub ------------------------------------------------------------
class GPT2DownloadError(RuntimeError):
    """Não foi possível baixar os pesos (sem internet, modo offline ou erro do Hub)."""


def gpt2_repo_id(size):
    """O repositório do Hub de um tamanho: "small" -> "openai-community/gpt2"."""
    return GPT2_REPO_IDS[gpt2_size_name(size)]


def hub_is_reachable(timeout=5.0):
    """True se dá para abrir uma conexão com o Hub (ou HF_ENDPOINT) em até `timeout` segundos.

    Sem essa conferência rápida, o `hf_hub_download` tenta de novo várias vezes antes de
    desistir, e um notebook sem internet ficaria meio minuto parado.
    """
    url = urlparse(hub_constants.ENDPOINT)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        with socket.create_connection((url.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def hub_offline_mode():
    """True se HF_HUB_OFFLINE=1 (ou TRANSFORMERS_OFFLINE=1): nada de rede, só o cache."""
    return bool(hub_constants.HF_HUB_OFFLINE)


def download_gpt2(size="small", cache_dir=None, timeout=10.0):
    """Baixa `config.json` e `model.safetensors` do GPT-2 `size`; devolve a pasta dos dois.

    Usa o cache do Hugging Face (`~/.cache/huggingface`, ou `cache_dir`): a segunda vez não
    baixa nada, e um arquivo já baixado é usado mesmo sem internet. O download mostra a barra
    de progresso do `huggingface_hub`. Levanta `GPT2DownloadError` se não houver como obter
    os arquivos.
    """
    repo_id = gpt2_repo_id(size)
    offline = hub_offline_mode() or not hub_is_reachable(timeout)
    try:
        paths = [
            hf_hub_download(
                repo_id, name, cache_dir=cache_dir, etag_timeout=timeout, local_files_only=offline
            )
            for name in (CONFIG_FILE, WEIGHTS_FILE)
        ]
    except OSError as error:  # sem conexão, arquivo fora do cache, erro HTTP do Hub
        reason = "sem conexão com " + hub_constants.ENDPOINT if offline else f"o Hub respondeu: {error}"
        if hub_offline_mode():
            reason = "o modo offline do Hugging Face está ligado (HF_HUB_OFFLINE=1)"
        raise GPT2DownloadError(
            f"não consegui baixar {repo_id} ({reason}), e os arquivos não estão no cache. "
            "O download precisa de internet (uma vez só: depois fica no cache)."
        ) from error
    folder = Path(paths[1]).parent
    check_config_size(read_config(folder), size)
    return folder


def read_config(folder):
    """O `config.json` (formato do Hugging Face) de uma pasta de pesos, como dict."""
    path = Path(folder) / CONFIG_FILE
    if not path.is_file():
        raise FileNotFoundError(f"não encontrei {path}; a pasta deve ter {CONFIG_FILE} e {WEIGHTS_FILE}")
    return json.loads(path.read_text(encoding="utf-8"))


def config_from_hf(hf_config, fast_kernels=False):
    """Traduz um `config.json` do GPT-2 (n_embd, n_layer...) para a nossa configuração.

    `fast_kernels=True` liga o caminho rápido (`cfg["fast_kernels"]`): os mesmos pesos, geração
    mais rápida na CPU.
    """
    try:
        cfg = {
            "vocab_size": hf_config["vocab_size"],
            "context_length": hf_config["n_positions"],
            "emb_dim": hf_config["n_embd"],
            "n_heads": hf_config["n_head"],
            "n_layers": hf_config["n_layer"],
            "drop_rate": 0.1,  # só vale no treino; para gerar texto o modelo fica em eval()
            "qkv_bias": True,  # o GPT-2 da OpenAI tem bias em query, key e value
        }
    except KeyError as error:
        raise KeyError(f"o config.json não tem a chave {error}; é a configuração de um GPT-2?") from None
    if fast_kernels:
        cfg["fast_kernels"] = True
    return validate_config(cfg)


def check_config_size(hf_config, size):
    """Confere que o config.json baixado tem as dimensões do tamanho pedido."""
    expected = get_gpt2_config(size, qkv_bias=True)
    got = config_from_hf(hf_config)
    different = [key for key in ("emb_dim", "n_layers", "n_heads") if got[key] != expected[key]]
    if different:
        raise ValueError(
            f"o config.json baixado não é do {gpt2_size_name(size)}: "
            + ", ".join(f"{key} = {got[key]} (esperava {expected[key]})" for key in different)
        )


def load_gpt2_folder(folder, device="cpu", fast_kernels=False):
    """GPTModel com os pesos de uma pasta com config.json e model.safetensors, em modo eval."""
    cfg = config_from_hf(read_config(folder), fast_kernels)
    model = GPTModel(cfg)
    load_gpt2_weights(model, load_file(str(Path(folder) / WEIGHTS_FILE)))
    return model.to(device).eval()


# --- o GPT-2 minúsculo de reserva ------------------------------------------------------------
def tiny_gpt2_state_dict(hf_config, seed=0, std=0.02, prefix=""):
    """Pesos aleatórios com as chaves e formas do Hugging Face (Conv1D: entrada x saída).

    Matrizes e bias sorteados de uma normal com desvio `std` (0,02 é o da inicialização do
    GPT-2); as normas, em torno de 1 (scale) e de 0 (shift). Inclui o buffer `attn.bias` da
    máscara causal, como nos arquivos do Hub. `prefix="transformer."` dá as chaves do
    GPT2LMHeadModel.
    """
    generator = torch.Generator().manual_seed(seed)
    emb, positions = hf_config["n_embd"], hf_config["n_positions"]

    def normal(*shape, mean=0.0):
        return mean + torch.randn(*shape, generator=generator) * std

    mask = torch.tril(torch.ones(positions, positions)).view(1, 1, positions, positions)
    state = {"wte.weight": normal(hf_config["vocab_size"], emb), "wpe.weight": normal(positions, emb)}
    for i in range(hf_config["n_layer"]):
        block = f"h.{i}."
        state |= {
            block + "ln_1.weight": normal(emb, mean=1.0), block + "ln_1.bias": normal(emb),
            block + "attn.bias": mask,
            block + "attn.c_attn.weight": normal(emb, 3 * emb), block + "attn.c_attn.bias": normal(3 * emb),
            block + "attn.c_proj.weight": normal(emb, emb), block + "attn.c_proj.bias": normal(emb),
            block + "ln_2.weight": normal(emb, mean=1.0), block + "ln_2.bias": normal(emb),
            block + "mlp.c_fc.weight": normal(emb, 4 * emb), block + "mlp.c_fc.bias": normal(4 * emb),
            block + "mlp.c_proj.weight": normal(4 * emb, emb), block + "mlp.c_proj.bias": normal(emb),
        }  # fmt: skip
    state |= {"ln_f.weight": normal(emb, mean=1.0), "ln_f.bias": normal(emb)}
    return {prefix + key: value for key, value in state.items()}


def write_tiny_gpt2(folder, seed=0, hf_config=None):
    """Grava na pasta um GPT-2 minúsculo de pesos ALEATÓRIOS: config.json e model.safetensors.

    Tem o vocabulário do GPT-2 (o tokenizador funciona) e as chaves do Hub, então passa pelo
    mesmo `load_gpt2_folder` dos pesos de verdade; só o texto gerado não faz sentido. A
    gravação é atômica (arquivo temporário + os.replace). Devolve a pasta.
    """
    hf_config = dict(TINY_GPT2_CONFIG if hf_config is None else hf_config, model_type="gpt2")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights = folder / WEIGHTS_FILE
    temporary = folder / f".{WEIGHTS_FILE}.{os.getpid()}.tmp"
    # clone: save_file recusa tensores que dividem memória (a mesma máscara em todos os blocos)
    state = {key: value.clone() for key, value in tiny_gpt2_state_dict(hf_config, seed).items()}
    save_file(state, str(temporary))
    os.replace(temporary, weights)
    temporary = folder / f".{CONFIG_FILE}.{os.getpid()}.tmp"
    temporary.write_text(json.dumps(hf_config, indent=2), encoding="utf-8")
    os.replace(temporary, folder / CONFIG_FILE)
    return folder


def load_pretrained_gpt2(
    size="small", cache_dir=None, timeout=10.0, fallback_dir=None, device="cpu", fast_kernels=False
):
    """O GPT-2 `size` com os pesos da OpenAI; sem internet, o minúsculo aleatório.

    Devolve (model, is_real): `is_real` é False quando o download falhou e o modelo é o de
    reserva (o aviso, em português, é impresso). `size` aceita "small", "medium", "large",
    "xl" ou o nome completo de GPT2_SIZES (ex.: "gpt2-medium (355M)"). `fast_kernels=True`
    monta o modelo com o caminho rápido (`layers.LinearFast` e kernels fundidos): os mesmos
    tokens, gerados mais depressa.
    """
    try:
        folder = download_gpt2(size, cache_dir, timeout)
    except GPT2DownloadError as error:
        print(
            f"Aviso: {error}\n"
            "Sigo com um GPT-2 MINÚSCULO de pesos ALEATÓRIOS (mesmo formato e mesmo código de carga): "
            "o notebook roda até o fim, mas o texto gerado não faz sentido. "
            "Com internet, rode de novo esta célula para usar os pesos de verdade."
        )
        fallback_dir = fallback_dir or Path(tempfile.gettempdir()) / "gptlab_gpt2_minusculo"
        return load_gpt2_folder(write_tiny_gpt2(fallback_dir), device, fast_kernels), False
    return load_gpt2_folder(folder, device, fast_kernels), True
