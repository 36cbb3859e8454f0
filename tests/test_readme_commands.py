"""Os comandos do README para instrutores existem e aceitam as opções escritas lá.

O bloco "Do clone às notas no Moodle" é o caminho de uma turma: cada linha `gptlab-turma` e
`gptlab-grade` dele passa pelo parser do comando de verdade (uma opção renomeada no código
faz este teste falhar). `tests/test_release.py` executa a linha do `gptlab-turma`.

Os comandos do site (bloco entre `comandos-do-site`) passam pelo `main` de verdade, com o build
trocado por um gravador, e o workflow do GitHub Pages tem de construir com a mesma linha do README.
"""

import re
import shlex
import tomllib
from pathlib import Path

import pytest
from gptlab_instructor.authoring import release
from gptlab_instructor.grading import cli

ROOT = Path(__file__).resolve().parents[1]
PARSERS = {"gptlab-turma": release.build_parser, "gptlab-grade": cli.build_parser}


def walkthrough_commands():
    """As linhas de comando (sem os comentários) do bloco "Do clone às notas no Moodle"."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Do clone às notas no Moodle") :]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line and not line.startswith("#")]


def readme_command(program):
    """argv (sem o nome do programa) da linha de `program` no caminho da turma."""
    lines = [shlex.split(line) for line in walkthrough_commands() if line.startswith(program + " ")]
    assert len(lines) == 1, program
    return lines[0][1:]


def test_the_walkthrough_has_install_release_and_grading():
    commands = walkthrough_commands()
    assert (
        commands[0].startswith("git clone ") and "python -m pip install -r requirements-dev.txt" in commands
    )
    assert [line.split()[0] for line in commands if line.startswith("gptlab-")] == [
        "gptlab-turma",
        "gptlab-grade",
    ]


@pytest.mark.parametrize("program", sorted(PARSERS))
def test_each_walkthrough_command_parses_with_the_real_parser(program):
    args = PARSERS[program]().parse_args(readme_command(program))
    assert args is not None


def test_the_programs_are_installed_by_the_instructor_package():
    scripts = tomllib.loads((ROOT / "instructor" / "pyproject.toml").read_text(encoding="utf-8"))["project"][
        "scripts"
    ]
    assert set(PARSERS) <= set(scripts)


def test_a_misspelled_option_is_refused_in_portuguese(capsys):
    with pytest.raises(SystemExit) as error:
        release.build_parser().parse_args(["saida", "--repositorio", "a/b", "--prazoo", "2026-12-20"])
    assert error.value.code == 2
    assert "erro: argumentos desconhecidos: --prazoo" in capsys.readouterr().err


def site_commands():
    """As linhas `python scripts/build_site.py ...` do bloco de comandos do site no README."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index("<!-- comandos-do-site:inicio -->") : text.index("<!-- comandos-do-site:fim -->")]
    lines = [
        line.split("#")[0].strip()
        for line in re.search(r"```bash\n(.*?)```", block, re.S).group(1).splitlines()
    ]
    return [line for line in lines if line.startswith("python scripts/build_site.py")]


def test_each_site_command_reaches_build_site_with_its_options(monkeypatch, tmp_path):
    from gptlab_instructor.site import build

    calls = []
    monkeypatch.setattr(build, "build_site", lambda output, sources, solutions: calls.append(solutions) or [])
    monkeypatch.setattr(build, "site_pages", lambda folder: [])
    for line in site_commands():
        assert build.main(shlex.split(line)[2:]) == 0
    assert calls == [True, False]  # o site completo e o --sem-solucoes, nesta ordem


def test_the_pages_workflow_builds_with_the_readme_command():
    yaml = pytest.importorskip("yaml")
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "site.yml").read_text(encoding="utf-8"))
    triggers = workflow[True]  # o YAML 1.1 lê a chave `on` como True
    assert triggers["push"]["branches"] == ["main"] and "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build_steps = workflow["jobs"]["build"]["steps"]
    runs = [step["run"] for step in build_steps if "build_site.py" in step.get("run", "")]
    assert runs == [site_commands()[0]]
    assert "python -m pip install -r requirements-dev.txt" in [step.get("run") for step in build_steps]
    python = next(step for step in build_steps if step.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["python-version"] == "3.11"
    upload = next(
        step for step in build_steps if step.get("uses", "").startswith("actions/upload-pages-artifact")
    )
    assert upload["with"]["path"] == "build/site"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["steps"][0]["uses"].startswith("actions/deploy-pages")
