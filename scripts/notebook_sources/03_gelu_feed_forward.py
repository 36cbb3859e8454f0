# ruff: noqa: E402
# Fonte de notebooks/03_gelu_feed_forward.ipynb. Depois de editar, rode: python scripts/build_notebooks.py --only 03

# %% [markdown]
# # 03 · GELU e a rede feed-forward
#
# Depois da atenção, cada bloco do GPT passa o vetor de cada token por uma pequena rede de
# duas camadas lineares com uma função de ativação no meio: a **rede feed-forward**. Esta
# aula mostra por que essa ativação precisa ser não linear, compara a GELU (usada no GPT-2)
# com a ReLU, inclusive nas derivadas, e monta a rede com sua expansão de 4 vezes.
#
# ## Objetivos de aprendizagem
#
# - Ver, com números, que camadas lineares empilhadas sem ativação equivalem a uma só.
# - Implementar a GELU (aproximação por tangente hiperbólica) e compará-la com a ReLU.
# - Calcular as derivadas das duas com autograd e responder: o que acontece com os gradientes?
# - Montar a `FeedForward` (768 → 3072 → 768) e acompanhar as formas e a contagem de parâmetros.

# %% [markdown]
# ## 1. Por que uma ativação não linear?
#
# Uma camada linear calcula `W x + b`. Duas seguidas calculam `W2 (W1 x + b1) + b2`, que é
# de novo uma única camada linear, com matriz `W2 W1` e bias `W2 b1 + b2`. Vamos conferir:

# %%
import torch
import torch.nn as nn

torch.manual_seed(123)
first, second = nn.Linear(4, 8), nn.Linear(8, 4)
merged = nn.Linear(4, 4)
with torch.no_grad():  # estamos só copiando números, não treinando
    merged.weight.copy_(second.weight @ first.weight)
    merged.bias.copy_(second.weight @ first.bias + second.bias)

x = torch.randn(3, 4)
print("duas camadas lineares == uma só:", torch.allclose(second(first(x)), merged(x), atol=1e-6))

# %% [markdown]
# Sem ativação, empilhar camadas não acrescenta poder nenhum: o resultado continua sendo uma
# função linear, que só separa padrões com "linhas retas". Uma função não linear entre as
# camadas quebra essa equivalência e deixa a rede representar relações curvas e complexas.

# %% [markdown]
# ## 2. A GELU
#
# A ReLU zera os negativos e mantém os positivos: `ReLU(x) = max(0, x)`. A GELU (*Gaussian
# Error Linear Unit*) multiplica `x` pela probabilidade de uma normal padrão ficar abaixo de
# `x`: $\text{GELU}(x) = x \cdot \Phi(x)$. Para positivos grandes, $\Phi(x) \approx 1$ e a
# GELU quase não mexe em `x`; para negativos grandes, $\Phi(x) \approx 0$ e a saída tende a 0,
# mas suavemente. A GELU foi proposta por Hendrycks e Gimpel, *Gaussian Error Linear Units
# (GELUs)* (2016, arXiv:1606.08415). O GPT-2 usa a aproximação com tangente hiperbólica que o
# próprio artigo propõe, que evita calcular $\Phi$ (a função erro):
#
# $$\text{GELU}(x) \approx 0{,}5\,x\left(1 + \tanh\left[\sqrt{2/\pi}\,\left(x + 0{,}044715\,x^3\right)\right]\right)$$


# %%
class GELU(nn.Module):
    """GELU pela aproximação com tanh, como no GPT-2: x -> mesma forma."""

    def forward(self, x):
        coefficient = torch.sqrt(torch.tensor(2.0 / torch.pi))
        return 0.5 * x * (1 + torch.tanh(coefficient * (x + 0.044715 * torch.pow(x, 3))))


# %% [markdown]
# Comparando com a versão do pacote, com a aproximação do próprio PyTorch e com a GELU exata:

# %%
import gptlab_helpers

x = torch.linspace(-3, 3, 100)
gelu = GELU()
print("igual à GELU do pacote:", torch.allclose(gelu(x), gptlab_helpers.GELU()(x)))
print(
    "igual a nn.GELU(approximate='tanh'):", torch.allclose(gelu(x), nn.GELU(approximate="tanh")(x), atol=1e-6)
)
print(f"maior distância até a GELU exata: {(gelu(x) - nn.GELU()(x)).abs().max().item():.4f}")

# %% [markdown]
# A aproximação nunca se afasta mais que 0,0005 da fórmula exata neste intervalo: para uma
# rede neural, é a mesma função.
#
# E para positivos pequenos, a GELU já é a identidade?

# %%
for value in [0.5, 1.0, 3.0]:
    print(f"GELU({value}) = {gelu(torch.tensor(value)).item():.4f}")

# %% [markdown]
# > **O slide diz** que a GELU se comporta como a identidade para valores positivos e que a
# > aproximação evita calcular exponenciais.
# >
# > **Mais preciso:** só para positivos grandes: na célula acima, GELU(3) quase não mexe no
# > valor, mas GELU(1) fica bem abaixo de 1 e GELU(0,5) perde cerca de um terço do valor. E a
# > tangente hiperbólica também se calcula com exponenciais; o que a aproximação evita é a
# > função erro que aparece em $\Phi(x)$. Hoje o PyTorch calcula as duas versões
# > (`nn.GELU()` e `nn.GELU(approximate="tanh")`); o GPT-2 foi treinado com a de tanh, e por
# > isso é a que usamos.

# %% [markdown]
# ## 3. GELU × ReLU: as funções e os gradientes
#
# O que importa no treino é a **derivada** da ativação, pois ela multiplica o gradiente que
# volta pela rede. Em vez de derivar à mão, pedimos ao autograd. Como cada saída depende só
# da própria entrada, o gradiente da soma das saídas dá a derivada em cada ponto:

# %%
x = torch.linspace(-3, 3, 601, requires_grad=True)
y_gelu, y_relu = gelu(x), torch.relu(x)
(d_gelu,) = torch.autograd.grad(y_gelu.sum(), x)
(d_relu,) = torch.autograd.grad(y_relu.sum(), x)

# %% alt="Dois gráficos lado a lado: à esquerda as curvas da GELU e da ReLU, iguais para entradas grandes e diferentes perto de zero, onde a GELU é suave e fica um pouco negativa; à direita as derivadas, a da ReLU um degrau de 0 para 1 e a da GELU uma curva suave que fica um pouco negativa antes de 0 e passa um pouco de 1 depois."
import matplotlib.pyplot as plt

fig, (ax_f, ax_d) = plt.subplots(1, 2, figsize=(11, 4))
for y, d, name, color in [(y_gelu, d_gelu, "GELU", "tab:blue"), (y_relu, d_relu, "ReLU", "tab:orange")]:
    ax_f.plot(x.detach(), y.detach(), color=color, label=name)
    ax_d.plot(x.detach(), d, color=color, label=f"derivada da {name}")
ax_f.set_title("As duas ativações")
ax_d.set_title("As derivadas (o que multiplica o gradiente)")
for ax in (ax_f, ax_d):
    ax.axhline(0, color="gray", linewidth=0.8)
    ax.set_xlabel("x")
    ax.grid(True, alpha=0.3)
    ax.legend()
ax_f.set_ylabel("f(x)")
ax_d.set_ylabel("f'(x)")
plt.tight_layout()
plt.show()

# %% [markdown]
# Alguns valores da derivada:

# %%
points = torch.tensor([-3.0, -2.0, -1.0, -0.5, 0.5, 1.0, 2.0, 3.0], requires_grad=True)
(gelu_slope,) = torch.autograd.grad(gelu(points).sum(), points)
(relu_slope,) = torch.autograd.grad(torch.relu(points).sum(), points)
print(f"{'x':>6} {'GELU':>8} {'ReLU':>6}")
for value, g, r in zip(points.tolist(), gelu_slope.tolist(), relu_slope.tolist()):
    print(f"{value:>6.1f} {g:>8.4f} {r:>6.1f}")

# %% [markdown]
# **O que acontece com os gradientes?**
#
# - **ReLU**: a derivada é exatamente 0 para todo `x` negativo e exatamente 1 para todo `x`
#   positivo, com um salto em zero. Um neurônio cuja entrada fica negativa não recebe
#   gradiente nenhum e seus pesos param de mudar; se isso acontece para todos os exemplos, o
#   neurônio "morre".
# - **GELU**: a derivada muda suavemente. Ela cruza o zero perto de x ≈ −0,75 (onde a
#   própria GELU tem o seu mínimo, cerca de −0,17) e, para negativos moderados, fica pequena e
#   negativa (mínimo de cerca de −0,13 perto de x ≈ −1,42). Fora desse único ponto ela não é
#   zero: o neurônio continua recebendo sinal e pode se recuperar. Só para negativos grandes
#   ela tende a 0; para positivos grandes tende a 1, como a ReLU.
#
# Curiosidade: a derivada da GELU passa de 1 para x acima de cerca de 0,75 e chega ao máximo,
# cerca de 1,13, perto de x ≈ 1,42 (na tabela, 1,0861 em x = 2 já está descendo de volta para
# 1). E a coluna da GELU em x e em −x soma 1 (0,1326 + 0,8674 em ±0,5): como
# GELU(x) − GELU(−x) = x, as derivadas nos dois pontos somam exatamente 1.

# %% [markdown]
# ## 4. A rede feed-forward
#
# A `FeedForward` do GPT-2 tem duas camadas lineares com a GELU no meio. A primeira **expande**
# cada vetor de 768 para 4 × 768 = 3072 números; a segunda o **contrai** de volta para 768.
# Ela é aplicada a cada token separadamente (nenhuma informação passa de um token a outro aqui).


# %%
class FeedForward(nn.Module):
    """Linear -> GELU -> Linear: (B, T, C) -> (B, T, 4C) -> (B, T, C)."""

    def __init__(self, cfg):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(cfg["emb_dim"], 4 * cfg["emb_dim"]),
            GELU(),
            nn.Linear(4 * cfg["emb_dim"], cfg["emb_dim"]),
        )

    def forward(self, x):
        return self.layers(x)


# %% [markdown]
# Um lote de 2 sequências com 3 tokens cada, com a dimensão de embedding do GPT-2:

# %%
from gptlab_helpers import GPT_CONFIG_124M

torch.manual_seed(123)
ffn = FeedForward(GPT_CONFIG_124M)
x = torch.rand(2, 3, 768)  # (B, T, C)
hidden = ffn.layers[1](ffn.layers[0](x))  # depois da primeira camada e da GELU
out = ffn(x)
print("entrada:       ", x.shape)
print("camada oculta: ", hidden.shape)
print("saída:         ", out.shape)

# %% [markdown]
# A forma de entrada e de saída é a mesma, `[2, 3, 768]`; só por dentro cada token passa por
# um espaço de 3072 dimensões. Manter a forma é o que permite somar a entrada de volta (a
# conexão de atalho da aula 04) e empilhar blocos.
#
# | etapa | forma |
# | --- | --- |
# | entrada | (B, T, C) = (2, 3, 768) |
# | depois de `Linear(768, 3072)` e GELU | (B, T, 4C) = (2, 3, 3072) |
# | depois de `Linear(3072, 768)` | (B, T, C) = (2, 3, 768) |

# %% [markdown]
# Quantos parâmetros tem essa rede? Cada `Linear(a, b)` tem uma matriz `a × b` e `b` bias:

# %%
n_params = sum(p.numel() for p in ffn.parameters())
formula = (768 * 3072 + 3072) + (3072 * 768 + 768)
print(f"parâmetros da FeedForward: {n_params:,}")
print(f"pela fórmula:              {formula:,}")

# %% [markdown]
# São 4.722.432 parâmetros **por bloco**. Com 12 blocos, a rede feed-forward soma 56,7 milhões:
# é o maior componente do modelo, maior até que os dois embeddings juntos (39,4 milhões) e que
# a cabeça de saída (38,6 milhões). A aula 06 faz a conta completa.

# %% [markdown]
# ## 5. A mesma peça no pacote
#
# `gptlab_helpers.FeedForward` cria as camadas na mesma ordem; com a mesma semente, os pesos e
# a saída são idênticos:

# %%
torch.manual_seed(123)
package_ffn = gptlab_helpers.FeedForward(GPT_CONFIG_124M)
print("mesma saída do pacote:", torch.allclose(ffn(x), package_ffn(x)))

# %% [markdown]
# ## Perguntas frequentes
#
# **Por que a ReLU zera os negativos?**
# Porque é a não linearidade mais simples possível: custa uma comparação, tem derivada 1 nos
# positivos (o gradiente passa sem encolher) e deixa muitas saídas exatamente em zero, o que
# torna a representação esparsa. O preço é a derivada zero nos negativos, que a GELU suaviza.
#
# **Zerar os negativos não torna inacessíveis os tokens com embeddings negativos?**
# Não. A ativação não age sobre o embedding, e sim sobre a saída da primeira camada linear,
# `W x + b`: cada um dos 3072 neurônios combina os 768 valores com pesos próprios, positivos
# ou negativos, então um valor negativo no embedding pode virar uma entrada positiva de vários
# neurônios. Além disso, a conexão de atalho (aula 04) soma o vetor original de volta: a
# informação nunca é apagada.
#
# **Não seria melhor espremer os valores entre 0 e 1, em vez de zerar os negativos?**
# É o que fazem a sigmoide e (entre −1 e 1) a tangente hiperbólica, as ativações clássicas.
# O problema é que a derivada delas tende a zero quando |x| cresce (a função "satura"), e
# empilhar muitas camadas saturadas faz o gradiente sumir. ReLU e GELU mantêm derivada perto
# de 1 para os positivos, por isso as redes profundas as preferem.
#
# **O que significa expandir para 3072 e voltar para 768? São pontos interpolados?**
# Não há interpolação. Cada um dos 3072 neurônios da camada do meio é uma soma ponderada
# diferente dos 768 valores de entrada, com pesos aprendidos. A expansão cria muitos
# "detectores" de combinações; a GELU escolhe quais deles disparam; a segunda camada junta as
# respostas de volta em 768 números.
#
# **Qual o impacto de ter mais ou menos neurônios nas camadas?**
# Mais neurônios na camada do meio significam mais parâmetros, mais capacidade de guardar
# padrões e mais contas. O fator 4 vem do Transformer original (Vaswani et al. 2017: 512 → 2048
# → 512), e o GPT-2 o manteve; modelos mais novos usam outros fatores ou trocam essa rede por
# várias redes menores ("especialistas", *mixture of experts*, Shazeer et al. 2017), das quais
# só algumas trabalham para cada token.
#
# **As camadas podem ser convertidas numa só?**
# Só se não houver ativação entre elas: a seção 1 mostrou que duas lineares seguidas viram uma.
# Com a GELU no meio, não existe matriz única que faça o mesmo.

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/03_gelu_feed_forward.ipynb`](../exercises/03_gelu_feed_forward.ipynb)
# - Próxima aula: [04 · Conexões de atalho](04_conexoes_de_atalho.ipynb).
