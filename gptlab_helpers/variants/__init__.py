"""Variantes do GPT da aula: as mesmas interfaces, outras peças, escolhidas pela configuração.

- `modern` (aula 13): RMSNorm, SwiGLU, RoPE e atenção com GQA, as peças dos decodificadores
  atuais (chaves `norm`, `ff_activation`, `pos_encoding`, `n_kv_heads`, `bias`...);
- `fast`: o caminho rápido (chaves `fast_kernels` e `use_sdpa`), as mesmas camadas em kernels
  fundidos, com os mesmos parâmetros;
- `published` (aula 13): as configurações publicadas do GPT-2 e de três modelos atuais.

Importar este subpacote (o `import gptlab_helpers` já o faz) registra as peças e as adaptações
em `gpt.PARTS` e `gpt.ADAPTERS`. As aulas nunca importam daqui: quem depende é a variante.
"""

from . import fast, modern

modern.register()
fast.register()
