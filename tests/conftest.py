"""Fixtures comuns: os valores impressos na aula e objetos caros criados uma vez só."""

import json
from pathlib import Path

import pytest
import torch

from gptlab_helpers import GPT_CONFIG_124M, GPTModel, get_tokenizer, text_to_token_ids

LESSON_VALUES = Path(__file__).resolve().parent / "data" / "lesson_values.json"


def pytest_collection_modifyitems(items):
    """As células que o nbval reexecuta (notebooks/, solutions/) ganham o marcador `notebooks`."""
    for item in items:
        if type(item).__module__.startswith("nbval"):
            item.add_marker(pytest.mark.notebooks)
            item.add_marker(pytest.mark.kernels)


@pytest.fixture(scope="session")
def lesson():
    """Os números que a aula imprime, copiados do material do curso para tests/data/."""
    return json.loads(LESSON_VALUES.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def tokenizer():
    return get_tokenizer("gpt2")


@pytest.fixture(scope="session")
def batch(lesson, tokenizer):
    """O lote de dois textos da aula, (2, 4)."""
    return torch.cat([text_to_token_ids(text, tokenizer) for text in lesson["batch"]["texts"]])


@pytest.fixture(scope="session")
def gpt_124m_and_logits(batch):
    """GPTModel(GPT_CONFIG_124M) com seed 123 e a saída de um forward em modo treino, como na aula."""
    torch.manual_seed(123)
    model = GPTModel(GPT_CONFIG_124M)
    logits = model(batch)
    return model, logits.detach()


@pytest.fixture
def tiny_cfg():
    """Um GPT minúsculo para testes rápidos."""
    return {
        "vocab_size": 50,
        "context_length": 8,
        "emb_dim": 16,
        "n_heads": 4,
        "n_layers": 2,
        "drop_rate": 0.0,
        "qkv_bias": False,
    }


@pytest.fixture
def text_file(tmp_path):
    """Os primeiros 20 mil caracteres do conto de Machado num arquivo: texto de sobra para treinos de teste."""
    path = tmp_path / "trecho.txt"
    corpus = Path(__file__).resolve().parents[1] / "corpus" / "machado_de_assis_conto.txt"
    with open(corpus, encoding="utf-8") as file:
        path.write_text(file.read(20_000), encoding="utf-8")
    return path
