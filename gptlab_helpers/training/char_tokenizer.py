"""O tokenizador de caracteres do GPTLab: cada caractere distinto do texto é um token.

Tem a mesma interface do BPE do GPT-2 (`get_tokenizer("gpt2")`): `encode(texto)` devolve
uma lista de IDs, `decode(ids)` devolve o texto e `n_vocab` é o tamanho do vocabulário.
Assim o resto do código (treino, geração, `text_to_token_ids`) serve para os dois.
"""

import json
from pathlib import Path

import torch


class CharTokenizer:
    """Vocabulário = uma lista de caracteres; o ID de um caractere é a sua posição nela.

    `CharTokenizer.from_text(texto)` usa os caracteres do texto em ordem de código Unicode,
    como o GPTLab: no conto de Machado, '\\n' = 0, ' ' = 1 e 'A' = 26.
    """

    def __init__(self, chars):
        chars = list(chars)
        if not chars:
            raise ValueError("o vocabulário está vazio: crie o tokenizador a partir de um texto não vazio")
        bad = [c for c in chars if not isinstance(c, str) or len(c) != 1]
        if bad:
            raise ValueError(f"cada item do vocabulário deve ser um caractere só, mas recebi {bad[0]!r}")
        repeated = sorted({c for c in chars if chars.count(c) > 1})
        if repeated:
            raise ValueError(
                f"o vocabulário repete os caracteres {repeated!r}; cada um deve aparecer uma vez"
            )
        self.chars = chars
        self.char_to_id = {c: i for i, c in enumerate(chars)}

    @classmethod
    def from_text(cls, text):
        """Vocabulário com os caracteres distintos de `text`, em ordem de código Unicode."""
        if not isinstance(text, str):
            raise TypeError(f"text deve ser uma string, mas recebi {type(text).__name__}")
        return cls(sorted(set(text)))

    @property
    def n_vocab(self):
        """Quantos tokens existem (o `vocab_size` da configuração do modelo)."""
        return len(self.chars)

    def encode(self, text, allowed_special=None):
        """Texto -> lista de IDs (um por caractere).

        `allowed_special` só existe para a assinatura ser a do tiktoken (usada por
        `text_to_token_ids`); o vocabulário de caracteres não tem tokens especiais.
        """
        if not isinstance(text, str):
            raise TypeError(f"text deve ser uma string, mas recebi {type(text).__name__}")
        try:
            return [self.char_to_id[c] for c in text]
        except KeyError:
            position, char = next((i, c) for i, c in enumerate(text) if c not in self.char_to_id)
            raise ValueError(
                f"o caractere {char!r} (posição {position} do texto) não está no vocabulário de "
                f"{self.n_vocab} caracteres deste tokenizador; troque-o por outro, ou crie o "
                "tokenizador a partir de um texto que o contenha"
            ) from None

    def decode(self, ids):
        """Lista (ou tensor 1-D) de IDs -> texto."""
        if isinstance(ids, torch.Tensor):
            if ids.dim() != 1:
                raise ValueError(
                    f"decode recebe uma sequência 1-D de IDs, mas o tensor tem forma {tuple(ids.shape)}; "
                    "decodifique uma linha de cada vez, por exemplo ids[0]"
                )
            ids = ids.tolist()
        out_of_range = [i for i in ids if not 0 <= i < self.n_vocab]
        if out_of_range:
            raise ValueError(
                f"o ID {out_of_range[0]} está fora do vocabulário [0, {self.n_vocab}); "
                "esses IDs vieram de outro tokenizador?"
            )
        return "".join(self.chars[i] for i in ids)

    def to_dict(self):
        """Só tipos simples (vale para JSON e para checkpoints lidos com weights_only=True)."""
        return {"kind": "char", "chars": "".join(self.chars)}

    @classmethod
    def from_dict(cls, data):
        if data.get("kind") != "char" or "chars" not in data:
            raise ValueError("estes dados não descrevem um CharTokenizer (faltam kind='char' e chars)")
        return cls(data["chars"])

    def save(self, path):
        """Grava o vocabulário num arquivo JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path):
        """Lê um vocabulário gravado com `save`."""
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))

    def __eq__(self, other):
        return isinstance(other, CharTokenizer) and self.chars == other.chars

    def __repr__(self):
        return f"CharTokenizer(n_vocab={self.n_vocab})"
