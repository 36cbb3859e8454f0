"""Cada conferência com a resposta certa e com os enganos típicos.

As respostas certas de código são as próprias células de solução dos notebooks em solutions/
(executadas aqui, fora do Jupyter); os enganos são essas mesmas células com uma troca de texto,
o que mantém os testes presos à fonte única.
"""

import ast
import importlib.util
from pathlib import Path

import nbformat
import pytest
import torch

import gptlab_helpers
from gptlab_helpers.checks import (
    lesson01,
    lesson02,
    lesson03,
    lesson04,
    lesson05,
    lesson06,
    lesson07,
    lesson08,
)

ROOT = Path(__file__).resolve().parents[1]


def load_make_exercises():
    spec = importlib.util.spec_from_file_location("make_exercises", ROOT / "scripts" / "make_exercises.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


without_markers = load_make_exercises().without_markers


def definition_cells(lesson):
    """O código (sem marcadores) das células da solução que só importam ou definem algo."""
    path = next((ROOT / "solutions").glob(f"{lesson}_*.ipynb"))
    cells = []
    for cell in nbformat.read(str(path), as_version=4).cells:
        if cell.cell_type != "code":
            continue
        source = without_markers(cell.source)
        try:
            body = ast.parse(source).body
        except SyntaxError:  # a célula de preparação tem %pip
            continue
        if body and all(
            isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)) for node in body
        ):
            cells.append(source)
    return cells


def solution_namespace(lesson, replacements=()):
    """Executa as definições da solução da aula, depois de aplicar as trocas (antigo, novo)."""
    code = "\n\n".join(definition_cells(lesson))
    for old, new in replacements:
        assert old in code, f"o texto {old!r} não está mais na solução da aula {lesson}"
        code = code.replace(old, new)
    namespace = {}
    exec(compile(code, f"<solução {lesson}>", "exec"), namespace)
    return namespace


def assert_result(result, status, points, *fragments):
    assert result.status == status, result.message
    assert result.points == points, result.message
    for fragment in fragments:
        assert fragment in result.message


# --- aula 01 -----------------------------------------------------------------------------
def test_01_logits_shape():
    right = {"logits_shape": (3, 7, 50257), "n_logits": 3 * 7 * 50257}
    assert_result(lesson01.q1.evaluate(right), "correct", 2.0, "1.055.397")
    assert_result(
        lesson01.q1.evaluate({**right, "logits_shape": torch.Size([3, 7, 768])}), "partial", 1.0, "embeddings"
    )
    wrong = {"logits_shape": (3, 50257), "n_logits": 3 * 50257}
    assert_result(lesson01.q1.evaluate(wrong), "incorrect", 0.0, "dimensão dos tokens", "produto")


def test_01_simple_gpt_forward():
    assert_result(lesson01.q2.evaluate(solution_namespace("01")), "correct", 2.0)
    no_positions = solution_namespace(
        "01", [("self.drop_emb(tok_embeds + pos_embeds)", "self.drop_emb(tok_embeds)")]
    )
    assert_result(lesson01.q2.evaluate(no_positions), "incorrect", 0.0, "embedding posicional")
    no_dropout = solution_namespace(
        "01", [("self.drop_emb(tok_embeds + pos_embeds)", "tok_embeds + pos_embeds")]
    )
    assert_result(lesson01.q2.evaluate(no_dropout), "partial", 1.0, "modo treino")
    package = {"DummyGPTModel": gptlab_helpers.DummyGPTModel}
    assert_result(lesson01.q2.evaluate(package), "incorrect", 0.0, "classe pronta do pacote")
    # o nome dos slides do curso também vale, para a classe do aluno e para a recusa do pacote
    slides_name = solution_namespace("01", [("class DummyGPTModel(", "class SimpleGPTModel(")])
    assert "DummyGPTModel" not in slides_name
    assert_result(lesson01.q2.evaluate(slides_name), "correct", 2.0)
    package = {"SimpleGPTModel": gptlab_helpers.DummyGPTModel}
    assert_result(lesson01.q2.evaluate(package), "incorrect", 0.0, "classe pronta do pacote")
    assert_result(lesson01.q2.evaluate({}), "not_attempted", 0.0, "DummyGPTModel")


def test_explanations_need_enough_words():
    exercise = lesson01.q3
    text = "Cada número é o escore de um token do vocabulário; a softmax os transforma em probabilidades."
    assert_result(exercise.evaluate({"explanation": text}), "correct", 1.0, "registrada")
    assert_result(exercise.evaluate({"explanation": "porque sim"}), "partial", 0.5, "2 palavra(s)", "15")
    assert_result(exercise.evaluate({"explanation": "   "}), "not_attempted", 0.0, "vazio")
    assert_result(exercise.evaluate({"explanation": None}), "not_attempted", 0.0)
    assert_result(exercise.evaluate({"explanation": 42}), "incorrect", 0.0, "texto")


# --- aula 02 -----------------------------------------------------------------------------
def test_02_layer_norm_code():
    assert_result(lesson02.q1.evaluate(solution_namespace("02")), "correct", 2.0)
    bessel = solution_namespace("02", [("unbiased=False", "unbiased=True")])
    assert_result(lesson02.q1.evaluate(bessel), "incorrect", 0.0, "unbiased=False")
    no_eps = solution_namespace("02", [("torch.sqrt(var + self.eps)", "torch.sqrt(var)")])
    assert_result(lesson02.q1.evaluate(no_eps), "incorrect", 0.0, "eps", "nan")
    no_affine = solution_namespace("02", [("return self.scale * norm_x + self.shift", "return norm_x")])
    assert_result(lesson02.q1.evaluate(no_affine), "incorrect", 0.0, "scale e shift")


def test_02_layer_norm_params():
    assert_result(lesson02.q2.evaluate({"layer_norm_params": 38_400}), "correct", 1.0, "38.400")
    assert_result(lesson02.q2.evaluate({"layer_norm_params": 36_864}), "incorrect", 0.0, "final_norm")
    assert_result(lesson02.q2.evaluate({"layer_norm_params": "38400"}), "incorrect", 0.0, "número inteiro")


# --- aula 03 -----------------------------------------------------------------------------
def test_03_gelu_code():
    formula = (
        "return 0.5 * x * (1 + torch.tanh(torch.sqrt(torch.tensor(2.0 / torch.pi)) * (x + 0.044715 * x**3)))"
    )
    assert_result(lesson03.q1.evaluate(solution_namespace("03")), "correct", 2.0)
    relu = solution_namespace("03", [(formula, "return torch.relu(x)")])
    assert_result(lesson03.q1.evaluate(relu), "incorrect", 0.0, "ReLU")
    exact = solution_namespace("03", [(formula, "return torch.nn.functional.gelu(x)")])
    assert_result(lesson03.q1.evaluate(exact), "partial", 1.0, "erf")
    no_cube = solution_namespace("03", [("0.044715 * x**3", "0.044715 * x")])
    assert_result(lesson03.q1.evaluate(no_cube), "incorrect", 0.0, "0.044715 * x**3")


def test_03_feed_forward_sizes():
    right = {"hidden_shape": (2, 3, 3072), "ff_block_params": 4_722_432}
    assert_result(lesson03.q2.evaluate(right), "correct", 2.0)
    no_bias = {**right, "ff_block_params": 4_718_592}
    assert_result(lesson03.q2.evaluate(no_bias), "partial", 1.0, "biases")
    assert_result(
        lesson03.q2.evaluate({**right, "hidden_shape": torch.zeros(2, 3, 3072)}), "incorrect", 0.0, ".shape"
    )


# --- aula 04 -----------------------------------------------------------------------------
def test_04_shortcut_forward():
    assert_result(lesson04.q1.evaluate(solution_namespace("04")), "correct", 2.0)
    always = solution_namespace(
        "04", [("if self.use_shortcut and x.shape == layer_output.shape:", "if self.use_shortcut:")]
    )
    assert_result(lesson04.q1.evaluate(always), "incorrect", 0.0, "(1, 3)", "mesma forma")
    never = solution_namespace("04", [("x = x + layer_output", "x = layer_output")])
    assert_result(lesson04.q1.evaluate(never), "incorrect", 0.0, "x = x + layer_output")
    slides_name = solution_namespace(
        "04", [("class ExampleDeepNeuralNetwork(", "class SimpleDeepNeuralNetwork(")]
    )
    assert "ExampleDeepNeuralNetwork" not in slides_name
    assert_result(lesson04.q1.evaluate(slides_name), "correct", 2.0)
    assert_result(lesson04.q1.evaluate({}), "not_attempted", 0.0, "ExampleDeepNeuralNetwork")


def test_04_gradient_ratio(lesson):
    means = lesson["shortcut_demo"]
    ratio = means["with_shortcut"]["layers.0.0.weight"] / means["without_shortcut"]["layers.0.0.weight"]
    assert_result(lesson04.q2.evaluate({"gradient_ratio": ratio}), "correct", 1.0, "1.099")
    assert_result(lesson04.q2.evaluate({"gradient_ratio": 1 / ratio}), "incorrect", 0.0, "invertida")


# --- aula 05 -----------------------------------------------------------------------------
def test_05_block_parameters():
    right = {"ff_params": 4_722_432, "att_params": 2_360_064}
    assert_result(lesson05.q1.evaluate(right), "correct", 2.0, "2,0 vezes")
    no_bias = {**right, "att_params": 2_360_064 - 768}
    assert_result(lesson05.q1.evaluate(no_bias), "partial", 1.0, "bias do out_proj")


FIRST_HALF = "x = self.drop_shortcut(self.att(self.norm1(x)))\n        x = x + shortcut"


def test_05_transformer_block_forward():
    assert_result(lesson05.q2.evaluate(solution_namespace("05")), "correct", 2.0)
    post_ln = solution_namespace(
        "05",
        [
            (FIRST_HALF, "x = self.norm1(x + self.drop_shortcut(self.att(x)))"),
            (
                "x = self.drop_shortcut(self.ff(self.norm2(x)))\n        return x + shortcut",
                "return self.norm2(x + self.drop_shortcut(self.ff(x)))",
            ),
        ],
    )
    assert_result(lesson05.q2.evaluate(post_ln), "incorrect", 0.0, "Post-LN")
    late_dropout = solution_namespace(
        "05", [(FIRST_HALF, "x = self.drop_shortcut(self.att(self.norm1(x)) + shortcut)")]
    )
    assert_result(lesson05.q2.evaluate(late_dropout), "partial", 1.0, "modo treino")


# --- aula 06 -----------------------------------------------------------------------------
def test_06_recreate_gpt_model():
    assert_result(lesson06.q1.evaluate(solution_namespace("06")), "correct", 2.0)
    no_scaling = solution_namespace("06", [("attn_scores / keys.shape[-1] ** 0.5", "attn_scores")])
    assert_result(lesson06.q1.evaluate(no_scaling), "incorrect", 0.0, "MultiHeadAttention", "sqrt(head_dim)")
    no_bias = solution_namespace(
        "06",
        [("self.out_proj = nn.Linear(d_out, d_out)", "self.out_proj = nn.Linear(d_out, d_out, bias=False)")],
    )
    assert_result(lesson06.q1.evaluate(no_bias), "incorrect", 0.0, "faltam", "out_proj.bias")
    package = {"GPTModel": gptlab_helpers.GPTModel}
    assert_result(lesson06.q1.evaluate(package), "incorrect", 0.0, "classe pronta")


RIGHT_COUNTS = {
    "emb_params_count": 39_383_808,
    "att_params_count": 28_320_768,
    "ff_params_count": 56_669_184,
    "output_params_count": 38_597_376,
}


def test_06_parameter_distribution():
    assert_result(lesson06.q2.evaluate(RIGHT_COUNTS), "correct", 4.0, "38.400")
    no_positions = {**RIGHT_COUNTS, "emb_params_count": 38_597_376}
    assert_result(
        lesson06.q2.evaluate(no_positions), "partial", 3.0, "faltou o embedding posicional (786.432)"
    )
    no_bias = {**no_positions, "att_params_count": 28_320_768 - 12 * 768}
    assert_result(lesson06.q2.evaluate(no_bias), "partial", 2.0, "faltou o bias do out_proj", "2 de 4")
    odd = {**RIGHT_COUNTS, "ff_params_count": 56_669_184 + 5}
    assert_result(lesson06.q2.evaluate(odd), "partial", 3.0, "sobram 5 parâmetros")


def gpt2_answers(count_key="total", megabyte=1024 * 1024):
    sizes = ("medium", "large", "xl")
    configs = {size: gptlab_helpers.get_gpt2_config(size) for size in sizes}
    counts = {
        size: gptlab_helpers.parameter_breakdown_from_config(configs[size])[count_key] for size in sizes
    }
    memory = {size: counts[size] * 4 / megabyte for size in sizes}
    return {"gpt2_configs": configs, "gpt2_param_counts": counts, "gpt2_memory_mb": memory}


def test_06_gpt2_sizes():
    right = gpt2_answers()
    assert right["gpt2_param_counts"]["xl"] == 1_637_792_000  # o valor do livro
    assert_result(lesson06.q3.evaluate(right), "correct", 3.0, "xl 1.637.792.000")
    assert_result(
        lesson06.q3.evaluate(gpt2_answers("total_with_weight_tying")), "partial", 1.0, "weight tying"
    )
    assert_result(lesson06.q3.evaluate(gpt2_answers(megabyte=1e6)), "partial", 2.0, "1024 * 1024")
    wrong_heads = gpt2_answers()
    wrong_heads["gpt2_configs"]["large"] = {**wrong_heads["gpt2_configs"]["large"], "n_heads": 16}
    assert_result(lesson06.q3.evaluate(wrong_heads), "partial", 2.0, "gpt2_configs['large']", "n_heads")
    assert_result(lesson06.q3.evaluate({**right, "gpt2_memory_mb": [1, 2, 3]}), "incorrect", 0.0, "'medium'")


# --- aula 07 -----------------------------------------------------------------------------
def test_07_split_dropout_right_answer():
    assert_result(lesson07.q1.evaluate(solution_namespace("07")), "correct", 4.0, "07.2")


@pytest.mark.parametrize(
    ("replacements", "points", "fragments"),
    [
        (
            [('nn.Dropout(cfg["drop_rate_emb"])', 'nn.Dropout(cfg["drop_rate_attn"])')],
            3.0,
            ["drop_emb usa p=0.1", "0.05"],
        ),
        (
            [
                ('dropout=cfg["drop_rate_attn"]', 'dropout=cfg["drop_rate_shortcut"]'),
                ('nn.Dropout(cfg["drop_rate_shortcut"])', 'nn.Dropout(cfg["drop_rate_attn"])'),
            ],
            2.0,
            ["trocou as taxas", "drop_rate_shortcut'] = 0.15"],
        ),
        (
            # o print mede `out`, que não é mais a saída do dropout: os prints também falham
            [
                ("out = self.drop_shortcut(sublayer(norm(x)))", "out = sublayer(norm(x))"),
                ("x = x + out", "x = self.drop_shortcut(x + out)"),
            ],
            2.0,
            ["bloco 1", "saída da atenção", "achei nos prints"],
        ),
        (
            [
                (
                    "out = self.drop_shortcut(sublayer(norm(x)))",
                    "out = sublayer(norm(x))\n            self.drop_shortcut(out)",
                )
            ],
            2.0,
            ["some ao atalho a saída do dropout", "achei nos prints"],
        ),
        (
            [
                (
                    "attn_scores = queries @ keys.transpose(2, 3)",
                    "attn_scores = self.dropout(queries @ keys.transpose(2, 3))",
                ),
                ("attn_weights = self.dropout(torch.softmax(", "attn_weights = (torch.softmax("),
            ],
            2.0,
            ["depois", "softmax", "achei nos prints"],
        ),
        (
            [("x = self.drop_emb(x)", "x = torch.nn.functional.dropout(x, 0.05)")],
            2.0,
            ["drop_emb", "modo eval"],
        ),
        (
            [('print(f"embedding  (drop_rate_emb):      {zero_percent(x):5.2f}% zerados")', "pass")],
            3.0,
            ["achei nos prints"],
        ),
    ],
    ids=[
        "taxa-do-embedding",
        "taxas-trocadas",
        "dropout-depois-da-soma",
        "dropout-fora-da-soma",
        "dropout-antes-da-softmax",
        "dropout-funcional",
        "print-faltando",
    ],
)
def test_07_split_dropout_mistakes(replacements, points, fragments):
    result = lesson07.q1.evaluate(solution_namespace("07", replacements))
    assert_result(result, "partial" if points else "incorrect", points, *fragments)


def test_07_split_dropout_with_a_single_rate_model():
    # as classes do exercício 06 ainda leem cfg["drop_rate"], que a configuração nova não tem
    result = lesson07.q1.evaluate(solution_namespace("06"))
    assert_result(result, "incorrect", 0.0, "'drop_rate'")


def test_07_attention_zero_share():
    assert_result(lesson07.q2.evaluate({"attn_zero_percent": 40.0}), "correct", 1.0, "33,3%")
    assert_result(lesson07.q2.evaluate({"attn_zero_percent": 10}), "incorrect", 0.0, "máscara causal")
    assert_result(lesson07.q2.evaluate({"attn_zero_percent": 0.4}), "incorrect", 0.0, "porcentagem")


def test_07_survivor_scale():
    assert_result(lesson07.q3.evaluate({"survivor_scale": 1 / 0.85}), "correct", 1.0, "1,1765")
    assert_result(lesson07.q3.evaluate({"survivor_scale": 1.0}), "incorrect", 0.0, "multiplica")
    assert_result(lesson07.q3.evaluate({"survivor_scale": 0.85}), "incorrect", 0.0, "inverso")


# --- aula 08 -----------------------------------------------------------------------------
def test_08_generate_text_simple():
    assert_result(lesson08.q1.evaluate(solution_namespace("08")), "correct", 2.0)
    no_crop = solution_namespace("08", [("idx_cond = idx[:, -context_size:]", "idx_cond = idx")])
    assert_result(lesson08.q1.evaluate(no_crop), "incorrect", 0.0, "idx[:, -context_size:]")
    first_position = solution_namespace("08", [("logits[:, -1, :]", "logits[:, 0, :]")])
    assert_result(lesson08.q1.evaluate(first_position), "incorrect", 0.0, "logits[:, -1, :]")
    only_new = solution_namespace("08", [("idx = torch.cat((idx, idx_next), dim=1)", "idx = idx_next")])
    assert_result(lesson08.q1.evaluate(only_new), "incorrect", 0.0, "forma")
    package = {"generate_text_simple": gptlab_helpers.generate_text_simple}
    assert_result(lesson08.q1.evaluate(package), "incorrect", 0.0, "função pronta")


def test_08_window_lengths():
    assert_result(lesson08.q2.evaluate({"window_lengths": [4, 5, 5, 5, 5, 5]}), "correct", 1.0)
    assert_result(
        lesson08.q2.evaluate({"window_lengths": [4, 5, 6, 7, 8, 9]}), "incorrect", 0.0, "faltou o corte"
    )
    assert_result(lesson08.q2.evaluate({"window_lengths": [4, 5, 5]}), "incorrect", 0.0, "6")
