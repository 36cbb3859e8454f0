"""Exercícios da aula 06: distribuição de parâmetros e os tamanhos do GPT-2.

O primeiro par é o da lista da disciplina: recriar as classes do GPTModel e contar os
parâmetros do embedding (tokens + posições), da atenção, das feed-forward e da cabeça de
saída. As layer norms (38.400 parâmetros) não entram em nenhum dos quatro grupos.
"""

from .. import gpt
from ..analysis import model_size_mb, parameter_breakdown_from_config
from ..config import GPT_CONFIG_124M, get_gpt2_config
from .answers import as_float, as_int, explain_count, report_counts, report_problems, student_class
from .base import Exercise, Feedback, format_decimal, format_int
from .kinds import ExplanationExercise
from .meta_device import counts_on_meta, large_models_in_memory
from .modules import compare_gpt, wrong_classes


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

    def grade(self, namespace, cfg=None, **variation):
        """`cfg` e `variation` (seed, input_seed, dropout_seed, batch) vão para `compare_gpt`."""
        cls = student_class(namespace, "GPTModel", gpt.GPTModel)
        try:
            compare_gpt(cls, cfg, **variation)
        except Feedback as whole:
            raise self.partial_credit(namespace, whole) from None
        return self.correct(
            "com os mesmos pesos, o seu GPTModel dá os mesmos logits que gptlab_helpers.GPTModel, "
            "em modo eval e em modo treino."
        )

    @staticmethod
    def partial_credit(namespace, whole):
        """1 de 2 pontos quando só uma das seis classes difere da referência, e o nome dela."""
        wrong = wrong_classes(namespace)
        if len(wrong) == 1:
            name, feedback = wrong[0]
            return Feedback(f"só a classe {name} difere da referência: {feedback.message}", fraction=0.5)
        if wrong:
            names = ", ".join(name for name, _ in wrong[:-1]) + f" e {wrong[-1][0]}"
            details = "; ".join(f"{name}: {feedback.message}" for name, feedback in wrong)
            return Feedback(f"{len(wrong)} classes diferem da referência, {names}. {details}")
        return whole


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
        expected = {
            "emb_params_count": counts["token_embedding"] + counts["positional_embedding"],
            "att_params_count": counts["attention"],
            "ff_params_count": counts["feed_forward"],
            "output_params_count": counts["output_head"],
        }
        report_counts(namespace, expected, self.known_mistakes(counts))
        covered = sum(expected.values())
        return self.correct(
            f"as quatro contagens batem. Juntas somam {format_int(covered)}; os "
            f"{format_int(counts['total'] - covered)} que faltam para {format_int(counts['total'])} "
            "são das layer norms. A feed-forward tem o dobro dos parâmetros da atenção."
        )

    @staticmethod
    def known_mistakes(counts):
        """Os erros comuns de cada contagem: {nome: [(valor errado, o que faltou ou sobrou)]}."""
        blocks = GPT_CONFIG_124M["n_layers"]
        emb = GPT_CONFIG_124M["emb_dim"]
        one_norm = 2 * emb  # scale e shift
        return {
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
        for name, value in answers.items():  # outras chaves além das três são ignoradas
            if not isinstance(value, dict) or not set(self.sizes) <= set(value):
                raise Feedback(f"`{name}` deve ser um dicionário com as chaves 'medium', 'large' e 'xl'")
        counts = {
            size: as_int(answers["gpt2_param_counts"][size], f"gpt2_param_counts['{size}']")
            for size in self.sizes
        }
        problems = [
            self.config_problem(answers["gpt2_configs"], namespace.get("GPT_CONFIG_124M")),
            self.count_problem(counts) or self.allocation_problem(namespace),
            self.memory_problem(answers["gpt2_memory_mb"], counts),
        ]
        report_problems(problems)
        return self.correct(
            "configurações, contagens e memória batem: "
            + ", ".join(f"{size} {format_int(self.total(size))}" for size in self.sizes)
            + " parâmetros."
        )

    @staticmethod
    def total(size):
        return parameter_breakdown_from_config(get_gpt2_config(size))["total"]

    def config_problem(self, configs, base):
        if not all(isinstance(configs[size], dict) for size in self.sizes):
            size = next(size for size in self.sizes if not isinstance(configs[size], dict))
            return f"gpt2_configs['{size}'] deve ser um dicionário de configuração"
        shared = [
            size for size in self.sizes if any(configs[size] is configs[o] for o in self.sizes if o != size)
        ]
        if shared:
            names = ", ".join(f"gpt2_configs['{size}']" for size in shared[:-1])
            return (
                f"{names} e gpt2_configs['{shared[-1]}'] são um dicionário só: mudar emb_dim de um tamanho "
                "muda os outros. Crie uma cópia para cada tamanho, como {**GPT_CONFIG_124M, 'emb_dim': 1024, ...}"
            )
        if self.base_was_resized(configs, base):
            changed = [
                key for key in ("emb_dim", "n_layers", "n_heads") if base.get(key) != GPT_CONFIG_124M[key]
            ]
            key = changed[0] if changed else "emb_dim"
            return (
                f"GPT_CONFIG_124M foi alterado ({key} vale {base.get(key)!r}, não {GPT_CONFIG_124M[key]!r}): "
                "cfg = GPT_CONFIG_124M não copia o dicionário, só dá outro nome a ele. Use "
                "GPT_CONFIG_124M.copy() ou {**GPT_CONFIG_124M, ...} e rode de novo a célula de GPT_CONFIG_124M"
            )
        for size in self.sizes:  # só as chaves de GPT_CONFIG_124M: chaves a mais não mudam o modelo
            expected = get_gpt2_config(size)
            wrong = [key for key in GPT_CONFIG_124M if configs[size].get(key) != expected[key]]
            if wrong:
                return (
                    f"em gpt2_configs['{size}'] a(s) chave(s) {', '.join(wrong)} não correspondem ao GPT-2 "
                    f"{size}; só emb_dim, n_layers e n_heads mudam em relação a GPT_CONFIG_124M"
                )
        return None

    def base_was_resized(self, configs, base):
        """True se o código do exercício mudou o GPT_CONFIG_124M do aluno em vez de copiá-lo.

        Ou uma das configurações é o próprio GPT_CONFIG_124M, ou ele ficou com as dimensões de um
        dos tamanhos. Uma mudança feita de propósito em outra célula (n_layers = 1) não conta.
        """
        if not isinstance(base, dict):
            return False
        dims = ("emb_dim", "n_layers", "n_heads")
        resized = any(all(base.get(key) == get_gpt2_config(size)[key] for key in dims) for size in self.sizes)
        return resized or any(configs[size] is base for size in self.sizes)

    def count_problem(self, counts):
        totals = {size: self.total(size) for size in self.sizes}
        for size in self.sizes:
            breakdown = parameter_breakdown_from_config(get_gpt2_config(size))
            mistakes = [
                (
                    breakdown["total_with_weight_tying"],
                    "você descontou a cabeça de saída (weight tying); aqui conte todos os parâmetros",
                )
            ]
            mistakes += [
                (totals[other], f"essa é a contagem do {other}; a configuração usada foi a de outro tamanho")
                for other in self.sizes
                if other != size
            ]
            problem = explain_count(f"gpt2_param_counts['{size}']", counts[size], totals[size], mistakes)
            if problem:
                return problem
        return None

    @staticmethod
    def allocation_problem(namespace):
        """As contagens batem; foram feitas sem alocar memória, como pede o enunciado?"""
        large = large_models_in_memory(namespace)
        count_parameters = namespace.get("count_parameters")
        on_meta = counts_on_meta(count_parameters) if callable(count_parameters) else None
        if not large and on_meta is not False:
            return None
        where = f"`{large[0]}` guarda" if large else "count_parameters cria"
        return (
            f"as contagens batem, mas {where} o modelo de verdade, na memória: o XL ocuparia "
            f"{format_decimal(model_size_mb(GPT2Sizes.total('xl')) / 1024, 1)} GB só de pesos. Crie o "
            "modelo dentro de `with torch.device('meta'):`, que guarda só as formas"
        )

    def memory_problem(self, memory_mb, counts):
        """A memória é conferida com a contagem do próprio aluno: um erro na contagem não conta duas vezes."""
        for size in self.sizes:
            given = as_float(memory_mb[size], f"gpt2_memory_mb['{size}']")
            references = {counts[size], self.total(size)}
            if any(abs(given - model_size_mb(count)) <= 0.5 for count in references):  # MB arredondados valem
                continue
            count = counts[size]
            if abs(given - count * 4 / 1e6) <= 0.5:
                return f"gpt2_memory_mb['{size}']: 1 MB aqui são 1024 * 1024 bytes, não 1.000.000"
            if abs(given - model_size_mb(count) / 2) <= 0.5:
                return f"gpt2_memory_mb['{size}']: em float32 cada parâmetro ocupa 4 bytes, não 2"
            if abs(given - model_size_mb(count) * 1024) <= 0.5 * 1024:
                return f"gpt2_memory_mb['{size}'] está em KB; divida por 1024 * 1024 bytes, não só por 1024"
            return (
                f"gpt2_memory_mb['{size}'] vale {format_decimal(given, 2)} MB, mas {format_int(count)} "
                f"parâmetros * 4 bytes / (1024 * 1024) dão {format_decimal(model_size_mb(count), 2)} MB"
            )
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
