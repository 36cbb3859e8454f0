"""As conferências 06.1, 06.2 e 06.3 com respostas certas em outros estilos e com enganos.

Cada caso dá a nota exata e um pedaço da mensagem esperados: um engano cobrado duas vezes, ou
um estilo certo reprovado, faz o teste falhar.
"""

import nbformat
import pytest
import torch
import torch.nn as nn
from test_checks_lessons import RIGHT_COUNTS, ROOT, assert_result, solution_namespace, without_markers

import gptlab_helpers
from gptlab_helpers.checks import lesson06, meta_device

GELU_LINE = (
    "return 0.5 * x * (1 + torch.tanh(torch.sqrt(torch.tensor(2.0 / torch.pi)) * (x + 0.044715 * x**3)))"
)
BLOCK_FORWARD = (
    "x = x + self.drop_shortcut(self.att(self.norm1(x)))\n"
    "        return x + self.drop_shortcut(self.ff(self.norm2(x)))"
)

# A atenção com F.scaled_dot_product_attention, como na documentação do PyTorch: a máscara causal,
# a escala, a softmax e o dropout numa chamada só.
SDPA_ATTENTION = [
    ("self.dropout = nn.Dropout(dropout)", "self.dropout = dropout"),
    (
        "attn_scores = queries @ keys.transpose(2, 3)\n"
        "        attn_scores.masked_fill_(self.mask.bool()[:num_tokens, :num_tokens], -torch.inf)\n"
        "        attn_weights = self.dropout(torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1))\n"
        "        context = (attn_weights @ values)",
        "p = self.dropout if self.training else 0.0\n"
        "        context = torch.nn.functional.scaled_dot_product_attention(\n"
        "            queries, keys, values, dropout_p=p, is_causal=True\n"
        "        )\n"
        "        context = context",
    ),
]


def evaluate_q1(replacements=(), extra=""):
    namespace = solution_namespace("06", replacements)
    exec(extra, namespace)
    return lesson06.q1.evaluate(namespace)


def solution_cells(starts):
    """As células de código da solução 06 (sem marcadores) que começam com um dos textos `starts`."""
    path = next((ROOT / "solutions").glob("06_*.ipynb"))
    cells = [
        without_markers(c.source)
        for c in nbformat.read(str(path), as_version=4).cells
        if c.cell_type == "code"
    ]
    return [cell for cell in cells if cell.startswith(starts)]


# --- 06.1: recriar as classes ----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    ("replacements", "extra"),
    [
        ([], ""),
        (SDPA_ATTENTION, ""),
        (
            [
                ("nn.Sequential(*[TransformerBlock(cfg)", "nn.ModuleList([TransformerBlock(cfg)"),
                (
                    "x = self.trf_blocks(self.drop_emb(x))",
                    "x = self.drop_emb(x)\n        for block in self.trf_blocks:\n            x = block(x)",
                ),
            ],
            "",
        ),
    ],
    ids=["solução", "atenção-sdpa", "blocos-em-modulelist"],
)
def test_06_1_right_in_other_styles(replacements, extra):
    assert_result(evaluate_q1(replacements, extra), "correct", 2.0, "mesmos logits")


@pytest.mark.slow
@pytest.mark.parametrize(
    ("replacements", "status", "points", "fragments"),
    [
        (
            [("attn_scores / keys.shape[-1] ** 0.5", "attn_scores")],
            "partial",
            1.0,
            ["só a classe MultiHeadAttention", "sqrt(head_dim)"],
        ),
        (
            [
                (
                    "self.out_proj = nn.Linear(d_out, d_out)",
                    "self.out_proj = nn.Linear(d_out, d_out, bias=False)",
                )
            ],
            "partial",
            1.0,
            ["só a classe MultiHeadAttention", "faltam", "out_proj.bias"],
        ),
        (
            [("unbiased=False", "unbiased=True")],
            "partial",
            1.0,
            ["só a classe LayerNorm", "Bessel"],
        ),
        (
            [
                (
                    BLOCK_FORWARD,
                    "x = self.norm1(x + self.drop_shortcut(self.att(x)))\n"
                    "        return self.norm2(x + self.drop_shortcut(self.ff(x)))",
                )
            ],
            "partial",
            1.0,
            ["só a classe TransformerBlock", "Post-LN"],
        ),
        (
            [
                (
                    "x = self.tok_emb(in_idx) + self.pos_emb(torch.arange(seq_len, device=in_idx.device))",
                    "x = self.tok_emb(in_idx)",
                )
            ],
            "partial",
            1.0,
            ["só a classe GPTModel", "os logits do seu GPTModel diferem", "tok_emb + pos_emb"],
        ),
        (
            # só o modo treino difere: o drop_emb depois dos blocos
            [("x = self.trf_blocks(self.drop_emb(x))", "x = self.drop_emb(self.trf_blocks(x))")],
            "partial",
            1.0,
            ["só a classe GPTModel", "modo treino"],
        ),
        (
            [(GELU_LINE, "return torch.relu(x)"), ("attn_scores / keys.shape[-1] ** 0.5", "attn_scores")],
            "incorrect",
            0.0,
            ["2 classes diferem da referência, GELU e MultiHeadAttention", "ReLU", "sqrt(head_dim)"],
        ),
    ],
    ids=[
        "atencao-sem-escala",
        "out-proj-sem-bias",
        "layernorm-com-bessel",
        "bloco-post-ln",
        "gpt-sem-posicoes",
        "drop-emb-no-lugar-errado",
        "duas-classes-erradas",
    ],
)
def test_06_1_one_wrong_class_is_half(replacements, status, points, fragments):
    result = evaluate_q1(replacements)
    assert_result(result, status, points, *fragments)


def test_06_1_student_namespace_is_restored():
    namespace = solution_namespace("06", [("unbiased=False", "unbiased=True")])
    before = dict(namespace)
    lesson06.q1.evaluate(namespace)
    assert all(namespace[name] is before[name] for name in before)


def test_06_1_package_class_is_refused():
    result = lesson06.q1.evaluate({"GPTModel": gptlab_helpers.GPTModel})
    assert_result(result, "incorrect", 0.0, "classe pronta")


# --- 06.2: a contagem em estilos diferentes --------------------------------------------------
PER_BLOCK = """
emb_params_count = model.tok_emb.weight.numel() + model.pos_emb.weight.numel()
att_params_count = sum(sum(p.numel() for p in block.att.parameters()) for block in model.trf_blocks)
ff_params_count = sum(sum(p.numel() for p in block.ff.parameters()) for block in model.trf_blocks)
output_params_count = sum(p.numel() for p in model.out_head.parameters())
"""
ONE_BLOCK_TIMES_N = """
block = model.trf_blocks[0]
emb_params_count = sum(p.numel() for m in (model.tok_emb, model.pos_emb) for p in m.parameters())
att_params_count = len(model.trf_blocks) * sum(p.numel() for p in block.att.parameters())
ff_params_count = len(model.trf_blocks) * sum(p.numel() for p in block.ff.parameters())
output_params_count = model.out_head.weight.numel()
"""


@pytest.mark.slow
@pytest.mark.parametrize(
    "code", ["solução", PER_BLOCK, ONE_BLOCK_TIMES_N], ids=["por-nome", "por-bloco", "um-bloco-vezes-n"]
)
def test_06_2_counting_styles(gpt_124m_and_logits, code):
    if code == "solução":  # a da solução conta pelo nome do parâmetro
        code = solution_cells(("emb_params_count = 0",))[0]
    namespace = {"model": gpt_124m_and_logits[0], **dict.fromkeys(RIGHT_COUNTS, 0)}
    exec(code, namespace)
    assert_result(lesson06.q2.evaluate(namespace), "correct", 4.0, "38.400")


# --- 06.3: os tamanhos do GPT-2 --------------------------------------------------------------
SIZES = ("medium", "large", "xl")
DIMENSIONS = {"medium": (1024, 24, 16), "large": (1280, 36, 20), "xl": (1600, 48, 25)}
TOTALS = {"medium": 406_212_608, "large": 838_220_800, "xl": 1_637_792_000}


def on_meta(cfg):
    with torch.device("meta"):
        model = gptlab_helpers.GPTModel(cfg)
    return sum(p.numel() for p in model.parameters())


def allocating(cfg):
    return sum(p.numel() for p in gptlab_helpers.GPTModel(cfg).parameters())


def sizes_namespace(count_parameters=on_meta, megabyte=1024 * 1024, counts=None):
    base = dict(gptlab_helpers.GPT_CONFIG_124M)
    configs = {
        size: {**base, "emb_dim": d, "n_layers": n, "n_heads": h} for size, (d, n, h) in DIMENSIONS.items()
    }
    counts = dict(counts or TOTALS)
    return {
        "GPT_CONFIG_124M": base,
        "count_parameters": count_parameters,
        "gpt2_configs": configs,
        "gpt2_param_counts": counts,
        "gpt2_memory_mb": {size: counts[size] * 4 / megabyte for size in SIZES},
    }


def test_06_3_right_and_the_book_values():
    assert {size: on_meta(gptlab_helpers.get_gpt2_config(size)) for size in SIZES} == TOTALS
    assert_result(lesson06.q3.evaluate(sizes_namespace()), "correct", 3.0, "xl 1.637.792.000")


@pytest.mark.slow
def test_06_3_solution_code():
    namespace = solution_namespace("06")
    namespace["GPT_CONFIG_124M"] = dict(gptlab_helpers.GPT_CONFIG_124M)
    for code in solution_cells(("gpt2_configs = {", "def count_parameters")):
        exec(code, namespace)
    assert_result(lesson06.q3.evaluate(namespace), "correct", 3.0)


def test_06_3_extra_keys_and_rounded_megabytes_are_fine():
    namespace = sizes_namespace()
    namespace["gpt2_configs"]["small"] = dict(gptlab_helpers.GPT_CONFIG_124M)
    namespace["gpt2_configs"]["xl"]["name"] = "gpt2-xl"
    namespace["gpt2_param_counts"]["small"] = 163_009_536
    namespace["gpt2_memory_mb"] = {size: round(mb) for size, mb in namespace["gpt2_memory_mb"].items()}
    assert_result(lesson06.q3.evaluate(namespace), "correct", 3.0)


def test_06_3_memory_is_scored_against_the_students_own_count():
    tied = {
        size: gptlab_helpers.parameter_breakdown_from_config(gptlab_helpers.get_gpt2_config(size))[
            "total_with_weight_tying"
        ]
        for size in SIZES
    }
    result = lesson06.q3.evaluate(sizes_namespace(counts=tied))
    assert_result(result, "partial", 2.0, "weight tying", "2 de 3")
    assert "gpt2_memory_mb" not in result.message


def test_06_3_megabytes_of_a_million_bytes():
    result = lesson06.q3.evaluate(sizes_namespace(megabyte=1e6))
    assert_result(result, "partial", 2.0, "1024 * 1024 bytes, não 1.000.000")


def test_06_3_wrong_memory_says_what_the_count_gives():
    namespace = sizes_namespace()
    namespace["gpt2_memory_mb"]["large"] = 3000.0
    result = lesson06.q3.evaluate(namespace)
    assert_result(
        result, "partial", 2.0, "gpt2_memory_mb['large'] vale 3.000,00 MB", "838.220.800", "3.197,56"
    )


def test_06_3_one_dict_shared_by_the_three_sizes():
    namespace = sizes_namespace()
    shared = dict(gptlab_helpers.GPT_CONFIG_124M)
    for size, (d, n, h) in DIMENSIONS.items():
        shared.update(emb_dim=d, n_layers=n, n_heads=h)
        namespace["gpt2_configs"][size] = shared  # as contagens foram feitas dentro do laço: certas
    assert_result(
        lesson06.q3.evaluate(namespace),
        "partial",
        2.0,
        "gpt2_configs['medium'], gpt2_configs['large'] e gpt2_configs['xl'] são um dicionário só",
        "2 de 3",
    )


def test_06_3_shared_dict_counted_after_the_loop():
    counts = dict.fromkeys(SIZES, TOTALS["xl"])
    namespace = sizes_namespace(counts=counts)
    shared = namespace["gpt2_configs"]["xl"]
    namespace["gpt2_configs"] = dict.fromkeys(SIZES, shared)
    result = lesson06.q3.evaluate(namespace)
    assert_result(result, "partial", 1.0, "são um dicionário só", "essa é a contagem do xl", "1 de 3")


def test_06_3_mutated_base_config():
    namespace = sizes_namespace()
    base = namespace["GPT_CONFIG_124M"]
    base.update(emb_dim=1024, n_layers=24, n_heads=16)  # medium = GPT_CONFIG_124M; medium.update(...)
    namespace["gpt2_configs"]["medium"] = base
    result = lesson06.q3.evaluate(namespace)
    assert_result(
        result, "partial", 2.0, "GPT_CONFIG_124M foi alterado (emb_dim vale 1024, não 768)", "copy()"
    )


def test_06_3_a_base_config_edited_elsewhere_is_not_blamed_here():
    namespace = sizes_namespace()
    namespace["GPT_CONFIG_124M"]["n_layers"] = 1  # mudado de propósito na célula da 06.2
    assert_result(lesson06.q3.evaluate(namespace), "correct", 3.0)


def test_06_3_counting_without_the_meta_device():
    result = lesson06.q3.evaluate(sizes_namespace(count_parameters=allocating))
    assert_result(
        result, "partial", 2.0, "count_parameters cria o modelo de verdade", "6,1 GB", "torch.device('meta')"
    )


def test_06_3_a_formula_also_counts_without_memory():
    def formula(cfg):
        return gptlab_helpers.parameter_breakdown_from_config(cfg)["total"]

    assert_result(lesson06.q3.evaluate(sizes_namespace(count_parameters=formula)), "correct", 3.0)


def test_06_3_a_large_model_kept_in_memory(monkeypatch):
    monkeypatch.setattr(meta_device, "LARGE_MODEL", 1_000)  # um modelo pequeno faz o papel do XL
    namespace = {**sizes_namespace(), "models": {"xl": nn.Linear(100, 100)}}
    result = lesson06.q3.evaluate(namespace)
    assert_result(result, "partial", 2.0, "`models['xl']` guarda o modelo de verdade")


def test_06_3_counting_never_allocates_the_model():
    watch = meta_device.AllocationWatch()
    with watch:
        count = allocating(gptlab_helpers.get_gpt2_config("xl"))
    assert count == TOTALS["xl"]
    assert watch.real_values >= count  # contou tudo o que seria alocado, sem alocar
    assert meta_device.counts_on_meta(on_meta) is True
    assert meta_device.counts_on_meta(allocating) is False
    assert meta_device.counts_on_meta(lambda cfg: 1 / 0) is None


def test_06_3_not_a_dict():
    result = lesson06.q3.evaluate({**sizes_namespace(), "gpt2_memory_mb": [1, 2, 3]})
    assert_result(result, "incorrect", 0.0, "'medium'")
