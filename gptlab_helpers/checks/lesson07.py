"""Exercícios da aula 07: três taxas de dropout, uma para cada lugar do GPT.

O primeiro é o da lista da disciplina: MultiHeadAttention, TransformerBlock e GPTModel passam a
ler `drop_rate_emb`, `drop_rate_attn` e `drop_rate_shortcut` e imprimem a porcentagem de zeros
logo depois de cada dropout. A conferência não lê o código: roda o modelo do aluno com ganchos
(forward hooks) em cada nn.Dropout e vê que tensor cada um recebeu.
"""

import torch
import torch.nn as nn

from .. import gpt
from ..attention import MultiHeadAttention
from ..config import dropout_rates
from .answers import as_float, build, copy_parameters, report_problems, same_output, student_class
from .base import Exercise, Feedback, format_decimal, run_quietly
from .dropout_probe import DropoutProbe, contains, is_attention_weights, match_printed, parse_numbers
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


def is_linear(module, in_features, out_features):
    return isinstance(module, nn.Linear) and (module.in_features, module.out_features) == (
        in_features,
        out_features,
    )


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

    def grade(self, namespace):
        cls = student_class(namespace, "GPTModel", gpt.GPTModel)
        student_class(namespace, "TransformerBlock", gpt.TransformerBlock)
        student_class(namespace, "MultiHeadAttention", MultiHeadAttention)
        cfg = dict(CHECK_CONFIG)
        inputs = torch.tensor(SHEET_INPUTS)
        model = build(cls, cfg)
        model.train()
        torch.manual_seed(123)
        with DropoutProbe(model) as probe:
            _, printed = run_quietly(model, inputs)
        if not probe.calls:
            raise Feedback(
                "não vi nenhum nn.Dropout ser chamado no forward; crie os dropouts no __init__ "
                "(nn.Dropout(taxa)) e use-os no forward"
            )
        emb_rate, attn_rate, shortcut_rate = dropout_rates(cfg)
        embedding_sum = self.embedding_sum(model, cfg, inputs)
        emb_calls = [
            call
            for call in probe.calls
            if call.input.shape == embedding_sum.shape and torch.allclose(call.input, embedding_sum)
        ]
        attn_calls = [call for call in probe.calls if call.input.dim() == 4]
        other_calls = [call for call in probe.calls if call not in emb_calls and call not in attn_calls]
        problems = [
            self.embedding_problem(emb_calls, emb_rate),
            self.attention_problem(attn_calls, other_calls, attn_rate, shortcut_rate, cfg),
            self.shortcut_problem(model, probe, other_calls, attn_calls, shortcut_rate, cfg),
            self.print_problem(model, probe, printed, inputs),
        ]
        if not any(problems) and self.same_names(model, cfg):
            problems[2] = self.reference_problem(cls, cfg, inputs)  # conta como a parte dos atalhos
        report_problems(problems)
        return self.correct(
            "os três dropouts estão nos lugares certos, com as taxas da configuração; os prints batem "
            "com os zeros medidos e em modo eval nada é zerado. Na atenção a porcentagem passa bem "
            "de 10%: a máscara causal já zera pesos antes do dropout (é o exercício 07.2)."
        )

    @staticmethod
    def embedding_sum(model, cfg, inputs):
        """tok_emb(inputs) + pos_emb(posições): o que o drop_emb deveria receber, (B, T, C)."""
        embeddings = [module for module in model.modules() if isinstance(module, nn.Embedding)]
        tok = next((m for m in embeddings if m.num_embeddings == cfg["vocab_size"]), None)
        pos = next((m for m in embeddings if m.num_embeddings == cfg["context_length"]), None)
        if tok is None or pos is None:
            raise Feedback(
                "não encontrei os dois nn.Embedding do GPTModel: tok_emb (vocab_size linhas) e "
                "pos_emb (context_length linhas)"
            )
        return (tok.weight[inputs] + pos.weight[: inputs.shape[1]]).detach()

    @staticmethod
    def embedding_problem(calls, rate):
        if not calls:
            return "não encontrei um dropout logo depois de somar tok_emb e pos_emb (o drop_emb)"
        wrong = [call.p for call in calls if call.p != rate]
        if wrong:
            return f"o drop_emb usa p={wrong[0]:g}, mas deveria usar cfg['drop_rate_emb'] = {rate:g}"
        return None

    @staticmethod
    def attention_problem(calls, other_calls, rate, shortcut_rate, cfg):
        if not calls:
            if any(call.p == rate for call in other_calls):
                return (
                    "o dropout com drop_rate_attn deve agir sobre os pesos de atenção (B, H, T, T), "
                    "logo depois da softmax, e não sobre a saída da atenção"
                )
            return "não encontrei dropout nos pesos de atenção (B, H, T, T) dentro da MultiHeadAttention"
        if len(calls) != cfg["n_layers"]:
            return (
                f"o dropout dos pesos de atenção foi chamado {len(calls)} vez(es), mas o modelo tem "
                f"{cfg['n_layers']} blocos: uma vez por bloco"
            )
        if not all(is_attention_weights(call.input) for call in calls):
            return (
                "o dropout de forma (B, H, T, T) não recebe os pesos de atenção: aplique-o depois "
                "da máscara e da softmax (cada linha soma 1)"
            )
        wrong = [call.p for call in calls if call.p != rate]
        if wrong:
            swapped = (
                " (parece que trocou as taxas da atenção e do atalho)" if wrong[0] == shortcut_rate else ""
            )
            return (
                f"o dropout dos pesos de atenção usa p={wrong[0]:g}, mas deveria usar "
                f"cfg['drop_rate_attn'] = {rate:g}{swapped}"
            )
        return None

    def shortcut_problem(self, model, probe, calls, attn_calls, rate, cfg):
        expected = 2 * cfg["n_layers"]
        if len(calls) != expected:
            return (
                f"encontrei {len(calls)} chamada(s) de dropout de atalho, mas o esperado são {expected}: "
                "duas por bloco, uma antes de cada soma com o atalho"
            )
        wrong = [call.p for call in calls if call.p != rate]
        if wrong:
            return f"o dropout de atalho usa p={wrong[0]:g}, mas deveria usar cfg['drop_rate_shortcut'] = {rate:g}"
        emb = cfg["emb_dim"]
        # a atenção: o módulo dono do dropout dos pesos de atenção, ou o que tem W_query, W_key,
        # W_value (e out_proj) como filhos
        attn_dropouts = {call.module for call in attn_calls}
        attention = {
            m
            for m in model.modules()
            if sum(is_linear(c, emb, emb) for c in m.children()) >= 3
            or any(c in attn_dropouts for c in m.children())
        }
        feed_forward = {
            m
            for m in model.modules()
            if contains(m, lambda sub: is_linear(sub, 4 * emb, emb))
            and not contains(m, lambda sub, att=attention: sub in att)
        }
        for index, call in enumerate(calls):
            producers = set(probe.producers(call.input))
            block, second = index // 2 + 1, index % 2
            if not second and not producers & attention:
                return (
                    f"no bloco {block}, o primeiro dropout de atalho deveria receber a saída da atenção "
                    "(self.att(self.norm1(x))), logo antes de somar o atalho"
                )
            if second and not producers & feed_forward:
                return (
                    f"no bloco {block}, o segundo dropout de atalho deveria receber a saída da "
                    "feed-forward (self.ff(self.norm2(x))), logo antes de somar o atalho"
                )
        return self.residual_problem(probe, calls, attention, feed_forward)

    @staticmethod
    def residual_problem(probe, calls, attention, feed_forward):
        """Cada bloco deve devolver x + (saída do 1º dropout) + (saída do 2º dropout)."""
        blocks = [
            module
            for module in probe.outputs
            if contains(module, lambda sub: sub in attention)
            and contains(module, lambda sub: sub in feed_forward)
            and not any(
                contains(child, lambda sub: sub in attention)
                and contains(child, lambda sub: sub in feed_forward)
                for child in module.children()
            )
        ]
        for index, block in enumerate(blocks):
            x, y = probe.outputs[block][0]
            first, second = calls[2 * index], calls[2 * index + 1]
            if not torch.allclose(y, x + first.output + second.output, atol=1e-5):
                return (
                    f"a saída do bloco {index + 1} deveria ser x + drop_shortcut(att(...)) + "
                    "drop_shortcut(ff(...)): some ao atalho a saída do dropout, não a de antes dele"
                )
        return None

    @staticmethod
    def print_problem(model, probe, printed, inputs):
        shares = [call.zero_percent for call in probe.calls]
        matched = match_printed(shares, printed)
        if matched < len(shares):
            if not parse_numbers(printed):
                return (
                    "não encontrei as porcentagens impressas; logo depois de cada dropout imprima "
                    "100 * (1 - torch.count_nonzero(x) / x.numel())"
                )
            return (
                f"dos {len(shares)} dropouts chamados, achei nos prints a porcentagem de zeros de "
                f"{matched}; imprima, com pelo menos uma casa decimal, logo depois de cada dropout"
            )
        model.eval()
        with DropoutProbe(model) as probe_eval:
            first, _ = run_quietly(model, inputs)
            second, _ = run_quietly(model, inputs)
        zeroed = any(not torch.equal(call.input, call.output) for call in probe_eval.calls)
        if zeroed or not torch.equal(first, second):
            return (
                "em modo eval nada deveria ser zerado e a saída deveria ser sempre a mesma; use "
                "nn.Dropout (que respeita model.eval()) em vez de F.dropout sem training=self.training"
            )
        return None

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
