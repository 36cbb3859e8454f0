"""O código do repositório passa no ruff (lint e formatação), como o CI exige."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def ruff(*args):
    executable = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    return subprocess.run([executable, *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("args", [("check", "."), ("format", "--check", ".")], ids=["lint", "formato"])
def test_ruff_is_clean(args):
    result = ruff(*args)
    assert result.returncode == 0, result.stdout + result.stderr
