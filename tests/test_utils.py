import random

import pytest
import torch

from gptlab_helpers import get_device, set_seed


def test_set_seed_repeats_every_generator():
    set_seed(7)
    first = (random.random(), torch.rand(3))
    set_seed(7)
    second = (random.random(), torch.rand(3))
    assert first[0] == second[0] and torch.equal(first[1], second[1])


def test_get_device_on_this_machine():
    device = get_device()
    assert device.type in {"cuda", "mps", "cpu"}
    if not torch.cuda.is_available():
        assert device.type != "cuda"
    assert get_device("cpu") == torch.device("cpu")


def test_get_device_rejects_unknown_or_missing():
    with pytest.raises(ValueError, match="dispositivo desconhecido: 'tpu'"):
        get_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="'cuda' não está disponível"):
            get_device("cuda")
