"""Exercícios da aula 07: três taxas de dropout, uma para cada lugar do GPT.

O primeiro é o da lista da disciplina: MultiHeadAttention, TransformerBlock e GPTModel passam a
ler `drop_rate_emb`, `drop_rate_attn` e `drop_rate_shortcut` e imprimem a porcentagem de zeros
logo depois de cada dropout. A conferência não lê o código: `dropout_diagnosis` roda o modelo
do aluno com ganchos (forward hooks) e vê, para cada nn.Dropout chamado, em que módulo ele foi
chamado, que tensor recebeu e o que foi impresso depois.
"""

import torch
import torch.nn as nn

from .. import gpt
from ..attention import MultiHeadAttention
from .answers import as_float, build, copy_parameters, report_problems, same_output, student_class
from .base import Exercise, Feedback, format_decimal, run_quietly
from .dropout_diagnosis import PARTS, diagnose_split_dropout
from .kinds import ExplanationExercise
from .modules import seeded

# A configuração e as entradas da lista de exercícios.
SPLIT_DROPOUT_CONFIG = {
    "vocab_size": 50257,
    "context_length": 1024,
    "emb_dim": 768,
    "n_heads": 12,
    "n_layers": 12,
    "drop_rate_emb": 0.05,
    "drop_rate_attn": 0.10,
    "drop_rate_shortcut": 0.15,
    "qkv_bias": False,
}
SHEET_INPUTS = [[43, 15, 89], [55, 87, 66], [57, 85, 64], [22, 58, 33], [77, 25, 10], [15, 80, 55]]

# A conferência usa 2 blocos e 100 tokens de vocabulário (as entradas vão até 89): as taxas,
# as formas (B, T, 768) e (B, 12, T, T) e os lugares dos dropouts são os mesmos, em décimos de segundo.
CHECK_CONFIG = {**SPLIT_DROPOUT_CONFIG, "vocab_size": 100, "n_layers": 2}


class SplitDropout(Exercise):
    id = "07.1"
    title = "Dropout separado: embedding, atenção e atalho"
    max_points = 4.0
    names = ("MultiHeadAttention", "TransformerBlock", "GPTModel")
    hint_text = (
        "GPTModel: self.drop_emb = nn.Dropout(cfg['drop_rate_emb']). TransformerBlock: passe "
        "dropout=cfg['drop_rate_attn'] para a MultiHeadAttention e use "
        "nn.Dropout(cfg['drop_rate_shortcut']) no atalho. Logo depois de cada dropout, imprima "
        "100 * (1 - torch.count_nonzero(x) / x.numel())."
    )

    def grade(self, namespace, cfg=CHECK_CONFIG, inputs=SHEET_INPUTS):
        """Com `cfg` (as três taxas de dropout, emb_dim, n_heads...) e os IDs `inputs` (B, T)."""
        cls = student_class(namespace, "GPTModel", gpt.GPTModel)
        block_class = student_class(namespace, "TransformerBlock", gpt.TransformerBlock)
        attention_class = student_class(namespace, "MultiHeadAttention", MultiHeadAttention)
        cfg = dict(cfg)
        inputs = torch.tensor(inputs)
        model = build(cls, cfg)
        findings = diagnose_split_dropout(model, cfg, inputs, attention_class, block_class)
        if any(finding.code == "no_dropout" for finding in findings):
            raise Feedback(findings[0].message)
        problems = [next((f.message for f in findings if f.part == part), None) for part in PARTS]
        if not any(problems) and self.same_names(model, cfg):
            problems[2] = self.reference_problem(cls, cfg, inputs)  # conta como a parte dos atalhos
        report_problems(problems)
        return self.correct(
            "os três dropouts estão nos lugares certos, com as taxas da configuração; os prints batem "
            "com os zeros medidos e em modo eval nada é zerado. Na atenção a porcentagem passa bem "
            "de 10%: a máscara causal já zera pesos antes do dropout (é o exercício 07.2)."
        )

    @staticmethod
    def same_names(model, cfg):
        """True se os parâmetros têm os nomes do livro: então dá para copiar os pesos da referência."""
        with torch.device("meta"):  # só os nomes importam: nada é alocado
            reference = gpt.GPTModel(cfg)
        return {name for name, _ in reference.named_parameters()} == {
            name for name, _ in model.named_parameters()
        }

    @staticmethod
    def reference_problem(cls, cfg, inputs):
        """Com os mesmos pesos e a mesma semente, o modelo do aluno deve dar os logits da referência."""
        model = build(cls, cfg)
        reference = seeded(gpt.GPTModel, cfg)
        copy_parameters(reference, model, "o seu GPTModel")
        model.train()
        torch.manual_seed(123)
        given, _ = run_quietly(model, inputs)
        torch.manual_seed(123)
        if not same_output(given, reference(inputs), "o seu GPTModel"):
            return (
                "os dropouts parecem estar nos lugares certos, mas com os mesmos pesos e a mesma semente os "
                "logits diferem de gptlab_helpers.GPTModel; confira a ordem das operações no forward"
            )
        return None


class AttentionZeroShare(Exercise):
    id = "07.2"
    title = "Quantos zeros esperar nos pesos de atenção"
    names = ("attn_zero_percent",)
    hint_text = (
        "Com 3 tokens, a matriz de pesos de cada cabeça é 3x3 e a máscara causal já zera os pesos "
        "acima da diagonal. O dropout zera, em média, drop_rate_attn dos que sobram."
    )

    def grade(self, namespace):
        given = as_float(namespace["attn_zero_percent"], "attn_zero_percent")
        num_tokens = len(SHEET_INPUTS[0])
        rate = SPLIT_DROPOUT_CONFIG["drop_rate_attn"]
        attention = MultiHeadAttention(d_in=4, d_out=4, context_length=num_tokens, dropout=rate, num_heads=1)
        masked = attention.mask[:num_tokens, :num_tokens].mean().item()  # fração já zerada pela máscara
        expected = 100 * (masked + rate * (1 - masked))
        if abs(given - expected) <= 0.5:
            return self.correct(
                f"em média {format_decimal(expected)}% dos pesos ficam zerados: {format_decimal(100 * masked)}% pela máscara causal "
                f"e mais {100 * rate:.0f}% dos {format_decimal(100 * (1 - masked))}% restantes pelo dropout."
            )
        if abs(given - 100 * rate) <= 0.5:
            raise Feedback("esses são só os zeros do dropout; a máscara causal já zerou pesos antes dele")
        if abs(given - 100 * masked) <= 0.5:
            raise Feedback(
                "esses são só os zeros da máscara causal; o dropout zera mais alguns dos restantes"
            )
        if abs(100 * given - expected) <= 0.5:
            raise Feedback(
                "o valor está certo, mas como fração; a resposta é em porcentagem (multiplique por 100)"
            )
        raise Feedback(
            f"attn_zero_percent vale {given:g}; conte quantos dos {num_tokens * num_tokens} pesos a máscara zera "
            "e quantos o dropout zera, em média, dos que sobram"
        )


class SurvivorScale(Exercise):
    id = "07.3"
    title = "O fator dos valores que sobrevivem ao dropout"
    names = ("survivor_scale",)
    hint_text = (
        "Aplique nn.Dropout(0.15) em torch.ones(10) em modo treino e olhe os valores que não viraram zero. "
        "Por que o dropout faz isso?"
    )

    def grade(self, namespace):
        given = as_float(namespace["survivor_scale"], "survivor_scale")
        rate = SPLIT_DROPOUT_CONFIG["drop_rate_shortcut"]
        dropout = nn.Dropout(rate)
        dropout.train()
        torch.manual_seed(0)
        expected = dropout(torch.ones(1000)).max().item()  # quem sobrevive sai multiplicado
        if abs(given - expected) <= 1e-3:
            return self.correct(
                f"quem sobrevive sai multiplicado por 1 / (1 - {rate}) ≈ {format_decimal(expected, 4)}, para a média "
                "continuar a mesma com e sem dropout."
            )
        if abs(given - 1.0) <= 1e-3:
            raise Feedback("o nn.Dropout não só zera: em modo treino ele também multiplica os que sobram")
        if abs(given - (1 - rate)) <= 1e-3:
            raise Feedback(f"é o inverso: os que sobram são divididos por (1 - p) = {1 - rate:g}")
        if abs(given - (1 + rate)) <= 1e-3:
            raise Feedback("não é 1 + p; o fator é 1 / (1 - p)")
        raise Feedback(f"survivor_scale vale {given:g}; rode nn.Dropout({rate}) em torch.ones(10) e confira")


class DropoutInEval(ExplanationExercise):
    id = "07.4"
    title = "Dropout no treino e na inferência"
    hint_text = "O que model.eval() muda no nn.Dropout, e por que não queremos zerar nada ao gerar texto?"


q1 = SplitDropout()
q2 = AttentionZeroShare()
q3 = SurvivorScale()
q4 = DropoutInEval()

EXERCISES = [q1, q2, q3, q4]
