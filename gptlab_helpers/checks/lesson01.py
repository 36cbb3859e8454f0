"""Exercícios da aula 01: o esqueleto do GPT, as formas que entram e saem dele."""

import torch

from ..config import GPT_CONFIG_124M
from ..dummy import DummyGPTModel
from .answers import as_int, as_shape, report_problems, student_class
from .base import Exercise, Feedback, format_int
from .kinds import ExplanationExercise
from .modules import TINY_CONFIG, compare_gpt

BATCH_SIZE, NUM_TOKENS = 3, 7  # o lote do exercício 01.1: 3 textos de 7 tokens


class LogitsShape(Exercise):
    id = "01.1"
    title = "A forma dos logits"
    max_points = 2.0
    names = ("logits_shape", "n_logits")
    hint_text = (
        "Cada um dos B x T tokens sai do modelo com um vetor de vocab_size números (um por token "
        "possível do vocabulário)."
    )

    def grade(self, namespace):
        shape = as_shape(namespace["logits_shape"], "logits_shape")
        count = as_int(namespace["n_logits"], "n_logits")
        expected = self.expected_shape()
        emb = GPT_CONFIG_124M["emb_dim"]
        shape_problem = None
        if shape == (BATCH_SIZE, NUM_TOKENS, emb):
            shape_problem = "(3, 7, 768) é a forma dos embeddings; a cabeça de saída projeta para vocab_size"
        elif shape == (BATCH_SIZE, expected[-1]):
            shape_problem = "faltou a dimensão dos tokens: cada uma das 7 posições recebe um vetor de logits"
        elif shape != expected:
            shape_problem = f"logits_shape vale {shape}; pense em (B, T, ?) para B=3 textos de T=7 tokens"
        count_problem = None
        if count != expected[0] * expected[1] * expected[2]:
            count_problem = (
                f"n_logits vale {format_int(count)}; é o produto das três dimensões de logits_shape"
            )
        report_problems([shape_problem, count_problem])
        return self.correct(
            f"o modelo devolve {format_int(count)} números para esse lote: um vetor de "
            f"{format_int(expected[-1])} logits para cada um dos {BATCH_SIZE * NUM_TOKENS} tokens."
        )

    @staticmethod
    def expected_shape():
        """Roda o DummyGPTModel do pacote (com emb_dim pequeno: a forma não depende dele)."""
        cfg = {**GPT_CONFIG_124M, "emb_dim": 4, "n_heads": 1}
        model = DummyGPTModel(cfg).eval()
        with torch.no_grad():
            return tuple(model(torch.zeros(BATCH_SIZE, NUM_TOKENS, dtype=torch.long)).shape)


class DummyGPTForward(Exercise):
    id = "01.2"
    title = "O forward do DummyGPTModel"
    max_points = 2.0
    names = ("DummyGPTModel",)
    hint_text = (
        "tok_emb(in_idx) dá (B, T, C); pos_emb(torch.arange(T)) dá (T, C); some os dois, passe por "
        "drop_emb, trf_blocks, final_norm e out_head, nessa ordem."
    )

    aliases = {"DummyGPTModel": "SimpleGPTModel"}

    def grade(self, namespace, cfg=TINY_CONFIG, **variation):
        """`cfg` e `variation` (seed, input_seed, dropout_seed, batch) vão para `compare_gpt`."""
        cls = student_class(namespace, "DummyGPTModel", DummyGPTModel)
        compare_gpt(
            cls,
            cfg,
            reference_class=DummyGPTModel,
            what="o seu DummyGPTModel",
            diagnose=self.diagnose,
            **variation,
        )
        return self.correct("com os mesmos pesos, seus logits batem com os do DummyGPTModel do pacote.")

    @staticmethod
    def diagnose(given, ids, reference, difference):
        without_positions = reference.out_head(reference.final_norm(reference.tok_emb(ids)))
        if given.shape == without_positions.shape and torch.allclose(given, without_positions, atol=1e-5):
            raise Feedback(
                "faltou somar o embedding posicional: x = tok_embeds + pos_embeds, com "
                "pos_embeds = self.pos_emb(torch.arange(seq_len))"
            )


class WhyVocabSize(ExplanationExercise):
    id = "01.3"
    title = "Por que 50257 números por token?"
    hint_text = (
        "O que cada uma das 50257 posições do vetor de saída representa? Como escolher o próximo token?"
    )


q1 = LogitsShape()
q2 = DummyGPTForward()
q3 = WhyVocabSize()

EXERCISES = [q1, q2, q3]
