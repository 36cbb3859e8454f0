# ruff: noqa: E402
# Fonte de notebooks/12_pre_ln_vs_post_ln.ipynb. Depois de editar, rode:
# python scripts/build_notebooks.py --only 12

# %% [markdown]
# # 12 · Pre-LN ou Post-LN: onde fica a normalização
#
# Na aula 05, o bloco do GPT-2 normaliza a entrada de cada subcamada: `x + atenção(norm1(x))`.
# O transformer original (Vaswani et al., 2017) fazia diferente: somava primeiro e normalizava
# depois, `norm1(x + atenção(x))`. A aula termina sugerindo comparar os dois. Aqui fazemos o
# experimento, com o mesmo `GPTModel` e os contos de Machado de Assis, e acrescentamos um
# terceiro caso: um bloco sem normalização nenhuma.
#
# ## Objetivos de aprendizagem
#
# - Escrever um bloco Post-LN e compará-lo, número a número, com o Pre-LN do GPT-2.
# - Escolher a posição da norma pela configuração: `cfg["norm_position"]` = `"pre"`, `"post"`
#   ou `"none"`.
# - Medir a norma do gradiente de cada bloco na inicialização, com 4, 12 e 24 blocos.
# - Treinar o GPT de caracteres com cada posição, com e sem aquecimento da taxa de
#   aprendizado, e reconhecer um treino que diverge.
# - Ligar o que medimos ao que dizem os artigos (Ba et al., 2016; Vaswani et al., 2017;
#   Radford et al., 2019; Xiong et al., 2020).
#
# **Quanto tempo leva:** cerca de dois minutos numa CPU de 2 núcleos; quase tudo é o treino
# dos seis modelos da seção 4.

# %% [markdown]
# ## 1. Os dois blocos lado a lado
#
# Os dois blocos têm as mesmas peças (atenção, feed-forward, duas LayerNorms, dropout); só muda
# a ordem. Escrevendo as duas subcamadas como `f` (atenção, depois feed-forward):
#
# | | cada subcamada faz | o atalho (`x`) passa pela norma? |
# | --- | --- | --- |
# | **Pre-LN** (GPT-2) | `x = x + f(norm(x))` | não: segue intacto de bloco em bloco |
# | **Post-LN** (2017) | `x = norm(x + f(x))` | sim: é normalizado a cada subcamada |
# | **sem norma** | `x = x + f(x)` | não há norma |
#
# Vamos escrever o Post-LN à mão, reaproveitando as peças de um bloco do pacote, e comparar com
# o bloco que o pacote monta quando a configuração pede `norm_position="post"`.

# %%
import torch

from gptlab_helpers import GPT_CONFIG_124M, TransformerBlock

cfg_post = dict(GPT_CONFIG_124M, norm_position="post")
torch.manual_seed(123)
block = TransformerBlock(cfg_post).eval()  # eval: sem dropout, a conta é determinística
x = torch.rand(2, 4, 768)


def post_ln_by_hand(block, x):
    """Post-LN: soma o atalho e só então normaliza, nas duas subcamadas. (B, T, C) -> (B, T, C)."""
    x = block.norm1(x + block.att(x))
    return block.norm2(x + block.ff(x))


print("igual ao bloco do pacote:", torch.allclose(post_ln_by_hand(block, x), block(x), atol=1e-6))

# %% [markdown]
# A diferença que importa aparece na saída. No Post-LN a última operação do bloco é uma
# LayerNorm: cada token sai com média 0 e variância 1, qualquer que seja a entrada. No Pre-LN a
# saída é `x + ...`: o atalho carrega a entrada para a frente, sem normalizar, e a escala
# cresce de bloco em bloco. Empilhando 12 blocos de cada tipo:

# %%
from gptlab_helpers import GPTModel
from gptlab_helpers.training import CHAR_GPT_CONFIG

cfg_12 = dict(CHAR_GPT_CONFIG, n_layers=12)  # o GPT de caracteres dos notebooks 09-11, com 12 blocos
ids = torch.randint(0, cfg_12["vocab_size"], (2, 16), generator=torch.Generator().manual_seed(0))
for position in ("pre", "post"):
    torch.manual_seed(123)
    model = GPTModel(dict(cfg_12, norm_position=position))
    h = model.tok_emb(ids) + model.pos_emb(torch.arange(16))  # (B, T, C): a entrada do 1º bloco
    scales = []
    with torch.no_grad():
        for layer in model.trf_blocks:
            h = layer(h)
            scales.append(h.std().item())
    print(
        f"{position:>4}: desvio padrão depois dos blocos 1, 6 e 12 = "
        + ", ".join(f"{scales[i]:.2f}" for i in (0, 5, 11))
    )

# %% [markdown]
# No Pre-LN o desvio padrão do fluxo residual cresce bloco a bloco (é por isso que o GPT-2
# precisa da `final_norm` antes da cabeça de saída); no Post-LN ele volta a 1 depois de cada
# bloco. Parece uma vantagem do Post-LN, mas repare no preço: para chegar ao bloco 1, o
# gradiente que vem da saída atravessa **todas** as LayerNorms do caminho, inclusive no atalho.
# No Pre-LN existe um caminho direto, só de somas, da perda até o primeiro bloco.
#
# Os dois modelos acima saíram da mesma semente e têm os mesmos pesos: as normas não sorteiam
# nada (scale começa em uns e shift em zeros), então trocar a posição não muda a criação dos
# pesos. Por isso o padrão, `"pre"`, dá exatamente os números das aulas.

# %% [markdown]
# ## 2. A configuração: `norm_position`
#
# O pacote escolhe o bloco pela chave `norm_position` da configuração:
#
# - `"pre"` (o padrão, o GPT-2 e o livro): `x + f(norm(x))`, com uma `final_norm` depois do
#   último bloco;
# - `"post"` (Vaswani et al., 2017): `norm(x + f(x))`; sem `final_norm`, porque o último bloco
#   já termina numa LayerNorm;
# - `"none"`: as normas viram `nn.Identity` (nos blocos e no fim). É o Pre-LN sem as normas.
#
# Um valor diferente desses três é recusado com uma explicação:

# %%
from gptlab_helpers.analysis import parameter_breakdown_from_config

for position in ("pre", "post", "none"):
    cfg = dict(CHAR_GPT_CONFIG, norm_position=position)
    print(f"{position:>4}: {parameter_breakdown_from_config(cfg)['layer_norms']:>4} parâmetros de LayerNorm")
try:
    GPTModel(dict(CHAR_GPT_CONFIG, norm_position="depois"))
except ValueError as error:
    print("erro:", error)

# %% [markdown]
# O GPT de caracteres dos notebooks 09 a 11 tem 4 blocos de 64 dimensões: 9 LayerNorms no
# Pre-LN (duas por bloco e a final), 8 no Post-LN e nenhuma sem norma, cada uma com 128
# parâmetros (`scale` e `shift`). Fora isso, os três modelos são idênticos.

# %% [markdown]
# ## 3. O gradiente na inicialização
#
# Antes de treinar, fazemos uma só retropropagação num lote dos contos e medimos a norma L2 do
# gradiente dos parâmetros de cada bloco. Se o gradiente de alguns blocos for muito maior que o
# de outros, um mesmo passo de aprendizado é grande demais para uns e pequeno demais para
# outros. Fazemos isso com 4, 12 e 24 blocos (o GPT de caracteres, só mudando `n_layers`).

# %%
from gptlab_helpers import CharTokenizer, load_corpus, train_val_split
from gptlab_helpers.training.data import random_batch

text = load_corpus("machado_de_assis_conto")
tokenizer = CharTokenizer.from_text(text)
train_ids, val_ids = train_val_split(torch.tensor(tokenizer.encode(text)))
x, y = random_batch(train_ids, 32, CHAR_GPT_CONFIG["context_length"], torch.Generator().manual_seed(0))
print("lote:", tuple(x.shape), "| alvo:", tuple(y.shape))

# %%
from gptlab_helpers.training.norm_position import format_gradient_table, gradient_norms_at_init

grad_norms = gradient_norms_at_init(CHAR_GPT_CONFIG, depths=[4, 12, 24], x=x, y=y)
print(format_gradient_table(grad_norms))

# %% alt="Linhas, em escala logarítmica, com a norma L2 do gradiente de cada bloco na inicialização, para Pre-LN (contínuas), Post-LN (tracejadas) e sem norma (pontilhadas), cada uma com 4, 12 e 24 blocos: as linhas quase não mudam ao longo da pilha; sem norma a norma é a mais alta e cresce com o número de blocos, o Post-LN fica no meio e o Pre-LN embaixo."
import matplotlib.pyplot as plt

from gptlab_helpers.viz.norm_position import plot_gradient_norms

plot_gradient_norms(grad_norms)
plt.show()

# %% [markdown]
# Como ler a tabela (as colunas são a norma no primeiro bloco, no último, a média e a razão
# último/primeiro):
#
# - **Pre-LN**: as normas ficam entre 0,3 e 0,4 em qualquer bloco e em qualquer profundidade.
#   Nenhum bloco recebe um gradiente desproporcional, e empilhar mais blocos não muda a escala.
# - **Post-LN**: cada bloco recebe mais gradiente que no Pre-LN (veja a coluna "x Pre-LN"), e a
#   diferença cresce com a profundidade (mais que o dobro com 24 blocos). No Post-LN o gradiente
#   que chega a um bloco passou pelas LayerNorms de todos os blocos seguintes, também no atalho.
# - **Sem norma**: com 4 blocos o gradiente já é mais que o dobro do Pre-LN, e com 24 blocos é
#   dezenas de vezes maior (a coluna "x Pre-LN" divide cada média pela do Pre-LN de mesma
#   profundidade). Sem nada que controle a escala, o fluxo residual cresce bloco a bloco
#   e os logits ficam enormes.
#
# Xiong et al. (2020) mostram, para o transformer com a inicialização de Xavier, que no
# Post-LN o gradiente dos parâmetros perto da saída é grande e não diminui com a profundidade,
# enquanto no Pre-LN ele encolhe com a profundidade (proporcional a 1/√L, com L blocos). Neste
# modelo pequeno, com a inicialização padrão do PyTorch, o crescimento ao longo dos blocos que
# eles descrevem não aparece; aparece a outra parte: Post-LN com gradientes maiores, que crescem
# com L, e Pre-LN com gradientes estáveis.

# %% [markdown]
# ## 4. Treinar com cada posição, com e sem aquecimento
#
# Agora o teste que importa: treinar. Seis treinos do GPT de caracteres (4 blocos), um por
# combinação de posição da norma (`pre`, `post`, `none`) e de aquecimento (20 passos de
# aquecimento ou nenhum). Todos com a mesma semente, os mesmos lotes e o **mesmo orçamento**:
# 60 passos com lotes de 16 janelas (um número de passos, e não de segundos, para que o
# resultado seja o mesmo em qualquer máquina; o tempo de cada treino também é medido). É pouco
# para um bom modelo, mas é no começo do treino que a posição da norma e o aquecimento decidem
# se ele vai andar ou desandar.
#
# A taxa de aprendizado é 0,03, cinco vezes a da receita do notebook 09 (6e-3): uma taxa alta
# é o que separa um bloco estável de um instável. O resto é a receita de sempre: AdamW, corte
# do gradiente em 1,0, cosseno até um décimo da taxa.

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers.training.norm_position import train_norm_variants

settings = {"max_steps": 60, "learning_rate": 3e-2, "batch_size": 16, "eval_interval": 10, "eval_batches": 4}
histories = train_norm_variants(CHAR_GPT_CONFIG, train_ids, val_ids, warmups=[20, 0], **settings)
print(f"tempo total: {sum(h['wall_seconds'] for h in histories.values()):.0f} s")

# %% alt="Curvas da perda de validação ao longo de 60 passos para Pre-LN, Post-LN e sem norma, com e sem aquecimento da taxa de aprendizado, e uma linha pontilhada com a perda inicial: quase todas caem de perto de 4,9 para cerca de 3 nos primeiros 10 passos e depois descem devagar, terminando entre 2,5 e 3,2, o Post-LN acima das outras; sem norma e sem aquecimento, a perda sobe para fora do gráfico logo no começo (divergiu)."
from gptlab_helpers.viz.norm_position import plot_norm_variant_losses

ax = plot_norm_variant_losses(histories)
initial_loss = histories[("pre", 20)]["val_loss"][0]
ax.axhline(initial_loss, color="gray", linewidth=1, linestyle=":", label="perda inicial")
ax.legend(fontsize="small")
plt.show()

# %% [markdown]
# **Quando um treino diverge?** Dizemos que divergiu se a perda de validação vira `nan` ou
# infinito, ou se termina **acima da perda inicial** (a do modelo aleatório, a linha pontilhada):
# depois de
# 60 passos ele sabe menos que no começo. A tabela mostra a perda final de cada treino, o
# veredito e o tempo de relógio:

# %%
# NBVAL_IGNORE_OUTPUT
from gptlab_helpers.training.norm_position import POSITION_LABELS, diverged

print(f"{'posição':<11}{'aquecimento':>12}{'perda final':>13}{'divergiu?':>11}{'tempo':>8}")
for (position, warmup), history in histories.items():
    verdict = "sim" if diverged(history, initial_loss) else "não"
    final = history["val_loss"][-1]
    final = f"{final:.3f}" if final < 1e4 else f"{final:.1e}"  # um treino que divergiu chega a bilhões
    print(
        f"{POSITION_LABELS[position]:<11}{warmup:>12}{final:>13}{verdict:>11}{history['wall_seconds']:>7.1f}s"
    )

# %% [markdown]
# Para comparar com uma referência simples: um "modelo" que só conhecesse a frequência de cada
# caractere no texto de treino, sem olhar o contexto, daria a cada caractere de validação a sua
# frequência. A perda dele é a entropia cruzada dessas frequências:

# %%
counts = torch.bincount(train_ids, minlength=tokenizer.n_vocab).double() + 1  # +1: nenhum zero
unigram_loss = -(counts / counts.sum()).log()[val_ids].mean().item()
print(f"perda de quem só conhece a frequência de cada caractere: {unigram_loss:.2f}")

# %%
# NBVAL_IGNORE_OUTPUT
finals = {key: history["val_loss"][-1] for key, history in histories.items()}
best = min(finals, key=finals.get)
print(f"melhor em 60 passos: {POSITION_LABELS[best[0]]}, aquecimento {best[1]} ({finals[best]:.2f})")
for position in ("pre", "post"):
    losses = ", ".join(f"{finals[position, w]:.2f}" for w in (20, 0))
    print(f"{POSITION_LABELS[position]} com e sem aquecimento: {losses}")

# %% [markdown]
# O que a execução que gerou este notebook mostrou (as duas saídas acima têm os números; numa
# outra máquina eles mudam um pouco, o quadro não):
#
# - **Só um treino divergiu**: sem norma e sem aquecimento. A perda de validação chegou a
#   bilhões: os primeiros passos, já com a taxa cheia, fizeram a escala do fluxo residual
#   explodir, e nada no modelo a traz de volta.
# - **O Post-LN não divergiu, mas empacou**, com e sem aquecimento, perto da perda de quem só
#   conhece a frequência de cada caractere: aprendeu quais letras são comuns e parou aí. Vinte
#   passos de aquecimento até a taxa alta não bastaram.
# - **O Pre-LN aprendeu nos dois casos**, um pouco melhor com aquecimento: o aquecimento ajuda,
#   mas não é condição para o treino andar.
# - **Sem norma e com aquecimento**, o modelo de 4 blocos treinou, e foi o melhor dos seis em
#   60 passos: com poucos blocos a escala ainda não explodiu, e o aquecimento evitou os passos
#   grandes enquanto os pesos eram aleatórios. A seção 3 mostra por que isso piora com mais
#   blocos: com 24, o gradiente sem norma é dezenas de vezes o do Pre-LN.

# %% [markdown]
# ## 5. O que os artigos dizem
#
# - **Ba, Kiros e Hinton (2016)**, *Layer Normalization*, criaram a LayerNorm: normalizar cada
#   exemplo pelas suas próprias features, sem depender do lote. A LayerNorm estabiliza a escala
#   das ativações e deixa o treino de redes recorrentes mais rápido.
# - **Vaswani et al. (2017)**, *Attention Is All You Need*, puseram a LayerNorm depois da soma
#   com o atalho (`LayerNorm(x + Sublayer(x))`, o Post-LN) e treinaram com uma taxa de
#   aprendizado que sobe linearmente durante 4.000 passos de aquecimento antes de decair.
# - **Radford et al. (2019)**, o artigo do GPT-2 (*Language Models are Unsupervised Multitask
#   Learners*), moveram a LayerNorm para a entrada de cada sub-bloco e acrescentaram uma
#   LayerNorm depois do último bloco: é o Pre-LN com `final_norm` do nosso `GPTModel`. A ideia
#   não nasceu no GPT-2 (já estava na implementação tensor2tensor do transformer, como lembram
#   Wang et al., 2019); o GPT-2 a levou para os modelos de linguagem grandes.
# - **Xiong et al. (2020)**, *On Layer Normalization in the Transformer Architecture*, não
#   propuseram o Pre-LN (o GPT-2 já o usava um ano antes): analisaram as duas posições e
#   explicaram por que uma treina melhor: na inicialização, o Post-LN tem gradientes grandes nos parâmetros perto da
#   saída, e uma taxa de aprendizado alta logo no início desestabiliza o treino; o aquecimento
#   existe para contornar isso. No Pre-LN os gradientes são bem comportados, e eles mostram que
#   ele treina sem aquecimento e mais depressa.
#
# O nosso experimento, num modelo de 4 blocos na CPU, é pequeno perto dos deles, mas mostra as
# mesmas forças: o Post-LN tem gradientes maiores desde o início e, com uma taxa alta, não saiu
# do lugar em 60 passos, com ou sem um aquecimento curto; o Pre-LN treinou com e sem
# aquecimento; sem normalização nenhuma, a escala fica por conta do aquecimento e, sem ele, o
# treino explode. Com mais blocos (troque `n_layers` no `CHAR_GPT_CONFIG`) as diferenças
# aumentam.

# %% [markdown]
# ## 6. A versão do pacote
#
# Tudo o que usamos está em `gptlab_helpers`:
#
# - `GPTModel(dict(cfg, norm_position="post"))` (ou `"pre"`, `"none"`): o bloco é escolhido em
#   `TransformerBlock`, que tem `forward_pre_ln` e `forward_post_ln`;
# - `gptlab_helpers.training.norm_position`: `block_gradient_norms(model, x, y)`,
#   `gradient_norms_at_init(cfg, depths, x, y)`, `format_gradient_table`,
#   `train_norm_variants(cfg, train_ids, val_ids, warmups, **settings)` e
#   `diverged(history, initial_loss)`;
# - `gptlab_helpers.viz.norm_position`: `plot_gradient_norms` e `plot_norm_variant_losses`.
#
# Um treino sozinho, por exemplo o Post-LN sem aquecimento, com o `train` do notebook 09:
#
# ```python
# model = GPTModel(dict(CHAR_GPT_CONFIG, norm_position="post"))
# history = train(model, train_ids, val_ids, warmup_steps=0, **settings)
# ```

# %% [markdown]
# ## Perguntas frequentes
#
# **Se o Pre-LN é mais estável, por que o transformer original usava Post-LN?**
# Em 2017 os modelos tinham 6 blocos, e com o aquecimento de 4.000 passos o Post-LN treinava
# bem. Os problemas aparecem com mais blocos e taxas de aprendizado maiores; o GPT-2 (2019)
# já trocou para o Pre-LN, e a análise de por que ele é mais estável (Xiong et al.) veio em 2020.
# Há trabalhos que relatam que um Post-LN que consegue treinar chega a uma perda final tão boa
# ou melhor (Liu et al., 2020, *Understanding the Difficulty of Training Transformers*); o
# Pre-LN ganhou por ser fácil de treinar.
#
# **Por que o Pre-LN precisa da `final_norm` e o Post-LN não?**
# No Pre-LN a saída do último bloco é `x + f(...)`, sem normalizar, e a escala cresce com a
# profundidade (seção 1). A `final_norm` põe os vetores na escala que a cabeça de saída
# espera. No Post-LN o último bloco já termina numa LayerNorm.
#
# **O aquecimento não resolve tudo?**
# Ajuda: no começo o AdamW ainda tem poucas amostras para estimar a média dos quadrados dos
# gradientes, que define o tamanho de cada passo, e o aquecimento segura os passos até essa
# estimativa ficar confiável (Liu et al., 2020, a análise do RAdam).
# Mas ele é mais um hiperparâmetro (quantos passos?), e no Post-LN profundo nem sempre basta.
# Com Pre-LN ele vira um detalhe, não uma condição para o treino funcionar.
#
# **E o corte do gradiente (`grad_clip=1.0`)?**
# Ele limita o tamanho de cada passo e esconde parte da instabilidade: sem ele as diferenças
# seriam maiores. Experimente `settings["grad_clip"] = 1e9` (na prática, sem corte).
#
# **Os modelos atuais usam qual?**
# Pre-norm, quase sempre com RMSNorm no lugar da LayerNorm (Llama, Qwen, GPT-OSS); o notebook
# 13 compara o GPT-2 com esses modelos.

# %% [markdown]
# ## Referências
#
# - J. L. Ba, J. R. Kiros, G. E. Hinton. *Layer Normalization*. arXiv:1607.06450, 2016.
# - A. Vaswani et al. *Attention Is All You Need*. NeurIPS 2017, arXiv:1706.03762.
# - A. Radford, J. Wu, R. Child, D. Luan, D. Amodei, I. Sutskever. *Language Models are
#   Unsupervised Multitask Learners*. OpenAI, 2019 (seção 2.3, sobre a posição da LayerNorm).
# - Q. Wang et al. *Learning Deep Transformer Models for Machine Translation*. ACL 2019,
#   arXiv:1906.01787.
# - L. Liu et al. *On the Variance of the Adaptive Learning Rate and Beyond* (RAdam). ICLR 2020,
#   arXiv:1908.03265.
# - L. Liu et al. *Understanding the Difficulty of Training Transformers*. EMNLP 2020,
#   arXiv:2004.08249.
# - R. Xiong et al. *On Layer Normalization in the Transformer Architecture*. ICML 2020,
#   arXiv:2002.04745.

# %% [markdown]
# ## Próximos passos
#
# - Exercícios: [`../exercises/12_pre_ln_vs_post_ln.ipynb`](../exercises/12_pre_ln_vs_post_ln.ipynb)
# - [13 · GPT-2 e os modelos atuais](13_gpt2_vs_modelos_atuais.ipynb)
# - [14 · Os pesos do GPT-2](14_pesos_do_gpt2.ipynb): o mesmo `GPTModel` com os pesos de verdade.
