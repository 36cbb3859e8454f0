"""As conferências dos exercícios 12 e 14: a resposta certa (em mais de um estilo) e os enganos típicos."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from gptlab_helpers import GPTModel, MultiHeadAttention, next_token_probabilities
from gptlab_helpers.checks import EXERCISE_SETS, lesson12, lesson14
from gptlab_helpers.layers import FeedForward, LayerNorm
from gptlab_helpers.training.norm_position import block_gradient_norms


def assert_result(result, status, points, *fragments):
    assert result.status == status, result.message
    assert result.points == points, result.message
    for fragment in fragments:
        assert fragment in result.message, result.message


def test_both_lists_are_registered():
    assert EXERCISE_SETS["12"] == lesson12.EXERCISES
    assert EXERCISE_SETS["14"] == lesson14.EXERCISES
    assert [q.id for q in lesson12.EXERCISES] == ["12.1", "12.2", "12.3"]
    assert [q.id for q in lesson14.EXERCISES] == ["14.1", "14.2", "14.3"]


# --- 12.1: o bloco Post-LN --------------------------------------------------------------------
def block_class(forward):
    """Uma classe com as peças do bloco do livro e o `forward` dado."""

    class Block(nn.Module):
        def __init__(self, cfg):
            super().__init__()
            self.att = MultiHeadAttention(
                cfg["emb_dim"], cfg["emb_dim"], cfg["context_length"], cfg["drop_rate"], cfg["n_heads"]
            )
            self.ff = FeedForward(cfg)
            self.norm1 = LayerNorm(cfg["emb_dim"])
            self.norm2 = LayerNorm(cfg["emb_dim"])
            self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

    Block.forward = forward
    return Block


def post_ln(self, x):
    x = self.norm1(x + self.drop_shortcut(self.att(x)))
    return self.norm2(x + self.drop_shortcut(self.ff(x)))


def post_ln_written_out(self, x):
    """Outro estilo: com variáveis intermediárias e a soma na outra ordem."""
    attended = self.drop_shortcut(self.att(x))
    h = self.norm1(attended + x)
    fed = self.drop_shortcut(self.ff(h))
    return self.norm2(fed + h)


@pytest.mark.parametrize("forward", [post_ln, post_ln_written_out])
def test_12_post_ln_block_right(forward):
    result = lesson12.q1.evaluate({"PostLNBlock": block_class(forward)})
    assert_result(result, "correct", 2.0)


def pre_ln(self, x):
    x = x + self.drop_shortcut(self.att(self.norm1(x)))
    return x + self.drop_shortcut(self.ff(self.norm2(x)))


def no_shortcut(self, x):
    x = self.norm1(self.drop_shortcut(self.att(x)))
    return self.norm2(self.drop_shortcut(self.ff(x)))


def missing_second_norm(self, x):
    x = self.norm1(x + self.drop_shortcut(self.att(x)))
    return x + self.drop_shortcut(self.ff(x))


def dropout_after_norm(self, x):
    x = self.drop_shortcut(self.norm1(x + self.att(x)))
    return self.drop_shortcut(self.norm2(x + self.ff(x)))


@pytest.mark.parametrize(
    ("forward", "status", "points", "fragment"),
    [
        (pre_ln, "incorrect", 0.0, "esse é o Pre-LN"),
        (no_shortcut, "incorrect", 0.0, "faltaram os atalhos"),
        (missing_second_norm, "incorrect", 0.0, "faltou a segunda norma"),
        (dropout_after_norm, "partial", 1.0, "modo treino"),
    ],
)
def test_12_post_ln_block_mistakes(forward, status, points, fragment):
    result = lesson12.q1.evaluate({"PostLNBlock": block_class(forward)})
    assert_result(result, status, points, fragment)


def test_12_post_ln_block_refuses_the_package_class():
    from gptlab_helpers import TransformerBlock

    result = lesson12.q1.evaluate({"PostLNBlock": TransformerBlock})
    assert_result(result, "incorrect", 0.0, "classe pronta do pacote")


def test_12_post_ln_block_not_attempted():
    def unfinished(self, x):
        raise NotImplementedError("escreva seu código aqui")

    assert lesson12.q1.evaluate({"PostLNBlock": block_class(unfinished)}).status == "not_attempted"


# --- 12.2: as normas do gradiente ---------------------------------------------------------------
def student_norms(position, accumulate=1, per_parameter_sum=False):
    """A conta do aluno, à mão (não usa o pacote): loss.backward() e as normas de cada bloco."""
    torch.manual_seed(123)
    model = GPTModel(dict(lesson12.GRADIENT_CONFIG, norm_position=position))
    x, y = lesson12.gradient_batch()
    for _ in range(accumulate):
        nn.functional.cross_entropy(model(x).flatten(0, 1), y.flatten()).backward()
    if per_parameter_sum:
        return [sum(p.grad.norm().item() for p in block.parameters()) for block in model.trf_blocks]
    return [torch.sqrt(sum((p.grad**2).sum() for p in b.parameters())).item() for b in model.trf_blocks]


def test_12_gradient_norms_reference_is_the_package_measure():
    torch.manual_seed(123)
    model = GPTModel(dict(lesson12.GRADIENT_CONFIG, norm_position="post"))
    assert lesson12.reference_norms("post") == block_gradient_norms(model, *lesson12.gradient_batch())


@pytest.mark.parametrize("style", [list, torch.tensor, np.array, tuple])
def test_12_gradient_norms_right_in_any_container(style):
    namespace = {"pre_norms": style(student_norms("pre")), "post_norms": style(student_norms("post"))}
    assert_result(lesson12.q2.evaluate(namespace), "correct", 2.0, "Post-LN")


@pytest.mark.parametrize(
    ("pre", "post", "points", "fragment"),
    [
        (lambda: student_norms("pre")[::-1], lambda: student_norms("post"), 1.0, "ordem inversa"),
        (lambda: student_norms("pre"), lambda: student_norms("post", accumulate=2), 1.0, "dobro"),
        (lambda: student_norms("post"), lambda: student_norms("pre"), 0.0, "outro modelo"),
        (
            lambda: student_norms("pre", per_parameter_sum=True),
            lambda: student_norms("post", per_parameter_sum=True),
            0.0,
            "raiz da soma dos quadrados",
        ),
    ],
)
def test_12_gradient_norms_mistakes(pre, post, points, fragment):
    result = lesson12.q2.evaluate({"pre_norms": pre(), "post_norms": post()})
    assert_result(result, "partial" if points else "incorrect", points, fragment)


def test_12_gradient_norms_wrong_length_is_explained():
    result = lesson12.q2.evaluate({"pre_norms": [1.0, 2.0], "post_norms": student_norms("post")})
    assert_result(result, "incorrect", 0.0, "12 blocos")


# --- 14.1: os nomes -----------------------------------------------------------------------------
def mapping_with_a_table(key):
    """Outro estilo de resposta certa: substituições de texto em sequência."""
    for old, new in [
        ("wte", "tok_emb"),
        ("wpe", "pos_emb"),
        ("ln_f", "final_norm"),
        ("ln_1", "norm1"),
        ("ln_2", "norm2"),
        ("attn.c_proj", "att.out_proj"),
        ("mlp.c_fc", "ff.layers.0"),
        ("mlp.c_proj", "ff.layers.2"),
    ]:
        key = key.replace(old, new)
    if key.startswith("h."):
        key = "trf_blocks." + key[2:]
    if "norm" in key:
        key = key.replace(".weight", ".scale").replace(".bias", ".shift")
    return key


def test_14_key_mapping_right():
    assert_result(lesson14.q1.evaluate({"hf_key_to_ours": mapping_with_a_table}), "correct", 2.0)


def test_14_key_mapping_mistakes():
    def keeps_weight(key):
        return mapping_with_a_table(key).replace(".scale", ".weight").replace(".shift", ".bias")

    result = lesson14.q1.evaluate({"hf_key_to_ours": keeps_weight})
    assert_result(result, "partial", 2.0 * 7 / 12, "weight vira scale")

    def swaps_ff(key):
        swapped = mapping_with_a_table(key)
        return (
            swapped.replace("layers.0", "layers.X")
            .replace("layers.2", "layers.0")
            .replace("layers.X", "layers.2")
        )

    result = lesson14.q1.evaluate({"hf_key_to_ours": swaps_ff})
    assert_result(result, "partial", 2.0 * 9 / 12, "c_fc é a primeira Linear")

    result = lesson14.q1.evaluate({"hf_key_to_ours": lambda key: key})
    assert_result(result, "incorrect", 0.0, "tok_emb")


# --- 14.2: a transposição -----------------------------------------------------------------------
def copied_linear(transpose=True, with_bias=True):
    weight, bias = lesson14.out_proj_source()
    layer = nn.Linear(16, 16)
    with torch.no_grad():
        layer.weight.copy_(weight.T if transpose else weight)
        layer.bias.copy_(bias if with_bias else torch.zeros(16))
    return layer


def test_14_conv1d_copy_right_in_two_styles():
    assert_result(lesson14.q2.evaluate({"out_proj": copied_linear()}), "correct", 2.0)
    weight, bias = lesson14.out_proj_source()
    layer = nn.Linear(16, 16)
    layer.load_state_dict({"weight": weight.t().contiguous(), "bias": bias})
    assert_result(lesson14.q2.evaluate({"out_proj": layer}), "correct", 2.0)


@pytest.mark.parametrize(
    ("layer", "status", "points", "fragment"),
    [
        (lambda: copied_linear(transpose=False), "incorrect", 0.0, "faltou transpor"),
        (lambda: copied_linear(with_bias=False), "partial", 1.0, "faltou copiar o bias"),
        (lambda: nn.Linear(16, 64), "incorrect", 0.0, "nn.Linear(16, 16)"),
        (lambda: torch.zeros(16, 16), "incorrect", 0.0, "deve ser um nn.Linear"),
    ],
)
def test_14_conv1d_copy_mistakes(layer, status, points, fragment):
    assert_result(lesson14.q2.evaluate({"out_proj": layer()}), status, points, fragment)


# --- 14.3: temperatura e top-k -----------------------------------------------------------------
def test_14_top_k_right_in_other_styles():
    logits = lesson14.exercise_logits()
    top = torch.topk(logits[0] / 0.8, 5)
    right = {"top_ids": top.indices, "top_probs": torch.softmax(top.values, -1)}
    assert_result(lesson14.q3.evaluate(right), "correct", 2.0)
    # do pacote, em outra ordem e como listas do Python / arrays
    probs = next_token_probabilities(logits, 0.8, top_k=5)[0]
    ids = [int(i) for i in torch.nonzero(probs).flatten()]  # ordem crescente de ID
    other = {"top_ids": ids, "top_probs": np.array([probs[i].item() for i in ids])}
    assert_result(lesson14.q3.evaluate(other), "correct", 2.0)


def test_14_top_k_mistakes():
    logits = lesson14.exercise_logits()[0]
    top = torch.topk(logits / 0.8, 5)
    not_renormalized = torch.softmax(logits / 0.8, -1)[top.indices]
    result = lesson14.q3.evaluate({"top_ids": top.indices, "top_probs": not_renormalized})
    assert_result(result, "incorrect", 0.0, "não somam 1")
    no_temperature = torch.softmax(torch.topk(logits, 5).values, -1)
    result = lesson14.q3.evaluate({"top_ids": top.indices, "top_probs": no_temperature})
    assert_result(result, "incorrect", 0.0, "faltou a temperatura")
    multiplied = torch.softmax(torch.topk(logits * 0.8, 5).values, -1)
    result = lesson14.q3.evaluate({"top_ids": top.indices, "top_probs": multiplied})
    assert_result(result, "incorrect", 0.0, "não multiplica")
    wrong_ids = torch.topk(-logits, 5).indices
    result = lesson14.q3.evaluate({"top_ids": wrong_ids, "top_probs": torch.softmax(top.values, -1)})
    assert_result(result, "incorrect", 0.0, "torch.topk")


def test_14_top_k_not_attempted():
    assert lesson14.q3.evaluate({"top_ids": None, "top_probs": None}).status == "not_attempted"
