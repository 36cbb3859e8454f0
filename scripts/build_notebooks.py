"""Gera e executa os notebooks do GPTLab (aulas, exercícios e soluções).

    python scripts/build_notebooks.py                # tudo
    python scripts/build_notebooks.py --only 03 05   # só as aulas (e soluções) 03 e 05

O código está em `instructor/gptlab_instructor/authoring/build.py`.
"""

from gptlab_instructor.authoring.build import main

if __name__ == "__main__":
    main()
