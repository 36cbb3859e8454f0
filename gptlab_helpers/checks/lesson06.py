"""Exercícios da aula 06: distribuição de parâmetros e os tamanhos do GPT-2.

O primeiro par é o da lista da disciplina: recriar as classes do GPTModel e contar os
parâmetros do embedding (tokens + posições), da atenção, das feed-forward e da cabeça de
saída. As layer norms (38.400 parâmetros) não entram em nenhum dos quatro grupos.
"""

from .. import gpt
from ..analysis import model_size_mb, parameter_breakdown_from_config
from ..config import GPT_CONFIG_124M, get_gpt2_config
from .answers import as_float, as_int, explain_count, report_problems, student_class
from .base import Exercise, Feedback, format_decimal, format_int
from .kinds import ExplanationExercise
from .modules import compare_gpt, diagnose_parts


class RecreateGPTModel(Exercise):
    id = "06.1"
    title = "Recriar as classes do GPTModel"
    max_points = 2.0
    names = ("GPTModel",)
    hint_text = (
        "Escreva, na ordem, LayerNorm, GELU, FeedForward, MultiHeadAttention, TransformerBlock e "
        "GPTModel, com os nomes de atributos do livro (tok_emb, pos_emb, drop_emb, trf_blocks, "
        "final_norm, out_head). A conferência cria o seu GPTModel numa configuração pequena, copia "
        "os pesos da referência e compara os logits."
    )

    def grade(self, namespace):
        cls = student_class(namespace, "GPTModel", gpt.GPTModel)
        compare_gpt(
            cls,
            diagnose=lambda given, ids, reference, difference: diagnose_parts(
                namespace, "o seu GPTModel", difference
            ),
        )
        return self.correct(
            "com os mesmos pesos, o seu GPTModel dá os mesmos logits que gptlab_helpers.GPTModel, "
            "em modo eval e em modo treino."
        )


class ParameterDistribution(Exercise):
    id = "06.2"
    title = "Distribuição de parâmetros do GPT de 124M"
    max_points = 4.0
    names = ("emb_params_count", "att_params_count", "ff_params_count", "output_params_count")
    placeholders = dict.fromkeys(names, 0)  # a célula do exercício começa com os quatro em zero
    hint_text = (
        "Percorra model.named_parameters() e some p.numel() conforme o nome: 'tok_emb.' e 'pos_emb.' "
        "são o embedding, '.att.' a atenção, '.ff.' a feed-forward e 'out_head.' a cabeça de saída. "
        "As layer norms ficam de fora."
    )

    def grade(self, namespace):
        counts = parameter_breakdown_from_config(GPT_CONFIG_124M)
        blocks = GPT_CONFIG_124M["n_layers"]
        emb = GPT_CONFIG_124M["emb_dim"]
        expected = {
            "emb_params_count": counts["token_embedding"] + counts["positional_embedding"],
            "att_params_count": counts["attention"],
            "ff_params_count": counts["feed_forward"],
            "output_params_count": counts["output_head"],
        }
        one_norm = 2 * emb  # scale e shift
        mistakes = {
            "emb_params_count": [
                (
                    counts["token_embedding"],
                    f"faltou o embedding posicional ({format_int(counts['positional_embedding'])})",
                ),
                (
                    counts["positional_embedding"],
                    f"faltou o embedding de tokens ({format_int(counts['token_embedding'])})",
                ),
            ],
            "att_params_count": [
                (counts["attention"] // blocks, f"essa é a atenção de um bloco só; são {blocks} blocos"),
                (
                    counts["attention"] - blocks * emb,
                    f"faltou o bias do out_proj ({emb} por bloco, {format_int(blocks * emb)} no total)",
                ),
                (
                    counts["attention"] - blocks * (emb * emb + emb),
                    "faltou o out_proj, a Linear que junta as cabeças",
                ),
                (
                    counts["attention"] + blocks * 3 * emb,
                    "qkv_bias é False: W_query, W_key e W_value não têm bias",
                ),
                (
                    counts["attention"] + blocks * one_norm,
                    "você somou a norm1 de cada bloco; conte só o módulo att",
                ),
            ],
            "ff_params_count": [
                (
                    counts["feed_forward"] // blocks,
                    f"essa é a feed-forward de um bloco só; são {blocks} blocos",
                ),
                (counts["feed_forward"] - blocks * 5 * emb, "faltaram os biases das duas camadas Linear"),
                (
                    counts["feed_forward"] + blocks * one_norm,
                    "você somou a norm2 de cada bloco; conte só o módulo ff",
                ),
            ],
            "output_params_count": [
                (
                    counts["output_head"] + one_norm,
                    f"você somou a final_norm ({format_int(one_norm)}); aqui ela fica de fora, como as outras layer norms",
                ),
                (
                    counts["output_head"] + GPT_CONFIG_124M["vocab_size"],
                    "o out_head não tem bias (bias=False)",
                ),
                (0, "a cabeça de saída é o out_head, Linear(emb_dim, vocab_size)"),
            ],
        }
        report_problems(
            [
                explain_count(name, as_int(namespace[name], name), value, mistakes[name])
                for name, value in expected.items()
            ]
        )
        covered = sum(expected.values())
        return self.correct(
            f"as quatro contagens batem. Juntas somam {format_int(covered)}; os "
            f"{format_int(counts['total'] - covered)} que faltam para {format_int(counts['total'])} "
            "são das layer norms. A feed-forward tem o dobro dos parâmetros da atenção."
        )


class GPT2Sizes(Exercise):
    id = "06.3"
    title = "GPT-2 medium, large e XL mudando só a configuração"
    max_points = 3.0
    names = ("gpt2_configs", "gpt2_param_counts", "gpt2_memory_mb")
    sizes = ("medium", "large", "xl")
    hint_text = (
        "Parta de uma cópia de GPT_CONFIG_124M e mude só emb_dim, n_layers e n_heads. Para contar sem "
        "alocar memória, crie o modelo dentro de `with torch.device('meta'):` e some p.numel(). "
        "Memória em MB: parâmetros * 4 bytes (float32) / (1024 * 1024)."
    )

    def grade(self, namespace):
        answers = {name: namespace[name] for name in self.names}
        for name, value in answers.items():
            if not isinstance(value, dict) or set(value) != set(self.sizes):
                raise Feedback(f"`{name}` deve ser um dicionário com as chaves 'medium', 'large' e 'xl'")
        problems = [
            self.config_problem(answers["gpt2_configs"]),
            self.count_problem(answers["gpt2_param_counts"]),
            self.memory_problem(answers["gpt2_memory_mb"]),
        ]
        report_problems(problems)
        totals = [parameter_breakdown_from_config(get_gpt2_config(size))["total"] for size in self.sizes]
        return self.correct(
            "configurações, contagens e memória batem: "
            + ", ".join(f"{size} {format_int(total)}" for size, total in zip(self.sizes, totals))
            + " parâmetros."
        )

    def config_problem(self, configs):
        for size in self.sizes:
            given, expected = configs[size], get_gpt2_config(size)
            if not isinstance(given, dict):
                return f"gpt2_configs['{size}'] deve ser um dicionário de configuração"
            wrong = [key for key in expected if given.get(key) != expected[key]]
            wrong += [key for key in given if key not in expected]
            if wrong:
                return (
                    f"em gpt2_configs['{size}'] a(s) chave(s) {', '.join(wrong)} não correspondem ao GPT-2 "
                    f"{size}; só emb_dim, n_layers e n_heads mudam em relação a GPT_CONFIG_124M"
                )
        return None

    def count_problem(self, param_counts):
        for size in self.sizes:
            counts = parameter_breakdown_from_config(get_gpt2_config(size))
            given = as_int(param_counts[size], f"gpt2_param_counts['{size}']")
            mistakes = [
                (
                    counts["total_with_weight_tying"],
                    "você descontou a cabeça de saída (weight tying); aqui conte todos os parâmetros",
                )
            ]
            problem = explain_count(f"gpt2_param_counts['{size}']", given, counts["total"], mistakes)
            if problem:
                return problem
        return None

    def memory_problem(self, memory_mb):
        for size in self.sizes:
            total = parameter_breakdown_from_config(get_gpt2_config(size))["total"]
            expected = model_size_mb(total)
            given = as_float(memory_mb[size], f"gpt2_memory_mb['{size}']")
            if abs(given - expected) <= 0.01:
                continue
            if abs(given - total * 4 / 1e6) <= 0.01:
                return f"gpt2_memory_mb['{size}']: 1 MB aqui são 1024 * 1024 bytes, não 1.000.000"
            if abs(given - model_size_mb(total) / 2) <= 0.01:
                return f"gpt2_memory_mb['{size}']: em float32 cada parâmetro ocupa 4 bytes, não 2"
            return f"gpt2_memory_mb['{size}'] vale {format_decimal(given, 2)} MB; confira parâmetros * 4 bytes / (1024 * 1024)"
        return None


class WhyNot124M(ExplanationExercise):
    id = "06.4"
    title = "Por que 163 milhões e não 124 milhões?"
    hint_text = (
        "Compare o formato de tok_emb.weight e de out_head.weight. O que o GPT-2 original faz com "
        "essas duas matrizes (weight tying)?"
    )


q1 = RecreateGPTModel()
q2 = ParameterDistribution()
q3 = GPT2Sizes()
q4 = WhyNot124M()

EXERCISES = [q1, q2, q3, q4]
