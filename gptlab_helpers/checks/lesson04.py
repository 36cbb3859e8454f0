"""Exercícios da aula 04: conexões de atalho e o fluxo do gradiente."""

import torch

from ..shortcut import ExampleDeepNeuralNetwork, gradient_means
from .answers import as_float, build, copy_parameters, max_difference, student_class
from .base import Exercise, Feedback, format_general, format_int, run_quietly
from .kinds import ExplanationExercise
from .modules import seeded

LAYER_SIZES = [3, 3, 3, 3, 3, 1]
SAMPLE_INPUT = [[1.0, 0.0, -1.0]]


class ShortcutForward(Exercise):
    id = "04.1"
    title = "O forward com conexões de atalho"
    max_points = 2.0
    names = ("ExampleDeepNeuralNetwork",)
    hint_text = (
        "Para cada camada: layer_output = layer(x); se use_shortcut e as formas de x e layer_output "
        "forem iguais, x = x + layer_output; senão, x = layer_output."
    )

    aliases = {"ExampleDeepNeuralNetwork": "SimpleDeepNeuralNetwork"}

    def grade(self, namespace, layer_sizes=LAYER_SIZES, sample_input=SAMPLE_INPUT, seed=123):
        """Com e sem atalho, a rede de `layer_sizes` (6 tamanhos, 5 camadas) em `sample_input` (B, entrada)."""
        cls = student_class(namespace, "ExampleDeepNeuralNetwork", ExampleDeepNeuralNetwork)
        x = torch.tensor(sample_input)
        for use_shortcut in (False, True):
            model = build(cls, layer_sizes, use_shortcut=use_shortcut)
            reference = seeded(ExampleDeepNeuralNetwork, layer_sizes, use_shortcut, seed=seed)
            copy_parameters(reference, model, "a sua rede")
            given, _ = run_quietly(model, x)
            expected = reference(x)
            label = f"com use_shortcut={use_shortcut}"
            if isinstance(given, torch.Tensor) and given.shape != expected.shape:
                raise Feedback(
                    f"{label} a rede devolve a forma {tuple(given.shape)}, mas deveria ser "
                    f"{tuple(expected.shape)}: só some o atalho quando x e layer_output têm a mesma forma "
                    "(a última camada vai de 3 para 1)"
                )
            if max_difference(given, expected, "a rede") > 1e-6:
                raise Feedback(self.explain(use_shortcut, given, x, reference))
            given_grads, _ = run_quietly(gradient_means, model, x)
            expected_grads = gradient_means(reference, x)
            if not all(
                abs(a - b) <= 1e-6 * max(1.0, abs(b))
                for a, b in zip(given_grads.values(), expected_grads.values())
            ):
                raise Feedback(f"{label} a saída bate, mas os gradientes não; não use .detach() no caminho")
        return self.correct(
            "com e sem atalho, sua rede dá a mesma saída e os mesmos gradientes que a de referência."
        )

    @staticmethod
    def explain(use_shortcut, given, x, reference):
        if use_shortcut:
            reference.use_shortcut = False
            if torch.allclose(given, reference(x)):
                return "com use_shortcut=True a rede se comporta como sem atalho: faltou x = x + layer_output"
            return "com use_shortcut=True a saída difere da referência; o atalho soma a entrada da camada à saída dela"
        return "com use_shortcut=False a saída difere da referência: cada camada recebe a saída da anterior"


class GradientRatio(Exercise):
    id = "04.2"
    title = "Quanto o atalho aumenta o gradiente da primeira camada"
    names = ("gradient_ratio",)
    hint_text = (
        "Com torch.manual_seed(123) antes de criar cada rede, pegue a média do gradiente de "
        "'layers.0.0.weight' com atalho e divida pela mesma média sem atalho."
    )

    def grade(self, namespace):
        given = as_float(namespace["gradient_ratio"], "gradient_ratio")
        x = torch.tensor(SAMPLE_INPUT)
        means = {}
        for use_shortcut in (False, True):
            model = seeded(ExampleDeepNeuralNetwork, LAYER_SIZES, use_shortcut)
            means[use_shortcut] = gradient_means(model, x)["layers.0.0.weight"]
        expected = means[True] / means[False]
        if abs(given - expected) <= 0.01 * expected:
            return self.correct(
                f"com atalho, o gradiente da primeira camada fica cerca de {format_int(round(expected))} vezes maior: "
                "o sinal chega ao início da rede em vez de sumir."
            )
        if given > 0 and abs(1 / given - expected) <= 0.01 * expected:
            raise Feedback("a divisão está invertida: com atalho dividido por sem atalho")
        raise Feedback(
            f"gradient_ratio vale {format_general(given)}; use a média do gradiente de layers.0.0.weight, criando cada "
            "rede logo depois de torch.manual_seed(123)"
        )


class WhyShortcuts(ExplanationExercise):
    id = "04.3"
    title = "Por que o atalho ajuda"
    hint_text = "Qual é a derivada de x + f(x) em relação a x? O que isso faz com o gradiente em 12 blocos empilhados?"


q1 = ShortcutForward()
q2 = GradientRatio()
q3 = WhyShortcuts()

EXERCISES = [q1, q2, q3]
