"""A entrega de uma turma: os exercícios e o pacote, sem nenhuma resposta (`gptlab-turma`).

O material tem dois modos, com uma fonte só (`scripts/solution_sources/`):

- **autoestudo**, o repositório como está: `qN.hint()` e `qN.solution()` abertos, `solutions/`
  ao lado dos exercícios;
- **turma**, a pasta que este comando monta para os alunos de uma turma avaliada:

      gptlab-turma SAIDA --repositorio DONO/NOME [--ramo main] [--prazo 2026-12-20] [--listas 06 07]

  SAIDA/ tem `exercises/NN_*.ipynb` (refeitos agora das soluções), o pacote `gptlab_helpers/`
  com `solution_code.py` sem nenhuma solução (`solution()` diz quando ela abre),
  `pyproject.toml` e `requirements.txt` para instalar, `docs/` (convenções e glossário),
  um README.md para o aluno e `MANIFESTO.json` com o sha256 de cada arquivo e de cada célula de
  conferência. `--repositorio` é onde o instrutor vai publicar a pasta: o selo do Colab e a
  célula de preparação passam a apontar para lá (o repositório do curso tem as soluções).

Antes de gravar, o comando confere que cada solução está em dia com a fonte e que cada
conferência dela deu certo nas saídas gravadas (o nbval do CI garante que elas são atuais);
depois de montar, procura na pasta o código de cada trecho de solução. Qualquer problema é
um erro em português e nada é gravado: a pasta é montada num temporário e só no fim trocada
de lugar, e uma SAIDA que já existe e não está vazia nunca é sobrescrita.

Os casos ocultos do corretor (`gptlab_instructor.grading.hidden`) não entram: eles ficam no
pacote do instrutor, que a entrega não leva.
"""

import datetime
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from gptlab_helpers.checks.base import CLASS_MODE
from gptlab_helpers.checks.conventions import CHECK_CALL, LESSON_IMPORT_LINE, LESSONS
from gptlab_helpers.checks.status import EXERCISE_LABELS, ExerciseStatus
from gptlab_helpers.core.cli import PortugueseParser, UsageError, run_command

from . import exercises, notebooks, repository

ROOT = notebooks.ROOT
PACKAGE = "gptlab_helpers"
STUDENT_FILES = ("requirements.txt", "docs/convencoes.md", "docs/glossario.md")
MANIFEST = "MANIFESTO.json"
ACCEPTED = {ExerciseStatus.CORRECT, ExerciseStatus.REVIEW}  # uma resposta aberta espera o instrutor
RESULT_LINE = re.compile(r"^\[(\d\d\.\d+)\] (.+?) \(")
LABEL_STATUS = {label: status for status, (label, _) in EXERCISE_LABELS.items()}
INLINE_CODE = re.compile(r"`([^`]+)`")  # o código que o enunciado mostra no meio do texto
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints")


class ReleaseError(UsageError):
    """A entrega não pode ser feita: a mensagem diz o que está errado e o que fazer."""


# --- antes: as soluções estão em dia e certas? -----------------------------------------------
def source_of(exercise_set):
    """scripts/solution_sources/NN_*.py da lista `exercise_set`."""
    found = sorted(exercises.SOURCES_DIR.glob(f"{exercise_set}_*.py"))
    if not found:
        known = ", ".join(LESSONS)
        raise ReleaseError(f"não há lista de exercícios {exercise_set}; as listas são {known}")
    return found[0]


def check_outcomes(notebook):
    """[(id, situação ou None, texto)] da saída de cada célula `qN.check()` do notebook."""
    outcomes = []
    for cell in notebook.cells:
        if cell.cell_type != "code" or not CHECK_CALL.search(cell.source):
            continue
        text = "\n".join(
            output.get("text", "") or output.get("data", {}).get("text/plain", "")
            for output in cell.get("outputs", [])
        )
        match = RESULT_LINE.search(text.strip())
        status = LABEL_STATUS.get(match.group(2)) if match else None
        outcomes.append((match.group(1) if match else "?", status, text.strip()))
    return outcomes


def solution_problems(exercise_set):
    """O que impede a entrega da lista: solução desatualizada, sem saídas ou com conferência errada."""
    source = source_of(exercise_set)
    path = exercises.SOLUTIONS_DIR / f"{source.stem}.ipynb"
    expected = exercises.solution_notebook(source)
    if exercises.notebook_is_stale(path, expected):
        return [
            f"solutions/{path.name} não está em dia com scripts/solution_sources/{source.name}; "
            "rode python scripts/make_exercises.py --execute"
        ]
    problems = []
    for key, status, text in check_outcomes(nbformat.read(path, as_version=4)):
        if status is None:
            problems.append(
                f"solutions/{path.name}: uma conferência ({key}) não tem saída; "
                "rode python scripts/make_exercises.py --execute"
            )
        elif status not in ACCEPTED:
            first = text.splitlines()[0] if text else ""
            problems.append(f"solutions/{path.name}: a conferência da solução falha: {first}")
    return problems


# --- a pasta -------------------------------------------------------------------------------------
def sha256(data):
    return hashlib.sha256(data if isinstance(data, bytes) else data.encode("utf-8")).hexdigest()


def release_notebook(exercise_set, url, branch):
    """(nome, texto do notebook de exercícios) da lista, refeito da solução para o repositório da turma."""
    source = source_of(exercise_set)
    name = f"{source.stem}.ipynb"
    notebook = exercises.exercise_notebook(exercises.solution_notebook(source), name)
    text = nbformat.writes(notebook) + "\n"
    return name, repository.rewrite_notebook(text, f"exercises/{name}", url, branch)


def check_cell_digests(notebook):
    """[{celula, exercicios, sha256}] das células que conferem (qN.check()) ou importam as conferências."""
    cells = []
    for position, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        calls = [variable for variable, _ in CHECK_CALL.findall(cell.source)]
        if calls or LESSON_IMPORT_LINE.search(cell.source):
            cells.append({"celula": position, "confere": calls, "sha256": sha256(cell.source)})
    return cells


def solution_regions():
    """{id: código} de cada trecho de solução de todas as listas (o que `solution()` mostraria)."""
    regions = {}
    for source in exercises.sources():
        solution = exercises.solution_notebook(source)
        regions.update(exercises.solution_cells_by_exercise(solution, f"{source.stem}.ipynb"))
    return regions


def normalised_lines(text):
    """As linhas de código de `text` sem espaços nas pontas, sem as vazias e sem os comentários."""
    lines = (line.split("  #", 1)[0].strip() for line in text.splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def public_lines():
    """As linhas que o aluno já vê sem a solução: o código das aulas e o enunciado dos exercícios.

    Inclui o pacote fora de `checks/`: a LayerNorm da aula 02 é a resposta do exercício 02.1
    escrita de outro jeito, e `gptlab_helpers.attention.MultiHeadAttention` a do 06.1; o
    GPTModel usa as duas, e as conferências recusam a classe pronta do pacote como resposta
    (`answers.student_class`). O que não pode ir para a turma é o que só a solução tem.
    """
    seen = set()
    for path in notebooks.numbered_files(ROOT / "scripts" / "notebook_sources", ".py"):
        seen |= normalised_lines(path.read_text(encoding="utf-8"))
    for path in sorted((ROOT / PACKAGE).rglob("*.py")):  # o modelo que as aulas importam
        if "checks" not in path.relative_to(ROOT / PACKAGE).parts:
            seen |= normalised_lines(path.read_text(encoding="utf-8"))
    for source in exercises.sources():
        for kind, text in statement_cells(source):
            seen |= set(INLINE_CODE.findall(text)) if kind == "markdown" else normalised_lines(text)
    return seen


def statement_cells(source):
    """[(tipo, texto)] do enunciado da lista: as células sem as só da solução (tag `solucao`) e
    com cada trecho de solução tirado. É o que o aluno lê antes de resolver."""
    cells = []
    for cell in exercises.solution_notebook(source).cells:
        if exercises.is_solution_only(cell):
            continue
        text = cell.source if cell.cell_type == "markdown" else exercises.strip_solutions(cell.source)
        cells.append((cell.cell_type, text))
    return cells


def answer_lines(regions, public=None):
    """{id: linhas que só a solução tem}: marcantes (20 caracteres ou mais) e fora de `public_lines()`.

    As assinaturas que o esqueleto do exercício mantém (`class MultiHeadAttention(nn.Module):`)
    também são públicas: o aluno as recebe com o corpo `NotImplementedError`.
    """
    public = public_lines() if public is None else public
    answers = {}
    for key, code in regions.items():
        given = public | normalised_lines(exercises.placeholder(code, ""))  # assinaturas do esqueleto
        answers[key] = sorted(
            line for line in normalised_lines(code) if len(line) >= 20 and line not in given
        )
    return answers


def leaked_solutions(folder, answers):
    """[(arquivo, id, linha)] de cada linha de `answers` (de `answer_lines`) achada num arquivo de `folder`."""
    found = []
    for path in sorted(Path(folder).rglob("*")):
        if not path.is_file() or path.suffix not in {".py", ".ipynb", ".md", ".json", ".toml", ".txt"}:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if path.suffix == ".ipynb":  # o código das células, não o JSON com as aspas escapadas
            notebook = nbformat.reads(text, as_version=4)
            text = "\n".join(cell.source for cell in notebook.cells)
        lines = normalised_lines(text)
        for key, wanted in sorted(answers.items()):
            found += [(str(path.relative_to(folder)), key, line) for line in wanted if line in lines]
    return found


def student_readme(url, branch, deadline, lists):
    """O README.md da entrega: o que o aluno faz, em português."""
    deadline_line = f"- **Prazo:** {deadline}.\n" if deadline else ""
    names = ", ".join(lists)
    return f"""# Exercícios do GPTLab (turma)

Esta pasta é a lista de exercícios da sua turma: os notebooks das listas {names} em
`exercises/` e o pacote `gptlab_helpers`, que as conferências usam.

{deadline_line}- **No Colab:** abra o notebook pelo selo "Abrir no Colab" no topo dele; a primeira célula
  instala o pacote a partir de {url} (ramo `{branch}`).
- **No seu computador:** `python -m pip install -r requirements.txt` e depois
  `python -m jupyter lab exercises/`.

Em cada exercício, `qN.check()` confere a sua resposta na hora e `qN.hint()` dá uma dica (o
pedido fica registrado no notebook, e o instrutor fica sabendo; não muda a nota, a não ser que
ele avise o contrário). `qN.solution()` fica fechada até o prazo. Na correção, o instrutor
também confere cada exercício de código com outras entradas e sementes: escreva código que
funcione em geral, não só para a entrada da conferência.

Entregue o notebook `.ipynb` salvo, com as suas respostas. Não mude as células `qN.check()`.
"""


def manifest(folder, commit, deadline, url, branch, lists, notebooks_by_set):
    """O MANIFESTO.json: de onde a entrega veio, o sha256 de cada arquivo e de cada célula de conferência."""
    files = {
        str(path.relative_to(folder)): sha256(path.read_bytes())
        for path in sorted(Path(folder).rglob("*"))
        if path.is_file()
    }
    return {
        "modo": CLASS_MODE,
        "criado_em": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit_do_curso": commit,
        "repositorio": url,
        "ramo": branch,
        "prazo": deadline,
        "listas": {
            exercise_set: {
                "notebook": f"exercises/{name}",
                "celulas_de_conferencia": check_cell_digests(notebook),
            }
            for exercise_set, (name, notebook) in notebooks_by_set.items()
            if exercise_set in lists
        },
        "arquivos": files,
    }


def current_commit():
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return None
    return completed.stdout.strip()


def parse_deadline(text):
    """'2026-12-20' -> '20/12/2026' (como o aluno lê); None fica None."""
    if text is None:
        return None
    try:
        return datetime.date.fromisoformat(text).strftime("%d/%m/%Y")
    except ValueError:
        raise ReleaseError(
            f"prazo {text!r} inválido: escreva a data como AAAA-MM-DD, por exemplo 2026-12-20"
        ) from None


def check_output_folder(output):
    output = Path(output)
    if output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise ReleaseError(
            f"{output} já existe e não está vazia; escolha outra pasta (a entrega nunca sobrescreve nada)"
        )
    inside = output.resolve()
    if inside == ROOT or ROOT in inside.parents and inside.parts[len(ROOT.parts)] in {PACKAGE, "exercises"}:
        raise ReleaseError(f"{output} fica dentro do pacote ou dos exercícios do curso; escolha outra pasta")
    return output


def build_release(output, repository_name, branch="main", deadline=None, lists=LESSONS, stream=None):
    """Monta a entrega da turma em `output` e devolve o manifesto. Levanta ReleaseError sem gravar nada."""
    stream = stream or sys.stdout
    output = check_output_folder(output)
    try:
        url = repository.parse_repository(repository_name)
        branch = repository.check_branch(branch)
    except ValueError as exc:
        raise ReleaseError(str(exc)) from None
    deadline = parse_deadline(deadline)
    lists = tuple(dict.fromkeys(item.zfill(2) for item in lists))
    problems = [problem for exercise_set in lists for problem in solution_problems(exercise_set)]
    if problems:
        raise ReleaseError(
            "a entrega da turma não foi feita, porque as soluções precisam estar certas antes:\n- "
            + "\n- ".join(problems)
        )
    output.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))
    try:
        result = assemble(scratch, url, branch, deadline, lists)
        if output.exists():
            output.rmdir()  # vazia (conferido acima)
        os.replace(scratch, output)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"entrega da turma gravada em {output}: listas {', '.join(lists)}", file=stream)
    print(
        f"publique a pasta em {url} (ramo {branch}); as soluções ficam no repositório do curso", file=stream
    )
    return result


def assemble(folder, url, branch, deadline, lists):
    """Grava tudo em `folder` (um temporário) e confere que nenhuma solução foi junto."""
    shutil.copytree(ROOT / PACKAGE, folder / PACKAGE, ignore=IGNORED)
    (folder / PACKAGE / "checks" / "solution_code.py").write_text(
        exercises.solution_code_module({}, mode=CLASS_MODE, deadline=deadline), encoding="utf-8"
    )
    for relative in STUDENT_FILES:
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, folder / relative)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (folder / "pyproject.toml").write_text(
        repository.rewrite_pyproject(pyproject, url, branch), encoding="utf-8"
    )
    (folder / "README.md").write_text(student_readme(url, branch, deadline, lists), encoding="utf-8")
    (folder / "exercises").mkdir()
    written = {}
    for exercise_set in lists:
        name, text = release_notebook(exercise_set, url, branch)
        (folder / "exercises" / name).write_text(text, encoding="utf-8")
        written[exercise_set] = (name, nbformat.reads(text, as_version=4))
    leaks = leaked_solutions(folder, answer_lines(solution_regions()))
    if leaks:
        where = "; ".join(f"{key} em {path} ({line!r})" for path, key, line in leaks[:5])
        raise ReleaseError(f"a entrega levaria código de solução ({where}); nada foi gravado")
    data = manifest(folder, current_commit(), deadline, url, branch, lists, written)
    (folder / MANIFEST).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return data


def build_parser():
    parser = PortugueseParser(
        prog="gptlab-turma",
        description=(
            "Monta a entrega de uma turma avaliada: os notebooks de exercícios e o pacote gptlab_helpers "
            "sem as soluções, com o MANIFESTO.json das células de conferência."
        ),
        epilog="O repositório do curso (o seu) continua com tudo: soluções, casos ocultos e corretor.",
    )
    parser.add_argument(
        "output", metavar="SAIDA", help="pasta nova para a entrega (não pode existir com arquivos)"
    )
    parser.add_argument(
        "--repositorio",
        metavar="DONO/NOME",
        required=True,
        help="o repositório do GitHub onde a turma vai receber a pasta (o Colab instala o pacote de lá)",
    )
    parser.add_argument("--ramo", default="main", help="o ramo desse repositório")
    parser.add_argument("--prazo", metavar="AAAA-MM-DD", help="o prazo que solution() mostra ao aluno")
    parser.add_argument(
        "--listas", metavar="NN", nargs="+", default=list(LESSONS), help="as listas de exercícios da entrega"
    )
    return parser


def main(argv=None):
    """O comando `gptlab-turma`: 0 gravou a entrega, 2 erro (nada gravado)."""
    args = build_parser().parse_args(argv)

    def release():
        build_release(args.output, args.repositorio, args.ramo, args.prazo, args.listas)
        return 0

    return run_command("gptlab-turma", release, usage_errors=(ReleaseError,))


if __name__ == "__main__":
    sys.exit(main())
