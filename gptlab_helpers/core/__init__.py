"""O que todas as partes do pacote usam e nenhuma aula ensina.

- `validation`: conferências de entrada com mensagens que ensinam;
- `formatting`: números escritos como em português (vírgula decimal, ponto de milhar);
- `device`: sementes e escolha do dispositivo;
- `cli`: o argparse em português dos comandos (`gptlab-train` e os do instrutor).

Nada aqui importa outra parte do pacote: as aulas, as variantes, o treino e as conferências
dependem deste subpacote, nunca o contrário.
"""
