# ruff: noqa: E402
# Fonte de notebooks/05_bloco_transformer_e_gpt.ipynb. Depois de editar, rode: python scripts/build_notebooks.py --only 05

# %% [markdown]
# # 05 · O bloco transformer e o GPT completo
#
# Temos todas as peças: a atenção multi-cabeças (aula anterior do curso), a LayerNorm (aula
# 02), a rede feed-forward com GELU (aula 03) e as conexões de atalho (aula 04). Agora elas
# se juntam num **bloco transformer**, e 12 blocos empilhados formam o GPT-2 de 124 milhões
# de parâmetros, o mesmo esqueleto da aula 01, agora com as peças de verdade.
#
# ## Objetivos de aprendizagem
#
# - Montar o `TransformerBlock` no arranjo Pre-LN: LayerNorm → subcamada → dropout → atalho.
# - Montar o `GPTModel` completo e passar por ele o lote da aula 01.
# - Contar os parâmetros (163.009.536) e entender por que o GPT-2 diz ter 124 milhões.
# - Entender o compartilhamento de pesos (*weight tying*) e estimar a memória do modelo.

# %% [markdown]
# ## 1. O bloco transformer
#
# O caminho de um vetor dentro do bloco, com a forma do tensor do teste logo abaixo
# (2 sequências de 4 tokens):

# %% alt="Diagrama do bloco transformer: a entrada passa por LayerNorm, atenção multi-cabeça e dropout e é somada de volta pelo atalho; depois por LayerNorm, feed-forward e dropout, com outro atalho; a forma (B, T, C) é a mesma na entrada e na saída."
import matplotlib.pyplot as plt
import torch
import torch.nn as nn

from gptlab_helpers.viz.figures import draw_transformer_block

draw_transformer_block(batch_size=2, num_tokens=4)
plt.show()

# %% [markdown]
# As peças vêm do pacote, pois já foram construídas nas aulas anteriores.

# %%
from gptlab_helpers import GPT_CONFIG_124M, FeedForward, LayerNorm, MultiHeadAttention


class TransformerBlock(nn.Module):
    """Bloco Pre-LN do GPT-2: (B, T, C) -> (B, T, C)."""

    def __init__(self, cfg):
        super().__init__()
        self.att = MultiHeadAttention(
            d_in=cfg["emb_dim"],
            d_out=cfg["emb_dim"],
            context_length=cfg["context_length"],
            num_heads=cfg["n_heads"],
            dropout=cfg["drop_rate"],
            qkv_bias=cfg["qkv_bias"],
        )
        self.ff = FeedForward(cfg)
        self.norm1 = LayerNorm(cfg["emb_dim"])
        self.norm2 = LayerNorm(cfg["emb_dim"])
        self.drop_shortcut = nn.Dropout(cfg["drop_rate"])

    def forward(self, x):
        shortcut = x  # atalho em volta da atenção
        x = self.norm1(x)
        x = self.att(x)  # (B, T, C): aqui os tokens trocam informação
        x = self.drop_shortcut(x)
        x = x + shortcut

        shortcut = x  # atalho em volta da feed-forward
        x = self.norm2(x)
        x = self.ff(x)  # (B, T, C): cada token separadamente
        x = self.drop_shortcut(x)
        return x + shortcut


# %% [markdown]
# O `forward` tem duas metades iguais: guardar a entrada, normalizar, aplicar a subcamada,
# aplicar o dropout e somar a entrada guardada. A atenção recebe `drop_rate` para o dropout
# dos pesos de atenção; `drop_shortcut` é usado nas duas metades.
#
# Um teste com 2 sequências de 4 tokens de 768 dimensões:

# %%
torch.manual_seed(123)
x = torch.rand(2, 4, 768)  # (B, T, C)
block = TransformerBlock(GPT_CONFIG_124M)
output = block(x)
print("Forma da entrada:", x.shape)
print("Forma da saída:", output.shape)

# %% [markdown]
# A saída tem a mesma forma da entrada, `[2, 4, 768]`. É isso que permite empilhar blocos:
# a saída de um é a entrada do próximo. Por dentro, porém, cada vetor mudou: depois da
# atenção, o vetor de cada posição carrega informação dela mesma e das posições anteriores.
#
# O pacote tem o mesmo bloco, `gptlab_helpers.TransformerBlock`, com as camadas criadas na
# mesma ordem. Com a mesma semente (e os mesmos sorteios de dropout), a saída é idêntica:

# %%
import gptlab_helpers

torch.manual_seed(123)
x = torch.rand(2, 4, 768)
package_block = gptlab_helpers.TransformerBlock(GPT_CONFIG_124M)
print("mesma saída do pacote:", torch.allclose(output, package_block(x)))

# %% [markdown]
# ### Pre-LN e Post-LN
#
# No Transformer original (Vaswani et al. 2017), a normalização vinha **depois** da soma com o
# atalho (*Post-LN*). O GPT-2 a coloca **antes** de cada subcamada (*Pre-LN*): assim o caminho
# do atalho fica livre de qualquer conta, o gradiente atravessa os 12 blocos por esse caminho
# sem ser reescalado, e o treino de redes profundas fica bem mais estável. Xiong et al., *On Layer
# Normalization in the Transformer Architecture* (ICML 2020, arXiv:2002.04745), mostram por
# que: no Post-LN os gradientes perto da saída começam grandes demais, e o treino precisa de um
# aquecimento longo da taxa de aprendizado; no Pre-LN, não. Eles analisaram um arranjo que já
# existia: o GPT-2 o usava desde 2019. Para comparar, a variante Post-LN, que só muda o
# `forward`:


# %%
class PostLNTransformerBlock(TransformerBlock):
    """Variante Post-LN (Transformer original): normaliza depois de somar o atalho."""

    def forward(self, x):
        x = self.norm1(x + self.drop_shortcut(self.att(x)))
        return self.norm2(x + self.drop_shortcut(self.ff(x)))


print("Forma da saída Post-LN:", PostLNTransformerBlock(GPT_CONFIG_124M)(x).shape)

# %% [markdown]
# As duas têm os mesmos parâmetros e a mesma forma de saída; a diferença aparece no treino,
# que a aula 12 faz: ela treina as duas variantes lado a lado e compara perdas e gradientes.

# %% [markdown]
# ## 2. O modelo GPT completo
#
# O `GPTModel` é o esqueleto da aula 01 com as peças de verdade: embeddings de tokens e de
# posição, dropout, 12 blocos transformer, a LayerNorm final e a cabeça de saída (`out_head`).
# O mesmo diagrama da aula 01, agora com as peças de verdade:

# %% alt="Diagrama do GPTModel completo, de cima para baixo: IDs dos tokens, embeddings de token e de posição, soma e dropout, os 12 blocos transformer, a LayerNorm final e a camada de saída que dá os logits, com a forma de cada etapa."
from gptlab_helpers.viz.figures import draw_gpt_architecture

draw_gpt_architecture(GPT_CONFIG_124M, batch_size=2, num_tokens=4)
plt.show()


# %%
class GPTModel(nn.Module):
    """O GPT-2: IDs de tokens (B, T) -> logits (B, T, vocab_size)."""

    def __init__(self, cfg):
        super().__init__()
        self.tok_emb = nn.Embedding(cfg["vocab_size"], cfg["emb_dim"])
        self.pos_emb = nn.Embedding(cfg["context_length"], cfg["emb_dim"])
        self.drop_emb = nn.Dropout(cfg["drop_rate"])
        self.trf_blocks = nn.Sequential(*[TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.final_norm = LayerNorm(cfg["emb_dim"])
        self.out_head = nn.Linear(cfg["emb_dim"], cfg["vocab_size"], bias=False)

    def forward(self, in_idx):
        batch_size, seq_len = in_idx.shape
        tok_embeds = self.tok_emb(in_idx)  # (B, T, C)
        pos_embeds = self.pos_emb(torch.arange(seq_len, device=in_idx.device))  # (T, C)
        x = self.drop_emb(tok_embeds + pos_embeds)
        x = self.trf_blocks(x)  # (B, T, C)
        x = self.final_norm(x)
        return self.out_head(x)  # (B, T, V)


# %% [markdown]
# O lote da aula 01, com as duas frases:

# %%
from gptlab_helpers import get_tokenizer

tokenizer = get_tokenizer("gpt2")
batch = torch.tensor([tokenizer.encode("Every effort moves you"), tokenizer.encode("Every day holds a")])

torch.manual_seed(123)
model = GPTModel(GPT_CONFIG_124M)
out = model(batch)
print("Lote de entrada:\n", batch)
print("\nForma da saída:", out.shape)
print(out)

# %% [markdown]
# A forma é a mesma do esqueleto, `[2, 4, 50257]`: um logit para cada token do vocabulário, em
# cada posição de cada frase. Os valores mudaram, porque agora os vetores passaram pelos 12
# blocos. O modelo ainda não foi treinado, então esses logits não significam nada.
#
# Os números coincidem com os da aula, com uma exceção na quarta casa: na linha `[0][0]` a
# aula mostra `0.4223` e aqui aparece `0.4222`. O valor exato é 0,422249…, praticamente na
# fronteira entre as duas casas, e a última conta em `float32` varia ligeiramente entre
# versões do PyTorch.
#
# O `GPTModel` do pacote cria as camadas na mesma ordem, então produz os mesmos logits:

# %%
torch.manual_seed(123)
package_model = gptlab_helpers.GPTModel(GPT_CONFIG_124M)
print("mesmos logits do pacote:", torch.allclose(out, package_model(batch)))
del package_model  # libera cerca de 620 MB de memória (1 MB = 1024² bytes, veja a seção 4)

# %% [markdown]
# ## 3. Quantos parâmetros?
#
# Cada `nn.Parameter` é um tensor de pesos; o número de parâmetros é a soma do número de
# elementos de todos eles:

# %%
total_params = sum(p.numel() for p in model.parameters())
print(f"Número total de parâmetros: {total_params:,}")

# %% [markdown]
# São 163.009.536 parâmetros, não 124 milhões. A diferença está na cabeça de saída. Compare a
# forma da tabela de embeddings de tokens com a da cabeça de saída:

# %%
print("Forma do embedding de tokens (tok_emb):", model.tok_emb.weight.shape)
print("Forma da cabeça de saída (out_head):", model.out_head.weight.shape)

# %% [markdown]
# As duas são matrizes `[50257, 768]`. O GPT-2 original usa **a mesma matriz** nos dois
# lugares (*weight tying*, ou amarração de pesos): a linha *i* serve para transformar o token
# *i* num vetor na entrada e para calcular o escore do token *i* na saída. Contando essa
# matriz uma vez só:

# %%
out_head_params = sum(p.numel() for p in model.out_head.parameters())
total_params_gpt2 = total_params - out_head_params
print(f"Parâmetros com weight tying: {total_params_gpt2:,}")

# %% [markdown]
# Agora sim: 124.412.160, o "124M" do nome. (O GPT-2 publicado tem um pouco mais, porque liga o
# `qkv_bias`: um vetor de bias em cada uma das três camadas de query, key e value de cada bloco.
# O nome arredonda.) Nosso modelo não amarra os pesos; amarrar é uma
# linha só, e o PyTorch conta um parâmetro compartilhado uma vez:

# %%
model.out_head.weight = model.tok_emb.weight  # a mesma matriz nos dois lugares
print("é o mesmo tensor:", model.out_head.weight is model.tok_emb.weight)
print(f"parâmetros depois de amarrar: {sum(p.numel() for p in model.parameters()):,}")

# %% [markdown]
# Amarrar economiza 38,6 milhões de parâmetros. O livro observa, porém, que matrizes separadas
# costumam treinar melhor, por isso o `GPTModel` as mantém separadas. Ao carregar os pesos
# publicados pela OpenAI (`load_gpt2_weights`, aula 14), a cabeça de saída recebe uma cópia da
# matriz do embedding de tokens.
#
# > **O slide diz** que os 124.412.160 são os parâmetros *treináveis* e que amarrar os pesos
# > reduz a memória e a complexidade computacional.
# >
# > **Mais preciso:** no modelo sem amarração, os 163.009.536 parâmetros são todos treináveis;
# > 124.412.160 é quantos ele teria **se** amarrasse, como o GPT-2 original. E a amarração
# > economiza memória (uma matriz `[50257, 768]` a menos), mas não contas: a cabeça de saída
# > continua multiplicando cada vetor por uma matriz `[50257, 768]` a cada forward.

# %% [markdown]
# ## 4. Quanta memória?
#
# Cada parâmetro em `float32` ocupa 4 bytes. Como na aula, 1 MB aqui são 1024 × 1024 =
# 1.048.576 bytes (a rigor, um mebibyte, MiB; um "megabyte" decimal teria 10⁶ bytes). Usamos
# essa convenção em todo o curso, inclusive nos exercícios, e 1 GB = 1024 MB.

# %%
total_size_bytes = total_params * 4
total_size_mb = total_size_bytes / (1024 * 1024)
print(f"Tamanho total do modelo: {total_size_mb:.2f} MB")

# %% [markdown]
# Só os pesos ocupam 621,83 MB. Isso basta para **usar** o modelo (inferência, mais as
# ativações de um forward). Para **treinar**, a memória cresce bastante:
#
# - os **pesos**: 4 bytes por parâmetro em `float32`;
# - os **gradientes**: um número por parâmetro, do mesmo tamanho dos pesos (mais 4 bytes);
# - o **estado do AdamW**: duas médias móveis por parâmetro (mais 8 bytes);
# - as **ativações** guardadas no forward para o backward, que crescem com o lote e o contexto.
#
# Sem as ativações, são 16 bytes por parâmetro: 163.009.536 × 16 bytes ≈ 2,43 GB, quatro
# vezes o tamanho dos pesos. O pacote faz a conta dos pesos em `model_size_mb`, que aceita
# outros tipos numéricos:

# %%
from gptlab_helpers import model_size_mb

print(f"float32:                  {model_size_mb(total_params):.2f} MB")
print(f"bfloat16 (2 bytes):       {model_size_mb(total_params, torch.bfloat16):.2f} MB")
print(f"float32 com weight tying: {model_size_mb(total_params_gpt2):.2f} MB")

# %% [markdown]
# Em `bfloat16` (2 bytes por número, comum em GPUs recentes) a memória cai à metade, 310,92 MB;
# com os pesos amarrados, em `float32`, são 474,59 MB. Cuidado com os nomes: "meia precisão"
# (*half precision*) é o `float16` do padrão IEEE, com 5 bits de expoente e 10 de mantissa. O
# `bfloat16` (*brain float*) também tem 16 bits, mas com os 8 bits de expoente do `float32` e só
# 7 de mantissa: cobre a mesma faixa de valores do `float32`, com menos casas de precisão.

# %% [markdown]
# ## Perguntas frequentes
#
# **Então o número de parâmetros é a soma dos pesos de cada camada?**
# Exatamente: é o número de elementos de todas as matrizes de pesos, vetores de bias e vetores
# `scale`/`shift` das LayerNorms, somados. Por exemplo, um bloco tem 7.085.568 parâmetros
# (`sum(p.numel() for p in block.parameters())`), e 12 blocos dão 85 milhões. A aula 06
# separa o total por componente.
#
# **Os 12 blocos podem ser convertidos num só?**
# Não. Cada bloco tem pesos próprios (o `nn.Sequential` guarda 12 blocos diferentes, não o
# mesmo bloco 12 vezes) e entre eles há operações não lineares (softmax, GELU, LayerNorm),
# que impedem juntar as contas numa só, como vimos na aula 03.
#
# **Por que reaproveitar a matriz do embedding na saída faz sentido?**
# Na entrada, o embedding busca a linha *i* para representar o token *i*. Na saída, o escore
# do token *i* é o produto escalar do vetor final com a linha *i*. Amarrar as duas diz:
# "um vetor parecido com a representação do token *i* deve dar escore alto ao token *i*".
# Economiza memória, mas prende as duas funções a uma só matriz.
#
# **Onde os tokens conversam entre si?**
# Só na atenção (`self.att`), em cada um dos 12 blocos. A LayerNorm, a feed-forward, o dropout
# e a cabeça de saída olham para cada posição separadamente.
#
# **Por que Pre-LN e não Post-LN?**
# Com Pre-LN, a soma do atalho não passa por normalização nenhuma, e o gradiente tem um
# caminho direto do fim ao começo da rede. Isso permite treinar redes profundas sem o
# aquecimento cuidadoso da taxa de aprendizado que o Post-LN exige (Xiong et al., 2020).

# %% [markdown]
# ## Próximos passos
#
# - Exercícios desta aula: [`../exercises/05_bloco_transformer_e_gpt.ipynb`](../exercises/05_bloco_transformer_e_gpt.ipynb)
# - Próxima aula: [06 · Onde moram os parâmetros](06_distribuicao_de_parametros.ipynb).
