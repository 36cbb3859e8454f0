"""A conferência 07.1 (dropout separado) com respostas certas em outros estilos e com enganos.

Cada caso é a solução da aula 07 com uma troca de texto (veja `solution_namespace`), a nota
esperada e um pedaço da mensagem: um caso que der outra nota, ou que apontar outro lugar, falha.
"""

import pytest
import torch
from test_checks_lessons import assert_result, solution_namespace

from gptlab_helpers.checks import lesson07
from gptlab_helpers.checks.dropout_diagnosis import MESSAGES, Finding
from gptlab_helpers.checks.dropout_probe import match_printed, parse_numbers, printed_value_matches

EMB_PRINT = 'print(f"embedding  (drop_rate_emb):      {zero_percent(x):5.2f}% zerados")'
ATT_PRINT = 'print(f"  atenção  (drop_rate_attn):     {zero_percent(attn_weights):5.2f}% zerados")'
SHORTCUT_PRINT = 'print(f"  atalho   (drop_rate_shortcut): {zero_percent(out):5.2f}% zerados")'

# O bloco com nn.ModuleList e as duas subcamadas escritas uma a uma, como muitos alunos fazem.
MODULE_LIST_GPT = """
class TransformerBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.att = MultiHeadAttention(cfg["emb_dim"], cfg["emb_dim"], cfg["context_length"],
                                      cfg["drop_rate_attn"], cfg["n_heads"], cfg["qkv_bias"])
        self.ff = FeedForward(cfg)
        self.norm1 = LayerNorm(cfg["emb_dim"])
        self.norm2 = LayerNorm(cfg["emb_dim"])
        self.drop_shortcut = nn.Dropout(cfg["drop_rate_shortcut"])

    def forward(self, x):
        h = self.drop_shortcut(self.att(self.norm1(x)))
        print("atalho:", round(zero_percent(h), 1))
        x = x + h
        h = self.drop_shortcut(self.ff(self.norm2(x)))
        print("atalho:", round(zero_percent(h), 1))
        return x + h


class GPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate_emb"])
        self.trf_blocks = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        positions = torch.arange(in_idx.shape[1], device=in_idx.device)
        x = self.drop_emb(self.tok_emb(in_idx) + self.pos_emb(positions))
        print("embedding:", round(zero_percent(x), 1))
        for block in self.trf_blocks:
            x = block(x)
        return self.out_head(self.final_norm(x))
"""


def with_module_list():
    namespace = solution_namespace("07")
    exec(MODULE_LIST_GPT, namespace)
    return namespace


def evaluate(replacements=()):
    return lesson07.q1.evaluate(solution_namespace("07", replacements))


# --- respostas certas em outros estilos ------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    "replacements",
    [
        [],
        # prints arredondados para inteiro: "5% zerados"
        [(":5.2f}%", ":.0f}%")],
        # vírgula decimal, como se escreve em português
        [(':5.2f}% zerados")', ':.2f}% zerados".replace(".", ","))')],
        # a fração em vez da porcentagem
        [("{zero_percent(out):5.2f}%", "{zero_percent(out) / 100:.4f} (fração)")],
        # tudo impresso de uma vez no fim, na ordem das chamadas
        [
            (EMB_PRINT, "shares = [zero_percent(x)]"),
            (ATT_PRINT, "SHARES.append(zero_percent(attn_weights))"),
            (SHORTCUT_PRINT, "SHARES.append(zero_percent(out))"),
            (
                "x = self.trf_blocks(x)",
                "SHARES.clear()\n        x = self.trf_blocks(x)\n        print(shares + SHARES)",
            ),
            ("class MultiHeadAttention(nn.Module):", "SHARES = []\n\n\nclass MultiHeadAttention(nn.Module):"),
        ],
        # F.dropout com training=self.training nos pesos de atenção
        [
            (
                "attn_weights = self.dropout(torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1))",
                "attn_weights = torch.nn.functional.dropout(\n"
                "            torch.softmax(attn_scores / keys.shape[-1] ** 0.5, dim=-1), self.dropout.p, self.training\n"
                "        )",
            )
        ],
    ],
    ids=["solução", "inteiro", "vírgula-decimal", "fração", "tudo-no-fim", "f-dropout-com-training"],
)
def test_split_dropout_right_in_other_styles(replacements):
    assert_result(evaluate(replacements), "correct", 4.0, "07.2")


@pytest.mark.slow
def test_split_dropout_module_list_and_rounded_prints():
    assert_result(lesson07.q1.evaluate(with_module_list()), "correct", 4.0, "lugares certos")


# --- enganos: nota e mensagem ----------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize(
    ("replacements", "points", "fragments", "absent"),
    [
        (
            [('nn.Dropout(cfg["drop_rate_emb"])', 'nn.Dropout(cfg["drop_rate_attn"])')],
            3.0,
            ["o drop_emb usa taxa 0,1", "cfg['drop_rate_emb'] = 0,05", "3 de 4"],
            [],
        ),
        (
            [
                ('dropout=cfg["drop_rate_attn"]', 'dropout=cfg["drop_rate_shortcut"]'),
                ('nn.Dropout(cfg["drop_rate_shortcut"])', 'nn.Dropout(cfg["drop_rate_attn"])'),
            ],
            2.0,
            ["trocou as taxas", "cfg['drop_rate_attn'] = 0,1", "cfg['drop_rate_shortcut'] = 0,15"],
            [],
        ),
        (
            # o dropout do embedding aplicado duas vezes: é o drop_emb, não um atalho a mais
            [("x = self.drop_emb(x)", "x = self.drop_emb(self.drop_emb(x))")],
            3.0,
            ["dropout do embedding foi chamado 2 vezes", "drop_emb, drop_emb"],
            ["atalho", "print"],
        ),
        (
            # dropout também nos vetores de contexto: é a atenção, não um atalho a mais
            [("return self.out_proj(context)", "return self.out_proj(self.dropout(context))")],
            3.0,
            ["MultiHeadAttention do bloco 1 o dropout foi chamado 2 vezes", "forma (6, 3, 768)"],
            ["atalho", "print"],
        ),
        (
            # um nn.Dropout separado para os vetores de contexto, com a taxa da atenção
            [
                (
                    "self.dropout = nn.Dropout(dropout)",
                    "self.dropout = nn.Dropout(dropout)\n        self.ctx_drop = nn.Dropout(dropout)",
                ),
                ("return self.out_proj(context)", "return self.out_proj(self.ctx_drop(context))"),
            ],
            3.0,
            ["dropout foi chamado 2 vezes", "forma (6, 3, 768)"],
            ["atalho"],
        ),
        (
            [
                ("out = self.drop_shortcut(sublayer(norm(x)))", "out = sublayer(norm(x))"),
                ("x = x + out", "x = self.drop_shortcut(x + out)"),
            ],
            3.0,
            ["bloco 1", "primeiro dropout de atalho", "saída da atenção"],
            ["print"],
        ),
        (
            [
                (
                    "out = self.drop_shortcut(sublayer(norm(x)))",
                    "out = sublayer(norm(x))\n            self.drop_shortcut(out)",
                )
            ],
            3.0,
            ["saída do bloco 1", "some ao atalho a saída do dropout"],
            ["print"],
        ),
        (
            [
                (
                    "attn_scores = queries @ keys.transpose(2, 3)",
                    "attn_scores = self.dropout(queries @ keys.transpose(2, 3))",
                ),
                ("attn_weights = self.dropout(torch.softmax(", "attn_weights = (torch.softmax("),
            ],
            3.0,
            ["trf_blocks.0.att.dropout recebe", "depois da máscara e da softmax"],
            [],
        ),
        (
            # sem dropout de atalho
            [("out = self.drop_shortcut(sublayer(norm(x)))", "out = sublayer(norm(x))")],
            3.0,
            ["no bloco 1 o dropout de atalho foi chamado 0 vez(es)"],
            [],
        ),
        (
            # F.dropout sem training=self.training: está no lugar certo, mas zera também em modo eval
            [("x = self.drop_emb(x)", "x = torch.nn.functional.dropout(x, 0.05)")],
            3.0,
            ["em modo eval nada deveria ser zerado", "training=self.training"],
            ["drop_emb"],
        ),
        (
            [(EMB_PRINT, "pass")],
            3.0,
            ["depois do drop_emb não encontrei nenhum print", "em 1 dos 7 dropouts"],
            [],
        ),
        (
            # o print mede a entrada do dropout, não a saída
            [
                ("x = self.drop_emb(x)\n", "y = self.drop_emb(x)\n"),
                (EMB_PRINT, EMB_PRINT + "\n        x = y"),
            ],
            3.0,
            ["o print depois do drop_emb mostra 0.00, mas medi ", "em 1 dos 7 dropouts"],
            [],
        ),
        (
            # no segundo atalho o print mede o tensor de antes do dropout
            [
                (
                    "out = self.drop_shortcut(sublayer(norm(x)))",
                    "out = sublayer(norm(x))\n            kept = self.drop_shortcut(out)",
                ),
                ("x = x + out", "x = x + kept"),
            ],
            3.0,
            ["o print depois do dropout de atalho 1 do bloco 1 mostra 0.00", "em 4 dos 7 dropouts"],
            [],
        ),
        (
            [(SHORTCUT_PRINT, "pass"), (ATT_PRINT, "pass"), (EMB_PRINT, "pass")],
            3.0,
            ["não encontrei as porcentagens impressas"],
            [],
        ),
    ],
    ids=[
        "taxa-do-embedding",
        "taxas-trocadas",
        "embedding-duas-vezes",
        "dropout-no-contexto",
        "dropout-no-contexto-modulo-proprio",
        "dropout-depois-da-soma",
        "dropout-fora-da-soma",
        "dropout-antes-da-softmax",
        "sem-dropout-de-atalho",
        "dropout-funcional",
        "print-faltando",
        "print-antes-do-dropout",
        "print-do-tensor-errado",
        "nenhum-print",
    ],
)
def test_split_dropout_mistakes(replacements, points, fragments, absent):
    result = evaluate(replacements)
    assert_result(result, "partial", points, *fragments)
    for fragment in absent:
        assert fragment not in result.message, result.message


@pytest.mark.slow
def test_split_dropout_with_a_single_rate_model():
    # as classes do exercício 06 ainda leem cfg["drop_rate"], que a configuração nova não tem
    assert_result(lesson07.q1.evaluate(solution_namespace("06")), "incorrect", 0.0, "'drop_rate'")


@pytest.mark.slow
def test_no_dropout_at_all():
    namespace = solution_namespace(
        "07",
        [
            ("x = self.drop_emb(x)", "pass"),
            ("out = self.drop_shortcut(sublayer(norm(x)))", "out = sublayer(norm(x))"),
            ("attn_weights = self.dropout(torch.softmax(", "attn_weights = (torch.softmax("),
        ],
    )
    assert_result(lesson07.q1.evaluate(namespace), "incorrect", 0.0, "nenhum nn.Dropout")


# --- as peças: achados e prints --------------------------------------------------------------
def test_every_finding_code_has_a_message():
    assert Finding("atalho", "shortcut_count", {"block": 2, "count": 3}).message.startswith("no bloco 2")
    assert all(isinstance(text, str) and text for text in MESSAGES.values())


def test_printed_values_with_any_rounding():
    printed = "embedding: tensor(0.) 5.03% / atenção 39,8765 / atalho 15.2"
    assert parse_numbers(printed) == [0.0, 5.03, 39.8765, 15.2]
    assert match_printed([5.031, 39.8765, 15.21], printed) == 3
    assert match_printed([39.8765, 5.031], printed) == 1  # fora de ordem não vale
    assert match_printed([39.88], printed) == 0  # 39,8765 tem quatro casas: não é 39,88
    assert match_printed([5.03], "0.0503") == 1  # a fração também vale
    assert printed_value_matches("5", 4.99)  # inteiro: arredondado
    assert printed_value_matches("4", 4.99)  # inteiro: truncado
    assert printed_value_matches("4,99", 4.9913)
    assert not printed_value_matches("5", 6.2)
    assert not printed_value_matches("4.98", 4.9913)
    assert not printed_value_matches("0.00", 4.99)
    assert not printed_value_matches("0", 4.99)  # um inteiro não vale como fração


@pytest.mark.slow
def test_checking_restores_the_random_state():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    evaluate()
    assert torch.equal(torch.rand(3), expected)
