# ruff: noqa: E402
# Fonte de solutions/ e exercises/14_pesos_do_gpt2.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 14 · Os pesos do GPT-2
#
# Para o nosso `GPTModel` receber os pesos que a OpenAI publicou, duas traduções são
# necessárias: os **nomes** das chaves do Hugging Face viram os nossos, e os pesos das camadas
# `Conv1D` são **transpostos**. Depois, com o modelo carregado, a temperatura e o top-k decidem
# de quais tokens o próximo é sorteado. Nada aqui precisa de internet: os exercícios usam o
# GPT-2 minúsculo de pesos aleatórios, que tem o mesmo formato.
#
# ## Objetivos de aprendizagem
#
# - Traduzir as chaves de um `model.safetensors` do GPT-2 para as do nosso `GPTModel`.
# - Copiar o peso de uma `Conv1D` para um `nn.Linear`, transpondo.
# - Calcular as probabilidades do próximo token depois da temperatura e do top-k.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import GPTModel
from gptlab_helpers.checks.lesson14 import exercise_logits, q1, q2, q3
from gptlab_helpers.pretrained import TINY_GPT2_CONFIG, config_from_hf, tiny_gpt2_state_dict

state = tiny_gpt2_state_dict(TINY_GPT2_CONFIG, seed=0)  # chaves e formas do Hub, pesos aleatórios
model = GPTModel(config_from_hf(TINY_GPT2_CONFIG))
print("algumas chaves do Hugging Face:", [key for key in state if key.startswith("h.0.")][:4])
print("algumas chaves nossas:", [key for key in model.state_dict() if key.startswith("trf_blocks.0.")][:4])

# %% [markdown]
# ## Exercício 1 · Os nomes
#
# Escreva `hf_key_to_ours(key)`, que recebe uma chave do Hugging Face e devolve a nossa. Compare
# as duas listas acima e as do notebook 14. As regras:
#
# - `wte` é o nosso `tok_emb`, `wpe` é `pos_emb` e `ln_f` é `final_norm`;
# - o bloco `h.N` é `trf_blocks.N`; nele, `ln_1` e `ln_2` são `norm1` e `norm2`, e nas normas
#   `weight` vira `scale` e `bias` vira `shift`;
# - `attn.c_proj` é `att.out_proj`; na feed-forward, `mlp.c_fc` é `ff.layers.0` e `mlp.c_proj`
#   é `ff.layers.2` (a `layers.1` é a GELU, sem pesos).
#
# A chave `attn.c_attn` fica de fora: ela se divide em três (query, key e value).


# %%
### BEGIN SOLUTION
def hf_key_to_ours(key):
    names = {"wte": "tok_emb", "wpe": "pos_emb", "ln_f": "final_norm", "ln_1": "norm1", "ln_2": "norm2"}
    names |= {"attn.c_proj": "att.out_proj", "mlp.c_fc": "ff.layers.0", "mlp.c_proj": "ff.layers.2"}
    prefix = ""
    if key.startswith("h."):
        _, number, key = key.split(".", 2)
        prefix = f"trf_blocks.{number}."
    module, parameter = key.rsplit(".", 1)
    if module.startswith("ln_"):
        parameter = {"weight": "scale", "bias": "shift"}[parameter]
    return f"{prefix}{names[module]}.{parameter}"


### END SOLUTION


print(hf_key_to_ours("h.0.ln_1.weight"))

# %%
q1.check()

# %% [markdown]
# ## Exercício 2 · A transposição
#
# A projeção de saída da atenção do bloco 0 vem do Hub como `W = state["h.0.attn.c_proj.weight"]`
# e `b = state["h.0.attn.c_proj.bias"]`, no formato `Conv1D`: o GPT-2 calcula `x @ W + b`.
# Crie `out_proj = nn.Linear(16, 16)` e copie `W` e `b` para ele de modo que `out_proj(x)` dê
# o mesmo que `x @ W + b`. Atenção: `W` é quadrada (16 × 16), então um erro aqui não aparece
# como erro de forma.

# %%
W, b = state["h.0.attn.c_proj.weight"], state["h.0.attn.c_proj.bias"]

### BEGIN SOLUTION
out_proj = nn.Linear(16, 16)
with torch.no_grad():
    out_proj.weight.copy_(W.T)
    out_proj.bias.copy_(b)
### END SOLUTION

# %%
q2.check()

# %% [markdown]
# ## Exercício 3 · Temperatura e top-k
#
# `exercise_logits()` devolve os logits `(1, 20)` de um vocabulário de 20 tokens. Com
# temperatura 0,8 e top-k 5, calcule, sem usar `next_token_probabilities`:
#
# - `top_ids`: os IDs dos 5 tokens que podem ser sorteados;
# - `top_probs`: as probabilidades deles (do mesmo jeito que o sorteio as usaria).

# %%
logits = exercise_logits()

### BEGIN SOLUTION
top = torch.topk(logits[0] / 0.8, 5)
top_ids = top.indices
top_probs = torch.softmax(top.values, dim=-1)
### END SOLUTION

print("IDs:", top_ids)
print("probabilidades:", top_probs)

# %%
q3.check()

# %% [markdown] tags=["solucao"]
# Dividir pela temperatura e cortar os 5 maiores, em qualquer ordem, dá os mesmos 5 tokens (a
# divisão por um número positivo não muda a ordem). A softmax vem por último, só sobre os 5:
# assim as probabilidades somam 1, como as que `torch.multinomial` recebe em `generate`.

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/14_pesos_do_gpt2.ipynb`](../notebooks/14_pesos_do_gpt2.ipynb)
# - Exercícios anteriores: [13 · O GPT-2 e os modelos de hoje](13_gpt2_vs_modelos_atuais.ipynb)
