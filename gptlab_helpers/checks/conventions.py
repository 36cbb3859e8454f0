"""As convenções dos notebooks do GPTLab, escritas num lugar só.

As conferências do aluno, os scripts que geram os notebooks (`gptlab_instructor.authoring`), o
corretor (`gptlab_instructor.grading`) e os testes leem daqui como reconhecer uma célula que confere um
exercício, a importação das conferências de uma aula, o metadado do notebook e a tag das
células que só existem nas soluções.
"""

import re

# As listas de exercícios, na ordem das aulas: "06" é exercises/06_*.ipynb e checks/lesson06.py.
LESSONS = ("01", "02", "03", "04", "05", "06", "07", "08", "12", "13", "14")

# Uma célula que confere um exercício nos nossos notebooks: a linha `q3.check()` (grupo 1 = "q3",
# grupo 2 = "3").
CHECK_CALL = re.compile(r"^(q(\d+))\.check\(\)", re.MULTILINE)
# Uma chamada `<nome>.check(` em qualquer lugar: o aluno pode ter renomeado ou movido a célula.
ANY_CHECK_CALL = re.compile(r"\b([A-Za-z_]\w*)\.check\(")
# A importação das conferências de uma aula (grupo 1 = "06").
LESSON_IMPORT = re.compile(r"gptlab_helpers\.checks\.lesson(\d{2})\b")
# O começo da linha que importa os exercícios: `from gptlab_helpers.checks.lesson06 import q1, q2`.
LESSON_IMPORT_LINE = re.compile(r"from gptlab_helpers\.checks\.lesson(\d\d) import")

# metadata["gptlab"]["exercise_set"] = "06" nos notebooks de exercícios e de soluções
METADATA_KEY = "gptlab"
EXERCISE_SET_KEY = "exercise_set"

# Células com esta tag ficam só em solutions/ (revelariam a resposta nos exercícios).
SOLUTION_ONLY_TAG = "solucao"


def lesson_module(exercise_set, package="gptlab_helpers.checks"):
    """'06' -> 'gptlab_helpers.checks.lesson06' (o módulo com os exercícios da lista)."""
    return f"{package}.lesson{exercise_set}"


def declared_exercise_set(metadata):
    """A lista que o notebook declara nos metadados, ou None (metadados apagados ou estranhos)."""
    declared = metadata.get(METADATA_KEY, {})
    return declared.get(EXERCISE_SET_KEY) if isinstance(declared, dict) else None
