"""Gera o site estático do curso em build/site/ (HTML das saídas salvas, sem executar nada).

    python scripts/build_site.py                  # aulas, exercícios, soluções, convenções, glossário
    python scripts/build_site.py --sem-solucoes

O código está em `instructor/gptlab_instructor/site/build.py`.
"""

from gptlab_instructor.site.build import main

if __name__ == "__main__":
    raise SystemExit(main())
