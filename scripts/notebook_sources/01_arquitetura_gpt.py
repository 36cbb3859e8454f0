# ruff: noqa: E402
# Fonte de notebooks/01_arquitetura_gpt.ipynb. Depois de editar, rode: python scripts/build_notebooks.py --only 01

# %% [markdown]
# # 01 · A arquitetura de um GPT
#
# Um modelo como o GPT-2 lê uma sequência de tokens e devolve, para cada posição, um escore
# para cada token do vocabulário: quanto maior o escore, mais provável que aquele token
# venha em seguida. Nesta aula montamos o **esqueleto** desse modelo, com as peças do meio
# ainda vazias, para enxergar o caminho completo dos dados antes de implementar cada peça.
#
# ## Objetivos de aprendizagem
#
# - Ler a configuração `GPT_CONFIG_124M` e saber o que cada chave controla.
# - Seguir o caminho IDs de tokens → embeddings → blocos transformer → logits.
# - Transformar duas frases num lote de IDs com o tokenizador BPE do GPT-2.
# - Interpretar um tensor de logits de forma `[2, 4, 50257]`.
#
# **Antes de começar:** a atenção multi-cabeças causal da aula anterior já está pronta no pacote
# (`gptlab_helpers.MultiHeadAttention`); ela entra em cena na aula 05.
#
# **Números:** o Python imprime números no formato inglês, com ponto decimal e vírgula nos
# milhares (`0.1`, `163,009,536`). No texto usamos o formato brasileiro (0,1; 163.009.536).
# Os dois aparecem lado a lado nas aulas: é o mesmo número.

# %% [markdown]
# ## 1. A configuração do modelo
#
# Todo o tamanho do GPT-2 "pequeno" (124 milhões de parâmetros) cabe num dicionário. O pacote
# `gptlab_helpers` guarda esse dicionário com o mesmo nome usado no livro.

# %%
import torch
import torch.nn as nn

from gptlab_helpers import GPT_CONFIG_124M

for key, value in GPT_CONFIG_124M.items():
    print(f"{key:>15}: {value}")

# %% [markdown]
# O que cada chave controla:
#
# | chave | valor | significado |
# | --- | --- | --- |
# | `vocab_size` | 50257 | quantos tokens diferentes o tokenizador BPE do GPT-2 conhece; é também o tamanho de cada vetor de saída |
# | `context_length` | 1024 | o maior número de tokens que o modelo enxerga de uma vez; é o número de posições com embedding posicional |
# | `emb_dim` | 768 | o tamanho do vetor que representa cada token dentro do modelo |
# | `n_heads` | 12 | quantas cabeças de atenção cada bloco tem (768 / 12 = 64 dimensões por cabeça) |
# | `n_layers` | 12 | quantos blocos transformer são empilhados |
# | `drop_rate` | 0.1 | durante o treino, 10% dos valores são zerados ao acaso (dropout), o que combate o sobreajuste |
# | `qkv_bias` | False | se as camadas lineares que produzem query, key e value têm um termo de bias somado |
#
# Sobre `qkv_bias`: o bias é uma parcela constante somada depois da multiplicação pela matriz,
# algo como deslocar a origem. Muitos modelos recentes o dispensam (a família Llama, por
# exemplo), mas não todos: o Qwen2 mantém o bias em query, key e value. Para carregar os pesos
# publicados pela OpenAI, a configuração precisa bater com a do GPT-2 original, que
# tem esse bias: nesse caso usa-se `qkv_bias=True` (aula 14).
#
# > **O slide diz** que desligar o `qkv_bias` é a prática padrão dos LLMs modernos.
# >
# > **Mais preciso:** o próprio GPT-2 publicado tem esse bias ligado, e os modelos recentes se
# > dividem (Llama sem, Qwen2 com). Aqui ele fica desligado por escolha do livro, para um modelo
# > que treinamos do zero; é uma decisão de projeto, não uma regra.

# %% [markdown]
# ## 2. O esqueleto do GPT, com peças reservadas
#
# A arquitetura é a do GPT-2 (Radford et al., 2019, *Language Models are Unsupervised
# Multitask Learners*, relatório técnico da OpenAI). O modelo completo tem quatro etapas: (1) trocar cada ID de token por um vetor
# (embedding de tokens) e somar um vetor que marca a posição (embedding posicional);
# (2) passar o resultado por `n_layers` blocos transformer; (3) normalizar;
# (4) projetar cada vetor de 768 números para 50.257 escores, um por token do vocabulário.
#
# Por enquanto, o bloco transformer e a normalização são **lugares reservados** que devolvem
# a entrada sem mudança. Eles têm a mesma assinatura das peças verdadeiras, que chegam nas
# aulas 02 a 05.


# %%
class DummyTransformerBlock(nn.Module):
    """Lugar reservado para o bloco transformer: (B, T, C) -> (B, T, C), sem mudança."""

    def __init__(self, cfg):
        super().__init__()

    def forward(self, x):
        return x


class DummyLayerNorm(nn.Module):
    """Lugar reservado para a LayerNorm: aceita os mesmos argumentos e devolve x."""

    def __init__(self, normalized_shape, eps=1e-5):
        super().__init__()

    def forward(self, x):
        return x


# %% [markdown]
# Agora o modelo. Repare na ordem em que as camadas são criadas: com a mesma semente
# aleatória, a mesma ordem produz os mesmos pesos iniciais (é o que nos deixa comparar
# números com a aula).


# %%
class DummyGPTModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[DummyTransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = DummyLayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        batch_size, seq_len = in_idx.shape
        tok_embeds = self.tok_emb(in_idx)  # (B, T, C): o que é cada token
        pos_embeds = self.pos_emb(torch.arange(seq_len, device=in_idx.device))  # (T, C): onde ele está
        x = self.drop_emb(tok_embeds + pos_embeds)  # a soma se repete para cada exemplo do lote
        x = self.trf_blocks(x)
        x = self.final_norm(x)
        return self.out_head(x)  # (B, T, vocab_size)


# %% [markdown]
# Peça por peça:
#
# - `tok_emb` é uma tabela com 50.257 linhas de 768 números: o ID 6109 busca a linha 6109.
# - `pos_emb` é outra tabela, com 1024 linhas: a posição 0 busca a linha 0, a posição 1 a
#   linha 1, e assim por diante. Sem ela, cada palavra de "cachorro morde homem" e de "homem
#   morde cachorro" receberia o mesmo vetor nas duas frases, estivesse onde estivesse.
# - As duas são **somadas**, e o dropout zera cada valor da soma com probabilidade 0,1, ao
#   acaso (só no treino; a aula 07 mostra os detalhes).
# - `trf_blocks` empilha os 12 blocos (aqui, vazios).
# - `out_head`, a **cabeça de saída**, é uma camada linear de 768 para 50.257, sem bias.
#
# O diagrama abaixo é desenhado pelo pacote a partir da configuração: cada caixa traz a forma
# do tensor naquela etapa, para o lote de 2 frases de 4 tokens da próxima seção.

# %% alt="Diagrama do GPT esqueleto, de cima para baixo: IDs dos tokens, embeddings de token e de posição, soma e dropout, os blocos transformer ainda como lugar reservado, a normalização final também reservada e a camada de saída que dá os logits, com a forma (B, T, C) de cada etapa."
import matplotlib.pyplot as plt

from gptlab_helpers.viz.figures import draw_gpt_architecture

draw_gpt_architecture(GPT_CONFIG_124M, batch_size=2, num_tokens=4, placeholder=True)
plt.show()

# %% [markdown]
# ## 3. Do texto aos IDs de tokens
#
# O modelo não lê letras, lê números. O tokenizador BPE do GPT-2 corta o texto em pedaços
# frequentes e troca cada pedaço pelo seu número no vocabulário. A função `get_tokenizer`
# monta esse tokenizador a partir de arquivos que vêm com o pacote, sem precisar de internet.

# %%
from gptlab_helpers import get_tokenizer

tokenizer = get_tokenizer("gpt2")

txt1 = "Every effort moves you"
txt2 = "Every day holds a"
batch = torch.stack([torch.tensor(tokenizer.encode(txt1)), torch.tensor(tokenizer.encode(txt2))], dim=0)
print(batch)

# %% [markdown]
# Cada frase virou 4 números, então o lote tem forma `(B, T) = (2, 4)`: 2 exemplos de 4
# tokens. O 6109 aparece nas duas linhas porque as duas frases começam com "Every". Vamos
# decodificar a primeira linha token por token:

# %%
for token_id in batch[0].tolist():
    print(f"{token_id:>6} -> {tokenizer.decode([token_id])!r}")

# %% [markdown]
# Repare que o espaço antes de cada palavra faz parte do token (`' effort'`): para o BPE do
# GPT-2, "effort" no início do texto e " effort" no meio são tokens diferentes.

# %% [markdown]
# ## 4. O lote atravessa o esqueleto
#
# Fixamos a semente em 123 (a mesma da aula) e passamos o lote pelo modelo. A saída de um
# modelo de linguagem se chama **logits**.

# %%
torch.manual_seed(123)
model = DummyGPTModel(GPT_CONFIG_124M)
logits = model(batch)
print("Forma da saída:", logits.shape)
print(logits)

# %% [markdown]
# A forma `[2, 4, 50257]` se lê assim: 2 frases, 4 posições em cada uma e, em cada posição,
# 50.257 números, um para cada token do vocabulário. O PyTorch mostra só os 3 primeiros e os
# 3 últimos de cada vetor.
#
# Um **logit** é um escore bruto: um número real qualquer, positivo ou negativo, que ainda não
# é probabilidade. O vetor da posição *t* avalia qual token deve vir na posição *t* + 1;
# quanto maior o logit, mais o modelo aposta naquele token. Como nada foi treinado, por
# enquanto os escores são aleatórios.
#
# Os números são os da aula, com uma exceção na quarta casa decimal: a aula mostra `1.6754` na
# linha `[0][3]` e aqui aparece `1.6755`. O valor exato é 1,675450…, bem no meio do caminho
# entre as duas casas, e versões diferentes do PyTorch arredondam as últimas contas de
# ponto flutuante de jeitos ligeiramente diferentes.
#
# Quantos parâmetros tem o esqueleto? Só as duas tabelas de embedding e a cabeça de saída têm
# pesos; os lugares reservados não têm nenhum:

# %%
skeleton_params = sum(p.numel() for p in model.parameters())
print(f"parâmetros do esqueleto: {skeleton_params:,}")

# %% [markdown]
# > **O slide diz** que cada posição sai com 50.257 dimensões porque os *embeddings* têm esse
# > tamanho, e apresenta o esqueleto como o modelo de 124 milhões de parâmetros.
# >
# > **Mais preciso:** os vetores de 50.257 números são os **logits**, um escore por token do
# > vocabulário; os embeddings têm `emb_dim` = 768 números. E o esqueleto não tem 124 milhões
# > de parâmetros: a célula acima mostra bem menos, porque os blocos ainda estão vazios. O
# > modelo completo (aula 05) tem os blocos, e é ele que, contado com a cabeça de saída
# > reaproveitando a matriz do embedding de tokens, dá o "124M" do nome.

# %% [markdown]
# Para virar probabilidade, o vetor de logits passa pela **softmax**, que deixa todos os
# valores positivos e com soma 1 (a aula 08 usa isso para gerar texto):

# %%
last = logits[0, -1]  # os 50257 logits da última posição da primeira frase
print("forma:", last.shape)
print(f"menor logit: {last.min().item():.4f} | maior logit: {last.max().item():.4f}")
probas = torch.softmax(last, dim=-1)
print(f"soma dos logits: {last.sum().item():.2f} | soma das probabilidades: {probas.sum().item():.4f}")

# %% [markdown]
# Os logits desta posição ficam entre −3,9 e 3,3 e somam um valor qualquer; depois da
# softmax, as 50.257 probabilidades somam 1.

# %% [markdown]
# ## 5. A mesma peça no pacote
#
# O pacote tem o mesmo esqueleto, `gptlab_helpers.DummyGPTModel` (é o `GPTModel` completo com
# o bloco e a normalização trocados pelos lugares reservados). Nos slides do curso a mesma
# classe se chama `SimpleGPTModel`; aqui e nos exercícios usamos sempre o nome do livro,
# `DummyGPTModel`, e o pacote aceita o outro como sinônimo. Com a mesma semente, os dois
# produzem exatamente os mesmos logits:

# %%
import gptlab_helpers

torch.manual_seed(123)
package_model = gptlab_helpers.DummyGPTModel(GPT_CONFIG_124M)
print("mesmos logits que o nosso modelo:", torch.allclose(logits, package_model(batch)))

# %% [markdown]
# A partir daqui, as próximas aulas usam as peças do pacote depois de construí-las uma vez.

# %% [markdown]
# ## Perguntas frequentes
#
# **Qual a diferença entre embedding de tokens e embedding posicional?**
# O embedding de tokens diz *o que* é cada token: o mesmo ID recebe sempre o mesmo vetor, esteja
# onde estiver. O embedding posicional diz *onde* o token está: a posição 3 recebe sempre o
# mesmo vetor, seja qual for o token. Os dois vetores têm 768 números e são somados, de modo
# que cada vetor que entra nos blocos carrega as duas informações. As duas tabelas são
# treináveis.
#
# **O que é aquele dropout logo depois dos embeddings?**
# É o dropout aplicado à soma `tok_embeds + pos_embeds`. No treino, ele zera 10% dos valores ao
# acaso, para o modelo não depender demais de nenhum valor isolado; fora do treino
# (`model.eval()`), não faz nada. A aula 07 mede isso de perto.
#
# **Os logits já são probabilidades?**
# Não. São escores sem escala; a softmax os transforma em probabilidades (seção 4).
#
# **Por que cada posição tem 50.257 números?**
# Porque o modelo dá um escore para cada token possível do vocabulário. A escolha do próximo
# token é "qual dos 50.257 tem o maior escore" (aula 08).
#
# **Por que uma camada não pode se retroalimentar?**
# Num transformer, os dados atravessam os blocos uma vez só, de baixo para cima: é isso que
# permite processar todas as posições em paralelo e treinar rápido. A "realimentação" existe,
# mas fora do modelo: na geração de texto, cada token produzido volta como entrada no passo
# seguinte (aula 08). Redes que se realimentam por dentro, como as RNNs, processam um token
# por vez e são mais lentas de treinar.
#
# **Quais artigos estão por trás desta aula?**
# O capítulo segue o livro de Sebastian Raschka, *Build a Large Language Model (From Scratch)*
# (Manning, 2024), e cada peça vem de um artigo; cada aula cita o seu onde a ideia aparece:
#
# - a arquitetura: Vaswani et al., *Attention Is All You Need* (NeurIPS 2017, arXiv:1706.03762),
#   e o GPT-2: Radford et al., *Language Models are Unsupervised Multitask Learners* (OpenAI, 2019);
# - a LayerNorm (aula 02): Ba, Kiros e Hinton, *Layer Normalization* (2016, arXiv:1607.06450);
# - a GELU (aula 03): Hendrycks e Gimpel, *Gaussian Error Linear Units (GELUs)* (2016,
#   arXiv:1606.08415);
# - as conexões de atalho (aula 04): He, Zhang, Ren e Sun, *Deep Residual Learning for Image
#   Recognition* (CVPR 2016, arXiv:1512.03385);
# - o arranjo Pre-LN (aula 05), que o GPT-2 já usava e que Xiong et al. analisaram depois em
#   *On Layer Normalization in the Transformer Architecture* (ICML 2020, arXiv:2002.04745);
# - o dropout (aula 07): Srivastava et al., *Dropout: A Simple Way to Prevent Neural Networks from
#   Overfitting* (JMLR 15, 2014).
#
# **Onde os tokens trocam informação entre si?**
# Só na atenção, dentro de cada bloco transformer. Embeddings, normalização, feed-forward e
# cabeça de saída tratam cada posição separadamente. No esqueleto, como os blocos estão
# vazios, cada posição ainda não sabe nada sobre as outras.

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/01_arquitetura_gpt.ipynb`](../exercises/01_arquitetura_gpt.ipynb)
# - Próxima aula: [02 · Layer normalization](02_layer_normalization.ipynb), a primeira peça
#   de verdade.
