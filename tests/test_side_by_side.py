"""O treino lado a lado da aula 13: mesmo orçamento de tempo para cada modelo, mesmos lotes."""

import pytest
import torch

from gptlab_helpers import GPTModel
from gptlab_helpers.training.side_by_side import train_side_by_side

SETTINGS = {
    "batch_size": 4,
    "learning_rate": 1e-2,
    "warmup_steps": 2,
    "weight_decay": 0.1,
    "grad_clip": 1.0,
    "eval_batches": 2,
}


def text_ids(n=2000):
    # um texto com padrão fácil (contagem de 0 a 9 repetida), para a perda cair em poucos passos
    return torch.arange(n) % 10


@pytest.mark.slow
def test_each_model_gets_its_own_budget_and_learns(tiny_cfg):
    torch.manual_seed(0)
    models = {
        "gpt2": GPTModel(dict(tiny_cfg, vocab_size=10)),
        "moderno": GPTModel(dict(tiny_cfg, vocab_size=10, norm="rmsnorm", pos_encoding="rope")),
    }
    threads = torch.get_num_threads()
    histories = train_side_by_side(models, text_ids(), text_ids(500), 0.5, SETTINGS, evaluations=3)
    assert torch.get_num_threads() == threads  # a corrida devolve o número de linhas de execução
    for history in histories.values():
        assert set(history) == {"step", "seconds", "val_loss"}
        assert history["step"][0] == 0 and history["seconds"][0] == 0.0
        assert history["seconds"][-1] >= 0.5 and history["step"] == sorted(history["step"])
        assert 2 <= len(history["val_loss"]) <= 5
        assert history["val_loss"][-1] < history["val_loss"][0]


def test_identical_models_start_from_the_same_loss(tiny_cfg):
    cfg = dict(tiny_cfg, vocab_size=10)
    models = {}
    for name in ("a", "b"):
        torch.manual_seed(1)
        models[name] = GPTModel(cfg)
    histories = train_side_by_side(models, text_ids(), text_ids(500), 0.2, SETTINGS, evaluations=2)
    assert histories["a"]["val_loss"][0] == histories["b"]["val_loss"][0]


def test_budget_must_be_positive(tiny_cfg):
    with pytest.raises(ValueError, match="seconds"):
        train_side_by_side({"m": GPTModel(tiny_cfg)}, text_ids(), text_ids(500), 0, SETTINGS)
