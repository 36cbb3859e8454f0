import pytest
import torch

from gptlab_helpers import ExampleDeepNeuralNetwork, SimpleDeepNeuralNetwork, gradient_means, print_gradients


def test_print_gradients_prints_one_line_per_weight(capsys):
    torch.manual_seed(123)
    model = ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], use_shortcut=True)
    x = torch.tensor([[1.0, 0.0, -1.0]])
    print_gradients(model, x)
    lines = capsys.readouterr().out.splitlines()
    torch.manual_seed(123)
    expected = gradient_means(ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], use_shortcut=True), x)
    assert lines == [f"{name} tem gradiente médio de {value}" for name, value in expected.items()]
    assert len(lines) == 5


def test_shortcuts_keep_early_gradients_alive():
    x = torch.tensor([[1.0, 0.0, -1.0]])
    torch.manual_seed(123)
    without = gradient_means(ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], use_shortcut=False), x)
    torch.manual_seed(123)
    with_shortcut = gradient_means(ExampleDeepNeuralNetwork([3, 3, 3, 3, 3, 1], use_shortcut=True), x)
    first = "layers.0.0.weight"
    assert with_shortcut[first] > 100 * without[first]


def test_shortcut_skipped_when_shapes_differ():
    model = ExampleDeepNeuralNetwork([3, 4, 4, 4, 4, 1], use_shortcut=True)
    assert model(torch.ones(2, 3)).shape == (2, 1)
    assert SimpleDeepNeuralNetwork is ExampleDeepNeuralNetwork


def test_layer_sizes_must_have_six_entries():
    with pytest.raises(ValueError, match="layer_sizes deve ter 6 tamanhos.*mas tem 3"):
        ExampleDeepNeuralNetwork([3, 3, 1], use_shortcut=False)
