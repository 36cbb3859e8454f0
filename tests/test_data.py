import pytest
import torch

from gptlab_helpers.training.data import SlidingWindowDataset, fixed_batches, random_batch, train_val_split

# IDs 0, 1, 2, ...: cada janela mostra de onde saiu, o que facilita conferir os alvos
IDS = torch.arange(1000)


def test_split_is_90_10_and_contiguous():
    train_ids, val_ids = train_val_split(IDS)
    assert len(train_ids) == 900 and len(val_ids) == 100
    assert torch.equal(torch.cat([train_ids, val_ids]), IDS)  # treino = começo, validação = fim
    train_ids, val_ids = train_val_split(list(range(11)))  # listas também servem
    assert train_ids.tolist() == list(range(9)) and val_ids.tolist() == [9, 10]


def test_split_rejects_bad_fraction():
    with pytest.raises(ValueError, match="train_fraction deve estar entre 0 e 1"):
        train_val_split(IDS, 1.5)


def test_sliding_windows_shapes_and_targets():
    dataset = SlidingWindowDataset(IDS[:20], context_length=4, stride=2)
    assert len(dataset) == 8  # inícios 0, 2, ..., 14 (a última janela precisa do alvo em 19)
    x, y = dataset[3]
    assert x.tolist() == [6, 7, 8, 9]
    assert y.tolist() == [7, 8, 9, 10]  # o alvo é a entrada deslocada de um token
    assert dataset[-1][1].tolist() == [15, 16, 17, 18]
    with pytest.raises(IndexError, match="o dataset tem 8 janelas"):
        dataset[8]


def test_default_stride_gives_non_overlapping_windows():
    dataset = SlidingWindowDataset(IDS[:21], context_length=5)
    assert [dataset[i][0][0].item() for i in range(len(dataset))] == [0, 5, 10, 15]


def test_too_short_text_is_explained():
    with pytest.raises(ValueError, match="tem 4 tokens, mas uma janela de context_length=4 precisa de 5"):
        SlidingWindowDataset(IDS[:4], context_length=4)


def test_random_batch_windows_come_from_the_text():
    generator = torch.Generator().manual_seed(0)
    x, y = random_batch(IDS, batch_size=6, context_length=8, generator=generator)
    assert x.shape == y.shape == (6, 8)
    starts = x[:, :1]
    assert torch.equal(x, starts + torch.arange(8))  # janelas contíguas do texto
    assert torch.equal(y, x + 1)
    assert int(starts.max()) <= 1000 - 8 - 1  # o alvo da última posição existe


def test_random_batch_is_reproducible_with_a_seed():
    first = random_batch(IDS, 4, 8, torch.Generator().manual_seed(5))
    second = random_batch(IDS, 4, 8, torch.Generator().manual_seed(5))
    assert all(torch.equal(a, b) for a, b in zip(first, second))


def test_fixed_batches_cover_everything_or_spread_out():
    everything = fixed_batches(IDS[:101], batch_size=4, context_length=10)
    assert [len(x) for x, _ in everything] == [4, 4, 2]  # 10 janelas sem sobreposição
    assert torch.equal(torch.cat([x for x, _ in everything]).flatten(), IDS[:100])
    spread = fixed_batches(IDS, batch_size=3, context_length=10, num_batches=2)
    firsts = torch.cat([x for x, _ in spread])[:, 0].tolist()
    assert firsts[0] == 0 and firsts[-1] == 980  # do começo ao fim do texto
    assert firsts == sorted(firsts) and len(firsts) == 6
