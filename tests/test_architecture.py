"""A arquitetura do repositório, conferida: o grafo de imports, o tamanho das funções, o que o aluno instala.

O grafo é lido do código (ast), com os imports de dentro das funções também: um import tardio
esconde um ciclo do Python, não do leitor.
"""

import ast
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from gptlab_helpers.core.cli import describe_default
from gptlab_helpers.presets import size_preset
from gptlab_helpers.training.cli import build_parser, train_settings
from gptlab_helpers.training.settings import command_line_fields

ROOT = Path(__file__).resolve().parents[1]
PACKAGE_DIRS = {
    "gptlab_helpers": ROOT / "gptlab_helpers",
    "gptlab_instructor": ROOT / "instructor" / "gptlab_instructor",
}
MAX_FUNCTION_LINES = 60
STUDENT_FORBIDDEN = {"transformers", "playwright", "nbval", "pytest", "jupyterlab", "gptlab-instructor"}
# As pastas do pacote do aluno que um módulo de aula (na raiz, com "Aula NN" na docstring) não importa.
LATER_LAYERS = ("variants", "training", "viz", "checks")


def package_modules():
    """{nome do módulo: (caminho, é pacote)} de gptlab_helpers e gptlab_instructor."""
    modules = {}
    for package, folder in PACKAGE_DIRS.items():
        for path in folder.rglob("*.py"):
            parts = [package, *path.relative_to(folder).with_suffix("").parts]
            is_package = parts[-1] == "__init__"
            modules[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return modules


MODULES = package_modules()


def imported_modules(name, modules=MODULES):
    """Os módulos do projeto que `name` importa, em qualquer lugar do arquivo."""
    path, is_package = modules[name]
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                found.add(submodule if submodule in modules else target)
    return {target for target in found if target in modules and target != name}


def import_graph(modules=MODULES):
    return {name: imported_modules(name, modules) for name in modules}


def find_cycle(graph):
    """Um ciclo do grafo (lista de módulos, o primeiro repetido no fim) ou None."""
    state = {}

    def visit(node, path):
        state[node] = "aberto"
        for target in sorted(graph[node]):
            if state.get(target) == "aberto":
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target, [*path, target])):
                return cycle
        state[node] = "fechado"
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node, [node])):
            return cycle
    return None


def lesson_number(name, modules=MODULES):
    """A aula de um módulo da raiz de gptlab_helpers ("Aula 05" ou "Aulas 02 e 03" -> 2), ou None."""
    path, is_package = modules[name]
    if is_package or name.count(".") != 1:
        return None
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    match = re.match(r"Aulas? (\d+)", docstring)
    return int(match.group(1)) if match else None


def order_violations(graph, modules=MODULES):
    """As frases que descrevem cada import de um módulo de aula que olha para a frente."""
    problems = []
    for name, targets in graph.items():
        lesson = lesson_number(name, modules)
        if lesson is None:
            continue
        for target in sorted(targets):
            later = lesson_number(target, modules)
            if later is not None and later > lesson:
                problems.append(f"{name} (aula {lesson}) importa {target} (aula {later})")
            if target.split(".")[1:2] and target.split(".")[1] in LATER_LAYERS:
                problems.append(f"{name} (aula {lesson}) importa {target}, de uma camada posterior")
    return problems


def test_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_lessons_never_import_a_later_lesson_or_layer():
    numbered = [name for name in MODULES if lesson_number(name) is not None]
    assert len(numbered) >= 8, numbered  # a docstring "Aula NN" continua lá
    assert order_violations(import_graph()) == []


def test_student_package_never_imports_the_instructor_package():
    graph = import_graph()
    leaks = {
        name: sorted(t for t in targets if t.startswith("gptlab_instructor"))
        for name, targets in graph.items()
        if name.startswith("gptlab_helpers")
    }
    assert {name: targets for name, targets in leaks.items() if targets} == {}
    text = "\n".join(
        path.read_text(encoding="utf-8") for path in PACKAGE_DIRS["gptlab_helpers"].rglob("*.py")
    )
    assert not re.search(
        r"import_module\(\s*[\"']gptlab_instructor|[\"']-m[\"'],\s*[\"']gptlab_instructor", text
    )


def write_module(folder, name, source):
    path = folder / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    return path


def test_the_graph_checks_catch_a_cycle_and_a_lesson_looking_ahead(tmp_path):
    """As funções acima falham quando devem: um ciclo por import tardio e a aula 02 importando a 05."""
    early = write_module(tmp_path, "early", '"""Aula 02: cedo."""\ndef f():\n    from pkg import late\n')
    late = write_module(tmp_path, "late", '"""Aula 05: tarde."""\nfrom pkg import early\n')
    modules = {"pkg.early": (early, False), "pkg.late": (late, False)}
    graph = import_graph(modules)
    assert find_cycle(graph) == ["pkg.early", "pkg.late", "pkg.early"]
    assert order_violations(graph, modules) == ["pkg.early (aula 2) importa pkg.late (aula 5)"]


def test_train_is_the_function_whatever_was_imported_before():
    """Importa todos os submódulos (menos os __main__, que rodam) e só depois `from gptlab_helpers import train`."""
    code = (
        "import inspect, pkgutil, importlib, gptlab_helpers\n"
        "for info in pkgutil.walk_packages(gptlab_helpers.__path__, 'gptlab_helpers.'):\n"
        "    if not info.name.endswith('__main__'):\n"
        "        importlib.import_module(info.name)\n"
        "from gptlab_helpers import train\n"
        "assert inspect.isfunction(train), train\n"
        "import gptlab_helpers.training as t\n"
        "assert t.train is train\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def long_functions(folder, limit=MAX_FUNCTION_LINES):
    found = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > limit:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} linhas)")
    return found


def test_no_function_over_60_lines_in_the_student_package():
    assert long_functions(PACKAGE_DIRS["gptlab_helpers"]) == []


def requirement_names(lines):
    names = set()
    for line in lines:
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\s<>=!~;\[@]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


def dependency_closure(distribution):
    """Todas as distribuições que `pip install distribution` instala (sem extras), pelo metadado instalado."""
    seen, pending = set(), [distribution]
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        pending += [next(iter(requirement_names([r]))) for r in requires if "extra ==" not in r]
    return seen - {distribution}


def test_a_colab_install_pulls_no_test_benchmark_or_instructor_tool():
    """O Colab instala o pacote do aluno (pyproject) e as aulas, `requirements.txt`: nada disso traz as ferramentas."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "optional-dependencies" not in pyproject["project"]
    declared = requirement_names(pyproject["project"]["dependencies"])
    assert declared & STUDENT_FORBIDDEN == set()
    closure = dependency_closure("gptlab-helpers")
    assert closure & STUDENT_FORBIDDEN == set(), closure & STUDENT_FORBIDDEN
    assert {"torch", "tiktoken"} <= closure  # o metadado instalado foi mesmo lido
    student = requirement_names((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    assert student & (STUDENT_FORBIDDEN - {"jupyterlab"}) == set()  # o aluno fora do Colab abre o JupyterLab
    assert "-e ./instructor" not in (ROOT / "requirements.txt").read_text(encoding="utf-8")


def test_one_python_floor_everywhere():
    floors = {
        path: tomllib.loads((ROOT / path).read_text(encoding="utf-8"))["project"]["requires-python"]
        for path in ("pyproject.toml", "instructor/pyproject.toml")
    }
    assert set(floors.values()) == {">=3.11"}, floors
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    stated = set(re.findall(r"Python (3\.\d+) ou mais recente", readme))
    assert stated == {"3.11"}, stated
    assert not re.search(r"Python ≥ ?3\.(?!11)\d+|python_requires", readme)
    assert sys.version_info >= (3, 11)


def shown_help(field):
    """O texto que a ajuda do gptlab-train mostra para a opção de um campo de TrainSettings."""
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == field.name)
    return parser._get_formatter()._get_help_string(action)


@pytest.mark.parametrize("field", [item for item, _ in command_line_fields()], ids=lambda item: item.name)
def test_cli_help_shows_the_defaults_a_run_really_uses(field):
    """Sem opções, o TrainSettings que o gptlab-train monta tem, em cada campo, o padrão que a ajuda mostra."""
    settings = train_settings(build_parser().parse_args([]), accum=1, device="cpu", bf16=False)
    used = getattr(settings, field.name)
    match = re.search(r"\(padrão: ([^,)]*(?:,\d+)?)", shown_help(field))
    if field.name == "learning_rate":
        assert match.group(1) == "a do tamanho escolhido"
        assert used == size_preset(build_parser().get_default("size"))["learning_rate"]
    elif used is None:
        assert match is None, (field.name, match.group(0))
    else:
        number = format(used, ",d").replace(",", ".") if isinstance(used, int) else describe_default(used)
        assert match.group(1) == number, (field.name, match.group(1), used)
