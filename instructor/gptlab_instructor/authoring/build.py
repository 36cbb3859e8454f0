"""Gera e executa os notebooks do GPTLab: o único comando para reconstruí-los.

Uso (na raiz do repositório):

    python scripts/build_notebooks.py                # aulas, exercícios e soluções
    python scripts/build_notebooks.py --only 03 05   # só as aulas (e soluções) 03 e 05
    python scripts/build_notebooks.py --no-execute   # só gera, sem executar
    python scripts/build_notebooks.py --alt-only     # só o texto alternativo das figuras
    python -m gptlab_instructor.authoring.build ...     # o mesmo

Cada notebook de aula nasce de um arquivo `scripts/notebook_sources/NN_nome.py` no formato
"percent" do jupytext: as células são separadas por linhas `# %%` (código) e `# %% [markdown]`
(texto, com cada linha começando por `# `). Este módulo põe depois do título o selo "Abrir no
Colab" e a célula de preparação (`SETUP_TEMPLATE`, `setup_cell()`), executa o notebook com o
nbclient e grava o resultado sem metadados voláteis: rodar duas vezes sem mudar nada produz o
mesmo arquivo, byte a byte.

O que todos os notebooks gerados têm em comum fica em `notebooks.py`. Depois das aulas,
`exercises.write_all()` escreve `exercises/NN_*.ipynb` e
`solutions/NN_*.ipynb`; cada `solutions/*.ipynb` é então executado aqui (os de `exercises/`
ficam sem executar, pois têm lacunas para o aluno).

Código só de quem mantém o material (precisa do repositório inteiro, não vai para o Colab).
"""

import os
import time
from pathlib import Path

import nbformat

from gptlab_helpers.core.cli import PortugueseParser

from . import exercises
from .notebooks import (
    DEFAULT_TIMEOUT,
    NOTEBOOKS_DIR,
    ROOT,
    SOLUTIONS_DIR,
    SOURCES_DIR,
    copy_alt_texts,
    execute_notebook,
    new_notebook,
    numbered_files,
    selected,
    source_notebook_cells,
    with_title_badge_and_setup,
    write_notebook,
)


def lesson_sources():
    """Os arquivos-fonte das aulas, em ordem: scripts/notebook_sources/NN_nome.py."""
    return numbered_files(SOURCES_DIR, ".py")


def lesson_cells(source_path):
    """As células de uma aula: título, selo do Colab, preparação e o resto do arquivo-fonte."""
    source_path = Path(source_path)
    cells = source_notebook_cells(source_path.read_text(encoding="utf-8"), source_path.name)
    return with_title_badge_and_setup(cells, f"notebooks/{source_path.stem}.ipynb")


def build_lesson_notebook(source_path):
    """Monta (sem executar) o notebook de aula que corresponde a `source_path`."""
    return new_notebook(lesson_cells(source_path))


def build_lessons(only, execute, timeout):
    """Gera (e executa) os notebooks de aula; devolve {caminho: segundos de execução}."""
    sources = selected(lesson_sources(), only)
    if not sources:
        raise SystemExit(f"nenhuma aula corresponde a --only {' '.join(only)}; veja {SOURCES_DIR}")
    timings = {}
    for source in sources:
        path = NOTEBOOKS_DIR / f"{source.stem}.ipynb"
        print(f"gerando {path.relative_to(ROOT)} a partir de {source.relative_to(ROOT)}", flush=True)
        write_notebook(build_lesson_notebook(source), path)
        if execute:
            timings[path] = execute_notebook(path, timeout)
            print(f"  executado em {timings[path]:.1f} s", flush=True)
    return timings


def sync_alt_texts(only):
    """Copia o `alt` das fontes para os notebooks de aula já gravados, sem executar nada.

    Serve quando só o texto alternativo de uma figura mudou: as saídas ficam como estão. As
    soluções não precisam disto: `exercises.write_all` já copia o alt sem perder as saídas.
    Recusa um notebook cujas células não batem com a fonte (aí é preciso gerá-lo de novo).
    """
    for source in selected(lesson_sources(), only):
        path = NOTEBOOKS_DIR / f"{source.stem}.ipynb"
        saved = nbformat.read(path, as_version=4)
        try:
            copy_alt_texts(saved, build_lesson_notebook(source))
        except ValueError:
            raise SystemExit(
                f"{path.relative_to(ROOT)} não bate com {source.name}: gere-o de novo (--only)"
            ) from None
        write_notebook(saved, path)
        print(f"alt atualizado em {path.relative_to(ROOT)}")


def has_outputs(path):
    """True se alguma célula de código do notebook em `path` tem saída."""
    notebook = nbformat.read(path, as_version=4)
    return any(cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code")


def build_exercises(only, execute, timeout):
    """Gera exercises/ e solutions/ (veja `exercises.py`) e executa as soluções.

    Executa as soluções de `only` e também toda solução regravada agora sem saídas (a fonte
    dela mudou), mesmo fora de `only`, para não ficar assim. Uma solução em que só o alt de uma
    figura mudou guarda as saídas e não precisa rodar.
    """
    print("gerando exercises/ e solutions/", flush=True)
    written = exercises.write_all()
    for path in written:
        print(f"gravado {path.relative_to(ROOT)}")
    rewritten = {path for path in written if path.parent == SOLUTIONS_DIR and not has_outputs(path)}
    timings = {}
    if execute:
        for path in sorted(set(selected(sorted(SOLUTIONS_DIR.glob("*.ipynb")), only)) | rewritten):
            print(f"executando {path.relative_to(ROOT)}", flush=True)
            timings[path] = execute_notebook(path, timeout)
            print(f"  executado em {timings[path]:.1f} s", flush=True)
    return timings


def parse_args(argv):
    parser = PortugueseParser(
        description="Gera e executa os notebooks do GPTLab (aulas, exercícios e soluções)."
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="PREFIXO",
        help="só os notebooks cujo nome começa com estes prefixos (ex.: --only 03 05)",
    )
    parser.add_argument("--no-execute", action="store_true", help="só gera os notebooks, sem executá-los")
    parser.add_argument("--skip-exercises", action="store_true", help="não gera exercises/ nem solutions/")
    parser.add_argument(
        "--alt-only", action="store_true", help="só copia o texto alternativo das figuras, sem executar"
    )
    parser.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT, help="limite de segundos por célula")
    return parser.parse_args(argv)


def busy_machine_warning(load=None, cores=None):
    """Um aviso (ou None) quando a CPU já está ocupada antes de executar as aulas.

    Algumas saídas gravadas são medidas de tempo (a 11 cronometra um passo, a 13b corre por
    45 s): com a CPU disputada elas saem infladas, e a prosa ao lado deixa de valer.
    """
    load = os.getloadavg()[0] if load is None else load
    cores = (os.cpu_count() or 1) if cores is None else cores
    if load <= cores / 2:
        return None
    return (
        f"aviso: a máquina já está ocupada (carga {load:.1f} em {cores} núcleos); as medidas de tempo "
        "gravadas nas aulas vão sair infladas. Feche os outros programas pesados e rode de novo."
    )


def main(argv=None):
    args = parse_args(argv)
    if args.alt_only:
        return sync_alt_texts(args.only)
    execute = not args.no_execute
    warning = busy_machine_warning() if execute else None
    if warning:
        print(warning, flush=True)
    start = time.perf_counter()
    timings = build_lessons(args.only, execute, args.timeout)
    if not args.skip_exercises:
        timings.update(build_exercises(args.only, execute, args.timeout))
    if timings:
        slowest = max(timings, key=timings.get)
        print(f"mais lento: {slowest.relative_to(ROOT)} ({timings[slowest]:.1f} s)")
    print(f"pronto em {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
