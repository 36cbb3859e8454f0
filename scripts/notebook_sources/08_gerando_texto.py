# ruff: noqa: E402
# Fonte de notebooks/08_gerando_texto.ipynb. Depois de editar, rode: python scripts/build_notebooks.py --only 08

# %% [markdown]
# # 08 · Gerando texto
#
# O GPT devolve logits: um escore para cada token do vocabulário, em cada posição. Para gerar
# texto, usamos só os logits da **última** posição, escolhemos o próximo token, colocamos esse
# token no fim da sequência e repetimos. Esse laço, em que a saída de um passo vira entrada
# do seguinte, é a geração **autorregressiva**.
#
# ## Objetivos de aprendizagem
#
# - Transformar os logits da última posição em probabilidades com a softmax.
# - Escolher o próximo token com `argmax` (geração gulosa) e decodificá-lo.
# - Escrever o laço `generate_text_simple`, incluindo o corte do contexto.
# - Visualizar as probabilidades dos tokens mais prováveis de um modelo ainda não treinado.

# %% [markdown]
# ## 1. O modelo e o texto inicial
#
# Criamos o GPT-2 de 124M exatamente como na aula: semente 123, um forward em modo de treino
# com o lote das duas frases (que não muda nenhum peso; só refaz os passos da aula) e
# `model.eval()`, que desliga o dropout para a geração.

# %%
import torch

from gptlab_helpers import GPT_CONFIG_124M, GPTModel, get_tokenizer

tokenizer = get_tokenizer("gpt2")
batch = torch.tensor([tokenizer.encode("Every effort moves you"), tokenizer.encode("Every day holds a")])

torch.manual_seed(123)
model = GPTModel(GPT_CONFIG_124M)
_ = model(batch)
model.eval()  # desliga o dropout: a mesma entrada dá sempre a mesma saída
print("em modo de treino?", model.training)

# %% [markdown]
# O texto inicial (o *contexto*) vira um lote de uma sequência, com forma `(1, T)`:

# %%
start_context = "Hello, I am"
encoded = tokenizer.encode(start_context)
print("IDs:", encoded)

encoded_tensor = torch.tensor(encoded).unsqueeze(0)  # (T,) -> (1, T)
print("forma de encoded_tensor:", encoded_tensor.shape)

# %% [markdown]
# "Hello, I am" são 4 tokens: `Hello`, `,`, ` I` e ` am`. O `unsqueeze(0)` cria a dimensão do
# lote, porque o modelo sempre espera `(B, T)`.

# %% [markdown]
# ## 2. Um passo, à mão
#
# Passamos o contexto pelo modelo. `torch.no_grad()` avisa que não vamos treinar, então o
# PyTorch não guarda nada para calcular gradientes (economiza memória e tempo):

# %%
with torch.no_grad():
    logits = model(encoded_tensor)
print("forma dos logits:", logits.shape)

last_logits = logits[:, -1, :]  # (1, 4, 50257) -> (1, 50257)
print("forma dos logits da última posição:", last_logits.shape)

# %% [markdown]
# Das 4 posições, só a última importa: o vetor da posição *t* avalia o token da posição
# *t* + 1, e o que queremos é o token **depois** de "am". Os outros três vetores preveem
# tokens que já conhecemos.
#
# A **softmax** transforma os 50.257 logits em probabilidades: eleva *e* a cada logit (tudo
# fica positivo, e a ordem se mantém) e divide pela soma (tudo passa a somar 1):
#
# $$p_i = \frac{e^{z_i}}{\sum_j e^{z_j}}$$

# %%
probas = torch.softmax(last_logits, dim=-1)  # (1, 50257)
print(f"soma das probabilidades: {probas.sum().item():.4f}")

next_id = torch.argmax(probas, dim=-1, keepdim=True)  # (1, 1): o token mais provável
print("próximo token:", next_id.item(), repr(tokenizer.decode([next_id.item()])))
print("argmax dos logits dá o mesmo:", torch.argmax(last_logits, dim=-1).item())

# %% [markdown]
# O token mais provável é o de ID 27018, `' Feature'` (com o espaço na frente). Como a softmax preserva a ordem, o maior
# logit e a maior probabilidade são do mesmo token: para a escolha gulosa, a softmax nem seria
# necessária. Ela importa quando queremos **sortear** o próximo token de acordo com as
# probabilidades, em vez de pegar sempre o maior.

# %% [markdown]
# ## 3. As probabilidades mais altas
#
# Quão confiante o modelo está? As 10 maiores probabilidades:

# %%
top = torch.topk(probas[0], k=10)
labels = [repr(tokenizer.decode([i])) for i in top.indices.tolist()]
uniform = 1 / GPT_CONFIG_124M["vocab_size"]

print(f"{'token':<18}{'ID':>7}{'probabilidade':>15}")
for label, token_id, p in zip(labels, top.indices.tolist(), top.values.tolist()):
    print(f"{label:<18}{token_id:>7}{p:>15.6f}")
print(f"{'(uniforme)':<18}{'':>7}{uniform:>15.6f}")

# %% alt="Barras com as 10 maiores probabilidades do próximo token depois de 'Hello, I am' no modelo com pesos aleatórios: todas minúsculas, entre cerca de 0,00013 e 0,0002, a primeira um pouco mais alta, e a linha tracejada da distribuição uniforme, 1/50257, bem abaixo de todas."
import matplotlib.pyplot as plt

plt.figure(figsize=(10, 4))
plt.bar(labels, top.values.tolist())
plt.axhline(uniform, color="gray", linestyle="--", label="distribuição uniforme (1/50257)")
plt.title("As 10 maiores probabilidades para o token depois de 'Hello, I am'")
plt.xlabel("token candidato")
plt.ylabel("probabilidade")
plt.xticks(rotation=45)
plt.legend()
plt.tight_layout()
plt.show()

# %% [markdown]
# Mesmo o token favorito tem probabilidade de cerca de 0,0002, só umas 10 vezes a de um
# sorteio uniforme entre os 50.257 tokens. O modelo não foi treinado: seus pesos são aleatórios
# e ele praticamente não tem preferência. Depois do treino, a mesma figura mostra poucos
# tokens com quase toda a probabilidade.

# %% [markdown]
# ## 4. O laço de geração
#
# Agora é só repetir o passo, acrescentando cada token escolhido ao fim da sequência. Antes de
# cada passo, a sequência é cortada aos últimos `context_size` tokens, porque o modelo só tem
# embeddings posicionais para `context_length` posições.

# %% alt="Diagrama do laço de geração, da esquerda para a direita: os IDs (1, T), o corte aos últimos 1024 tokens, o GPTModel com os logits (1, T, V), os logits da última posição (1, V) e softmax com argmax dando o próximo ID; uma seta volta ao começo, onde torch.cat põe o novo ID no fim da sequência, que passa a ter T + 1 tokens."
from gptlab_helpers.viz.figures import draw_generation_loop

draw_generation_loop(context_size=GPT_CONFIG_124M["context_length"])
plt.show()

# %% [markdown]
# Em código, cada volta do laço é uma linha do diagrama:


# %%
def generate_text_simple(model, idx, max_new_tokens, context_size):
    """Geração gulosa: idx (B, T) -> (B, T + max_new_tokens)."""
    for _ in range(max_new_tokens):
        idx_cond = idx[:, -context_size:]  # no máximo os últimos context_size tokens
        with torch.no_grad():
            logits = model(idx_cond)  # (B, T, V)
        logits = logits[:, -1, :]  # só a última posição: (B, V)
        probas = torch.softmax(logits, dim=-1)  # (B, V)
        idx_next = torch.argmax(probas, dim=-1, keepdim=True)  # (B, 1)
        idx = torch.cat((idx, idx_next), dim=1)  # (B, T + 1)
    return idx


# %% [markdown]
# Seis tokens novos a partir de "Hello, I am":

# %%
out = generate_text_simple(
    model=model,
    idx=encoded_tensor,
    max_new_tokens=6,
    context_size=GPT_CONFIG_124M["context_length"],
)
print("Saída:", out)
print("Comprimento da saída:", len(out[0]))

decoded_text = tokenizer.decode(out.squeeze(0).tolist())
print(decoded_text)

# %% [markdown]
# Os 4 IDs do contexto continuam no começo e os 6 seguintes são os gerados: 27018, 24086,
# 47843, 30961, 42348 e 7267, que decodificados dão "Featureiman Byeswickattribute argue". É um
# texto sem sentido, como esperado de um modelo com pesos aleatórios. Treinar o modelo, no
# próximo capítulo do livro (aula 09), é o que transforma esse mesmo laço num gerador de texto coerente.

# %% [markdown]
# ## 5. O corte do contexto
#
# `idx[:, -context_size:]` pega só os últimos `context_size` tokens. Com `context_size=2`, o
# modelo veria apenas " I am":

# %%
print("contexto cortado:", encoded_tensor[:, -2:])
print("texto que o modelo vê:", repr(tokenizer.decode(encoded_tensor[0, -2:].tolist())))

short = generate_text_simple(model, encoded_tensor, max_new_tokens=6, context_size=2)
print(tokenizer.decode(short.squeeze(0).tolist()))

# %% [markdown]
# Com uma janela de 2 tokens, a continuação é outra, pois o modelo esquece o começo da frase
# a cada passo. No GPT-2 a janela é de 1024 tokens, então o corte só entra em ação em textos
# longos. Sem o corte, um texto mais longo que `context_length` daria erro: o `GPTModel` do
# pacote confere isso e explica o que fazer.

# %%
too_long = torch.zeros(1, 1025, dtype=torch.long)  # 1025 tokens, um a mais que o limite
try:
    model(too_long)
except ValueError as error:
    print("erro:", error)

# %% [markdown]
# ## 6. A mesma função no pacote
#
# `gptlab_helpers.generate_text_simple` faz o mesmo laço (e confere os argumentos);
# `text_to_token_ids` e `token_ids_to_text` fazem as conversões entre texto e tensor:

# %%
from gptlab_helpers import generate_text_simple as package_generate
from gptlab_helpers import text_to_token_ids, token_ids_to_text

ids = package_generate(
    model, text_to_token_ids(start_context, tokenizer), 6, GPT_CONFIG_124M["context_length"]
)
print("mesmos IDs do pacote:", torch.equal(ids, out))
print(token_ids_to_text(ids, tokenizer))

# %% [markdown]
# ## 7. KV cache: não recalcular o passado
#
# A cada passo, `generate_text_simple` passa a sequência **inteira** pelo modelo, embora só
# precise dos logits da última posição. Muito desse trabalho se repete: por causa da máscara
# causal, a key e o value de uma posição dependem só dela e das anteriores, que não mudam
# quando um token entra no fim. Então podemos **guardar** as keys e os values de cada camada
# (o *KV cache*) e, a cada passo, calcular só os do token novo. (Como na aula anterior do
# curso e nas [convenções](../docs/convencoes.md): `W_query`, `W_key` e `W_value` são as
# camadas; `queries`, `keys` e `values`, os tensores que elas produzem.)
#
# Vamos ver isso na atenção do primeiro bloco. A entrada `x` são os embeddings dos 4 tokens de
# "Hello, I am"; primeiro, a atenção de sempre, com as 4 posições de uma vez:

# %%
att = model.trf_blocks[0].att  # a MultiHeadAttention da aula, já com os pesos do modelo
with torch.no_grad():
    x = model.tok_emb(encoded_tensor) + model.pos_emb(torch.arange(4))  # (1, 4, 768)
    full = att(x)  # (1, 4, 768)
print("saída da atenção com as 4 posições:", full.shape)

# %% [markdown]
# Agora em dois tempos. Os 3 primeiros tokens já passaram pelo modelo: guardamos as keys e os
# values deles, na forma `(B, H, T, D)` (lote, cabeças, posições, dimensões por cabeça). Chega
# o 4º token: calculamos a query, a key e o value **só dele** e juntamos a key e o value aos
# guardados.

# %%
with torch.no_grad():
    cached_keys = att.split_heads(att.W_key(x[:, :3]))  # (1, 12, 3, 64): o que fica guardado
    cached_values = att.split_heads(att.W_value(x[:, :3]))
    new = x[:, 3:]  # só o token novo: (1, 1, 768)
    queries = att.split_heads(att.W_query(new))  # (1, 12, 1, 64): uma query por cabeça
    keys = torch.cat([cached_keys, att.split_heads(att.W_key(new))], dim=2)  # (1, 12, 4, 64)
    values = torch.cat([cached_values, att.split_heads(att.W_value(new))], dim=2)

    scores = queries @ keys.transpose(2, 3)  # (1, 12, 1, 4): uma linha só
    weights = torch.softmax(scores / att.head_dim**0.5, dim=-1)
    context = (weights @ values).transpose(1, 2).reshape(1, 1, att.d_out)  # (1, 1, 768)
    step = att.out_proj(context)

print("keys guardadas:", tuple(cached_keys.shape), "-> com o token novo:", tuple(keys.shape))
print("escores do token novo:", tuple(scores.shape))
print("linha da máscara causal do 4º token:", att.mask[3, :4].tolist())
print("igual à última posição do cálculo completo:", torch.allclose(step, full[:, 3:], atol=1e-6))

# %% [markdown]
# O resultado é o mesmo da última posição do cálculo completo, com uma fração do trabalho:
#
# - **O que é guardado**: as keys e os values de cada camada, `(1, 12, T, 64)` cada; as
#   queries não, porque só a do token novo é usada.
# - **Por que a máscara encolhe para uma linha**: o token novo consulta sozinho, então os
#   escores têm uma linha só, `(1, 12, 1, 4)`. Todas as posições guardadas são o passado dele:
#   a linha da máscara que lhe cabe, `[0, 0, 0, 0]`, não esconde nada. Com vários tokens novos de
#   uma vez (o contexto inicial, por exemplo), a máscara são as **últimas** linhas da triangular.
#
# O pacote faz o mesmo com `layer_cache`: um `LayerKVCache` guarda keys e values, e a atenção
# recebe só os tokens que ainda não viu.

# %%
from gptlab_helpers.kv_cache import LayerKVCache

layer_cache = LayerKVCache(max_length=GPT_CONFIG_124M["context_length"])
with torch.no_grad():
    att(x[:, :3], layer_cache=layer_cache)  # os 3 primeiros tokens entram no cache
    step_from_package = att(x[:, 3:], layer_cache=layer_cache)  # depois, só o 4º
print("posições no cache:", layer_cache.offset)
print("igual ao cálculo completo:", torch.allclose(step_from_package, full[:, 3:], atol=1e-6))

# %% [markdown]
# **Quanta memória?** Por token, cada uma das 12 camadas guarda uma key e um value de 768
# números (12 cabeças × 64), de 4 bytes cada: 2 × 12 × 768 × 4 bytes. Como em todo o curso,
# 1 KB = 1024 bytes e 1 MB = 1024² bytes.

# %%
from gptlab_helpers.kv_cache import kv_cache_bytes_per_token

per_token = kv_cache_bytes_per_token(GPT_CONFIG_124M)
print(f"por token: {per_token:,} bytes = {per_token / 1024:.0f} KB")
print(f"contexto cheio (1024 tokens): {per_token * 1024 / 1024**2:.0f} MB por sequência")

# %% [markdown]
# São 72 KB por token, e 72 MB com o contexto inteiro de 1024 tokens, por sequência do lote:
# pouco perto dos 621,83 MB dos pesos do modelo de 124M em float32 (aula 05). É o preço, em memória,
# de não refazer as contas.
#
# `generate` (do pacote) usa o cache por padrão (`use_cache=True`) e gera os mesmos tokens que
# sem ele. Quando a sequência passa de `context_size` tokens, a janela desliza, as posições de
# todos os tokens mudam e o cache é refeito com os últimos `context_size` tokens. Quanto tempo
# cada um leva para gerar 20 tokens?

# %%
# NBVAL_IGNORE_OUTPUT
import time

from gptlab_helpers import generate

context_size = GPT_CONFIG_124M["context_length"]
timings, outputs = {}, {}
for use_cache in (False, True):
    start = time.perf_counter()
    outputs[use_cache] = generate(model, encoded_tensor, 20, context_size, use_cache=use_cache)
    timings[use_cache] = time.perf_counter() - start
print(f"sem cache: {timings[False]:.2f} s | com cache: {timings[True]:.2f} s")
print(f"{timings[False] / timings[True]:.1f} vezes mais rápido com o cache")

# %%
print("mesmos tokens com e sem cache:", torch.equal(outputs[True], outputs[False]))

# %% [markdown]
# Os tempos dependem da máquina (e de quanto ela está ocupada), mas o cache ganha, e a vantagem
# cresce com o comprimento do texto: sem cache o passo t processa t tokens; com cache, um.
#
# Com o cache, cada passo multiplica um vetor só, `(1, 768)`, por cada matriz de pesos: o
# trabalho é ler os cerca de 620 MB de pesos da memória, a cada token, e com um lote de uma
# sequência o tempo passa a depender mais da velocidade dessa leitura que das contas. Acelerar essa leitura é otimização, não assunto desta
# aula: o README (seção dos benchmarks) mostra a opção `fast_kernels` do pacote e a mede, na
# máquina de quem roda, ao lado do `transformers` do Hugging Face.

# %% [markdown]
# ## 8. Vendo o texto sair
#
# Com o cache, cada token sai logo depois do anterior, e dá para mostrar o texto enquanto ele é
# gerado. `generate(..., stream=True)` entrega cada token novo, `(B, 1)`, assim que é escolhido; com
# `print(..., end="", flush=True)` o texto aparece aos poucos na tela. Decodificamos o texto
# inteiro a cada passo e imprimimos só o trecho novo: o tokenizador do GPT-2 trabalha sobre os
# bytes do texto em UTF-8, um caractere acentuado ocupa 2 bytes, e esses 2 bytes podem cair
# em tokens diferentes; decodificar um desses tokens sozinho daria um caractere quebrado.

# %%
from gptlab_helpers.generation import generate

ids = encoded_tensor[0].tolist()
shown = tokenizer.decode(ids)
print(shown, end="", flush=True)
for next_token in generate(model, encoded_tensor, 20, context_size, stream=True):
    ids.append(next_token.item())
    text = tokenizer.decode(ids)
    print(text[len(shown) :], end="", flush=True)  # só o trecho novo
    shown = text
print()

# %% [markdown]
# Os primeiros seis tokens são os mesmos da seção 4: a geração é gulosa e o modelo é o mesmo.

# %% [markdown]
# ## Explorando: temperatura, top-k e top-p
#
# O mesmo modelo e o mesmo texto inicial da seção 1. As barras mostram a probabilidade dos 10
# próximos tokens mais prováveis depois de `next_token_probabilities` (a função que `generate`
# usa para sortear): a temperatura deixa a distribuição mais pontuda ou mais achatada, top-k
# mantém só os k mais prováveis (Fan et al. 2018) e top-p, o menor grupo dos mais prováveis
# cuja soma chega a p (o *nucleus sampling* de Holtzman et al. 2020). Com pesos aleatórios as
# barras começam quase iguais; baixe a temperatura para ver a diferença crescer. A figura
# abaixo é o estado inicial (temperatura 1, filtros desligados); os sliders aparecem quando o
# notebook roda no JupyterLab ou no Colab.

# %% alt="Gráfico de barras com a probabilidade dos 10 próximos tokens mais prováveis depois de 'Hello, I am', no modelo com pesos aleatórios, a temperatura 1 e sem filtros: todas as barras ficam, minúsculas e de alturas parecidas, a primeira um pouco mais alta. Abaixo, sliders de temperatura, top-k e top-p."
from gptlab_helpers.viz.explorations import explore_sampling

panel = explore_sampling(model, tokenizer, start_context)

# %% [markdown]
# ## Perguntas frequentes
#
# **Por que usar só a última posição dos logits?**
# Porque cada posição prevê o token seguinte a ela, e só o token depois da última ainda não
# existe. No treino, ao contrário, todas as posições são usadas ao mesmo tempo: cada uma é
# comparada com o token que de fato vem depois dela.
#
# **O que exatamente a softmax faz?**
# Eleva *e* a cada logit e divide pela soma: os valores ficam positivos, somam 1 e mantêm a
# ordem. Logits maiores ganham uma fatia desproporcionalmente maior. É a ponte entre escores e
# probabilidades.
#
# **Se argmax dos logits dá o mesmo resultado, para que a softmax?**
# Para a escolha gulosa, não faz diferença. Mas para sortear o próximo token (com
# `torch.multinomial`) ou ajustar a "temperatura", precisamos das probabilidades.
#
# **As primeiras palavras viram contexto para as seguintes?**
# Sim: a cada passo, a sequência inteira até ali (até `context_size` tokens) entra no modelo,
# inclusive os tokens que ele mesmo gerou. Esta versão simples recalcula tudo a cada passo;
# implementações eficientes guardam as keys e os values da atenção dos passos anteriores
# (*KV cache*, seção 7).
#
# **Por que o texto gerado não faz sentido?**
# Porque o modelo não foi treinado: com pesos aleatórios, as probabilidades são quase
# uniformes (seção 3) e o token escolhido é praticamente arbitrário.
#
# **Gerar duas vezes dá o mesmo texto?**
# Com `argmax` e `model.eval()`, sim: não há nada sorteado. Sem o `eval()`, o dropout mudaria
# os logits a cada chamada.

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/08_gerando_texto.ipynb`](../exercises/08_gerando_texto.ipynb)
# - Você chegou ao fim da arquitetura: o próximo passo é **treinar** este modelo para que o
#   mesmo laço produza texto com sentido.
