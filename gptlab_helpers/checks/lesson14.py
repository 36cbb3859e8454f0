"""Exercícios da aula 14: os pesos do GPT-2 do Hugging Face no nosso GPTModel."""

import torch
import torch.nn as nn

from .. import pretrained
from ..generation import next_token_probabilities
from ..pretrained import TINY_GPT2_CONFIG, tiny_gpt2_state_dict
from .answers import as_float, int_list, student_function
from .base import Exercise, Feedback, format_decimal, run_quietly

# as chaves do Hugging Face que o exercício 14.1 traduz (sem as de c_attn, que viram três); a
# resposta certa de cada uma vem da tabela do pacote (`pretrained.HF_MODULE_NAMES`)
ASKED_KEYS = (
    "wte.weight",
    "wpe.weight",
    "ln_f.weight",
    "ln_f.bias",
    "h.0.ln_1.weight",
    "h.0.ln_1.bias",
    "h.3.ln_2.weight",
    "h.11.attn.c_proj.weight",
    "h.2.attn.c_proj.bias",
    "h.5.mlp.c_fc.weight",
    "h.5.mlp.c_fc.bias",
    "h.7.mlp.c_proj.weight",
)

# os logits do exercício 14.3: um vocabulário de 20 tokens, sorteados com semente fixa
LOGITS_SEED, LOGITS_VOCAB = 7, 20
TEMPERATURE, TOP_K = 0.8, 5


def key_hint(hf_key, expected):
    """Explica o engano mais provável ao traduzir `hf_key` (a resposta certa é `expected`)."""
    if "ln_" in hf_key and expected.endswith((".scale", ".shift")):
        return "nas LayerNorms, weight vira scale e bias vira shift; ln_1 é norm1, ln_2 é norm2 e ln_f é final_norm"
    if "attn.c_proj" in hf_key:
        return "attn.c_proj é a projeção que junta as cabeças: att.out_proj"
    if "mlp." in hf_key:
        return "a feed-forward é ff.layers: c_fc é a primeira Linear (layers.0) e c_proj a segunda (layers.2)"
    if hf_key.startswith("h."):
        return "o bloco h.N é trf_blocks.N"
    return "wte é o embedding de tokens (tok_emb) e wpe o de posições (pos_emb)"


class KeyMapping(Exercise):
    id = "14.1"
    title = "Traduzir as chaves do Hugging Face"
    max_points = 2.0
    names = ("hf_key_to_ours",)
    hint_text = (
        "Troque o prefixo h.N. por trf_blocks.N. e depois cada nome: ln_1 -> norm1, weight -> scale "
        "(só nas normas), attn.c_proj -> att.out_proj, mlp.c_fc -> ff.layers.0, mlp.c_proj -> ff.layers.2."
    )

    def grade(self, namespace, keys=ASKED_KEYS):
        """Traduz cada chave de `keys` (nomes do GPT-2 no Hugging Face) e compara com o pacote."""
        function = student_function(namespace, "hf_key_to_ours", pretrained.hf_key_to_ours, "(key) -> str")
        wrong = []
        cases = {key: pretrained.hf_key_to_ours(key) for key in keys}
        for hf_key, expected in cases.items():
            given, _ = run_quietly(function, hf_key)
            if given != expected:
                wrong.append((hf_key, given, expected))
        if wrong:
            hf_key, given, expected = wrong[0]
            right = len(cases) - len(wrong)
            raise Feedback(
                f"hf_key_to_ours({hf_key!r}) deu {given!r}, mas deveria dar {expected!r}: "
                f"{key_hint(hf_key, expected)}. ({right} de {len(cases)} chaves certas)",
                fraction=right / len(cases) if right >= len(cases) // 2 else 0.0,
            )
        return self.correct(f"as {len(cases)} chaves do teste foram traduzidas certo.")


def out_proj_source():
    """O c_proj da atenção do bloco 0 do GPT-2 minúsculo: peso (C, C) no formato Conv1D e bias (C,)."""
    state = tiny_gpt2_state_dict(TINY_GPT2_CONFIG, seed=0)
    return state["h.0.attn.c_proj.weight"], state["h.0.attn.c_proj.bias"]


class Conv1DCopy(Exercise):
    id = "14.2"
    title = "Copiar uma Conv1D para um nn.Linear"
    max_points = 2.0
    names = ("out_proj",)
    hint_text = (
        "A Conv1D calcula x @ W + b com W (entrada, saída); nn.Linear guarda (saída, entrada) e calcula "
        "x @ W.T + b. Copie W.T para out_proj.weight dentro de torch.no_grad()."
    )

    def grade(self, namespace):
        layer = namespace["out_proj"]
        if not isinstance(layer, nn.Linear):
            raise Feedback(f"`out_proj` deve ser um nn.Linear, mas é {type(layer).__name__}")
        weight, bias = out_proj_source()
        emb = weight.shape[0]
        if tuple(layer.weight.shape) != (emb, emb) or layer.bias is None:
            raise Feedback(
                f"`out_proj` deve ser nn.Linear({emb}, {emb}) com bias, como a projeção da atenção"
            )
        x = torch.randn(3, emb, generator=torch.Generator().manual_seed(1))
        with torch.no_grad():
            given, expected = layer(x), x @ weight + bias
            if torch.allclose(given, expected, atol=1e-6):
                return self.correct("out_proj(x) dá o mesmo que x @ W + b da Conv1D do GPT-2.")
            if torch.allclose(given, x @ weight.T + bias, atol=1e-6):
                raise Feedback(
                    "faltou transpor: a matriz é quadrada, então copiar sem .T não dá erro de forma, mas "
                    "troca linhas por colunas; use out_proj.weight.copy_(W.T)"
                )
            if torch.allclose(given, x @ weight, atol=1e-6):
                raise Feedback("o peso está certo, mas faltou copiar o bias", fraction=0.5)
        raise Feedback("out_proj(x) não dá x @ W + b; copie W.T para o peso e b para o bias")


def exercise_logits():
    """Os logits do exercício 14.3: (1, 20), sorteados com semente fixa."""
    return torch.randn(1, LOGITS_VOCAB, generator=torch.Generator().manual_seed(LOGITS_SEED)) * 2


def expected_top_k():
    """(ids, probabilidades) dos TOP_K tokens depois da temperatura e do corte, do maior para o menor."""
    probs = next_token_probabilities(exercise_logits(), TEMPERATURE, top_k=TOP_K)[0]
    top = torch.topk(probs, TOP_K)
    return top.indices.tolist(), top.values.tolist()


def probability_list(value, name):
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], (list, tuple)):
        value = value[0]  # aceita (1, k), como sai de um lote
    if not isinstance(value, (list, tuple)):
        raise Feedback(f"`{name}` deve ser uma lista de {TOP_K} probabilidades, mas é {type(value).__name__}")
    return [as_float(item, f"{name}[{index}]") for index, item in enumerate(value)]


class TopKProbabilities(Exercise):
    id = "14.3"
    title = "As probabilidades depois da temperatura e do top-k"
    max_points = 2.0
    names = ("top_ids", "top_probs")
    hint_text = (
        "Divida os logits pela temperatura, fique com os 5 maiores (torch.topk) e só então aplique a softmax "
        "a esses 5: as probabilidades somam 1."
    )

    def grade(self, namespace):
        ids = namespace["top_ids"]
        ids = int_list(ids[0] if hasattr(ids, "dim") and ids.dim() == 2 else ids, "top_ids")
        probs = probability_list(namespace["top_probs"], "top_probs")
        if len(ids) != TOP_K or len(probs) != TOP_K:
            raise Feedback(f"top_ids e top_probs devem ter {TOP_K} itens cada (top_k = {TOP_K})")
        expected_ids, expected_probs = expected_top_k()
        pairs = sorted(zip(ids, probs), key=lambda pair: -pair[1])  # aceita qualquer ordem
        if [i for i, _ in pairs] != expected_ids:
            raise Feedback(
                f"os tokens escolhidos são {sorted(ids)}, mas os {TOP_K} de maior logit são "
                f"{sorted(expected_ids)}: use torch.topk(logits, {TOP_K})"
            )
        given = [p for _, p in pairs]
        if all(abs(g - e) < 1e-4 for g, e in zip(given, expected_probs)):
            return self.correct(
                f"o token mais provável fica com {format_decimal(expected_probs[0], 3)} e os {TOP_K} somam 1."
            )
        raise Feedback(self.diagnose(given))

    @staticmethod
    def diagnose(given):
        """Reconhece o engano típico comparando com as contas erradas mais comuns."""
        logits = exercise_logits()[0]
        candidates = {
            "as probabilidades não somam 1: aplique a softmax depois do corte, só aos "
            f"{TOP_K} que ficaram": torch.softmax(logits / TEMPERATURE, -1),
            "faltou a temperatura: divida os logits por ela antes da softmax": torch.softmax(
                logits.masked_fill(logits < torch.topk(logits, TOP_K).values[-1], -torch.inf), -1
            ),
            "a temperatura divide os logits (logits / T), não multiplica": next_token_probabilities(
                logits.unsqueeze(0) * TEMPERATURE * TEMPERATURE, TEMPERATURE, top_k=TOP_K
            )[0],
        }
        for message, probs in candidates.items():
            top = torch.topk(probs, TOP_K).values.tolist()
            if all(abs(g - e) < 1e-4 for g, e in zip(given, top)):
                return message
        return (
            f"as probabilidades diferem do esperado (a maior: {format_decimal(given[0], 4)}); "
            "divida pela temperatura, corte os 5 maiores e aplique a softmax"
        )


q1 = KeyMapping()
q2 = Conv1DCopy()
q3 = TopKProbabilities()

EXERCISES = [q1, q2, q3]
