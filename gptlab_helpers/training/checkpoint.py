"""Checkpoints: gravar e ler um treino inteiro (modelo, AdamW, tokenizador, histórico, sorteios).

A gravação é atômica (um arquivo temporário que só no fim toma o lugar do checkpoint) e a
leitura usa `weights_only=True`, que só aceita tensores e tipos simples: abrir um checkpoint de
outra pessoa não executa código dela (ao contrário de um `torch.load` comum, que pode).
"""

import os
from pathlib import Path

import torch

from ..core.device import get_device
from ..gpt import GPTModel
from ..tokenizer import get_tokenizer
from .char_tokenizer import CharTokenizer

CHECKPOINT_FORMAT = 1


def tokenizer_to_dict(tokenizer):
    """Descreve o tokenizador só com tipos simples, para caber num checkpoint seguro."""
    if tokenizer is None:
        return None
    if isinstance(tokenizer, CharTokenizer):
        return tokenizer.to_dict()
    if getattr(tokenizer, "name", None) == "gpt2":
        return {"kind": "gpt2"}
    raise TypeError(
        f"não sei guardar um tokenizador do tipo {type(tokenizer).__name__}; "
        "use CharTokenizer ou get_tokenizer('gpt2')"
    )


def tokenizer_from_dict(data):
    """Reconstrói o tokenizador descrito por `tokenizer_to_dict`."""
    if data is None:
        return None
    if data.get("kind") == "gpt2":
        return get_tokenizer("gpt2")
    return CharTokenizer.from_dict(data)


def save_checkpoint(
    path, model, optimizer=None, step=0, tokenizer=None, history=None, settings=None, rng=None
):
    """Grava modelo, otimizador, configuração, tokenizador e passo num arquivo `.pt`.

    A gravação é atômica: tudo vai para um arquivo temporário que só no fim toma o lugar do
    checkpoint, então um Ctrl-C no meio nunca deixa um arquivo quebrado.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "model_config": dict(model.cfg),
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "tokenizer": tokenizer_to_dict(tokenizer),
        "step": step,
        "history": history,
        "settings": settings,
        "rng": rng,
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(checkpoint, temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return path


def load_checkpoint(path, device="cpu"):
    """Lê um checkpoint com `weights_only=True`: só tensores e tipos simples, nenhum código."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"não encontrei o checkpoint {path}; treine o modelo com train(...) antes")
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} não é um checkpoint do gptlab_helpers (formato {CHECKPOINT_FORMAT})")
    return checkpoint


def load_trained_model(path, device=None):
    """Reconstrói o GPTModel de um checkpoint: devolve (model, tokenizer, checkpoint).

    O modelo volta em modo de avaliação (`model.eval()`), pronto para gerar texto.
    """
    device = get_device() if device is None else torch.device(device)
    checkpoint = load_checkpoint(path, device)
    model = GPTModel(checkpoint["model_config"]).to(device)
    model.load_state_dict(checkpoint["model_state"])
    model.eval()
    return model, tokenizer_from_dict(checkpoint["tokenizer"]), checkpoint


def resume_from(path, model, optimizer, batch_generator):
    """Carrega um checkpoint para continuar o treino: devolve (passo, histórico).

    Vale com qualquer número de processos: o sorteio dos lotes globais é o mesmo em todos.
    """
    checkpoint = load_checkpoint(path, next(model.parameters()).device)
    if checkpoint["model_config"] != dict(model.cfg):
        raise ValueError(
            f"o checkpoint {path} é de um modelo com outra configuração; crie o modelo com "
            "GPTModel(checkpoint['model_config']) ou use resume=False para começar do zero"
        )
    model.load_state_dict(checkpoint["model_state"])
    optimizer.load_state_dict(checkpoint["optimizer_state"])
    # os sorteios (lotes e dropout) continuam de onde pararam: retomar = não ter parado
    torch.set_rng_state(checkpoint["rng"]["torch"].cpu())
    batch_generator.set_state(checkpoint["rng"]["batches"].cpu())
    return checkpoint["step"], checkpoint["history"]
