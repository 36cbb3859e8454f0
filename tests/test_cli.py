"""O argparse em português, comum a todos os comandos do pacote."""

import pytest
from gptlab_instructor.authoring import build, exercises, repository

from gptlab_helpers.core.cli import PortugueseParser


@pytest.mark.parametrize("main", [build.main, exercises.main, repository.main])
def test_maintainer_commands_answer_help_in_portuguese(main, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--help"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: ") and "\nopções:\n" in out and "mostra esta ajuda e sai" in out
    assert "usage:" not in out and "show this help" not in out


def test_usage_errors_are_translated_and_exit_with_2(capsys):
    parser = PortugueseParser(prog="exemplo")
    parser.add_argument("arquivo")
    with pytest.raises(SystemExit) as stop:
        parser.parse_args([])
    assert stop.value.code == 2
    assert "exemplo: erro: faltam argumentos obrigatórios: arquivo" in capsys.readouterr().err
