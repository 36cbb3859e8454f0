# ruff: noqa: E402
# Fonte de notebooks/13_gpt2_vs_modelos_atuais.ipynb. Depois de editar, rode:
# python scripts/build_notebooks.py --only 13

# %% [markdown]
# # 13 · O GPT-2 e os modelos de hoje
#
# O GPT-2 é de 2019. Os decodificadores abertos de 2024 e 2025 (Llama 3, Qwen3, GPT-OSS) ainda
# são a mesma pilha de blocos com atenção causal, atalhos e feed-forward que montamos nas aulas
# 01 a 08. Mas quatro peças mudaram em quase todos eles: a normalização (**RMSNorm**), a
# feed-forward (**SwiGLU**), o jeito de dizer a posição (**RoPE**) e a atenção (**GQA**, menos
# cabeças de key/value); e a maioria tirou os bias (o GPT-OSS ainda os tem na atenção e nos
# especialistas). Neste notebook montamos cada peça passo a passo, comparamos cada uma com uma
# referência e contamos os parâmetros de cada modelo. Se as peças novas ajudam um modelo
# pequeno a aprender é outra pergunta, com outro método (um treino cronometrado): fica no
# apêndice [13b · A corrida](13b_corrida_gpt2_vs_moderno.ipynb).
#
# ## Objetivos de aprendizagem
#
# - Ler uma tabela de configurações publicadas e dizer o que mudou do GPT-2 para os modelos atuais.
# - Implementar a RMSNorm e a feed-forward SwiGLU e compará-las com a LayerNorm e a GELU.
# - Explicar como o RoPE codifica a posição girando query e key, e por que o produto escalar
#   passa a depender só da distância entre os tokens.
# - Implementar a atenção com grupos de cabeças (GQA) e calcular quanto ela economiza.
# - Escolher cada peça pela configuração do `GPTModel` e contar os parâmetros de cada modelo.
#
# **Quanto tempo leva:** poucos segundos de CPU; nada aqui é treinado.

# %% [markdown]
# ## 1. O GPT-2 ao lado de três modelos atuais
#
# A tabela vem de `gptlab_helpers.variants.published`: cada linha copia números do `config.json`
# que acompanha os pesos no Hugging Face e do artigo (ou cartão) do modelo. As fontes estão logo
# abaixo da tabela.

# %%
from IPython.display import Markdown

from gptlab_helpers.variants.published import PUBLISHED_CONFIGS, format_published_table

Markdown(format_published_table())

# %%
for name, row in PUBLISHED_CONFIGS.items():
    print(f"{name}: {row['source']}")

# %% [markdown]
# Lendo a tabela de cima para baixo:
#
# - **O desenho é o mesmo.** Todos são pilhas de blocos iguais (de 12 a 48), com atenção
#   multi-cabeças e feed-forward. O que você montou nas aulas 01 a 08 continua valendo.
# - **Normalização:** o GPT-2 usa LayerNorm; os três atuais usam RMSNorm (o Qwen3 normaliza
#   também query e key dentro da atenção, a "QK-norm").
# - **Ativação:** GELU no GPT-2, SwiGLU nos atuais.
# - **Posição:** o GPT-2 aprende um vetor por posição (1.024 posições, nem uma a mais); os atuais
#   giram query e key (RoPE) e chegam a contextos de 8 mil a 131 mil tokens.
# - **Cabeças de key/value:** no GPT-2 são tantas quanto as de query; nos atuais, 8 para 32 ou 64
#   cabeças de query (GQA).
# - **Vocabulário:** de 50 mil tokens para 128 a 201 mil (mais línguas, mais código).
# - **GPT-OSS** troca a feed-forward de cada bloco por uma **mistura de especialistas** (MoE):
#   32 feed-forwards por bloco, das quais só 4 trabalham em cada token. Por isso tem 20,9
#   bilhões de parâmetros, mas usa só 3,6 bilhões por token (seção 7).
#
# Nas próximas seções montamos cada peça nova, uma de cada vez.

# %% [markdown]
# ## 2. RMSNorm: normalizar sem centralizar
#
# A LayerNorm da aula 02 faz duas coisas: subtrai a média e divide pelo desvio padrão. A RMSNorm
# (Zhang e Sennrich, 2019) pula a primeira: divide cada vetor pela sua **raiz da média dos
# quadrados** (*root mean square*),
#
# $$\mathrm{RMSNorm}(x) = \frac{x}{\sqrt{\frac{1}{C}\sum_i x_i^2 + \varepsilon}} \cdot \mathrm{scale}.$$
#
# Sem média, não há o que deslocar, e sem `shift`: são metade dos parâmetros e uma redução a
# menos. Passo a passo, num vetor pequeno:

# %%
import torch

x = torch.tensor([[1.0, 2.0, 3.0, 6.0]])
rms = torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + 1e-5)
print("RMS:", round(rms.item(), 4))
print("RMSNorm:", (x / rms).round(decimals=4))
print("LayerNorm:", torch.nn.functional.layer_norm(x, (4,)).round(decimals=4))

# %% [markdown]
# A RMS de (1, 2, 3, 6) é √((1 + 4 + 9 + 36) / 4) = √12,5 ≈ 3,5355. Depois da RMSNorm a média
# dos quadrados vale 1, mas os valores continuam todos positivos: a média do vetor (3) não foi
# subtraída, só dividida junto com o resto. A LayerNorm dá valores negativos e positivos em torno de zero. Na prática, os dois
# estabilizam o treino igualmente bem, e a RMSNorm é mais barata.
#
# A versão do pacote, `gptlab_helpers.variants.modern.RMSNorm`, tem um parâmetro `scale` e o ε dentro da
# raiz, a mesma convenção de `torch.nn.RMSNorm`:

# %%
from gptlab_helpers.variants.modern import RMSNorm

torch.manual_seed(123)
batch = torch.randn(2, 3, 8)
ours, reference = RMSNorm(8), torch.nn.RMSNorm(8, eps=1e-5)
print("mesma saída que torch.nn.RMSNorm:", torch.allclose(ours(batch), reference(batch), atol=1e-6))
print("parâmetros:", [name for name, _ in ours.named_parameters()])

# %% [markdown]
# ## 3. SwiGLU: uma feed-forward com porta
#
# A feed-forward do GPT-2 é `Linear(C, 4C) → GELU → Linear(4C, C)`. A SwiGLU (Shazeer, 2020) usa
# **três** matrizes: uma calcula a **porta**, passada pela SiLU (também chamada Swish,
# `x · sigmoid(x)`), e outra calcula um **valor**; o produto elemento a elemento dos dois volta
# para C dimensões pela terceira:
#
# $$\mathrm{SwiGLU}(x) = W_3\,\big(\mathrm{SiLU}(W_1 x) \odot W_2 x\big).$$
#
# A SiLU tem quase a mesma cara da GELU:

# %% alt="Curvas da GELU, do GPT-2, e da SiLU, dos modelos atuais, de −5 a 5: quase sobrepostas, as duas perto de zero para entradas negativas e perto da reta identidade para as positivas."
import matplotlib.pyplot as plt
import torch.nn.functional as F

from gptlab_helpers import GELU

z = torch.linspace(-5, 5, 201)
plt.figure(figsize=(6, 3))
plt.plot(z, GELU()(z), label="GELU (GPT-2)")
plt.plot(z, F.silu(z), "--", label="SiLU = x · sigmoid(x)")
plt.title("GELU e SiLU: quase a mesma curva")
plt.xlabel("entrada")
plt.ylabel("saída")
plt.legend()
plt.show()

# %% [markdown]
# A diferença não está na curva, e sim na porta: a SiLU de `W₁x` multiplica `W₂x`, posição por
# posição da camada do meio, decidindo quanto de cada valor passa. Com as três matrizes escritas
# à mão:

# %%
torch.manual_seed(123)
emb_dim, hidden = 8, 12
W1, W2, W3 = torch.randn(hidden, emb_dim), torch.randn(hidden, emb_dim), torch.randn(emb_dim, hidden)
tokens = torch.randn(2, 3, emb_dim)  # (B, T, C)
gate = F.silu(tokens @ W1.T)  # (B, T, H): a porta
value = tokens @ W2.T  # (B, T, H): o que a porta deixa passar
by_hand = (gate * value) @ W3.T  # (B, T, C)
print(tuple(gate.shape), "->", tuple(by_hand.shape))

# %% [markdown]
# O pacote tem a mesma conta em `SwiGLUFeedForward`, com as matrizes em `fc1` (porta), `fc2`
# (valor) e `fc3` (saída). Copiando as nossas matrizes para ela, a saída é a mesma:

# %%
from gptlab_helpers.variants.modern import SwiGLUFeedForward

swiglu = SwiGLUFeedForward({"emb_dim": emb_dim, "ff_hidden_dim": hidden, "bias": False})
with torch.no_grad():
    for layer, weight in zip((swiglu.fc1, swiglu.fc2, swiglu.fc3), (W1, W2, W3)):
        layer.weight.copy_(weight)
print("mesma saída:", torch.allclose(swiglu(tokens), by_hand, atol=1e-5))

# %% [markdown]
# **Quão larga é a camada do meio?** Com três matrizes em vez de duas, uma SwiGLU de largura 4C
# teria 50% mais parâmetros que a feed-forward do GPT-2. Por isso se usa 2/3 de 4C: 3 · C · (8C/3)
# = 8C², exatamente os 2 · C · 4C do GPT-2. Sem `ff_hidden_dim` na configuração, o pacote faz
# isso (arredondando para um múltiplo de 8). O Llama 3 8B usa 14.336 = 3,5 · 4.096, um pouco
# mais largo.

# %% [markdown]
# ## 4. RoPE: a posição como uma rotação
#
# No GPT-2, a posição entra uma vez, no começo: `tok_emb(ids) + pos_emb(posições)`, com um vetor
# **aprendido** por posição. O modelo nunca viu a posição 1.025, então não passa de 1.024 tokens.
#
# O RoPE (*rotary position embedding*, Su et al., 2021) não soma nada. Dentro de cada atenção, ele
# **gira** cada query e cada key de um ângulo proporcional à sua posição. As coordenadas de uma
# cabeça são tomadas aos pares, e cada par é um ponto do plano que gira:
#
# $$\begin{pmatrix} a' \\ b' \end{pmatrix} = \begin{pmatrix} \cos m\theta & -\sin m\theta \\
# \sin m\theta & \cos m\theta \end{pmatrix} \begin{pmatrix} a \\ b \end{pmatrix}$$
#
# onde m é a posição do token e θ a frequência do par. Cada par tem a sua: θᵢ = base^(−2i/D),
# com base 10.000 no artigo (500.000 no Llama 3). O primeiro par gira 1 radiano por posição; o
# último, quase nada. Num par só, com θ = 1, o ponto (1, 0) na posição m vai para (cos m, sin m):

# %%
from gptlab_helpers.variants.modern import apply_rope, rope_angles

cos, sin = rope_angles(head_dim=2, context_length=4)
point = torch.tensor([1.0, 0.0]).expand(1, 1, 4, 2)  # (B, H, T, D): o mesmo ponto em 4 posições
print(apply_rope(point, cos, sin)[0, 0].round(decimals=4))

# %% [markdown]
# (1, 0), (0,5403, 0,8415), (−0,4161, 0,9093), (−0,99, 0,1411): cos m e sin m para m = 0, 1, 2, 3.
#
# **Por que girar?** Porque o produto escalar entre dois vetores girados só depende da
# **diferença** dos ângulos. Se a query está na posição m e a key na posição n, o escore de
# atenção ⟨R(m)q, R(n)k⟩ = ⟨q, R(n − m)k⟩ depende de n − m, a distância entre os tokens, e não de
# onde os dois estão. Conferindo com vetores aleatórios de 8 dimensões:

# %%
torch.manual_seed(123)
cos, sin = rope_angles(head_dim=8, context_length=64)
q, k = torch.randn(8), torch.randn(8)


def rope_score(m, n):
    """Escore entre q girado para a posição m e k girado para a posição n."""
    at = lambda v, p: apply_rope(v.view(1, 1, 1, 8), cos[p : p + 1], sin[p : p + 1]).flatten()  # noqa: E731
    return torch.dot(at(q, m), at(k, n)).item()


for m, n in [(5, 2), (15, 12), (50, 47), (5, 3)]:
    print(f"query em {m:>2}, key em {n:>2} (distância {m - n}): escore {rope_score(m, n):+.4f}")

# %% [markdown]
# As três primeiras linhas têm distância 3 e o mesmo escore, estejam os tokens no começo ou no
# fim da janela; com distância 2 o escore é outro. A posição absoluta sumiu da conta: sobra a
# relativa, que é o que importa para a linguagem ("a palavra de três tokens atrás").
#
# No pacote, `rope_angles` calcula os cossenos e senos de todas as posições uma vez (um buffer da
# atenção), e `apply_rope` gira um tensor (B, H, T, D) inteiro. Os pares são (xᵢ, xᵢ₊D/2), a
# convenção do Llama no Hugging Face; o artigo junta coordenadas vizinhas, o que dá a mesma conta
# com as coordenadas em outra ordem.

# %% [markdown]
# ## 5. GQA: menos cabeças de key e value
#
# Na atenção do GPT-2, cada uma das H cabeças tem a sua query, a sua key e o seu value. Na
# **atenção com grupos de consultas** (*grouped-query attention*, Ainslie et al., 2023), as
# cabeças de query são divididas em grupos, e cada grupo **compartilha** uma key e um value. Com
# 4 cabeças de query e 2 de key/value, as cabeças 0 e 1 usam a K/V 0, e as cabeças 2 e 3, a K/V 1.
#
# O truque no código é uma linha: `repeat_interleave` copia cada key/value para as cabeças do seu
# grupo, e daí em diante a conta é a da aula 05.

# %%
torch.manual_seed(123)
n_heads, n_kv_heads, head_dim = 4, 2, 3
keys = torch.randn(1, n_kv_heads, 5, head_dim)  # (B, H_kv, T, D): só 2 cabeças de key
shared = keys.repeat_interleave(n_heads // n_kv_heads, dim=1)  # (B, H, T, D)
print(tuple(keys.shape), "->", tuple(shared.shape))
print("cabeças 0 e 1 veem a mesma key:", torch.equal(shared[0, 0], shared[0, 1]))
print("cabeças 1 e 2 veem keys diferentes:", not torch.equal(shared[0, 1], shared[0, 2]))

# %% [markdown]
# `GroupedQueryAttention` do pacote faz isso, com os mesmos nomes de pesos da
# `MultiHeadAttention` (`W_query`, `W_key`, `W_value`, `out_proj`). Com tantas cabeças de
# key/value quanto de query, ela **é** a atenção da aula: carregando os pesos de uma na outra,
# as saídas coincidem.

# %%
from gptlab_helpers import MultiHeadAttention
from gptlab_helpers.variants.modern import GroupedQueryAttention

torch.manual_seed(123)
mha = MultiHeadAttention(d_in=16, d_out=16, context_length=8, dropout=0.0, num_heads=4)
gqa = GroupedQueryAttention(16, 16, 8, dropout=0.0, num_heads=4, num_kv_heads=4)
gqa.load_state_dict(mha.state_dict())
x = torch.randn(2, 6, 16)
print("n_kv_heads = n_heads dá a MHA da aula:", torch.allclose(gqa(x), mha(x), atol=1e-6))
smaller = GroupedQueryAttention(16, 16, 8, dropout=0.0, num_heads=4, num_kv_heads=1)
print("W_key com 1 cabeça de K/V:", tuple(smaller.W_key.weight.shape), "em vez de (16, 16)")

# %% [markdown]
# **O que se ganha.** W_key e W_value ficam menores, mas isso é pouco. O ganho grande é na
# **geração**: para não recalcular tudo a cada token novo, o modelo guarda as keys e os values de
# todos os tokens anteriores (o *KV cache*). Esse cache cresce com o contexto, e com GQA ele
# encolhe na proporção n_heads / n_kv_heads. No Llama 3 8B, em `bfloat16` (2 bytes):

# %%
row = PUBLISHED_CONFIGS["Llama 3 8B"]
per_token = {
    heads: 2 * row["n_layers"] * heads * row["head_dim"] * 2  # K e V, por camada, 2 bytes cada
    for heads in (row["n_heads"], row["n_kv_heads"])
}
for heads, size in per_token.items():
    print(
        f"{heads:>2} cabeças de K/V: {size / 1024:.0f} KiB por token, "
        f"{size * row['context_length'] / 2**30:.1f} GiB para {row['context_length']:,} tokens"
    )

# %% [markdown]
# Com 8 cabeças de K/V em vez de 32, o cache de uma conversa de 8.192 tokens cai de 4 GiB para
# 1 GiB: cabem 4 vezes mais conversas na mesma GPU. O artigo do GQA mostra que a qualidade fica
# perto da atenção completa. Os nomes: na atenção de sempre (*multi-head*) cada cabeça de
# query tem a sua cabeça de K/V; no GQA (*grouped-query*) um grupo de cabeças de query divide
# uma cabeça de K/V (aqui, 4 queries por K/V); no MQA (*multi-query*, Shazeer, 2019) há uma só
# cabeça de K/V para todas, o caso extremo, que economiza mais memória e perde mais qualidade.

# %% [markdown]
# ## 6. Sem bias
#
# No GPT-2, cada `nn.Linear` (exceto a cabeça de saída) tem um vetor de bias, e cada LayerNorm
# tem o seu `shift`. Llama 3 e Qwen3 tiram todos: a normalização logo antes já controla a escala,
# e o bias pouco acrescenta. São poucos parâmetros (menos de 0,1% do modelo), mas são vetores a
# menos para ler da memória. Na configuração, `"bias": False` tira o bias das camadas lineares e o
# `shift` das normas; o bias de query, key e value segue a chave da aula, `qkv_bias` (o Qwen2, por
# exemplo, tinha só esses).

# %% [markdown]
# ## 7. Tudo pela configuração
#
# As peças novas entram no mesmo `GPTModel`, escolhidas por chaves da configuração. Sem elas, o
# modelo é exatamente o da aula (os mesmos números com `torch.manual_seed(123)`):
#
# | chave | padrão (GPT-2) | moderno |
# | --- | --- | --- |
# | `norm` | `"layernorm"` | `"rmsnorm"` |
# | `ff_activation` | `"gelu"` | `"swiglu"` |
# | `ff_hidden_dim` | 4 × `emb_dim` | 2/3 disso, ou o valor dado |
# | `pos_encoding` | `"learned"` | `"rope"` (e `rope_base`, 10.000 por padrão) |
# | `n_kv_heads` | `n_heads` | um divisor de `n_heads` |
# | `bias` | `True` | `False` |
#
# O modelo de caracteres do notebook 09 e a sua versão moderna, `MODERN_CHAR_CONFIG`, com o mesmo
# número de parâmetros. As chaves que mudam (com `ff_hidden_dim=200` escolhido para empatar os
# totais, e 2 cabeças de K/V para 4 de query):

# %%
from gptlab_helpers import GPTModel, format_parameter_table, parameter_breakdown
from gptlab_helpers.presets import MODERN_CHAR_CONFIG
from gptlab_helpers.training import CHAR_GPT_CONFIG

print({key: value for key, value in MODERN_CHAR_CONFIG.items() if CHAR_GPT_CONFIG.get(key) != value})
torch.manual_seed(123)
gpt2_char, modern_char = GPTModel(CHAR_GPT_CONFIG), GPTModel(MODERN_CHAR_CONFIG)
print(format_parameter_table(parameter_breakdown(gpt2_char)), end="\n\n")
print(format_parameter_table(parameter_breakdown(modern_char)))

# %% [markdown]
# 218.112 parâmetros no GPT-2 de caracteres, 218.048 no moderno. Os dois gastam o orçamento de
# jeitos diferentes:
#
# - o moderno não tem embedding posicional (4.096 parâmetros a menos): a posição vem do RoPE;
# - a atenção encolhe de 16.448 para 12.288 por bloco: W_key e W_value têm 2 cabeças em vez de 4,
#   e o `out_proj` não tem bias;
# - o que sobrou foi para a feed-forward, com camada do meio de 200 (três matrizes de
#   64 × 200 = 38.400 por bloco, contra 33.088 no GPT-2);
# - as normas têm só `scale` (64 em vez de 128 cada).
#
# Com `parameter_breakdown_from_config`, que conta sem criar o modelo, o mesmo vale para os
# modelos grandes da tabela. `gptlab_config(nome)` traduz uma linha da tabela para a nossa
# configuração:

# %%
from gptlab_helpers.variants.published import gptlab_config, published_parameter_count

print("Llama 3 8B na nossa configuração:", gptlab_config("Llama 3 8B"), end="\n\n")
for name, row in PUBLISHED_CONFIGS.items():
    count = published_parameter_count(name)
    ours = f"{count:>15,}" if count is not None else f"{'(MoE: veja abaixo)':>15}"
    print(f"{name:<20} nossa contagem: {ours}   publicado: {row['published_parameters']}")

# %% [markdown]
# - **GPT-2:** 124.439.808 e 1.557.611.200, os números exatos do Hugging Face. A contagem usa
#   `qkv_bias=True` (o GPT-2 original tem bias em query, key e value) e desconta a cabeça de saída,
#   que divide a matriz com o embedding (weight tying).
# - **Llama 3 8B:** 8.030.261.248, o total exato dos pesos publicados. Sem weight tying, a cabeça
#   de saída conta à parte: são 525 milhões de parâmetros a mais.
# - **Qwen3 8B:** 8,19 bilhões; os pesos publicados têm 9.216 a mais, as QK-norms (duas RMSNorms
#   de 128 por camada), que o nosso pacote não tem.
# - **GPT-OSS 20B:** o pacote não monta uma mistura de especialistas, mas a conta cabe numa
#   célula. Cada bloco tem uma atenção (64 cabeças de query de 64 dimensões, 8 de K/V, com bias e
#   um escalar extra por cabeça, o "sink"), um roteador e 32 feed-forwards SwiGLU com bias:

# %%
row = PUBLISHED_CONFIGS["GPT-OSS 20B"]
emb, ff, q_dim, kv_dim = row["emb_dim"], row["ff_hidden_dim"], 64 * 64, 8 * 64
attention = (emb * q_dim + q_dim) + 2 * (emb * kv_dim + kv_dim) + (q_dim * emb + emb) + 64
expert = (emb * 2 * ff + 2 * ff) + (ff * emb + emb)  # porta e valor numa matriz só, e a saída
router = emb * row["experts"]["total"] + row["experts"]["total"]
block_total = attention + row["experts"]["total"] * expert + router + 2 * emb
block_active = attention + row["experts"]["active"] * expert + router + 2 * emb
embeddings = row["vocab_size"] * emb  # entrada e saída são matrizes separadas
print(f"total: {row['n_layers'] * block_total + 2 * embeddings + emb:,}")
print(f"ativos por token (sem o embedding de entrada): {row['n_layers'] * block_active + embeddings:,}")

# %% [markdown]
# 20.914.757.184 parâmetros no total, os 20,9 bilhões do cartão do modelo, e 3.608.304.384
# usados por token, os 3,6 bilhões "ativos" (o cartão não conta o embedding de entrada, que é só
# uma consulta de tabela). **Isso é o que a MoE muda**: a memória precisa guardar os 32
# especialistas, mas cada token passa por 4, então a conta de cada token custa como a de um
# modelo de 3,6 bilhões. O roteador, uma `Linear(emb, 32)`, escolhe os 4 especialistas de cada
# token, e a saída é a soma das 4 respostas, pesadas pela softmax dos seus escores.
#
# O GPT-OSS tem outra novidade que a tabela não mostra: a **atenção de janela deslizante**. Os
# blocos se alternam: nos pares, cada token só enxerga os 128 anteriores (uma máscara causal com
# uma faixa); nos ímpares, o contexto inteiro. Metade das camadas fica barata mesmo com 131 mil
# tokens de contexto, e as outras mantêm o alcance longo.

# %% [markdown]
# ## Perguntas frequentes
#
# **Se a RMSNorm não centraliza, o modelo não perde alguma coisa?**
# O artigo da RMSNorm mostra que o ganho de estabilidade da LayerNorm vem sobretudo de controlar
# a escala, não da média. A média pode ser absorvida pelas camadas lineares vizinhas, e a conta
# fica mais barata (uma redução a menos por vetor).
#
# **Por que o RoPE gira só query e key, e não o value?**
# Porque a posição só precisa entrar no escore de atenção (quem olha para quem), que é o produto
# de query com key. O value é o conteúdo que a atenção mistura; girá-lo só atrapalharia.
#
# **O RoPE deixa o modelo ler textos mais longos que os do treino?**
# Não automaticamente: ângulos que o modelo nunca viu ainda o confundem. Mas como a posição é uma
# rotação, dá para "esticar" os ângulos depois do treino (é o que fazem o YaRN do GPT-OSS e o
# `rope_scaling` do Llama 3.1) e treinar um pouco mais com textos longos.
#
# **GQA deixa o modelo pior?**
# Um pouco, em princípio: há menos keys e values diferentes. O artigo do GQA mostra que, com 8
# grupos, a qualidade fica muito perto da atenção completa e a geração fica muito mais rápida. E
# o modelo pode gastar os parâmetros economizados em outro lugar, como fizemos na seção 7.
#
# **Onde entra o KV cache no nosso código?**
# `GroupedQueryAttention.forward(x, layer_cache=None)` aceita um cache de camada: os tokens novos
# entram com as posições a partir de `layer_cache.offset` (para o RoPE girá-los pelo ângulo
# certo), e só as `n_kv_heads` cabeças de K/V são guardadas.
#
# **Por que o GPT-OSS ainda tem bias?**
# Nem todos os modelos seguem todas as tendências: o GPT-OSS mantém bias na atenção e nos
# especialistas (e usa RMSNorm, SwiGLU, RoPE e GQA). A tabela é um retrato de escolhas de
# projeto, não uma receita.

# %% [markdown]
# ## Referências
#
# - Radford et al. (2019). *Language Models are Unsupervised Multitask Learners* (GPT-2).
# - Zhang e Sennrich (2019). *Root Mean Square Layer Normalization*. NeurIPS.
# - Shazeer (2020). *GLU Variants Improve Transformer*. arXiv:2002.05202.
# - Su et al. (2021). *RoFormer: Enhanced Transformer with Rotary Position Embedding*.
#   arXiv:2104.09864.
# - Ainslie et al. (2023). *GQA: Training Generalized Multi-Query Transformer Models from
#   Multi-Head Checkpoints*. EMNLP.
# - Grattafiori et al. (2024). *The Llama 3 Herd of Models*. arXiv:2407.21783.
# - Yang et al. (2025). *Qwen3 Technical Report*. arXiv:2505.09388.
# - OpenAI (2025). *gpt-oss-120b & gpt-oss-20b Model Card*. arXiv:2508.10925.
# - Os `config.json` de `openai-community/gpt2`, `openai-community/gpt2-xl`,
#   `meta-llama/Meta-Llama-3-8B`, `Qwen/Qwen3-8B` e `openai/gpt-oss-20b` no Hugging Face.

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/13_gpt2_vs_modelos_atuais.ipynb`](../exercises/13_gpt2_vs_modelos_atuais.ipynb)
# - Apêndice: [13b · A corrida](13b_corrida_gpt2_vs_moderno.ipynb) treina os dois modelos da
#   seção 7 com o mesmo tempo de CPU e pergunta se as peças novas ajudam um modelo pequeno.
# - Depois: [14 · Os pesos do GPT-2](14_pesos_do_gpt2.ipynb).
