# ruff: noqa: E402
# Fonte de notebooks/06_distribuicao_de_parametros.ipynb. Depois de editar, rode: python scripts/build_notebooks.py --only 06

# %% [markdown]
# # 06 · Onde moram os parâmetros
#
# A aula 05 contou 163 milhões de parâmetros no GPT-2 pequeno. Mas onde eles estão? Nos
# embeddings, na atenção, na rede feed-forward? E o que muda quando o modelo cresce para os
# tamanhos médio, grande e XL? Esta aula separa a contagem por componente, confere a conta
# com uma fórmula que só usa a configuração e compara os quatro tamanhos do GPT-2.
#
# ## Objetivos de aprendizagem
#
# - Ler os nomes dos parâmetros de um `GPTModel` e reconhecer a que componente cada um pertence.
# - Contar os parâmetros de um bloco à mão e conferir com o PyTorch.
# - Montar a tabela de parâmetros por componente do modelo de 124M.
# - Comparar a distribuição nos quatro tamanhos do GPT-2, numa tabela e num gráfico.

# %% [markdown]
# ## 1. Os nomes dos parâmetros
#
# `model.named_parameters()` percorre todos os tensores treináveis com o caminho de cada um
# dentro do modelo. Vamos olhar tudo o que não está nos blocos e tudo o que está no bloco 0
# (os outros 11 blocos repetem os mesmos nomes com outro número).

# %%
import torch

from gptlab_helpers import GPT_CONFIG_124M, GPTModel

torch.manual_seed(123)
model = GPTModel(GPT_CONFIG_124M)

for name, param in model.named_parameters():
    if not name.startswith("trf_blocks.") or name.startswith("trf_blocks.0."):
        print(f"{name:<36}{str(tuple(param.shape)):>14}{param.numel():>14,}")

# %% [markdown]
# O nome diz o componente:
#
# - `tok_emb` e `pos_emb`: as duas tabelas de embedding;
# - `trf_blocks.N.att.*`: a atenção do bloco N (as matrizes de query, key e value, sem bias
#   porque `qkv_bias` é `False`, e a projeção de saída `out_proj`, com bias);
# - `trf_blocks.N.ff.*`: a rede feed-forward (camadas 0 e 2 do `nn.Sequential`; a 1 é a GELU,
#   que não tem parâmetros);
# - `trf_blocks.N.norm1/norm2` e `final_norm`: `scale` e `shift` das LayerNorms;
# - `out_head`: a cabeça de saída.

# %% [markdown]
# ## 2. Um bloco, à mão
#
# Com `C = 768`: a atenção tem quatro matrizes `C × C` e um bias de `C`; a feed-forward tem
# `C × 4C + 4C` e `4C × C + C`; cada LayerNorm tem `2C`. Conferindo com os tensores do bloco 0:

# %%
C = GPT_CONFIG_124M["emb_dim"]
block = model.trf_blocks[0]


def count(module):
    return sum(p.numel() for p in module.parameters())


print(f"atenção:       {count(block.att):>10,}  fórmula: {4 * C * C + C:>10,}")
print(f"feed-forward:  {count(block.ff):>10,}  fórmula: {8 * C * C + 5 * C:>10,}")
print(f"2 LayerNorms:  {count(block.norm1) + count(block.norm2):>10,}  fórmula: {2 * 2 * C:>10,}")
print(f"bloco inteiro: {count(block):>10,}")

# %% [markdown]
# Num bloco, a feed-forward tem o dobro dos parâmetros da atenção (8C² contra 4C²), e as
# LayerNorms quase não contam. O bloco inteiro tem 7.085.568 parâmetros.

# %% [markdown]
# ## 3. O modelo inteiro, por componente
#
# A função `parameter_breakdown` do pacote percorre `named_parameters()`, decide o componente
# de cada tensor pelo nome (como fizemos na seção 1) e soma. `format_parameter_table` mostra
# o resultado como tabela:

# %%
from gptlab_helpers import format_parameter_table, parameter_breakdown

breakdown = parameter_breakdown(model)
print(format_parameter_table(breakdown))

# %% [markdown]
# O que a tabela mostra para o GPT-2 de 124M:
#
# - A **feed-forward** é o maior componente: 56,7 milhões (34,8%).
# - O **embedding de tokens** e a **cabeça de saída** têm 38,6 milhões cada (23,7% cada):
#   quase metade do modelo está nas duas matrizes `[50257, 768]` ligadas ao vocabulário.
# - A **atenção** dos 12 blocos soma 28,3 milhões (17,4%).
# - O embedding posicional (0,5%) e as LayerNorms (0,02%) quase não contam.
# - Sem a cabeça de saída (que o GPT-2 original compartilha com o embedding), sobram os
#   124.412.160 do nome.

# %% [markdown]
# ## 4. A mesma conta só com a configuração
#
# Não é preciso criar o modelo para contar: cada componente é uma fórmula em `vocab_size`,
# `context_length`, `emb_dim` e `n_layers`. `parameter_breakdown_from_config` faz essa conta.
# No modelo de 124M, ela coincide com a contagem dos tensores de verdade:

# %%
from gptlab_helpers import parameter_breakdown_from_config

from_config = parameter_breakdown_from_config(GPT_CONFIG_124M)
print("fórmula igual à contagem dos tensores:", from_config == breakdown)

# %% [markdown]
# Isso nos deixa analisar os modelos maiores sem alocá-los: o GPT-2 XL tem 1,6 bilhão de
# parâmetros (1,64 bilhão sem weight tying), que em `float32` ocupariam 6,1 GB de memória
# (com 1 GB = 1024³ bytes, a convenção da aula 05).

# %% [markdown]
# ## 5. Os quatro tamanhos do GPT-2
#
# Os tamanhos diferem só em `emb_dim`, `n_layers` e `n_heads`; `get_gpt2_config` devolve a
# configuração de cada um:

# %%
from gptlab_helpers import GPT2_SIZES, get_gpt2_config, model_size_mb

sizes = ["small", "medium", "large", "xl"]
configs = {size: get_gpt2_config(size) for size in sizes}
breakdowns = {size: parameter_breakdown_from_config(cfg) for size, cfg in configs.items()}

print(
    f"{'modelo':<20}{'emb_dim':>8}{'n_layers':>9}{'n_heads':>8}{'total':>16}{'com tying':>16}{'float32':>12}"
)
for (label, dims), size in zip(GPT2_SIZES.items(), sizes):
    counts = breakdowns[size]
    row = f"{label:<20}{dims['emb_dim']:>8}{dims['n_layers']:>9}{dims['n_heads']:>8}"
    print(
        row
        + f"{counts['total']:>16,}{counts['total_with_weight_tying']:>16,}{model_size_mb(counts['total']):>9,.0f} MB"
    )

# %% [markdown]
# O nome de cada modelo (124M, 355M, 774M, 1558M) é a contagem **com** weight tying. A última
# coluna é a memória só dos pesos, em `float32`, sem amarrar as matrizes.
#
# Agora a participação de cada componente, em porcentagem do total:

# %%
from gptlab_helpers import COMPONENT_LABELS

print(f"{'componente':<32}" + "".join(f"{size:>10}" for size in sizes))
for key, label in COMPONENT_LABELS.items():
    shares = [100 * breakdowns[size][key] / breakdowns[size]["total"] for size in sizes]
    print(f"{label:<32}" + "".join(f"{share:>9.1f}%" for share in shares))

# %% [markdown]
# Quando o modelo cresce, a atenção e a feed-forward ganham espaço e os embeddings perdem:
# no XL, os blocos são 90% do modelo.

# %% [markdown]
# ## 6. O gráfico
#
# À esquerda, os parâmetros de cada componente em milhões; à direita, a fatia de cada um no
# total de cada tamanho. As barras contam o `GPTModel` como ele é, com a cabeça de saída
# separada (163 milhões no menor); por isso cada rótulo traz os dois totais: o das barras, sem
# tying, e o do nome oficial, com tying.

# %%
import matplotlib.pyplot as plt

# o nome oficial conta com weight tying; as barras mostram o GPTModel, sem tying
names = [
    f"{label.split()[0]}\n{round(breakdowns[size]['total'] / 1e6)}M sem tying\n({label.split()[1][1:-1]} com tying)"
    for label, size in zip(GPT2_SIZES, sizes)
]
millions = {key: [breakdowns[size][key] / 1e6 for size in sizes] for key in COMPONENT_LABELS}
percent = {
    key: [100 * breakdowns[size][key] / breakdowns[size]["total"] for size in sizes]
    for key in COMPONENT_LABELS
}


def stacked_bars(ax, values):
    """Uma barra horizontal por tamanho, empilhando os componentes na ordem do modelo."""
    left = [0.0] * len(sizes)
    for key, label in COMPONENT_LABELS.items():
        ax.barh(names, values[key], left=left, label=label)
        left = [a + b for a, b in zip(left, values[key])]


# %% alt="Dois gráficos de barras horizontais empilhadas, uma barra por tamanho do GPT-2, do small embaixo ao XL em cima: à esquerda os milhões de parâmetros de cada componente (embeddings, atenção, feed-forward, normalizações, cabeça de saída); à direita a porcentagem de cada componente no total: o feed-forward é a maior fatia em todos os tamanhos, e os embeddings e a cabeça de saída pesam mais nos modelos menores."
fig, (ax_abs, ax_pct) = plt.subplots(1, 2, figsize=(13, 4.5), sharey=True)
stacked_bars(ax_abs, millions)
stacked_bars(ax_pct, percent)
ax_abs.set_title("Parâmetros por componente")
ax_abs.set_xlabel("milhões de parâmetros")
ax_abs.set_ylabel("tamanho do GPT-2 (total do GPTModel, sem tying)")
ax_pct.set_title("Fatia de cada componente no total")
ax_pct.set_xlabel("% do total de parâmetros")
ax_pct.legend(loc="center left", bbox_to_anchor=(1.02, 0.5))
plt.tight_layout()
plt.show()

# %% [markdown]
# O gráfico da esquerda mostra o crescimento: do pequeno ao XL, o total aumenta 10 vezes, mas
# o embedding de tokens só cresce na proporção de `emb_dim` (768 → 1600), enquanto os blocos
# crescem com `n_layers × emb_dim²`. O da direita mostra a consequência: a primeira e a
# última fatias (embedding de tokens e cabeça de saída) encolhem, e a feed-forward passa a
# ocupar 60% do modelo.

# %% [markdown]
# ## Perguntas frequentes
#
# **Os números de parâmetros são os pesos de cada camada?**
# Sim: são todos os números que o treino ajusta, somados. Cada matriz de pesos, cada vetor de
# bias e cada `scale`/`shift` de LayerNorm conta com todos os seus elementos. A tabela da seção 3
# agrupa essas somas por componente.
#
# **Por que a cabeça de saída é tão grande?**
# Ela precisa de um vetor de 768 números para cada um dos 50.257 tokens do vocabulário: são
# 38,6 milhões só para transformar o vetor final em escores. Por isso o GPT-2 original a
# compartilha com o embedding de tokens, que tem exatamente a mesma forma.
#
# **O "124M" conta ou não a cabeça de saída?**
# Não conta, porque no GPT-2 original ela é a mesma matriz do embedding de tokens. Contando as
# duas separadas, como no nosso `GPTModel`, são 163 milhões.
#
# **As LayerNorms e o embedding posicional não importam, então?**
# Importam para o funcionamento (sem eles o modelo não sabe a ordem das palavras nem fica
# estável), mas custam pouco: cada LayerNorm tem 2 × 768 parâmetros, e o embedding posicional cresce
# com `context_length`, não com o vocabulário.
#
# **Por que o artigo do GPT-2 fala em 117M, 345M, 762M e 1542M?**
# Porque a conta do artigo estava errada: o README do repositório `openai/gpt-2` avisa que as
# contagens do artigo e dos primeiros posts tinham um erro. A contagem dos tensores dos pesos
# divulgados dá 124M, 355M, 774M e 1558M, e são esses os nomes que a própria OpenAI passou a usar.

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/06_distribuicao_de_parametros.ipynb`](../exercises/06_distribuicao_de_parametros.ipynb)
# - Próxima aula: [07 · Dropout separado](07_dropout_separado.ipynb).
