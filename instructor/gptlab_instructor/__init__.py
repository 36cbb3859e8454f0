"""gptlab_instructor: as ferramentas de quem dá e de quem mantém o curso, fora do pacote do aluno.

- `grading`: o `gptlab-grade`, que corrige uma pasta de entregas (um kernel novo por aluno) e
  escreve notas e feedback;
- `authoring`: gerar e executar os notebooks das aulas, das soluções e dos exercícios a partir das
  fontes em `scripts/`, e trocar o endereço do repositório.

Depende do pacote do aluno (`gptlab_helpers`: as conferências, os modelos de referência); o
pacote do aluno nunca importa daqui. O Colab instala só `gptlab-helpers`; quem corrige ou
mantém o material instala também este, com `pip install -e ./instructor` (veja o README).
"""

__version__ = "0.1.0"
