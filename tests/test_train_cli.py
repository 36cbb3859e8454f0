"""O comando gptlab-train num processo só: argumentos, checkpoint, interrupção e os flags de GPU."""

import signal
import threading

import pytest
import torch
from test_training import FAST, TEXT, tiny_model

from gptlab_helpers.presets import names, size_preset
from gptlab_helpers.training import CHAR_GPT_CONFIG, corpus, load_checkpoint, load_trained_model, train
from gptlab_helpers.training.char_tokenizer import CharTokenizer
from gptlab_helpers.training.cli import StopOnSignal, build_parser, main, model_config
from gptlab_helpers.training.data import train_val_split
from gptlab_helpers.training.gpu import autocast_context, check_bf16

TINY = ["--size", "minusculo", "--n-layers", "1", "--context-length", "16", "--batch-size", "4"]
QUICK = ["--max-steps", "3", "--eval-interval", "10", "--eval-batches", "1", "--device", "cpu"]


@pytest.fixture
def char_tokenizer():
    return CharTokenizer.from_text(TEXT)


@pytest.fixture
def split(char_tokenizer):
    return train_val_split(char_tokenizer.encode(TEXT))


def run_cli(capsys, *args):
    """Roda o comando e devolve (código de saída, stdout, stderr)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as exit_:  # erros do argparse
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def test_presets_are_valid_and_pequeno_is_the_notebook_09_model():
    for name in names("sizes"):
        size = size_preset(name)
        assert size["emb_dim"] % size["n_heads"] == 0, name
    # a mesma configuração: um checkpoint do notebook 09 pode ser continuado com --resume
    assert model_config(build_parser().parse_args([]), vocab_size=115) == CHAR_GPT_CONFIG


def test_a_short_run_writes_the_notebook_checkpoint_format(text_file, tmp_path, capsys):
    checkpoint = tmp_path / "modelo.pt"
    code, out, err = run_cli(capsys, text_file, *TINY, *QUICK, "--checkpoint", checkpoint)
    assert code == 0, err
    assert "lote global 4 = 4 exemplos x 1 pedaço(s) x 1 processo(s)" in out
    assert "passo      0/3" in out and "Treino concluído no passo 3" in out
    model, tokenizer, raw = load_trained_model(checkpoint, device="cpu")
    # as mesmas chaves que `train` grava no notebook 09
    tiny = tiny_model(tokenizer)
    train(
        tiny,
        [1, 2, 3] * 50,
        [1, 2, 3] * 50,
        max_steps=1,
        checkpoint_path=tmp_path / "nb.pt",
        device="cpu",
        **FAST,
    )
    assert sorted(raw) == sorted(load_checkpoint(tmp_path / "nb.pt"))
    assert raw["step"] == 3 and model.cfg["n_layers"] == 1 and model.cfg["vocab_size"] == tokenizer.n_vocab
    assert raw["settings"]["world_size"] == 1 and raw["settings"]["accum_steps"] == 1


def test_resume_continues_and_checks_the_model(text_file, tmp_path, capsys):
    checkpoint = tmp_path / "modelo.pt"
    assert run_cli(capsys, text_file, *TINY, *QUICK, "--checkpoint", checkpoint)[0] == 0
    code, out, err = run_cli(capsys, text_file, *TINY, *QUICK, "--checkpoint", checkpoint)
    assert code == 2 and "já existe; use --resume" in err  # nada é sobrescrito sem pedir
    more = [*TINY, *QUICK[2:], "--max-steps", "5", "--checkpoint", checkpoint, "--resume"]
    code, out, err = run_cli(capsys, text_file, *more)
    assert code == 0, err
    assert load_checkpoint(checkpoint)["step"] == 5
    # conta só o que esta execução treinou: 2 passos x 4 exemplos x 16 tokens
    assert "Treino concluído no passo 5: 128 tokens" in out
    code, out, err = run_cli(
        capsys, text_file, *more[:-3], "--emb-dim", "64", "--checkpoint", checkpoint, "--resume"
    )
    assert code == 2 and "é de outro modelo (emb_dim=32" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nao_existe"], "não existe um corpus chamado 'nao_existe'"),
        (["{text}", "--max-steps", "-5"], "opção --max-steps: precisa ser pelo menos 1, recebi -5"),
        (
            ["{text}", "--max-seconds", "0"],
            "opção --max-seconds: precisa ser um número de segundos maior que zero",
        ),
        (["{text}", "--emb-dim", "30", "--n-heads", "4"], "emb_dim (30) deve ser divisível por n_heads (4)"),
        (["{text}", "--drop-rate", "1.5"], "deve ser um número em [0, 1)"),
        (
            ["{text}", "--batch-size", "6", "--accum", "4"],
            "o lote global (6) deve ser divisível por accum_steps",
        ),
        (
            ["{text}", "--batch-size", "6", "--micro-batch", "4"],
            "não se divide em pedaços de --micro-batch 4",
        ),
        (["{text}", "--accum", "2", "--micro-batch", "2"], "não pode ser usada junto com --accum"),
        (["{text}", "--tokenizer", "bpe"], "escolha inválida: 'bpe' (as opções são 'char', 'gpt2')"),
        (["{text}", "--resume"], "para continuar; rode sem --resume"),
        (["{text}", "--device", "cuda"], "o dispositivo 'cuda' não está disponível"),
        (["{text}", "--context-length", "5000"], "o texto é curto demais"),
    ],
)
def test_bad_arguments_get_a_portuguese_message_and_exit_code_2(args, message, text_file, tmp_path, capsys):
    if "--device" in args and torch.cuda.is_available():
        pytest.skip("esta máquina tem GPU")
    args = [str(text_file) if a == "{text}" else a for a in args]
    code, out, err = run_cli(capsys, *args, "--checkpoint", tmp_path / "m.pt")
    assert code == 2
    assert message in err
    assert "Traceback" not in err and "usage:" not in err
    assert not (tmp_path / "m.pt").exists()


def test_a_corpus_that_cannot_be_downloaded_is_explained(tmp_path, capsys, monkeypatch):
    def no_internet(url, *args, **kwargs):
        raise OSError("sem rede")

    empty = tmp_path / "corpus"  # uma pasta de corpus sem o texto: como se nunca tivesse sido baixado
    monkeypatch.setattr(corpus, "default_corpus_dir", lambda: empty)
    monkeypatch.setattr(corpus, "download", no_internet)
    code, out, err = run_cli(capsys, "shakespeare", "--checkpoint", tmp_path / "m.pt")
    assert code == 2 and "Traceback" not in err
    assert "não encontrei o texto 'shakespeare' e não consegui baixá-lo" in err and "sem rede" in err


def test_help_is_in_portuguese(capsys):
    code, out, _ = run_cli(capsys, "--help")
    assert code == 0 and out.startswith("uso: gptlab-train")
    assert "lote global" in out and "mostra esta ajuda e sai" in out


def test_compile_flag_goes_through_torch_compile(text_file, tmp_path, capsys, monkeypatch):
    compiled = []

    def fake_compile(model):  # o torch.compile de verdade leva minutos na CPU: aqui só o caminho
        compiled.append(type(model).__name__)
        return model

    monkeypatch.setattr(torch, "compile", fake_compile)
    code, out, err = run_cli(capsys, text_file, *TINY, *QUICK, "--checkpoint", tmp_path / "m.pt", "--compile")
    assert code == 0, err
    assert compiled == ["GPTModel"] and "compile sim" in out
    # o checkpoint guarda os pesos do modelo original, sem o prefixo "_orig_mod." do compilado
    assert all(not key.startswith("_orig_mod") for key in load_checkpoint(tmp_path / "m.pt")["model_state"])


def test_bf16_runs_the_forward_under_autocast(char_tokenizer, split):
    model = tiny_model(char_tokenizer)
    seen = []
    model.register_forward_hook(lambda *_: seen.append(torch.is_autocast_enabled("cpu")))
    train(model, *split, max_steps=2, device="cpu", bf16=True, show_progress=False, **FAST)
    assert seen and all(seen)  # treino e avaliação
    seen.clear()
    train(model, *split, max_steps=2, device="cpu", show_progress=False, **FAST)
    assert seen and not any(seen)  # desligado por padrão
    assert autocast_context(torch.device("cpu"), False)().__class__.__name__ == "nullcontext"


def test_bf16_is_refused_where_it_does_not_work():
    with pytest.raises(ValueError, match="bf16 não é suportado aqui em 'mps'"):
        check_bf16(torch.device("mps"))


def test_gradient_accumulation_gives_the_same_step(char_tokenizer, split):
    whole = tiny_model(char_tokenizer)
    pieces = tiny_model(char_tokenizer)
    settings = dict(FAST, max_steps=4, device="cpu", show_progress=False)
    for model in (whole, pieces):
        model.cfg["drop_rate"] = 0.0  # sem dropout os dois treinos fazem as mesmas contas
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
    expected = train(whole, *split, **settings)
    accumulated = train(pieces, *split, accum_steps=4, **settings)
    assert accumulated["val_loss"] == pytest.approx(expected["val_loss"], abs=1e-5)
    for key, value in whole.state_dict().items():
        assert torch.allclose(pieces.state_dict()[key], value, atol=1e-5), key


def test_sigterm_stops_at_the_end_of_the_step_and_saves(char_tokenizer, split, tmp_path, capsys):
    path = tmp_path / "m.pt"
    previous = signal.getsignal(signal.SIGTERM)
    with StopOnSignal(force_on_second_interrupt=True) as stop:
        # o sinal chega no meio do treino, de outra thread, como o de um gerenciador de filas
        timer = threading.Timer(0.5, signal.raise_signal, args=(signal.SIGTERM,))
        timer.start()
        history = train(
            tiny_model(char_tokenizer),
            *split,
            max_steps=1_000_000,
            device="cpu",
            checkpoint_path=path,
            stop_requested=stop,
            **FAST,
        )
        timer.join()
    step = load_checkpoint(path)["step"]
    assert 0 < step < 1_000_000 and stop.requested
    assert f"Treino interrompido no passo {step}; checkpoint salvo" in capsys.readouterr().out
    assert history["step"][-1] <= step  # sem avaliação final: parar deve ser rápido
    assert signal.getsignal(signal.SIGTERM) == previous  # os tratadores de antes voltam
