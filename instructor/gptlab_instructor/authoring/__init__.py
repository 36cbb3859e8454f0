"""Ferramentas de quem mantém o material (não dos alunos): gerar e executar os notebooks.

- `build`: as aulas de `scripts/notebook_sources/` (e a célula de preparação de todo notebook);
- `exercises`: `solutions/`, `exercises/` e o código de `qN.solution()`, de `scripts/solution_sources/`.

Elas leem e gravam as pastas do repositório: use-as de um clone (`pip install -e .`). Os
comandos são `python scripts/build_notebooks.py` e `python scripts/make_exercises.py`.
"""
