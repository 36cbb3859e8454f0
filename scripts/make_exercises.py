"""Gera solutions/ e exercises/ a partir de scripts/solution_sources/.

    python scripts/make_exercises.py            # grava o que mudou
    python scripts/make_exercises.py --execute  # e executa as soluções
    python scripts/make_exercises.py --check    # só confere se está em dia

O código está em `instructor/gptlab_instructor/authoring/exercises.py`.
"""

from gptlab_instructor.authoring.exercises import main

if __name__ == "__main__":
    main()
