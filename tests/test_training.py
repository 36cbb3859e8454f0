import math
from pathlib import Path

import pytest
import torch

import gptlab_helpers.training.loop as training
from gptlab_helpers import GPTModel, get_tokenizer
from gptlab_helpers.training import (
    CHAR_TRAIN_STEPS,
    learning_rate_at,
    load_checkpoint,
    load_trained_model,
    save_checkpoint,
    train,
)
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.training.checkpoint import tokenizer_from_dict, tokenizer_to_dict
from gptlab_helpers.training.data import train_val_split

TEXT = "o rato roeu a roupa do rei de roma. " * 40


@pytest.fixture
def tokenizer():
    return CharTokenizer.from_text(TEXT)


@pytest.fixture
def split(tokenizer):
    return train_val_split(tokenizer.encode(TEXT))


def tiny_model(tokenizer, seed=0):
    torch.manual_seed(seed)
    cfg = {
        "vocab_size": tokenizer.n_vocab,
        "context_length": 16,
        "emb_dim": 32,
        "n_heads": 4,
        "n_layers": 2,
        "drop_rate": 0.1,  # dropout ligado: o resume também precisa repetir os sorteios dele
        "qkv_bias": False,
        "use_sdpa": True,
    }
    return GPTModel(cfg)


FAST = {"batch_size": 8, "learning_rate": 3e-3, "warmup_steps": 5, "eval_interval": 10, "eval_batches": 2}


def test_learning_rate_warms_up_then_follows_a_cosine():
    rates = [learning_rate_at(step, 100, 1.0, 10, 0.1) for step in range(101)]
    assert rates[0] == pytest.approx(0.1) and rates[9] == pytest.approx(1.0)  # subida linear
    assert all(a >= b for a, b in zip(rates[10:], rates[11:]))  # depois só desce
    assert rates[55] == pytest.approx(0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * 0.55)))
    assert rates[100] == pytest.approx(0.1)
    assert learning_rate_at(50, 100, 1.0, 10, 0.1, progress=1.0) == pytest.approx(0.1)


@pytest.mark.slow
def test_a_few_steps_lower_the_loss(tokenizer, split, capsys):
    history = train(tiny_model(tokenizer), *split, max_steps=40, device="cpu", **FAST)
    assert history["step"] == [0, 10, 20, 30, 40]
    assert history["val_loss"][-1] < history["val_loss"][0] - 1.0
    assert history["train_loss"][-1] < history["train_loss"][0] - 1.0
    assert history["tokens"][-1] == 40 * 8 * 16
    assert "treino: 100%" in capsys.readouterr().out  # a barra de progresso


@pytest.mark.slow
def test_checkpoint_saves_everything_and_loads_safely(tokenizer, split, tmp_path):
    path = tmp_path / "ckpt" / "modelo.pt"
    model = tiny_model(tokenizer)
    history = train(
        model, *split, max_steps=10, device="cpu", checkpoint_path=path, tokenizer=tokenizer, **FAST
    )
    raw = torch.load(path, weights_only=True)  # só tensores e tipos simples
    assert raw["step"] == 10 and raw["history"] == history
    assert raw["optimizer_state"]["state"]  # o estado do AdamW veio junto
    assert raw["settings"]["max_steps"] == 10
    loaded, loaded_tokenizer, checkpoint = load_trained_model(path, device="cpu")
    assert loaded_tokenizer == tokenizer
    assert not loaded.training
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    assert checkpoint["model_config"] == model.cfg
    assert list(path.parent.iterdir()) == [path]  # o temporário da gravação atômica sumiu


@pytest.mark.slow
def test_ctrl_c_saves_and_resume_continues_exactly(tokenizer, split, tmp_path, monkeypatch, capsys):
    straight = tiny_model(tokenizer)
    expected = train(straight, *split, max_steps=20, device="cpu", **FAST)

    path = tmp_path / "modelo.pt"
    calls = {"n": 0}
    real_random_batch = training.random_batch

    def interrupt_at_step_12(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 13:
            raise KeyboardInterrupt  # como apertar Ctrl-C no meio do passo 12
        return real_random_batch(*args, **kwargs)

    monkeypatch.setattr(training, "random_batch", interrupt_at_step_12)
    interrupted = train(
        tiny_model(tokenizer), *split, max_steps=20, device="cpu", checkpoint_path=path, **FAST
    )
    assert "Treino interrompido no passo 12; checkpoint salvo em" in capsys.readouterr().out
    assert load_checkpoint(path)["step"] == 12 and interrupted["step"] == [0, 10]

    monkeypatch.setattr(training, "random_batch", real_random_batch)
    resumed_model = tiny_model(tokenizer, seed=99)  # pesos iniciais diferentes: o checkpoint manda
    resumed = train(
        resumed_model, *split, max_steps=20, device="cpu", checkpoint_path=path, resume=True, **FAST
    )
    assert resumed["step"] == expected["step"]
    assert resumed["val_loss"] == pytest.approx(expected["val_loss"], abs=1e-6)
    for key, value in straight.state_dict().items():
        assert torch.allclose(resumed_model.state_dict()[key], value, atol=1e-6), key


@pytest.mark.slow
def test_resume_refuses_a_different_model(tokenizer, split, tmp_path):
    path = tmp_path / "modelo.pt"
    train(tiny_model(tokenizer), *split, max_steps=2, device="cpu", checkpoint_path=path, **FAST)
    other = GPTModel(dict(tiny_model(tokenizer).cfg, n_layers=1))
    with pytest.raises(ValueError, match="outra configuração"):
        train(other, *split, max_steps=4, device="cpu", checkpoint_path=path, resume=True, **FAST)


@pytest.mark.slow
def test_time_budget_stops_training(tokenizer, split):
    history = train(tiny_model(tokenizer), *split, max_steps=10_000, max_seconds=2.0, device="cpu", **FAST)
    assert 0 < history["step"][-1] < 10_000
    assert history["seconds"][-1] < 6.0


def test_bad_arguments_are_explained(tokenizer, split, tmp_path):
    model = tiny_model(tokenizer)
    with pytest.raises(ValueError, match="max_steps deve ser um inteiro positivo"):
        train(model, *split, max_steps=0)
    with pytest.raises(ValueError, match="resume=True precisa de checkpoint_path"):
        train(model, *split, max_steps=1, resume=True)
    with pytest.raises(ValueError, match="max_seconds deve ser positivo"):
        train(model, *split, max_steps=1, max_seconds=0)
    with pytest.raises(FileNotFoundError, match="não encontrei o checkpoint"):
        load_checkpoint(tmp_path / "nada.pt")


def test_checkpoint_rejects_foreign_files(tmp_path):
    path = tmp_path / "outro.pt"
    torch.save({"pesos": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="não é um checkpoint do gptlab_helpers"):
        load_checkpoint(path)


def test_tokenizers_round_trip_through_a_checkpoint(tokenizer, tmp_path):
    assert tokenizer_from_dict(tokenizer_to_dict(tokenizer)) == tokenizer
    gpt2 = tokenizer_from_dict(tokenizer_to_dict(get_tokenizer("gpt2")))
    assert gpt2.encode("Olá") == get_tokenizer("gpt2").encode("Olá")
    with pytest.raises(TypeError, match="não sei guardar um tokenizador do tipo dict"):
        tokenizer_to_dict({})
    model = tiny_model(tokenizer)
    save_checkpoint(tmp_path / "m.pt", model, tokenizer=get_tokenizer("gpt2"))
    assert load_trained_model(tmp_path / "m.pt", device="cpu")[1].n_vocab == 50257


def test_evaluation_uses_the_fixed_windows_in_fewer_larger_batches(tokenizer, split):
    from gptlab_helpers.training.data import fixed_batches
    from gptlab_helpers.training.loop import estimate_loss, evaluation_batches

    model = tiny_model(tokenizer)
    small = fixed_batches(split[0], 4, 16, num_batches=10)
    large = evaluation_batches(split[0], 4, 16, num_batches=10)
    assert len(large) == 3 and large[0][0].shape == (16, 16)  # 40 janelas em lotes de 4 x 4
    assert torch.equal(torch.cat([x for x, _ in large]), torch.cat([x for x, _ in small]))
    assert estimate_loss(model, large, "cpu") == pytest.approx(estimate_loss(model, small, "cpu"), abs=1e-5)


def test_token_ids_are_checked_once_before_training_not_per_step(tokenizer, split, monkeypatch):
    model = tiny_model(tokenizer)
    bad = split[1].clone()
    bad[5] = tokenizer.n_vocab  # um ID fora do vocabulário no meio da validação
    with pytest.raises(ValueError, match="val_ids tem o ID de token"):
        train(model, split[0], bad, max_steps=2, device="cpu", show_progress=False, **FAST)

    checked = []
    original = GPTModel.forward

    def spy(self, in_idx, *args, **kwargs):
        checked.append(self.check_inputs)
        return original(self, in_idx, *args, **kwargs)

    monkeypatch.setattr(GPTModel, "forward", spy)
    train(model, *split, max_steps=3, device="cpu", show_progress=False, **FAST)
    assert checked and not any(checked)  # nenhum forward do treino confere os valores de novo
    assert model.check_inputs  # e depois do treino o modelo volta a conferir


def test_a_step_budget_gives_the_same_model_on_every_run(tokenizer, split):
    """O notebook 09 (e o treino de reserva do 10) param por passos, não pelo relógio: com a mesma
    semente, duas execuções dão o mesmo histórico e os mesmos pesos, seja a máquina rápida ou lenta."""
    runs = []
    for _ in range(2):
        model = tiny_model(tokenizer, seed=123)
        history = train(model, *split, max_steps=20, device="cpu", **FAST)
        runs.append((history["val_loss"], model.state_dict()))
    (losses_a, state_a), (losses_b, state_b) = runs
    assert losses_a == losses_b
    assert all(torch.equal(state_a[name], state_b[name]) for name in state_a)


def test_readme_quotes_the_step_budget_of_lesson_09():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    quoted = f"{CHAR_TRAIN_STEPS:,}".replace(",", ".") + " passos"
    assert readme.count(quoted) >= 2, f"o README deveria citar o treino do notebook 09 como {quoted!r}"
