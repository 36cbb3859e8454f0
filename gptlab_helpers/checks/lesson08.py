"""Exercícios da aula 08: gerar texto um token de cada vez."""

import torch

from .. import generation
from ..gpt import GPTModel
from ..tokenizer import get_tokenizer
from .answers import int_list
from .base import Exercise, Feedback, run_quietly
from .kinds import ExplanationExercise
from .modules import TINY_CONFIG, seeded

PROMPT = "Hello, I am"
WINDOW_CONTEXT_SIZE, WINDOW_NEW_TOKENS = 5, 6  # o caso do exercício 08.2


def tiny_model():
    """GPT minúsculo em modo eval: a geração gulosa fica determinística."""
    return seeded(GPTModel, dict(TINY_CONFIG)).eval()


class GenerateTextSimple(Exercise):
    id = "08.1"
    title = "Implementar generate_text_simple"
    max_points = 2.0
    names = ("generate_text_simple",)
    hint_text = (
        "Repita max_new_tokens vezes: corte idx[:, -context_size:], calcule os logits sem gradiente, "
        "fique com logits[:, -1, :], escolha o argmax e concatene com torch.cat(..., dim=1)."
    )

    def grade(self, namespace, cases=((3, 8), (6, 8), (4, 3)), batch=(2, 5), seed=0):
        """Cada caso é (max_new_tokens, context_size), com um contexto inicial de forma `batch` (B, T)."""
        function = namespace["generate_text_simple"]
        if function is generation.generate_text_simple:
            raise Feedback("essa é a função pronta do pacote; o exercício é escrever a sua")
        if not callable(function):
            raise Feedback(f"generate_text_simple deveria ser uma função, mas é {function!r}")
        model = tiny_model()
        torch.manual_seed(seed)
        idx = torch.randint(0, TINY_CONFIG["vocab_size"], batch)
        # 5 + 6 = 11 tokens não cabem nos 8 do contexto: só funciona cortando
        for new_tokens, context_size in cases:
            expected = generation.generate_text_simple(model, idx, new_tokens, context_size)
            try:
                given, _ = run_quietly(function, model, idx, new_tokens, context_size)
            except ValueError as exc:
                if "context_length" in str(exc):
                    raise Feedback(
                        "o contexto passou do tamanho que o modelo aceita: corte-o a cada passo com "
                        "idx[:, -context_size:]"
                    ) from exc
                raise
            self.compare(given, expected, idx, new_tokens, context_size)
        return self.correct(
            "seus tokens gerados são os mesmos da função de referência, inclusive cortando o contexto."
        )

    @staticmethod
    def compare(given, expected, idx, new_tokens, context_size):
        case = f"com max_new_tokens={new_tokens} e context_size={context_size}"
        if not isinstance(given, torch.Tensor):
            raise Feedback(
                f"a função deve devolver um tensor (B, T + max_new_tokens), mas devolveu {type(given).__name__}"
            )
        if tuple(given.shape) != tuple(expected.shape):
            raise Feedback(
                f"{case} a saída tem forma {tuple(given.shape)}, mas deveria ser {tuple(expected.shape)}: "
                "devolva o contexto original seguido dos tokens novos"
            )
        if not torch.equal(given[:, : idx.shape[1]], idx):
            raise Feedback("a saída deve começar pelo contexto original, seguido dos tokens novos")
        if not torch.equal(given, expected):
            if context_size < idx.shape[1]:
                raise Feedback(
                    f"{case} os tokens diferem: o modelo deve ver só os últimos context_size tokens"
                )
            raise Feedback(
                f"{case} os tokens gerados diferem da referência; use os logits da última posição "
                "(logits[:, -1, :]) e o argmax"
            )


class WindowLengths(Exercise):
    id = "08.2"
    title = "Quantos tokens o modelo vê a cada passo"
    names = ("window_lengths",)
    hint_text = (
        "O prompt tem 4 tokens e cada passo acrescenta um; o modelo nunca vê mais que context_size tokens."
    )

    def grade(self, namespace):
        given = int_list(namespace["window_lengths"], "window_lengths")
        expected = self.expected()
        if given == expected:
            return self.correct(
                f"{expected}: o contexto cresce até {WINDOW_CONTEXT_SIZE} tokens e daí em diante é cortado."
            )
        if len(given) != len(expected):
            raise Feedback(
                f"window_lengths tem {len(given)} itens; o modelo roda uma vez por token novo ({WINDOW_NEW_TOKENS})"
            )
        if given == [expected[0] + step for step in range(len(expected))]:
            raise Feedback(
                f"faltou o corte: com context_size={WINDOW_CONTEXT_SIZE} o modelo nunca vê mais que isso"
            )
        raise Feedback(f"window_lengths vale {given}; o primeiro passo vê o prompt inteiro")

    @staticmethod
    def expected():
        """Roda a geração do pacote num GPT minúsculo e anota quantos tokens entram a cada passo."""
        prompt_length = len(get_tokenizer("gpt2").encode(PROMPT))
        model = tiny_model()
        seen = []
        handle = model.register_forward_pre_hook(lambda module, args: seen.append(args[0].shape[1]))
        try:
            idx = torch.zeros(1, prompt_length, dtype=torch.long)
            generation.generate_text_simple(model, idx, WINDOW_NEW_TOKENS, WINDOW_CONTEXT_SIZE)
        finally:
            handle.remove()
        return seen


class WhyGibberish(ExplanationExercise):
    id = "08.3"
    title = "Por que o texto gerado não faz sentido"
    hint_text = (
        "De onde vêm os pesos do modelo que gerou o texto? E o que a softmax muda na escolha do argmax?"
    )


q1 = GenerateTextSimple()
q2 = WindowLengths()
q3 = WhyGibberish()

EXERCISES = [q1, q2, q3]
