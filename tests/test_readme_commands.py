"""Os comandos do README para instrutores existem e aceitam as opções escritas lá.

O bloco "Do clone às notas no Moodle" é o caminho de uma turma: cada linha `gptlab-turma` e
`gptlab-grade` dele passa pelo parser do comando de verdade (uma opção renomeada no código
faz este teste falhar). `tests/test_release.py` executa a linha do `gptlab-turma`.
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
