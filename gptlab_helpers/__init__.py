"""gptlab_helpers: o código que os notebooks do GPTLab importam, na ordem das aulas.

Os nomes são os do livro de Sebastian Raschka (GPTModel, TransformerBlock,
generate_text_simple, GPT_CONFIG_124M...), para que o código passe livremente entre a
aula e o pacote.
"""

__version__ = "0.1.0"  # a versão do pacote (o pyproject.toml lê daqui)

from . import variants  # noqa: F401  (registra as peças modernas e o caminho rápido)
from .analysis import (
    COMPONENT_LABELS,
    format_parameter_table,
    model_size_mb,
    parameter_breakdown,
    parameter_breakdown_from_config,
)
from .attention import MultiHeadAttention
from .config import GPT2_SIZES, GPT_CONFIG_124M, dropout_rates, get_gpt2_config, validate_config
from .core.device import get_device, set_seed
from .dummy import (
    DummyGPTModel,
    DummyLayerNorm,
    DummyTransformerBlock,
    SimpleGPTModel,
    SimpleLayerNorm,
    SimpleTransformerBlock,
)
from .generation import generate, generate_text_simple, next_token_probabilities
from .gpt import GPTModel, TransformerBlock
from .kv_cache import KVCache
from .layers import GELU, FeedForward, LayerNorm
from .pretrained import hf_key_to_ours, load_gpt2_weights, ours_key_to_hf
from .shortcut import ExampleDeepNeuralNetwork, SimpleDeepNeuralNetwork, gradient_means, print_gradients
from .tokenizer import get_tokenizer, text_to_token_ids, token_ids_to_text
from .training import (
    CHAR_GPT_CONFIG,
    CHAR_TRAIN_SETTINGS,
    estimate_loss,
    learning_rate_at,
    load_checkpoint,
    load_trained_model,
    save_checkpoint,
    train,
)
from .training.char_tokenizer import CharTokenizer
from .training.corpus import CORPORA, load_corpus
from .training.data import SlidingWindowDataset, fixed_batches, random_batch, train_val_split
from .variants.modern import GroupedQueryAttention, RMSNorm, SwiGLUFeedForward

__all__ = [
    "CHAR_GPT_CONFIG",
    "CHAR_TRAIN_SETTINGS",
    "COMPONENT_LABELS",
    "CORPORA",
    "CharTokenizer",
    "DummyGPTModel",
    "DummyLayerNorm",
    "DummyTransformerBlock",
    "ExampleDeepNeuralNetwork",
    "FeedForward",
    "GELU",
    "GPT2_SIZES",
    "GPTModel",
    "GPT_CONFIG_124M",
    "GroupedQueryAttention",
    "KVCache",
    "LayerNorm",
    "MultiHeadAttention",
    "RMSNorm",
    "SimpleDeepNeuralNetwork",
    "SimpleGPTModel",
    "SimpleLayerNorm",
    "SimpleTransformerBlock",
    "SlidingWindowDataset",
    "SwiGLUFeedForward",
    "TransformerBlock",
    "dropout_rates",
    "estimate_loss",
    "fixed_batches",
    "format_parameter_table",
    "generate",
    "generate_text_simple",
    "get_device",
    "get_gpt2_config",
    "get_tokenizer",
    "hf_key_to_ours",
    "gradient_means",
    "learning_rate_at",
    "load_checkpoint",
    "load_corpus",
    "load_gpt2_weights",
    "load_trained_model",
    "model_size_mb",
    "next_token_probabilities",
    "ours_key_to_hf",
    "parameter_breakdown",
    "parameter_breakdown_from_config",
    "print_gradients",
    "random_batch",
    "save_checkpoint",
    "set_seed",
    "text_to_token_ids",
    "token_ids_to_text",
    "train",
    "train_val_split",
    "validate_config",
]
