# ruff: noqa: E402
# Fonte de solutions/ e exercises/08_gerando_texto.ipynb.
# Depois de editar, rode: python scripts/make_exercises.py --execute

# %% [markdown]
# # Exercícios 08 · Gerando texto
#
# O GPT prevê um token por vez: cada token escolhido volta para o fim do contexto e o modelo
# roda de novo. Aqui você escreve esse laço e acompanha quantos tokens o modelo enxerga a
# cada passo.
#
# ## Objetivos de aprendizagem
#
# - Implementar `generate_text_simple`: cortar o contexto, ficar com a última posição,
#   escolher o token de maior probabilidade e concatenar.
# - Prever o tamanho do contexto visto em cada passo.
# - Explicar por que um modelo sem treino gera texto sem sentido.
#
# **Como funciona:** escreva nas células marcadas e execute a célula `qN.check()` logo abaixo;
# ela diz se está certo e, se não, o que olhar. `qN.hint()` dá uma dica e `qN.solution()`
# mostra a solução.

# %%
import torch

from gptlab_helpers import GPT_CONFIG_124M, GPTModel, get_tokenizer
from gptlab_helpers.checks.lesson08 import q1, q2, q3

# %% [markdown]
# ## Exercício 1 · O laço de geração
#
# Complete a função. A cada um dos `max_new_tokens` passos: corte `idx` para os últimos
# `context_size` tokens, calcule os logits sem gradiente, fique só com a última posição,
# transforme em probabilidades, escolha a maior e acrescente o token escolhido ao fim de `idx`.


# %%
def generate_text_simple(model, idx, max_new_tokens, context_size):
    """Geração gulosa: IDs (B, T) -> (B, T + max_new_tokens)."""
    ### BEGIN SOLUTION
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]
        with torch.no_grad():
            logits = model(idx_cond)  # (B, T, V)
        probas = torch.softmax(logits[:, -1, :], dim=-1)  # (B, V)
        idx_next = torch.argmax(probas, dim=-1, keepdim=True)  # (B, 1)
        idx = torch.cat((idx, idx_next), dim=1)
    return idx
    ### END SOLUTION


# %%
q1.check()

# %% [markdown]
# Com o GPT de 124M da aula (semente 123, pesos aleatórios) e o contexto "Hello, I am":

# %%
tokenizer = get_tokenizer("gpt2")
encoded = tokenizer.encode("Hello, I am")
encoded_tensor = torch.tensor(encoded).unsqueeze(0)  # (1, 4)

torch.manual_seed(123)
model = GPTModel(GPT_CONFIG_124M)
model.eval()  # desliga o dropout
out = generate_text_simple(
    model, encoded_tensor, max_new_tokens=6, context_size=GPT_CONFIG_124M["context_length"]
)
print("IDs:", out)
print("texto:", tokenizer.decode(out.squeeze(0).tolist()))

# %% [markdown]
# Os 4 IDs do contexto seguidos de 6 novos, e o texto da aula: "Hello, I am Featureiman
# Byeswickattribute argue". Nem são palavras: são pedaços de tokens BPE colados ao acaso
# (" Feature" + "iman", " Bye" + "swick" + "attribute"), e a frase não faz sentido.

# %% [markdown]
# ## Exercício 2 · O que o modelo vê a cada passo
#
# Gerando 6 tokens a partir de "Hello, I am" (4 tokens) com `context_size=5`, quantos tokens
# entram no modelo em cada um dos 6 passos? Escreva a lista em `window_lengths`.

# %%
### BEGIN SOLUTION
window_lengths = [min(len(encoded) + step, 5) for step in range(6)]
### END SOLUTION

print("tokens vistos a cada passo:", window_lengths)

# %%
q2.check()

# %% [markdown] tags=["solucao"]
# No primeiro passo o modelo vê os 4 tokens do contexto; no segundo, 5; daí em diante a
# sequência continua crescendo, mas `idx[:, -5:]` entrega ao modelo só os 5 últimos. O GPT-2
# de verdade faz o mesmo com `context_size = 1024`.

# %% [markdown]
# ## Exercício 3 · Por que o texto não faz sentido
#
# Explique em `explanation`, com suas palavras (pelo menos 15 palavras): por que o texto gerado
# acima não faz sentido, e o que seria preciso para ele fazer?

# %%
### BEGIN SOLUTION
explanation = """
Os pesos do modelo são aleatórios: ele nunca foi treinado, então os logits não carregam nada
sobre a língua, e o argmax escolhe tokens quaisquer, que só por acaso são palavras. Para gerar
texto com sentido é preciso treinar o modelo para prever o próximo token num corpus grande, ou
carregar os pesos já treinados do GPT-2.
"""
### END SOLUTION

# %%
q3.check()

# %% [markdown]
# ## Próximos passos
#
# - A aula: [`../notebooks/08_gerando_texto.ipynb`](../notebooks/08_gerando_texto.ipynb)
# - Próximos exercícios: [12 · Pre-LN ou Post-LN](12_pre_ln_vs_post_ln.ipynb), depois das aulas 09 a 12
#   (as aulas 09 a 11 não têm lista de exercícios)
