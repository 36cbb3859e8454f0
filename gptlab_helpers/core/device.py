"""Reprodutibilidade e escolha do dispositivo (`set_seed`, `get_device`)."""

import random

import torch


def set_seed(seed=123):
    """Fixa as sementes do Python, do PyTorch (CPU e GPU) e, se houver, do NumPy."""
    random.seed(seed)
    torch.manual_seed(seed)
    try:
        import numpy as np
    except ImportError:
        pass
    else:
        np.random.seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def get_device(prefer=None):
    """Escolhe o dispositivo: "cuda" (GPU NVIDIA), "mps" (Mac com chip Apple) ou "cpu".

    `prefer` força um deles; pedir um que não existe nesta máquina dá um erro claro.
    """
    available = {
        "cuda": torch.cuda.is_available(),
        "mps": hasattr(torch.backends, "mps") and torch.backends.mps.is_available(),
        "cpu": True,
    }
    if prefer is not None:
        if prefer not in available:
            raise ValueError(f"dispositivo desconhecido: {prefer!r}; use 'cuda', 'mps' ou 'cpu'")
        if not available[prefer]:
            raise ValueError(f"o dispositivo {prefer!r} não está disponível nesta máquina; use 'cpu'")
        return torch.device(prefer)
    for name in ("cuda", "mps", "cpu"):
        if available[name]:
            return torch.device(name)
