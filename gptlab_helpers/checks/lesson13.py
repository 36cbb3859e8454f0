"""Exercícios da aula 13: o GPT-2 e os modelos de hoje (RMSNorm, SwiGLU, RoPE, GQA, sem bias)."""

import torch
import torch.nn.functional as F

from ..analysis import attention_parameters, feed_forward_parameters, norm_parameters
from ..presets import MODERN_CHAR_CONFIG
from ..variants import modern
from .answers import (
    build,
    copy_parameters,
    report_counts,
    same_output,
    student_class,
    student_function,
)
from .base import Exercise, Feedback, format_int
from .kinds import ExplanationExercise
from .modules import call

# O bloco moderno do exercício 3: o modelo de caracteres da aula, com as peças novas.
MODERN_BLOCK_CONFIG = MODERN_CHAR_CONFIG


def rmsnorm_mistake(given, x, scale, eps):
    """O engano típico que explica a saída `given` da RMSNorm do aluno, ou None."""
    mean_square = x.pow(2).mean(dim=-1, keepdim=True)
    candidates = [
        (
            F.layer_norm(x, x.shape[-1:], scale, None, eps),
            "você subtraiu a média: isso é a LayerNorm sem shift. A RMSNorm não centraliza; "
            "divida x pela raiz da média de x²",
        ),
        (
            scale * x / torch.sqrt(x.pow(2).sum(dim=-1, keepdim=True) + eps),
            "você dividiu pela raiz da SOMA dos quadrados; a RMSNorm usa a MÉDIA (mean em vez de sum)",
        ),
        (
            scale * x / x.std(dim=-1, keepdim=True, unbiased=False),
            "o desvio padrão (std) mede a distância até a média; a RMSNorm usa a raiz da média de x²",
        ),
        (x / torch.sqrt(mean_square + eps), "a normalização está certa, mas faltou multiplicar por scale"),
        (scale * x / (mean_square + eps), "faltou a raiz quadrada: divida por sqrt(média de x² + eps)"),
    ]
    for candidate, message in candidates:
        if same_output(given, candidate, "a RMSNorm", atol=1e-4):
            return message
    return None


def compare_rmsnorm(cls, emb_dim=8, shape=(2, 3), seed=0):
    """RMSNorm do aluno contra `torch.nn.RMSNorm` (mesmo eps): (*shape, emb_dim) -> mesma forma."""
    eps = 1e-5
    norm = build(cls, emb_dim)
    params = list(norm.parameters())
    if len(params) == 2:
        raise Feedback("a RMSNorm tem um parâmetro só, scale (de uns); ela não tem shift")
    if len(params) != 1 or tuple(params[0].shape) != (emb_dim,):
        raise Feedback(
            "a RMSNorm deve ter um parâmetro treinável de forma (emb_dim,), scale, criado com nn.Parameter"
        )
    reference = modern.RMSNorm(emb_dim, eps)
    with torch.no_grad():  # scale diferente de 1, para que apareça na conta
        reference.scale.copy_(torch.linspace(0.5, 2.0, emb_dim))
    copy_parameters(reference, norm, "a sua RMSNorm")
    torch.manual_seed(seed)
    x = torch.randn(*shape, emb_dim) * 3 + 1
    given = call(norm, x)
    expected = torch.nn.RMSNorm(emb_dim, eps=eps, elementwise_affine=False)(x) * reference.scale
    if not same_output(given, expected, "a RMSNorm", atol=1e-4):
        mistake = rmsnorm_mistake(given, x, reference.scale.detach(), eps)
        raise Feedback(
            mistake or "a saída difere de torch.nn.RMSNorm; calcule scale * x / sqrt(mean(x²) + eps)"
        )
    if not torch.isfinite(call(norm, torch.zeros(1, 2, emb_dim))).all():
        raise Feedback("com uma entrada de zeros sua RMSNorm devolve nan: some eps dentro da raiz")


class RMSNormCode(Exercise):
    id = "13.1"
    title = "Implementar a RMSNorm"
    max_points = 2.0
    names = ("RMSNorm",)
    hint_text = (
        "rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + self.eps); devolva self.scale * x / rms. "
        "Sem subtrair a média e sem shift."
    )

    def grade(self, namespace, **variation):
        """`variation` (emb_dim, shape, seed) vai para `compare_rmsnorm`."""
        compare_rmsnorm(student_class(namespace, "RMSNorm", modern.RMSNorm), **variation)
        return self.correct(
            "sua RMSNorm dá os mesmos valores que torch.nn.RMSNorm, inclusive com entrada de zeros."
        )


def interleaved_rope(x, cos, sin):
    """O RoPE do artigo, com pares de coordenadas vizinhas (x[2i], x[2i + 1]): (B, H, T, D)."""
    half = x.shape[-1] // 2
    cos, sin = cos[..., :half], sin[..., :half]  # um ângulo por par
    first, second = x[..., 0::2], x[..., 1::2]
    return torch.stack([first * cos - second * sin, second * cos + first * sin], dim=-1).flatten(-2)


def rope_mistake(given, x, cos, sin):
    """O engano típico que explica a saída `given` do apply_rope do aluno, ou None."""
    rotated = modern.apply_rope(x, torch.zeros_like(cos), torch.ones_like(sin))  # só o giro (−b, a)
    candidates = [
        (
            x * cos - rotated * sin,
            "o giro está no sentido contrário: a' = a cos − b sin e b' = b cos + a sin",
        ),
        (x * cos, "faltou somar a parte girada: x * cos + (−b, a) * sin"),
        (x * sin + rotated * cos, "cos e sin estão trocados: x * cos + (−b, a) * sin"),
        (x + rotated * sin, "faltou multiplicar x por cos"),
    ]
    for candidate, message in candidates:
        if same_output(given, candidate, "apply_rope", atol=1e-4):
            return message
    return None


class RoPECode(Exercise):
    id = "13.2"
    title = "Girar query e key com o RoPE"
    max_points = 2.0
    names = ("apply_rope",)
    hint_text = (
        "Separe as duas metades da última dimensão, a = x[..., :D//2] e b = x[..., D//2:]; monte "
        "girado = torch.cat([-b, a], dim=-1) e devolva x * cos + girado * sin."
    )

    def grade(self, namespace, head_dim=8, num_tokens=5, base=100.0, seed=0):
        """Gira x (2, 3, num_tokens, head_dim) com os ângulos de `rope_angles(head_dim, num_tokens, base)`."""
        apply_rope = student_function(namespace, "apply_rope", modern.apply_rope, "apply_rope(x, cos, sin)")
        cos, sin = modern.rope_angles(head_dim=head_dim, context_length=num_tokens, base=base)
        torch.manual_seed(seed)
        x = torch.randn(2, 3, num_tokens, head_dim)
        given = call(apply_rope, x, cos, sin)
        if same_output(given, modern.apply_rope(x, cos, sin), "apply_rope", atol=1e-5):
            return self.correct("sua função gira cada par (x[i], x[i + D/2]) pelo ângulo da sua posição.")
        if same_output(given, interleaved_rope(x, cos, sin), "apply_rope", atol=1e-5):
            return self.correct(
                "você girou pares vizinhos (x[2i], x[2i + 1]), a convenção do artigo: também é RoPE. O "
                "pacote usa (x[i], x[i + D/2]), como o Llama no Hugging Face; a conta é a mesma com as "
                "coordenadas em outra ordem."
            )
        mistake = rope_mistake(given, x, cos, sin)
        raise Feedback(mistake or "a saída difere do giro esperado; confira: x * cos + cat([-b, a]) * sin")


class ModernBlockParameters(Exercise):
    id = "13.3"
    title = "Parâmetros de um bloco moderno"
    max_points = 3.0
    names = ("attention_params", "feed_forward_params", "norm_params")
    placeholders = dict.fromkeys(names, 0)
    hint_text = (
        "Atenção: W_query (C x C), W_key e W_value (C x n_kv_heads * head_dim cada) e out_proj (C x C), "
        "sem bias. SwiGLU: três matrizes C x ff_hidden_dim. Cada RMSNorm tem só scale."
    )

    def grade(self, namespace):
        cfg = MODERN_BLOCK_CONFIG
        emb, hidden = cfg["emb_dim"], cfg["ff_hidden_dim"]
        full_kv = dict(cfg, n_kv_heads=cfg["n_heads"])
        expected = {
            "attention_params": attention_parameters(cfg),
            "feed_forward_params": feed_forward_parameters(cfg),
            "norm_params": 2 * norm_parameters(cfg),
        }
        kv = 2 * emb * cfg["n_kv_heads"] * (emb // cfg["n_heads"])
        mistakes = {
            "attention_params": [
                (
                    attention_parameters(full_kv),
                    "W_key e W_value têm só n_kv_heads * head_dim = 32 saídas, não 64",
                ),
                (expected["attention_params"] + emb, "bias=False: o out_proj não tem bias"),
                (expected["attention_params"] - kv // 2, "são duas matrizes pequenas, W_key e W_value"),
                (
                    expected["attention_params"] - emb * emb,
                    "faltou o out_proj, a Linear que junta as cabeças",
                ),
            ],
            "feed_forward_params": [
                (2 * emb * hidden, "a SwiGLU tem três matrizes: porta (fc1), valor (fc2) e saída (fc3)"),
                (
                    expected["feed_forward_params"] + 2 * hidden + emb,
                    "bias=False: as três Linear não têm bias",
                ),
                (3 * emb * 4 * emb, f"a camada do meio tem ff_hidden_dim = {hidden}, não 4 * emb_dim"),
            ],
            "norm_params": [
                (4 * emb, "a RMSNorm não tem shift: só scale, emb_dim números"),
                (emb, "essa é uma norma só; o bloco tem duas, norm1 e norm2"),
            ],
        }
        report_counts(namespace, expected, mistakes)
        block = sum(expected.values())
        return self.correct(
            f"as três contagens batem: {format_int(block)} parâmetros por bloco, com "
            f"{format_int(expected['feed_forward_params'])} na SwiGLU."
        )


class WhyGQA(ExplanationExercise):
    id = "13.4"
    title = "Por que a GQA acelera a geração?"
    hint_text = (
        "O que o modelo guarda de cada token anterior durante a geração (o KV cache)? Quantas cabeças "
        "de key e value entram nesse cache com e sem GQA?"
    )


q1 = RMSNormCode()
q2 = RoPECode()
q3 = ModernBlockParameters()
q4 = WhyGQA()

EXERCISES = [q1, q2, q3, q4]
