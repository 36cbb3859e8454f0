"""Troca o endereço do repositório (e o ramo) em todo lugar que o Colab usa, sem executar nada.

    python scripts/set_repository.py DONO/NOME                # ramo main
    python scripts/set_repository.py DONO/NOME --branch aula  # outro ramo
    python scripts/set_repository.py --check                  # só confere se tudo concorda

O código está em `instructor/gptlab_instructor/authoring/repository.py`.
"""

from gptlab_instructor.authoring.repository import main

if __name__ == "__main__":
    main()
