"""gptlab_helpers: o código que os notebooks do GPTLab importam, na ordem das aulas.

Os nomes são os do livro de Sebastian Raschka (GPTModel, TransformerBlock,
generate_text_simple, GPT_CONFIG_124M...), para que o código passe livremente entre a
aula e o pacote.
"""

from .analysis import (
    COMPONENT_LABELS,
    format_parameter_table,
    model_size_mb,
    parameter_breakdown,
    parameter_breakdown_from_config,
)
from .attention import MultiHeadAttention
from .config import GPT2_SIZES, GPT_CONFIG_124M, dropout_rates, get_gpt2_config, validate_config
from .dummy import (
    DummyGPTModel,
    DummyLayerNorm,
    DummyTransformerBlock,
    SimpleGPTModel,
    SimpleLayerNorm,
    SimpleTransformerBlock,
)
from .generation import generate_text_simple
from .gpt import GPTModel, TransformerBlock
from .layers import GELU, FeedForward, LayerNorm
from .pretrained import load_gpt2_weights
from .shortcut import ExampleDeepNeuralNetwork, SimpleDeepNeuralNetwork, gradient_means, print_gradients
from .tokenizer import get_tokenizer, text_to_token_ids, token_ids_to_text
from .utils import get_device, set_seed

__all__ = [
    "COMPONENT_LABELS",
    "GELU",
    "GPT2_SIZES",
    "GPT_CONFIG_124M",
    "DummyGPTModel",
    "DummyLayerNorm",
    "DummyTransformerBlock",
    "ExampleDeepNeuralNetwork",
    "FeedForward",
    "GPTModel",
    "LayerNorm",
    "MultiHeadAttention",
    "SimpleDeepNeuralNetwork",
    "SimpleGPTModel",
    "SimpleLayerNorm",
    "SimpleTransformerBlock",
    "TransformerBlock",
    "dropout_rates",
    "format_parameter_table",
    "generate_text_simple",
    "get_device",
    "get_gpt2_config",
    "get_tokenizer",
    "gradient_means",
    "load_gpt2_weights",
    "model_size_mb",
    "parameter_breakdown",
    "parameter_breakdown_from_config",
    "print_gradients",
    "set_seed",
    "text_to_token_ids",
    "token_ids_to_text",
    "validate_config",
]
