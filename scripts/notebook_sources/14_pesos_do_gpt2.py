# ruff: noqa: E402
# Fonte de notebooks/14_pesos_do_gpt2.ipynb. Depois de editar, rode:
# python scripts/build_notebooks.py --only 14

# %% [markdown]
# # 14 · O nosso GPTModel com os pesos de verdade do GPT-2
#
# No notebook 08, o `GPTModel` da aula completou "Hello, I am" com "Featureiman
# Byeswickattribute argue": os pesos eram aleatórios. A arquitetura, porém, é a do GPT-2. Se
# copiarmos para ela os pesos que a OpenAI publicou, o **mesmo código** passa a escrever inglês.
# Neste notebook baixamos esses pesos do Hugging Face Hub, entendemos o formato do arquivo,
# carregamos no nosso modelo e olhamos a geração de novo: probabilidades do próximo token,
# temperatura e top-k, agora com texto de verdade.
#
# **Qual modelo produziu as saídas desta página?** Cada célula que gera texto começa dizendo
# `modelo: GPT-2 124M da OpenAI` ou `modelo: GPT-2 minúsculo de pesos aleatórios (sem rede)`.
# As saídas que vêm gravadas no repositório foram produzidas numa máquina **sem rede**: são do
# modelo minúsculo aleatório. O que o GPT-2 de verdade escreve está citado na seção 4, com a
# fonte; rode o notebook com internet para ver o seu.
#
# ## Objetivos de aprendizagem
#
# - Baixar um arquivo de pesos do Hugging Face Hub com `huggingface_hub` e saber onde ele fica.
# - Ler um arquivo `safetensors` e reconhecer as chaves e formas do GPT-2 da OpenAI.
# - Explicar as duas traduções até o nosso `GPTModel`: os nomes e a transposição das camadas
#   `Conv1D`.
# - Gerar texto com os pesos reais e ver o efeito da temperatura e do top-k.
# - Usar os tamanhos medium, large e XL pela configuração.
#
# **Sem internet?** O download precisa de rede uma vez. Sem ela, o notebook avisa e continua
# com um GPT-2 minúsculo de pesos **aleatórios**, no mesmo formato: todo o código roda, mas o
# texto gerado não faz sentido. Com a rede de volta, rode de novo e o modelo real é usado.
#
# **Quanto tempo leva:** o arquivo do GPT-2 small tem cerca de 523 MB (1 MB = 1024² bytes, a convenção do curso); com o arquivo já no cache, o
# notebook roda em menos de um minuto numa CPU de 2 núcleos.

# %% [markdown]
# ## 1. Onde estão os pesos
#
# A OpenAI publicou os quatro tamanhos do GPT-2, hoje no Hugging Face Hub sob a organização
# `openai-community`. Cada repositório tem um `config.json` (as dimensões) e um
# `model.safetensors` (os tensores). O pacote associa cada tamanho ao seu repositório:

# %%
from gptlab_helpers.analysis import model_size_mb, parameter_breakdown_from_config
from gptlab_helpers.config import get_gpt2_config
from gptlab_helpers.pretrained import GPT2_REPO_IDS

for size, repo_id in GPT2_REPO_IDS.items():
    params = parameter_breakdown_from_config(get_gpt2_config(size, qkv_bias=True))["total_with_weight_tying"]
    millions, megabytes = (
        f"{params / 1e6:.1f}".replace(".", ","),
        f"{model_size_mb(params):,.0f}".replace(",", "."),
    )
    print(f"{size:<20} {repo_id:<30} {millions:>7} M parâmetros {megabytes:>6} MB")

# %% [markdown]
# Os nomes dos tamanhos são os de `GPT2_SIZES` (aula 06), e os parâmetros são contados com
# weight tying, como no GPT-2 original: a cabeça de saída reaproveita a matriz do embedding de
# tokens. Em float32 (4 bytes por número) o small tem cerca de 475 MB de pesos; o arquivo do Hub
# tem uns 48 MB a mais porque guarda também a máscara causal de cada bloco (12 × 1024 × 1024
# números de 4 bytes).

# %% [markdown]
# ## 2. O formato, num GPT-2 minúsculo
#
# Antes do arquivo grande, um pequeno com o **mesmo formato**: `write_tiny_gpt2` grava numa
# pasta um `config.json` e um `model.safetensors` com as chaves e as formas do GPT-2 da OpenAI,
# mas com 2 blocos de 16 dimensões e pesos aleatórios. É ele que o notebook usa quando não há
# internet, e é com ele que os testes do pacote conferem o caminho de carga.

# %%
from gptlab_helpers.pretrained import config_from_hf, read_config, write_tiny_gpt2

folder = write_tiny_gpt2("checkpoints/gpt2_minusculo", seed=0)
hf_config = read_config(folder)
print("config.json:", hf_config)
print("a nossa configuração:", config_from_hf(hf_config))

# %% [markdown]
# O `config.json` usa os nomes do Hugging Face: `n_embd` é o nosso `emb_dim`, `n_layer` é
# `n_layers`, `n_head` é `n_heads` e `n_positions` é `context_length`. O GPT-2 da OpenAI tem
# bias em query, key e value, por isso `qkv_bias=True`.
#
# O `safetensors` é um formato só de tensores: um cabeçalho em JSON com nome, tipo e forma de
# cada tensor, seguido dos números. Ao contrário de um `.bin` do PyTorch (um *pickle*), abrir
# um arquivo desses não executa código nenhum.

# %%
from safetensors.torch import load_file

state = load_file(folder / "model.safetensors")
print(f"{len(state)} tensores")
for key in [k for k in state if not k.startswith("h.")] + [k for k in state if k.startswith("h.0.")]:
    print(f"{key:<22} {tuple(state[key].shape)}")

# %% [markdown]
# - `wte` e `wpe` são os embeddings de tokens e de posições (`tok_emb` e `pos_emb`);
# - `h.0` é o primeiro bloco: `ln_1` e `ln_2` são as duas LayerNorms (`weight` e `bias` são os
#   nossos `scale` e `shift`), `attn.c_attn` tem query, key e value **juntas** (3 × 16 = 48
#   colunas), `attn.c_proj` é o nosso `out_proj`, e `mlp.c_fc` e `mlp.c_proj` são as duas
#   camadas da feed-forward;
# - `attn.bias` não é peso: é a máscara causal, que o nosso modelo cria sozinho;
# - `ln_f` é a `final_norm`. Não há `lm_head`: a cabeça de saída é a própria `wte`.

# %% [markdown]
# ### A transposição das camadas Conv1D
#
# O código original do GPT-2 guarda as camadas lineares como `Conv1D`, com o peso na forma
# `(entrada, saída)`, e calcula `x @ W + b`. O `nn.Linear` do PyTorch guarda `(saída, entrada)`
# e calcula `x @ W.T + b`. Por isso `c_attn.weight` tem forma `(16, 48)` e os nossos
# `W_query`, `W_key` e `W_value` juntos teriam `(48, 16)`: basta transpor.

# %%
import torch
import torch.nn.functional as F

x = torch.randn(1, 3, 16, generator=torch.Generator().manual_seed(0))  # (B, T, C)
w_hf, b_hf = state["h.0.attn.c_attn.weight"], state["h.0.attn.c_attn.bias"]  # (C, 3C), (3C,)
conv1d = x @ w_hf + b_hf  # como o GPT-2 original calcula
linear = F.linear(x, w_hf.T, b_hf)  # como o nn.Linear calcula, com o peso transposto
print("mesmo resultado:", torch.allclose(conv1d, linear, atol=1e-6))
query_w, key_w, value_w = w_hf.T.chunk(3, dim=0)  # (3C, C) -> três (C, C)
print("W_query:", tuple(query_w.shape), "| W_key:", tuple(key_w.shape), "| W_value:", tuple(value_w.shape))

# %% [markdown]
# `load_gpt2_weights` faz exatamente isso para todas as chaves, conferindo cada forma (uma
# forma errada vira uma mensagem dizendo qual chave e qual configuração conferir):

# %%
from gptlab_helpers import GPTModel, load_gpt2_weights

tiny = load_gpt2_weights(GPTModel(config_from_hf(hf_config)), state).eval()
print("W_query do bloco 0 = primeiras 16 colunas de c_attn, transpostas:")
print(torch.equal(tiny.trf_blocks[0].att.W_query.weight, state["h.0.attn.c_attn.weight"][:, :16].T))
print("cabeça de saída = embedding de tokens:", torch.equal(tiny.out_head.weight, tiny.tok_emb.weight))

# %% [markdown]
# ## 3. Baixando o GPT-2 de verdade
#
# `load_pretrained_gpt2("small")` faz o caminho inteiro: `hf_hub_download` baixa `config.json`
# e `model.safetensors` de `openai-community/gpt2` (com a barra de progresso do
# `huggingface_hub`), `load_file` lê os tensores e `load_gpt2_weights` os copia para um
# `GPTModel`. A biblioteca `transformers` não entra em lugar nenhum. O arquivo fica no cache
# do Hugging Face (`~/.cache/huggingface/hub`): da segunda vez nada é baixado.
#
# Se não houver internet (ou se `HF_HUB_OFFLINE=1`), a função avisa em português e devolve o
# GPT-2 minúsculo de pesos aleatórios; `is_real` diz qual dos dois você tem, e a última linha
# da saída diz o nome do modelo. A saída gravada é a de uma máquina sem rede; na sua, com
# internet, a última linha será `modelo: GPT-2 124M da OpenAI`.

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers.pretrained import load_pretrained_gpt2

model, is_real = load_pretrained_gpt2("small", timeout=5)
which = "GPT-2 124M da OpenAI" if is_real else "GPT-2 minúsculo de pesos aleatórios (sem rede)"
print(f"\nmodelo: {which} ({sum(p.numel() for p in model.parameters()):,} parâmetros)")

# %% [markdown]
# ## 4. "Hello, I am", de novo
#
# O mesmo contexto do notebook 08 e a mesma geração gulosa (`temperature=0`, sempre o token
# mais provável), com `generate`, 20 tokens novos:

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers import generate, get_tokenizer, text_to_token_ids, token_ids_to_text

tokenizer = get_tokenizer("gpt2")
context = text_to_token_ids("Hello, I am", tokenizer)  # (1, 4)
context_size = model.cfg["context_length"]
out = generate(model, context, max_new_tokens=20, context_size=context_size, temperature=0.0)
print(f"modelo: {which}\n{token_ids_to_text(out, tokenizer)}")

# %% [markdown]
# Leia a saída conforme a primeira linha dela:
#
# - **`modelo: GPT-2 minúsculo de pesos aleatórios (sem rede)`** (a saída gravada): pedaços de
#   palavras sem sentido, como no notebook 08, e logo o mesmo pedaço várias vezes seguidas. Os
#   pesos são sorteados; não há nada a elogiar no texto, só o fato de que o caminho inteiro
#   (arquivo, tradução das chaves, geração) funcionou.
# - **`modelo: GPT-2 124M da OpenAI`**: inglês com gramática e assunto. O modelo é exatamente o
#   `GPTModel` das aulas 01 a 08; só os números dentro das matrizes mudaram.
#
# Nos dois casos a geração gulosa costuma entrar num laço. Ela é determinística (o mesmo contexto
# dá sempre o mesmo próximo token), e um trecho que já apareceu no contexto torna mais provável
# repeti-lo: depois que o modelo repete uma vez, a repetição reforça a si mesma, e nada na
# escolha pelo máximo tira o texto do laço. O sorteio da seção 6 é uma saída.
#
# ### O que o GPT-2 124M de verdade escreve
#
# Para a página mostrar o resultado mesmo sem rede, um fato com fonte: no capítulo 5 do livro
# (Raschka, *Build a Large Language Model (From Scratch)*, 2024, seção 5.5, ao carregar os pesos
# da OpenAI no `GPTModel`), com `torch.manual_seed(123)`, o contexto "Every effort moves you",
# 25 tokens novos, top-k 50 e temperatura 1,5, o GPT-2 124M escreve:
#
# > Every effort moves you toward finding an ideal new way to practice something!
# >
# > What makes us want to be on top of that?
#
# Inglês correto, com assunto, mesmo com uma temperatura alta. A célula abaixo faz a mesma
# chamada com o nosso `generate`. Com os pesos reais ela deve escrever esse texto ou um muito
# parecido: o sorteio usa a mesma semente, mas uma diferença mínima de arredondamento entre
# máquinas pode trocar um token, e daí em diante o resto. Com o modelo minúsculo, sai de novo
# uma sequência sem sentido.

# %%
# NBVAL_IGNORE_OUTPUT
torch.manual_seed(123)
book_context = text_to_token_ids("Every effort moves you", tokenizer)  # (1, 4)
out = generate(model, book_context, max_new_tokens=25, context_size=context_size, temperature=1.5, top_k=50)
print(f"modelo: {which}\n{token_ids_to_text(out, tokenizer)}")

# %% [markdown]
# ## 5. As probabilidades do próximo token
#
# Em vez de escolher, olhamos a distribuição inteira depois de "Hello, I am": os 10 tokens
# mais prováveis e quanto da probabilidade eles somam.

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers import next_token_probabilities

with torch.no_grad():
    logits = model(context)[:, -1, :]  # (1, V): os escores do próximo token
probs = next_token_probabilities(logits, temperature=1.0)[0]  # (V,)
top = torch.topk(probs, 10)
print(f"modelo: {which}")
for p, token_id in zip(top.values, top.indices):
    print(f"{tokenizer.decode([token_id.item()])!r:>14}  {p.item():.3f}")
print(f"os 10 somam {top.values.sum().item():.2f} de 50.257 tokens")

# %% [markdown]
# Com o modelo minúsculo aleatório (a saída gravada), a probabilidade fica espalhada quase por
# igual: cada token recebe perto de 1/50.257, e mesmo os 10 primeiros, somados, ficam tão
# pequenos que a saída os arredonda para zero. Com os pesos reais, ela se concentra em poucos tokens
# plausíveis (palavras que continuam "I am" em inglês), e os 10 primeiros somam uma boa fatia
# do total, embora o vocabulário tenha 50.257 tokens.

# %% [markdown]
# ## 6. Temperatura e top-k em texto de verdade
#
# A temperatura divide os logits antes da softmax: abaixo de 1 a distribuição fica mais
# pontuda, acima de 1 mais achatada. Uma medida simples é quantos tokens são necessários para
# somar 90% da probabilidade:

# %%
# NBVAL_IGNORE_OUTPUT
print(f"modelo: {which}")
for temperature in (0.5, 1.0, 1.5):
    sorted_probs = next_token_probabilities(logits, temperature)[0].sort(descending=True).values
    needed = int((sorted_probs.cumsum(0) < 0.9).sum()) + 1
    print(
        f"temperatura {temperature}: o mais provável tem {sorted_probs[0]:.3f}; 90% exigem {needed:,} tokens"
    )

# %% [markdown]
# E o texto gerado, sorteando com a mesma semente em cada linha. Com `top_k=5`, só os 5 tokens
# mais prováveis de cada passo podem sair, o que corta a cauda de palavras improváveis mesmo
# com temperatura alta:

# %%
# NBVAL_IGNORE_OUTPUT
print(f"modelo: {which}\n")
for temperature, top_k in ((0.7, None), (1.5, None), (1.5, 5)):
    seeded = torch.Generator().manual_seed(123)
    out = generate(model, context, 25, context_size, temperature, top_k, generator=seeded)
    print(f"--- temperatura {temperature}, top_k={top_k}\n{token_ids_to_text(out, tokenizer)}\n")

# %% [markdown]
# Com o modelo minúsculo aleatório (a saída gravada), a temperatura quase não faz diferença: a
# distribuição já é quase plana (na célula anterior, 90% da probabilidade exige dezenas de
# milhares de tokens com qualquer temperatura), então achatá-la mais ou menos não muda o
# sorteio, e as duas primeiras linhas podem até sair iguais. O `top_k=5` muda o texto, mas
# escolher entre os 5 "melhores" de um modelo aleatório não dá sentido a nada.
#
# O que observar com os pesos reais: com temperatura 0,7 o texto costuma ser coerente e mais
# variado que o guloso; com 1,5 sem top-k ele logo escapa do assunto, porque a cauda de 50 mil
# tokens improváveis, somada, passa a sair com frequência; com 1,5 e `top_k=5` ele continua
# ousado, mas cada token ainda é um dos cinco que o modelo considerava mais razoáveis.

# %% [markdown]
# ## 7. Os outros tamanhos
#
# O mesmo caminho serve para os outros três tamanhos, pelo nome da configuração:
# `load_pretrained_gpt2("medium")` (ou `"gpt2-medium (355M)"`), `"large"` e `"xl"`. O
# `config.json` baixado é conferido contra `get_gpt2_config(size)`; um arquivo de outro tamanho
# é recusado. Cuidado com o tamanho: o XL tem 1,6 bilhão de parâmetros, cerca de 5,8 GB em float32,
# para baixar e para caber na memória.
#
# ```python
# model_medium, is_real = load_pretrained_gpt2("medium")  # cerca de 1,4 GB para baixar
# ```

# %% [markdown]
# ## 8. A versão do pacote
#
# Em `gptlab_helpers.pretrained`:
#
# - `load_pretrained_gpt2(size, cache_dir=None, timeout=10.0)` → `(model, is_real)`;
# - `download_gpt2(size)`: só o download, devolve a pasta com os dois arquivos (ou levanta
#   `GPT2DownloadError` com a explicação);
# - `load_gpt2_folder(folder)`: `config.json` + `model.safetensors` → `GPTModel` em modo eval;
# - `load_gpt2_weights(model, state_dict)`: a tradução de chaves e formas;
# - `write_tiny_gpt2(folder)`: o GPT-2 minúsculo de pesos aleatórios;
# - `GPT2_REPO_IDS` e `gpt2_repo_id(size)`: de tamanho para repositório.
#
# As duas funções que carregam aceitam ainda `fast_kernels=True`, que só os benchmarks do README
# usam: nenhuma aula precisa dele.

# %% [markdown]
# ## Perguntas frequentes
#
# **Preciso da biblioteca `transformers`?**
# Não. Usamos só `huggingface_hub` (para baixar) e `safetensors` (para ler). O modelo que roda é
# o nosso `GPTModel`.
#
# **Onde fica o arquivo e como uso sem internet depois?**
# No cache do Hugging Face, `~/.cache/huggingface/hub` (mude com `cache_dir=` ou com a variável
# `HF_HOME`). Depois de baixado uma vez, `load_pretrained_gpt2` o encontra mesmo sem rede; com
# `HF_HUB_OFFLINE=1` ele nem tenta a rede.
#
# **Por que `qkv_bias=True` aqui, se o `GPT_CONFIG_124M` da aula usa `False`?**
# O livro desliga o bias de query, key e value porque os LLMs atuais não o usam, mas o GPT-2 da
# OpenAI tem esse bias; para receber os pesos dele, o modelo precisa ter onde guardá-lo.
#
# **Por que o arquivo não tem `lm_head`?**
# O GPT-2 usa *weight tying*: a cabeça de saída é a matriz do embedding de tokens. O
# `load_gpt2_weights` copia `wte` para os dois lugares.
#
# **O texto do modelo minúsculo não faz sentido. Está errado?**
# Não: os pesos dele são sorteados. Ele existe para que o notebook e os testes rodem sem
# internet, passando pelo mesmo código de carga.

# %% [markdown]
# ## Próximos passos
#
# - Exercícios: [`../exercises/14_pesos_do_gpt2.ipynb`](../exercises/14_pesos_do_gpt2.ipynb)
# - Volte ao [12 · Pre-LN ou Post-LN](12_pre_ln_vs_post_ln.ipynb): os pesos que você carregou
#   são de um modelo Pre-LN; o que aconteceria se você os carregasse num `GPTModel` com
#   `norm_position="post"`?
