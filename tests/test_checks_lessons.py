"""Cada conferência com a resposta certa e com os enganos típicos.

As respostas certas de código são as próprias células de solução dos notebooks em solutions/
(executadas aqui, fora do Jupyter); os enganos são essas mesmas células com uma troca de texto,
o que mantém os testes presos à fonte única.
"""

import ast
from pathlib import Path

import nbformat
import pytest
import torch
from gptlab_instructor.authoring.exercises import without_markers

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
    lesson13,
)

ROOT = Path(__file__).resolve().parents[1]


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


def test_explanations_are_recorded_for_the_instructor_without_automatic_points():
    exercise = lesson01.q3
    text = "Cada número é o escore de um token do vocabulário; a softmax os transforma em probabilidades."
    result = exercise.evaluate({"explanation": text})
    assert_result(result, "review", 0.0, "registrada: o instrutor lê")
    assert result.answer == text and "A revisar (vale 1 ponto)" in result.text()
    # um texto vazio de sentido não ganha o ponto sozinho: também vai para o instrutor
    vague = "não sei explicar direito mas acho que tem a ver com alguma coisa do modelo que muda o resultado final"
    assert_result(exercise.evaluate({"explanation": vague}), "review", 0.0, "registrada")
    assert_result(exercise.evaluate({"explanation": "porque sim"}), "review", 0.0, "2 palavra(s)", "15")
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
# 06.1 e 06.3 têm os seus casos em test_checks_lesson06.py
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


# --- aula 07 (a 07.1 tem os seus casos em test_checks_lesson07.py) ------------------------
def test_07_attention_zero_share():
    assert_result(lesson07.q2.evaluate({"attn_zero_percent": 40.0}), "correct", 1.0, "33,3%")
    assert_result(lesson07.q2.evaluate({"attn_zero_percent": 10}), "incorrect", 0.0, "máscara causal")
    assert_result(lesson07.q2.evaluate({"attn_zero_percent": 0.4}), "incorrect", 0.0, "porcentagem")


def test_07_survivor_scale():
    assert_result(lesson07.q3.evaluate({"survivor_scale": 1 / 0.85}), "correct", 1.0, "1,1765")
    assert_result(lesson07.q3.evaluate({"survivor_scale": 1.0}), "incorrect", 0.0, "multiplica")
    assert_result(lesson07.q3.evaluate({"survivor_scale": 0.85}), "incorrect", 0.0, "inverso")


# --- aula 08 -----------------------------------------------------------------------------
@pytest.mark.slow
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


# --- aula 13 -----------------------------------------------------------------------------
RMS_LINE = "rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps)"


def test_13_rmsnorm_code():
    assert_result(lesson13.q1.evaluate(solution_namespace("13")), "correct", 2.0)
    # outro estilo: uma subclasse de torch.nn.RMSNorm, com o parâmetro chamado weight
    other_style = {
        "RMSNorm": type(
            "RMSNorm",
            (torch.nn.RMSNorm,),
            {"__init__": lambda self, d: torch.nn.RMSNorm.__init__(self, d, eps=1e-5)},
        )
    }
    assert_result(lesson13.q1.evaluate(other_style), "correct", 2.0)
    rsqrt = solution_namespace(
        "13", [("return self.scale * x / rms", "return self.scale * x * torch.rsqrt(rms**2)")]
    )
    assert_result(lesson13.q1.evaluate(rsqrt), "correct", 2.0)
    centered = solution_namespace(
        "13",
        [
            (
                "return self.scale * x / rms",
                "return self.scale * (x - x.mean(-1, keepdim=True)) / x.std(-1, keepdim=True, unbiased=False).add(1e-5)",
            )
        ],
    )
    assert_result(lesson13.q1.evaluate(centered), "incorrect", 0.0)
    layer_norm = solution_namespace(
        "13", [(RMS_LINE, "x = x - x.mean(dim=-1, keepdim=True); " + RMS_LINE.replace("rms =", "rms ="))]
    )
    assert_result(lesson13.q1.evaluate(layer_norm), "incorrect", 0.0, "subtraiu a média")
    summed = solution_namespace("13", [(".mean(dim=-1, keepdim=True)", ".sum(dim=-1, keepdim=True)")])
    assert_result(lesson13.q1.evaluate(summed), "incorrect", 0.0, "SOMA")
    no_scale = solution_namespace("13", [("return self.scale * x / rms", "return x / rms")])
    assert_result(lesson13.q1.evaluate(no_scale), "incorrect", 0.0, "scale")
    no_eps = solution_namespace("13", [(" + self.eps)", ")")])
    assert_result(lesson13.q1.evaluate(no_eps), "incorrect", 0.0, "eps", "nan")
    with_shift = solution_namespace(
        "13",
        [
            (
                "self.scale = nn.Parameter(torch.ones(emb_dim))",
                "self.scale = nn.Parameter(torch.ones(emb_dim)); self.shift = nn.Parameter(torch.zeros(emb_dim))",
            )
        ],
    )
    assert_result(lesson13.q1.evaluate(with_shift), "incorrect", 0.0, "shift")
    package = {"RMSNorm": gptlab_helpers.RMSNorm}
    assert_result(lesson13.q1.evaluate(package), "incorrect", 0.0, "classe pronta")


def test_13_rope_code():
    assert_result(lesson13.q2.evaluate(solution_namespace("13")), "correct", 2.0, "x[i + D/2]")
    rope_line = "return x * cos + rotated * sin"
    interleaved = {"apply_rope": lesson13.interleaved_rope}  # pares vizinhos: a convenção do artigo
    assert_result(lesson13.q2.evaluate(interleaved), "correct", 2.0, "convenção do artigo")
    backwards = solution_namespace("13", [(rope_line, "return x * cos - rotated * sin")])
    assert_result(lesson13.q2.evaluate(backwards), "incorrect", 0.0, "sentido contrário")
    unrotated = solution_namespace("13", [(rope_line, "return x * cos")])
    assert_result(lesson13.q2.evaluate(unrotated), "incorrect", 0.0, "parte girada")
    swapped = solution_namespace("13", [(rope_line, "return x * sin + rotated * cos")])
    assert_result(lesson13.q2.evaluate(swapped), "incorrect", 0.0, "trocados")
    odd = solution_namespace("13", [(rope_line, "return x * cos + rotated * sin * 2")])
    assert_result(lesson13.q2.evaluate(odd), "incorrect", 0.0, "difere")
    package = {"apply_rope": gptlab_helpers.variants.modern.apply_rope}
    assert_result(lesson13.q2.evaluate(package), "incorrect", 0.0, "função pronta")
    assert_result(lesson13.q2.evaluate({"apply_rope": 3}), "incorrect", 0.0, "deveria ser uma função")


def test_13_modern_block_parameters():
    right = {"attention_params": 12_288, "feed_forward_params": 38_400, "norm_params": 128}
    assert_result(lesson13.q3.evaluate(right), "correct", 3.0, "50.816")
    model = gptlab_helpers.GPTModel(lesson13.MODERN_BLOCK_CONFIG)
    block = model.trf_blocks[0]
    counted = {  # o outro jeito: somar os tensores do bloco de verdade
        "attention_params": sum(p.numel() for p in block.att.parameters()),
        "feed_forward_params": torch.tensor(sum(p.numel() for p in block.ff.parameters())),
        "norm_params": sum(p.numel() for n, p in block.named_parameters() if "norm" in n),
    }
    assert_result(lesson13.q3.evaluate(counted), "correct", 3.0)
    assert_result(lesson13.q3.evaluate({**right, "attention_params": 16_384}), "partial", 2.0, "n_kv_heads")
    assert_result(
        lesson13.q3.evaluate({**right, "attention_params": 12_352}), "partial", 2.0, "out_proj não tem bias"
    )
    assert_result(
        lesson13.q3.evaluate({**right, "feed_forward_params": 25_600}), "partial", 2.0, "três matrizes"
    )
    assert_result(
        lesson13.q3.evaluate({**right, "feed_forward_params": 49_152}), "partial", 2.0, "ff_hidden_dim"
    )
    assert_result(lesson13.q3.evaluate({**right, "norm_params": 256}), "partial", 2.0, "não tem shift")
    assert_result(lesson13.q3.evaluate({**right, "norm_params": 64}), "partial", 2.0, "duas")
    wrong_all = {"attention_params": 1, "feed_forward_params": 2, "norm_params": 3}
    assert_result(lesson13.q3.evaluate(wrong_all), "incorrect", 0.0, "faltam")
    assert_result(lesson13.q3.evaluate(dict.fromkeys(right, 0)), "not_attempted", 0.0)


def test_13_why_gqa_is_an_open_answer():
    text = "Com menos cabeças de key e value, o cache de keys e values de cada token fica quatro vezes menor."
    assert_result(lesson13.q4.evaluate({"explanation": text}), "review", 0.0, "registrada")
