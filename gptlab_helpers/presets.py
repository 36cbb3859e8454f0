"""Os modelos, tamanhos e receitas de treino com nome, lidos de `presets.toml` (um lugar só).

    model_preset("char")      # o CHAR_GPT_CONFIG dos notebooks 09 a 13
    training_recipe("char")   # o CHAR_TRAIN_SETTINGS (argumentos de `train`)
    size_preset("medio")      # um tamanho do `gptlab-train --size` (com a sua taxa de aprendizado)

Cada chamada devolve um dicionário novo: mudar o que ela devolve não muda o preset.
"""

import copy
import tomllib
from importlib import resources

from .config import validate_config

PRESETS = tomllib.loads(resources.files(__package__).joinpath("presets.toml").read_text(encoding="utf-8"))


def entry(table, name):
    """A entrada `name` da tabela `table` do presets.toml, com a de `base` por baixo (se houver)."""
    entries = PRESETS[table]
    if name not in entries:
        raise KeyError(f"não há {table} chamado {name!r} em presets.toml; os que há: {', '.join(entries)}")
    values = copy.deepcopy(entries[name])
    base = values.pop("base", None)
    return {**entry(table, base), **values} if base else values


def model_preset(name):
    """A configuração do GPTModel chamada `name` (já conferida)."""
    return validate_config(entry("models", name))


def training_recipe(name):
    """Os argumentos de `train` da receita `name` (batch_size, learning_rate...)."""
    return entry("recipes", name)


def size_preset(name):
    """Um tamanho do `gptlab-train`: n_layers, n_heads, emb_dim, context_length, drop_rate e learning_rate."""
    return entry("sizes", name)


def names(table):
    """Os nomes de uma tabela ("models", "sizes" ou "recipes"), na ordem do arquivo."""
    return tuple(PRESETS[table])


# Os nomes que os notebooks usam.
CHAR_GPT_CONFIG = model_preset("char")
CHAR_TRAIN_SETTINGS = training_recipe("char")
# Os passos do treino do notebook 09 (e do treino de reserva do 10, quando falta o checkpoint):
# cerca de 90 s numa CPU de 2 núcleos. O limite é de passos, e não de tempo, para que o modelo
# (e toda saída dele) seja o mesmo em qualquer máquina, rápida ou lenta.
CHAR_TRAIN_STEPS = 1500
MODERN_CHAR_CONFIG = model_preset("char-modern")
