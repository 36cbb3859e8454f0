import pytest
import torch

from gptlab_helpers import get_tokenizer, text_to_token_ids, token_ids_to_text
from gptlab_helpers.training.char_tokenizer import CharTokenizer

TEXT = "A figura é poética, mas não é a da heroína do romance.\n"


@pytest.fixture
def char_tokenizer():
    return CharTokenizer.from_text(TEXT)


def test_vocabulary_is_sorted_distinct_characters(char_tokenizer):
    assert char_tokenizer.chars == sorted(set(TEXT))
    assert char_tokenizer.n_vocab == len(set(TEXT)) == 24
    assert char_tokenizer.encode("\n A") == [0, 1, 4]  # '\n' < ' ' < ',' < '.' < 'A'


def test_encode_decode_round_trip(char_tokenizer):
    ids = char_tokenizer.encode(TEXT)
    assert len(ids) == len(TEXT)  # um token por caractere
    assert char_tokenizer.decode(ids) == TEXT
    assert char_tokenizer.decode(torch.tensor(ids)) == TEXT


def test_unknown_character_error_names_it(char_tokenizer):
    with pytest.raises(
        ValueError, match=r"o caractere 'z' \(posição 3 do texto\) não está no vocabulário de 24"
    ):
        char_tokenizer.encode("A fz")


def test_decode_rejects_bad_ids(char_tokenizer):
    with pytest.raises(ValueError, match=r"o ID 24 está fora do vocabulário \[0, 24\)"):
        char_tokenizer.decode([0, 24])
    with pytest.raises(ValueError, match="decodifique uma linha de cada vez"):
        char_tokenizer.decode(torch.zeros(2, 3, dtype=torch.long))


def test_save_and_load(char_tokenizer, tmp_path):
    path = tmp_path / "vocab.json"
    char_tokenizer.save(path)
    loaded = CharTokenizer.load(path)
    assert loaded == char_tokenizer
    assert loaded.encode(TEXT) == char_tokenizer.encode(TEXT)


def test_rejects_bad_vocabularies():
    with pytest.raises(ValueError, match="vazio"):
        CharTokenizer.from_text("")
    with pytest.raises(ValueError, match="repete os caracteres \\['a'\\]"):
        CharTokenizer(["a", "b", "a"])
    with pytest.raises(ValueError, match="um caractere só"):
        CharTokenizer(["ab", "c"])
    with pytest.raises(TypeError, match="text deve ser uma string"):
        CharTokenizer.from_text(["a"])


@pytest.mark.parametrize("kind", ["char", "gpt2"])
def test_same_interface_as_gpt2_bpe(kind, char_tokenizer):
    tokenizer = char_tokenizer if kind == "char" else get_tokenizer("gpt2")
    ids = tokenizer.encode(TEXT)
    assert isinstance(ids, list) and all(isinstance(i, int) for i in ids)
    assert all(0 <= i < tokenizer.n_vocab for i in ids)
    assert tokenizer.decode(ids) == TEXT
    batch = text_to_token_ids(TEXT, tokenizer)
    assert batch.shape == (1, len(ids))
    assert token_ids_to_text(batch, tokenizer) == TEXT


def test_characters_make_longer_sequences_than_bpe(char_tokenizer):
    assert len(char_tokenizer.encode(TEXT)) > 2 * len(get_tokenizer("gpt2").encode(TEXT))
