"""Gera os notebooks de soluções e de exercícios a partir de uma fonte só.

Uso (na raiz do repositório):

    python scripts/make_exercises.py            # solutions/ e exercises/ a partir das fontes
    python scripts/make_exercises.py --execute  # idem, e executa as soluções (grava as saídas)
    python scripts/make_exercises.py --check    # só confere se está tudo em dia (sai com 1 se não)
    python -m gptlab_instructor.authoring.exercises ...  # o mesmo

Edite sempre a fonte, não o notebook de soluções: o script se recusa a sobrescrever uma solução
editada depois da fonte (use --force para descartar a edição).

A fonte de cada par é `scripts/solution_sources/NN_nome.py`, no formato "percent" das aulas
(veja `build.py`). O código de solução fica entre as linhas
`### BEGIN SOLUTION` e `### END SOLUTION`, como no nbgrader:

1. `solutions/NN_nome.ipynb` é a fonte com o selo do Colab e a célula de preparação logo
   depois do título. Se as células não mudaram, o arquivo não é reescrito (as saídas ficam).
2. `exercises/NN_nome.ipynb` é a solução sem saídas, sem as células só da solução (veja
   abaixo) e com cada trecho marcado trocado por um lugar reservado que ainda deixa o
   notebook rodar:
   - trecho indentado (dentro de um método): `raise NotImplementedError(...)`;
   - trecho só de atribuições (`x = ...`): `x = None  # escreva sua resposta aqui`;
   - trecho com classes ou funções: o comentário `# escreva seu código aqui` e o esqueleto de
     cada uma (mesmas assinaturas, corpo `raise NotImplementedError(...)`);
   - outro trecho: só o comentário.
3. `gptlab_helpers/checks/solution_code.py` guarda o código das células de solução de cada
   exercício, que `q1.solution()` mostra (ele funciona também no Colab, sem o repositório).

Células só da solução: um texto que comenta as respostas (os números, a forma, a explicação)
entregaria o exercício. Marque a célula inteira com a tag `solucao`, na convenção do jupytext:

    # %% [markdown] tags=["solucao"]
    # São 25 LayerNorms com ...

(ou `# %% tags=["solucao"]` numa célula de código). Ela fica no notebook de soluções, com
`"tags": ["solucao"]` nos metadados, e some do de exercícios. Se o texto seguinte depender
dela, deixe antes uma ponte neutra sem a tag ("Depois de acertar, compare ...").

As células que conferem (`q1.check()`) dizem a que exercício pertencem os trechos acima delas.
"""

import ast
import copy
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import nbformat

from gptlab_helpers.checks.base import AUTOSTUDY
from gptlab_helpers.checks.conventions import (
    CHECK_CALL,
    EXERCISE_SET_KEY,
    LESSON_IMPORT_LINE,
    METADATA_KEY,
    SOLUTION_ONLY_TAG,
)
from gptlab_helpers.core.cli import PortugueseParser

from . import notebooks

ROOT = notebooks.ROOT
SOURCES_DIR = ROOT / "scripts" / "solution_sources"
SOLUTIONS_DIR = ROOT / "solutions"
EXERCISES_DIR = ROOT / "exercises"
SOLUTION_CODE_MODULE = ROOT / "gptlab_helpers" / "checks" / "solution_code.py"

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CHECK_IMPORT = LESSON_IMPORT_LINE
ANSWER_PLACEHOLDER = "None  # escreva sua resposta aqui"
CODE_PLACEHOLDER = "# escreva seu código aqui"
METHOD_PLACEHOLDER = 'raise NotImplementedError("escreva seu código aqui")'


# --- os trechos de solução ---------------------------------------------------------------
def split_regions(source, where="célula"):
    """Separa o código em [(texto, é_solução)], conferindo que os marcadores fecham."""
    parts, current, inside = [], [], False
    for line in source.split("\n"):
        marker = line.strip()
        if marker in (BEGIN, END):
            if (marker == BEGIN) == inside:
                raise ValueError(f"{where}: '{marker}' fora de ordem; cada {BEGIN} fecha com um {END}")
            parts.append(("\n".join(current), inside, line[: len(line) - len(line.lstrip())]))
            current, inside = [], marker == BEGIN
        else:
            current.append(line)
    if inside:
        raise ValueError(f"{where}: falta o {END} do último trecho de solução")
    parts.append(("\n".join(current), False, ""))
    # sem as partes vazias das pontas (a célula começa ou termina num trecho de solução)
    if parts[0] == ("", False, ""):
        parts = parts[1:]
    if parts[-1] == ("", False, ""):
        parts = parts[:-1]
    return parts


def placeholder(region, indent):
    """O lugar reservado que substitui um trecho de solução (veja as regras no topo)."""
    if indent:
        return f"{indent}{METHOD_PLACEHOLDER}"
    statements = ast.parse(textwrap.dedent(region)).body
    names = [
        statement.targets[0].id
        for statement in statements
        if isinstance(statement, ast.Assign)
        and len(statement.targets) == 1
        and isinstance(statement.targets[0], ast.Name)
    ]
    if statements and len(names) == len(statements):
        return "\n".join(f"{name} = {ANSWER_PLACEHOLDER}" for name in dict.fromkeys(names))
    skeletons = [skeleton(node) for node in statements if isinstance(node, (ast.ClassDef, ast.FunctionDef))]
    return "\n\n\n".join([CODE_PLACEHOLDER, *skeletons]) if skeletons else CODE_PLACEHOLDER


def skeleton(node, indent=""):
    """Esqueleto de uma classe ou função: as mesmas assinaturas, corpo NotImplementedError.

    Assim os nomes continuam definidos (o notebook roda e o ruff não acusa nome indefinido) e
    o aluno vê quais métodos escrever.
    """
    if isinstance(node, ast.FunctionDef):
        return f"{indent}def {node.name}({ast.unparse(node.args)}):\n{indent}    {METHOD_PLACEHOLDER}"
    bases = ", ".join(ast.unparse(base) for base in node.bases)
    methods = [skeleton(child, indent + "    ") for child in node.body if isinstance(child, ast.FunctionDef)]
    header = f"{indent}class {node.name}({bases}):" if bases else f"{indent}class {node.name}:"
    return header + "\n" + "\n\n".join(methods or [f"{indent}    pass"])


def strip_solutions(source, where="célula"):
    """O código da célula com cada trecho de solução trocado pelo seu lugar reservado."""
    pieces = []
    for text, is_solution, indent in split_regions(source, where):
        pieces.append(placeholder(text, indent) if is_solution else text)
    stripped = "\n".join(pieces)
    return stripped + "\n" if source.endswith("\n") and not stripped.endswith("\n") else stripped


def without_markers(source):
    """O código da célula sem as linhas de marcação (o que solution() mostra)."""
    return "\n".join(line for line in source.split("\n") if line.strip() not in (BEGIN, END))


def has_solution(cell):
    return cell.cell_type == "code" and BEGIN in cell.source


def is_solution_only(cell):
    """True se a célula tem a tag `solucao`: fica nas soluções e some dos exercícios."""
    return SOLUTION_ONLY_TAG in cell.metadata.get("tags", [])


# --- notebooks ---------------------------------------------------------------------------
def exercise_set(cells, where):
    """O número da aula ("06") pelas importações das conferências nas células."""
    found = {match for cell in cells for match in CHECK_IMPORT.findall(cell.source)}
    if len(found) != 1:
        raise ValueError(
            f"{where}: esperava importações de uma só aula (from gptlab_helpers.checks.lessonNN import ...), "
            f"mas encontrei {sorted(found) or 'nenhuma'}"
        )
    return found.pop()


def solution_notebook(source_path):
    """O notebook de soluções (sem saídas) que corresponde a uma fonte."""
    source_path = Path(source_path)
    text = source_path.read_text(encoding="utf-8")
    cells = notebooks.source_notebook_cells(text, source_path.name, with_tags=True)
    for index, cell in enumerate(cells):
        if cell.cell_type == "code":
            split_regions(cell.source, source_path.name)  # confere os marcadores já aqui
        check_solution_only(cell, f"{source_path.name}, célula {index}")
    cells = notebooks.with_title_badge_and_setup(cells, f"solutions/{source_path.stem}.ipynb")
    notebook = notebooks.new_notebook(cells)
    notebook.metadata[METADATA_KEY] = {EXERCISE_SET_KEY: exercise_set(cells, source_path.name)}
    return notebook


def check_solution_only(cell, where):
    """Recusa uma célula só da solução que faria falta no exercício."""
    if not is_solution_only(cell) or cell.cell_type != "code":
        return
    if BEGIN in cell.source or CHECK_CALL.search(cell.source) or CHECK_IMPORT.search(cell.source):
        raise ValueError(
            f"{where}: uma célula com a tag '{SOLUTION_ONLY_TAG}' some inteira do exercício; "
            f"ela não pode ter {BEGIN}, qN.check() nem a importação das conferências"
        )


def exercise_notebook(solution, name):
    """O notebook do aluno: a solução com lugares reservados, sem saídas e com o próprio selo.

    As células com a tag `solucao` (veja o topo) ficam de fora.
    """
    notebook = copy.deepcopy(solution)
    notebook.cells = [cell for cell in notebook.cells if not is_solution_only(cell)]
    number = exercise_set(notebook.cells, name)
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown" and "colab.research.google.com/github/" in cell.source:
            notebook.cells[index] = notebooks.colab_badge_cell(f"exercises/{name}")
        elif cell.cell_type == "code":
            cell.source = strip_solutions(cell.source, f"{name}, célula {index}")
            cell.outputs = []
            cell.execution_count = None
    notebook = notebooks.normalize_notebook(notebook)
    notebook.metadata[METADATA_KEY] = {EXERCISE_SET_KEY: number}
    return notebook


def same_cells(first, second, with_alt=True):
    """True se os dois notebooks têm as mesmas células (tipo, código, tags e, com `with_alt`, o
    texto alternativo das figuras), ignorando as saídas."""

    def summary(notebook):
        return [
            (
                cell.cell_type,
                cell.source,
                cell.metadata.get("tags", []),
                with_alt and cell.metadata.get("alt"),
            )
            for cell in notebook.cells
        ]

    return summary(first) == summary(second)


# --- o código que solution() mostra --------------------------------------------------------
def solution_cells_by_exercise(notebook, name):
    """{id do exercício: código das células de solução que vêm antes da sua conferência}."""
    from gptlab_helpers.checks import EXERCISE_SETS

    exercises = {
        f"q{index}": exercise
        for index, exercise in enumerate(EXERCISE_SETS[exercise_set(notebook.cells, name)], 1)
    }
    result, pending = {}, []
    for cell in notebook.cells:
        if has_solution(cell):
            pending.append(without_markers(cell.source).strip("\n"))
        calls = CHECK_CALL.findall(cell.source) if cell.cell_type == "code" else []
        for variable, _ in calls:
            if variable not in exercises:
                raise ValueError(f"{name}: {variable}.check() não corresponde a nenhum exercício da aula")
            if not pending:
                raise ValueError(f"{name}: {variable}.check() não tem nenhum trecho de solução antes dele")
            result[exercises[variable].id] = "\n\n\n".join(pending)
            pending = []
    if pending:
        raise ValueError(f"{name}: há um trecho de solução depois da última conferência (qN.check())")
    return result


def solution_code_module(solutions, mode=AUTOSTUDY, deadline=None):
    """O texto de gptlab_helpers/checks/solution_code.py, já formatado pelo ruff.

    Em `mode` "turma" (a entrega de `gptlab-turma`) vai sem nenhuma solução, com o prazo
    `deadline` (texto, como "20/12/2026") que `solution()` mostra.
    """
    if mode != AUTOSTUDY:
        header = "Entrega da turma, feita por gptlab-turma: as soluções ficam fora até o prazo."
        solutions = {}
    else:
        header = "Gerado por scripts/make_exercises.py a partir de solutions/*.ipynb: não edite à mão."
    lines = [
        '"""Código das soluções, mostrado por `q1.solution()`.',
        "",
        header,
        '"""',
        "",
        f"MODE = {mode!r}  # autoestudo: soluções abertas; turma: fechadas até o prazo",
        f"DEADLINE = {deadline!r}",
        "SOLUTIONS = {",
    ]
    for exercise_id in sorted(solutions):
        lines.append(f"    {exercise_id!r}: {solutions[exercise_id]!r},")
    lines.append("}")
    return format_python("\n".join(lines) + "\n")


def format_python(text):
    """Formata com o ruff (mesma configuração do repositório), para o arquivo passar no CI."""
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    completed = subprocess.run(
        [ruff, "format", "--stdin-filename", str(SOLUTION_CODE_MODULE), "-"],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"o ruff não conseguiu formatar o código das soluções:\n{completed.stderr}")
    return completed.stdout


# --- o conjunto --------------------------------------------------------------------------
def sources():
    return notebooks.numbered_files(SOURCES_DIR, ".py")


def expected_files():
    """{caminho: conteúdo esperado} de tudo o que este script gera (soluções sem as saídas).

    Para as soluções, o valor é o notebook (compare com `same_cells`); para os exercícios e o
    módulo de código, o texto exato do arquivo.
    """
    files, solutions_code = {}, {}
    for source in sources():
        name = f"{source.stem}.ipynb"
        solution = solution_notebook(source)
        files[SOLUTIONS_DIR / name] = solution
        files[EXERCISES_DIR / name] = nbformat.writes(exercise_notebook(solution, name)) + "\n"
        solutions_code.update(solution_cells_by_exercise(solution, name))
    files[SOLUTION_CODE_MODULE] = solution_code_module(solutions_code)
    return files


def notebook_change(path, expected):
    """O que separa o notebook em `path` de `expected`, lido uma vez: None (nada), "alt" (só o
    texto alternativo das figuras, que se copia sem perder as saídas) ou "cells" (o resto)."""
    if not path.exists():
        return "cells"
    current = nbformat.read(str(path), as_version=4)
    if current.metadata.get(METADATA_KEY) != expected.metadata[METADATA_KEY]:
        return "cells"
    if not same_cells(current, expected, with_alt=False):
        return "cells"
    return None if same_cells(current, expected) else "alt"


def notebook_is_stale(path, expected):
    """True se o notebook em `path` não tem as células (com o alt) ou o metadado `gptlab` de `expected`."""
    return notebook_change(path, expected) is not None


def file_is_stale(path, expected):
    if isinstance(expected, str):
        return not path.exists() or path.read_text(encoding="utf-8") != expected
    return notebook_is_stale(path, expected)


def stale_files():
    """Os arquivos gerados que não correspondem às fontes (vazio = tudo em dia)."""
    return [path for path, expected in expected_files().items() if file_is_stale(path, expected)]


def write_all(execute=False, force=False, timeout=notebooks.DEFAULT_TIMEOUT):
    """Grava o que mudou e devolve os caminhos gravados; com `execute`, executa as soluções.

    Um notebook de soluções editado depois da sua fonte (no Jupyter, por exemplo) não é
    sobrescrito sem `force`: a edição se perderia.
    """
    written = []
    for path, expected in expected_files().items():
        change = (
            file_is_stale(path, expected) if isinstance(expected, str) else notebook_change(path, expected)
        )
        if not change:
            continue
        if isinstance(expected, str):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(expected, encoding="utf-8")
        elif change == "alt":
            notebooks.write_notebook(
                notebooks.copy_alt_texts(nbformat.read(path, as_version=4), expected), path
            )
        else:
            source = SOURCES_DIR / f"{path.stem}.py"
            if path.exists() and not force and path.stat().st_mtime > source.stat().st_mtime:
                raise SystemExit(
                    f"{path.relative_to(ROOT)} foi editado depois de {source.relative_to(ROOT)}: leve a mudança "
                    "para a fonte (é dela que saem a solução e o exercício) ou rode com --force para descartá-la"
                )
            notebooks.write_notebook(expected, path)
        written.append(path)
    if execute:
        for path in sorted(SOLUTIONS_DIR.glob("*.ipynb")):
            seconds = notebooks.execute_notebook(path, timeout)
            print(f"executado {path.relative_to(ROOT)} em {seconds:.1f} s", flush=True)
    return written


def main(argv=None):
    parser = PortugueseParser(
        description="Gera solutions/ e exercises/ a partir de scripts/solution_sources/."
    )
    parser.add_argument("--execute", action="store_true", help="executa as soluções depois de gerá-las")
    parser.add_argument("--check", action="store_true", help="só confere se os arquivos gerados estão em dia")
    parser.add_argument(
        "--force", action="store_true", help="regrava as soluções mesmo se foram editadas depois da fonte"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"desatualizado: {path.relative_to(ROOT)}")
        if stale:
            raise SystemExit("rode: python scripts/make_exercises.py --execute")
        print("solutions/, exercises/ e solution_code.py estão em dia")
        return
    written = write_all(execute=args.execute, force=args.force)
    for path in written:
        print(f"gravado {path.relative_to(ROOT)}")
    if not args.execute and any(path.parent == SOLUTIONS_DIR for path in written):
        print("as soluções gravadas estão sem saídas: rode de novo com --execute")


if __name__ == "__main__":
    main()
