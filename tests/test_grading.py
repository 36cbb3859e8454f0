"""O corretor `gptlab-grade`: entradas, relatórios, linha de comando e um lote de entregas reais.

As entregas do lote são feitas de solutions/ e exercises/ por tests/fixtures/make_submissions.py
(correta, parcial, erro de sintaxe, exceção, laço infinito, kernel que morre, saída enorme,
checks apagados ou fora de ordem, trapaça, outra aula, arquivo vazio ou corrompido).
"""

import csv
import dataclasses
import io
import json
import math
import os
import signal
import subprocess
import sys
import time
import types
import zipfile
from pathlib import Path

import make_submissions  # tests/fixtures, pelo pythonpath do pytest
import nbformat
import pytest
from gptlab_instructor.grading import Settings, grade_folder, main, manual
from gptlab_instructor.grading import batch as grading_batch
from gptlab_instructor.grading.batch import with_causes
from gptlab_instructor.grading.evaluator import Snapshot
from gptlab_instructor.grading.inputs import (
    SubmissionsError,
    check_cell_changes,
    check_cells,
    collect_submissions,
    exercise_spans,
    read_notebook,
    recognise_exercise_set,
    student_names,
)
from gptlab_instructor.grading.kernel import CellOutcome, Limits
from gptlab_instructor.grading.problems import CellProblem, ProblemLog
from gptlab_instructor.grading.reports import Graded, append_state, feedback_text, grades_table, load_state
from gptlab_instructor.grading.runner import parse_result, plan_steps
from gptlab_instructor.grading.status import ExerciseResult, SubmissionStatus

from gptlab_helpers.checks import EXERCISE_SETS

# tempo por célula folgado para a máquina do CI, mas curto para o laço infinito não pesar
TEST_LIMITS = Limits(cell_timeout=20, total_timeout=300, interrupt_grace=5)


def read_rows(output):
    text = (Path(output) / "notas.csv").read_text(encoding="utf-8")
    return {row["aluno"]: row for row in csv.DictReader(io.StringIO(text))}


def notebook_with(*sources, exercise_set="06"):
    cells = [nbformat.v4.new_markdown_cell("# Lista")] + [nbformat.v4.new_code_cell(s) for s in sources]
    notebook = nbformat.v4.new_notebook(cells=cells)
    if exercise_set:
        notebook.metadata["gptlab"] = {"exercise_set": exercise_set}
    return notebook


# --- entradas ----------------------------------------------------------------------------------
def test_student_names_come_from_the_path_clean_and_unique():
    sources = [
        "Turma A/João Silva.ipynb",
        "turma a/joao silva.ipynb",
        "x/entrega.ipynb",
        "y/entrega.ipynb",
        "?.ipynb",
    ]
    assert student_names(sources) == [
        "Turma_A__Joao_Silva",
        "turma_a__joao_silva-2",
        "x__entrega",
        "y__entrega",
        "entrega",
    ]


def test_folder_skips_system_files_and_reports_other_files(tmp_path):
    make_submissions.write_notebooks(
        tmp_path, {"Turma/ana.ipynb": notebook_with("x = 1"), "bia.IPYNB": notebook_with()}
    )
    for junk in (
        "__MACOSX/Turma/._ana.ipynb",
        ".ipynb_checkpoints/ana-checkpoint.ipynb",
        "Turma/._bia.ipynb",
    ):
        (tmp_path / junk).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / junk).write_text("{}")
    (tmp_path / "leia-me.txt").write_text("oi")
    found, ignored = collect_submissions(tmp_path, tmp_path / "zip")
    assert [item.source for item in found] == ["Turma/ana.ipynb", "bia.IPYNB"]
    assert [item.student for item in found] == ["Turma__ana", "bia"]
    assert ignored == ["leia-me.txt: não é um notebook .ipynb"]
    assert len({item.digest for item in found}) == 2


def test_zip_is_extracted_without_leaving_the_scratch_folder(tmp_path):
    archive = tmp_path / "entregas.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("../../fora.ipynb", nbformat.writes(notebook_with("x = 1")))
        bundle.writestr("/absoluto.ipynb", nbformat.writes(notebook_with("x = 2")))
        bundle.writestr("Turma/ana.ipynb", nbformat.writes(notebook_with("x = 3")))
        bundle.writestr("__MACOSX/Turma/._ana.ipynb", "lixo")
        bundle.writestr("Turma/leia.txt", "oi")
    scratch = tmp_path / "a" / "b" / "zip"
    found, ignored = collect_submissions(archive, scratch)
    assert sorted(item.source for item in found) == ["../../fora.ipynb", "Turma/ana.ipynb", "absoluto.ipynb"]
    assert all(item.path.parent == scratch for item in found)
    assert not (tmp_path / "fora.ipynb").exists() and not (tmp_path / "a" / "fora.ipynb").exists()
    assert ignored == ["Turma/leia.txt: não é um notebook .ipynb"]


def test_unusable_locations_are_usage_errors(tmp_path):
    (tmp_path / "vazia").mkdir()
    (tmp_path / "notas.txt").write_text("oi")
    (tmp_path / "quebrado.zip").write_bytes(b"PK\x03\x04 isto nao e um zip")
    cases = {
        tmp_path / "nao-existe": "não encontrei",
        tmp_path / "notas.txt": "não é uma pasta nem um arquivo .zip",
        tmp_path / "vazia": "não há nenhum arquivo .ipynb",
        tmp_path / "quebrado.zip": "não é uma pasta nem um arquivo .zip",
    }
    for location, message in cases.items():
        with pytest.raises(SubmissionsError, match=message):
            collect_submissions(location, tmp_path / "zip")


def test_read_notebook_explains_what_is_wrong(tmp_path):
    (tmp_path / "vazio.ipynb").write_bytes(b"  \n")
    (tmp_path / "cortado.ipynb").write_text('{"cells": [', encoding="utf-8")
    (tmp_path / "binario.ipynb").write_bytes(b"\xff\xfe\x00")
    nbformat.write(notebook_with("x = 1"), tmp_path / "bom.ipynb")
    assert read_notebook(tmp_path / "vazio.ipynb") == (None, "o arquivo está vazio")
    for name in ("cortado", "binario"):
        notebook, reason = read_notebook(tmp_path / f"{name}.ipynb")
        assert notebook is None and reason.startswith("o arquivo não é um notebook válido")
    notebook, reason = read_notebook(tmp_path / "bom.ipynb")
    assert reason is None and notebook.cells[1].source == "x = 1"


def test_exercise_set_is_recognised_from_content():
    importing = "from gptlab_helpers.checks.lesson07 import q1, q2"
    assert recognise_exercise_set(notebook_with("x = 1", exercise_set="06"), EXERCISE_SETS) == "06"
    assert recognise_exercise_set(notebook_with(importing, exercise_set=None), EXERCISE_SETS) == "07"
    # metadado de uma lista que não existe: vale o import
    assert recognise_exercise_set(notebook_with(importing, exercise_set="99"), EXERCISE_SETS) == "07"
    assert recognise_exercise_set(notebook_with("import torch", exercise_set=None), EXERCISE_SETS) is None


def test_check_cells_tie_each_exercise_to_its_check_call():
    notebook = notebook_with("a = 1", "q1.check()", "b = 2", "q2.check()\nq2.hint()", "q1.check()")
    assert check_cells(notebook, {"q1": "06.1", "q2": "06.2"}) == {"06.1": 3, "06.2": 5}


# --- a foto do estado do pacote (grading_evaluator) ------------------------------------------------
def test_snapshot_undoes_monkeypatching_and_mutation():
    module = types.ModuleType("pacote_de_teste.config")
    source = (
        "CONFIG = {'n_layers': 12, 'sizes': [1, 2]}\n"
        "def count(cfg):\n    return cfg['n_layers']\n"
        "class Model:\n    def forward(self):\n        return 'original'\n"
    )
    exec(compile(source, "config.py", "exec"), module.__dict__)
    snapshot = Snapshot()
    snapshot.add_package({module.__name__: module})
    config, count, model_class = module.CONFIG, module.count, module.Model

    config["n_layers"] = 1
    config["sizes"].append(3)
    count.__code__ = (lambda cfg: 999).__code__
    model_class.forward = lambda self: "trapaça"
    module.count = lambda cfg: 0
    del module.Model
    snapshot.restore()

    assert module.CONFIG is config and config == {"n_layers": 12, "sizes": [1, 2]}
    assert module.count is count and count({"n_layers": 12}) == 12
    assert module.Model is model_class and model_class().forward() == "original"


# --- relatórios ----------------------------------------------------------------------------------
def graded_row(student, points, status="ok"):
    exercises = [
        ExerciseResult(f"06.{n}", f"Exercício {n}", "partial", p, 2.0, f"mensagem {n}")
        for n, p in enumerate(points, start=1)
    ]
    return Graded(f"chave-{student}", f"{student}.ipynb", student, "06", status, exercises=exercises)


def test_grades_table_has_one_column_per_exercise_and_machine_readable_numbers():
    rows = [graded_row("bia", [1.5, 2.0]), graded_row("Ana", [0.0, 0.25])]
    rows.append(Graded("chave-x", "x.ipynb", "x", None, "arquivo inválido", note="o arquivo está vazio"))
    table = list(csv.reader(io.StringIO(grades_table(rows))))
    assert table[0] == [
        "aluno",
        "arquivo",
        "lista",
        "situacao",
        "06.1",
        "06.2",
        "total",
        "maximo",
        "observacao",
    ]
    assert table[1] == ["Ana", "Ana.ipynb", "06", "ok", "0", "0.25", "0.25", "4", ""]
    assert table[2] == ["bia", "bia.ipynb", "06", "ok", "1.5", "2", "3.5", "4", ""]
    assert table[3] == ["x", "x.ipynb", "", "arquivo inválido", "", "", "0", "", "o arquivo está vazio"]


def test_feedback_lists_every_exercise_in_portuguese():
    row = graded_row("bia", [1.5, 2.0], status="erro")
    cause = "a célula 3 (`x = y`) levantou NameError: name 'y' is not defined"
    row.exercises[0] = dataclasses.replace(row.exercises[0], causes=(cause,))
    row.problems = ["a célula 3 (`x = y`) levantou NameError: name 'y' is not defined"]
    text = feedback_text(row)
    assert "- **Nota:** 3,5 de 4 pontos" in text
    assert "### 06.1: Exercício 1\n\n**1,5 de 2 pontos** (parcialmente correto). mensagem 1" in text
    assert "> Possível causa: a célula 3 (`x = y`) levantou NameError" in text
    assert "## Problemas ao executar o notebook" in text


def test_state_keeps_finished_lines_when_the_last_one_was_cut(tmp_path):
    append_state(tmp_path, graded_row("ana", [2.0]))
    append_state(tmp_path, graded_row("bia", [1.0]))
    with open(tmp_path / ".estado.jsonl", "a", encoding="utf-8") as handle:
        handle.write('{"key": "chave-cortada", "sou')
    state = load_state(tmp_path)
    assert sorted(state) == ["chave-ana", "chave-bia"]
    assert state["chave-bia"].total == 1.0


def test_fingerprint_changes_with_the_grading_code_and_the_limits(tmp_path, monkeypatch):
    package = tmp_path / "conferencias_falsas"
    package.mkdir()
    (package / "__init__.py").write_text("EXERCISE_SETS = {}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = Settings(tmp_path / "saida", checks_module="conferencias_falsas")
    first = grading_batch.fingerprint(settings)
    assert grading_batch.fingerprint(settings) == first
    assert grading_batch.fingerprint(dataclasses.replace(settings, jobs=4)) == first
    assert grading_batch.fingerprint(dataclasses.replace(settings, limits=Limits(cell_timeout=5))) != first
    assert grading_batch.fingerprint(dataclasses.replace(settings, exercise_set="06")) != first
    (package / "__init__.py").write_text("EXERCISE_SETS = {'01': []}\n")
    assert grading_batch.fingerprint(settings) != first


# --- linha de comando: erros de uso ---------------------------------------------------------------
def run_main(args, capsys):
    try:
        code = main(args)
    except SystemExit as exit_:
        code = exit_.code
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "args, message",
    [
        ([], "faltam argumentos obrigatórios: ENTREGAS, -o/--output"),
        (["{pasta}", "-o", "{saida}", "-j", "0"], "opção -j/--jobs: precisa ser pelo menos 1, recebi 0"),
        (
            ["{pasta}", "-o", "{saida}", "-j", "dois"],
            "opção -j/--jobs: esperava um número inteiro, recebi 'dois'",
        ),
        (["{pasta}", "-o", "{saida}", "--timeout", "0"], "precisa ser um número de segundos maior que zero"),
        (
            ["{pasta}", "-o", "{saida}", "--total-timeout", "-5"],
            "precisa ser um número de segundos maior que zero",
        ),
        (["{pasta}", "-o", "{saida}", "--memoria-max", "0,1"], "precisa ser pelo menos 0,5 GB"),
        (["{pasta}", "-o", "{saida}", "--memoria-max", "muita"], "esperava um número de GB"),
        (["{pasta}/nao-existe", "-o", "{saida}"], "não encontrei"),
        (["{pasta}/ana.ipynb", "-o", "{saida}"], "não é uma pasta nem um arquivo .zip"),
        (["{pasta}", "-o", "{pasta}/ana.ipynb"], "já existe e é um arquivo"),
        (["{pasta}", "-o", "{pasta}"], "não pode ser a própria pasta das entregas"),
        (
            ["{pasta}", "-o", "{saida}", "--exercise-set", "42"],
            "não existe a lista '42'; as listas são 01, 02",
        ),
    ],
)
def test_usage_errors_exit_with_code_2_and_a_portuguese_message(tmp_path, capsys, args, message):
    nbformat.write(notebook_with("x = 1"), tmp_path / "ana.ipynb")
    args = [arg.format(pasta=tmp_path, saida=tmp_path / "saida") for arg in args]
    code, err = run_main(args, capsys)
    assert code == 2
    assert message in err
    assert not (tmp_path / "saida").exists()


@pytest.mark.slow
def test_module_and_console_script_show_portuguese_help():
    commands = [[sys.executable, "-m", "gptlab_instructor.grading", "--help"]]
    script = Path(sys.executable).with_name("gptlab-grade")
    if script.exists():
        commands.append([str(script), "--help"])
    # os dois ao mesmo tempo: cada um importa o torch
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for command in commands]
    for process in processes:
        printed, _ = process.communicate(timeout=120)
        assert process.returncode == 0
        assert printed.startswith("uso: gptlab-grade ENTREGAS -o SAIDA [-j N] [--timeout SEGUNDOS]")
        assert "mostra esta ajuda e sai" in printed


def test_wrong_set_and_broken_files_are_graded_zero_without_a_kernel(tmp_path):
    make_submissions.write_notebooks(
        tmp_path / "entregas", {"ana.ipynb": make_submissions.solution("07_dropout_separado.ipynb")}
    )
    make_submissions.write_broken_files(tmp_path / "entregas")
    settings = Settings(tmp_path / "saida", exercise_set="06")
    assert grade_folder(tmp_path / "entregas", settings, stream=io.StringIO(), progress=False) == 0
    rows = read_rows(tmp_path / "saida")
    assert rows["ana"]["situacao"] == "lista errada"
    assert rows["ana"]["observacao"] == "este notebook é a lista 07, mas a correção é da lista 06"
    assert [rows["ana"][key] for key in ("06.1", "06.2", "06.3", "06.4", "total", "maximo")] == ["0"] * 5 + [
        "10"
    ]
    assert rows["nina_vazio"]["situacao"] == rows["otavio_corrompido"]["situacao"] == "arquivo inválido"
    feedback = (tmp_path / "saida" / "feedback" / "ana.md").read_text(encoding="utf-8")
    assert "**0 de 2 pontos** (erro). não conferido: este notebook é a lista 07" in feedback


# --- um lote de entregas reais, num kernel cada ---------------------------------------------------
# 06.4 é resposta aberta: fica "a revisar" (sem pontos) até o instrutor dar a nota
REVIEW = "a revisar"
FULL = ["2", "4", "3", REVIEW]
EXPECTED = {
    # aluno: (situação, pontos de 06.1 a 06.4, trecho do feedback)
    "Ana_Souza__entrega": ("ok", FULL, "**2 de 2 pontos** (correto)"),
    "Bruno_Lima__entrega": (
        "erro",
        ["2", "3", "0", REVIEW],
        "essa é a atenção de um bloco só; são 12 blocos",
    ),
    "carla_erro_de_sintaxe": (
        "erro",
        ["2", "4", "3", "0"],
        '(erro). a célula 26 (`explanation = ("""`) levantou SyntaxError',
    ),
    "Daniel_excecao": ("erro", ["2", "4", "0", REVIEW], "levantou RuntimeError: esqueci de terminar"),
    "elisa-laco-infinito": ("tempo esgotado", FULL, "(`while True:`) passou do limite de 20 s por célula"),
    "fabio_kernel_morre": (
        "kernel morreu",
        FULL,
        "a entrega foi executada de novo, num kernel novo, sem essa célula",
    ),
    "gabi_imprime_muito": ("ok", FULL, "**? de 1** (a revisar: o instrutor lê e dá a nota)"),
    "heitor_sem_checks": ("ok", FULL, "- **Aviso:** a célula `q1.check()` do exercício 06.1 foi apagada"),
    "iara_checks_no_topo": ("ok", FULL, "**3 de 3 pontos** (correto)"),
    "joao_sem_metadados": ("ok", FULL, "Lista de exercícios 06"),
    "kleber_trapaca": ("erro", ["0", "0", "0", "0"], "**0 de 2 pontos** (não tentado)"),
    "lia_referencia_emprestada": (
        "ok",
        ["0", "2", "3", REVIEW],
        "é a classe pronta do pacote gptlab_helpers",
    ),
    "pedro_ajustado_a_conferencia": ("ok", ["1.5", "4", "3", REVIEW], "no caso oculto do corretor"),
    "mateus_outra_aula": ("lista não reconhecida", ["", "", "", ""], "não reconheci a lista de exercícios"),
    "nina_vazio": ("arquivo inválido", ["", "", "", ""], "o arquivo está vazio"),
    "otavio_corrompido": ("arquivo inválido", ["", "", "", ""], "o arquivo não é um notebook válido"),
}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """O lote inteiro corrigido com -j 2: (código de saída, pasta, pasta de saída, texto impresso).

    A impressão digital do código fica fixa durante o módulo: quem edita o pacote enquanto os
    testes rodam não deve fazer o segundo lote corrigir tudo de novo.
    """
    folder = tmp_path_factory.mktemp("entregas")
    make_submissions.write_notebooks(folder, make_submissions.grading_cases())
    make_submissions.write_broken_files(folder)
    output = tmp_path_factory.mktemp("correcao") / "saida"
    stream = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grading_batch, "source_digest", lambda names: "codigo-fixo")
        code = grade_folder(
            folder, Settings(output, jobs=2, limits=TEST_LIMITS), stream=stream, progress=False
        )
        yield code, folder, output, stream.getvalue()


@pytest.mark.kernels
@pytest.mark.slow
def test_batch_is_graded_with_exit_code_0(batch):
    code, _, output, printed = batch
    assert code == 0
    assert "16 entregas em" in printed and "16 a corrigir, 0 já corrigidas" in printed
    assert sorted(read_rows(output)) == sorted(EXPECTED)
    assert sorted(path.stem for path in (output / "feedback").glob("*.md")) == sorted(EXPECTED)


@pytest.mark.kernels
@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_submission_gets_its_points_status_and_feedback(batch, student):
    _, _, output, _ = batch
    status, points, excerpt = EXPECTED[student]
    row = read_rows(output)[student]
    assert row["situacao"] == status
    assert [row[f"06.{n}"] for n in range(1, 5)] == points
    total = sum(float(value) for value in points if value and value != REVIEW)
    assert float(row["total"]) == total
    feedback = (output / "feedback" / f"{student}.md").read_text(encoding="utf-8")
    assert excerpt in feedback
    if points[0]:
        assert f"- **Nota:** {total:g} de".replace(".", ",") in feedback
        assert all(f"### 06.{n}:" in feedback for n in range(1, 5))
    else:  # nada foi executado nem conferido: sem "0 de 0 pontos"
        assert "**Nota:**" not in feedback and "0 de 0" not in feedback


@pytest.mark.kernels
@pytest.mark.slow
def test_tampering_and_fake_prints_earn_nothing(batch):
    _, _, output, _ = batch
    feedback = (output / "feedback" / "kleber_trapaca.md").read_text(encoding="utf-8")
    assert "Correto" not in feedback and "Pontuação máxima" not in feedback
    borrowed = (output / "feedback" / "lia_referencia_emprestada.md").read_text(encoding="utf-8")
    # o GPT_CONFIG_124M do pacote foi mudado para 1 bloco no notebook; a referência não muda
    assert "`ff_params_count` vale 4.722.432: essa é a feed-forward de um bloco só" in borrowed


@pytest.mark.kernels
@pytest.mark.slow
def test_an_answer_fitted_to_the_visible_check_loses_the_hidden_points(batch):
    _, _, output, _ = batch
    row = read_rows(output)["pedro_ajustado_a_conferencia"]
    assert row["06.1"] == "1.5" and row["casos_ocultos"] == "06.1: com qkv_bias=True e outra semente"
    feedback = (output / "feedback" / "pedro_ajustado_a_conferencia.md").read_text(encoding="utf-8")
    section = feedback[feedback.index("### 06.1:") : feedback.index("### 06.2:")]
    assert "**1,5 de 2 pontos** (parcialmente correto)" in section
    assert (
        "no caso oculto do corretor ela não deu o resultado certo: com qkv_bias=True e outra semente"
        in section
    )
    assert "(-0,5 pontos)" in section
    assert read_rows(output)["Ana_Souza__entrega"]["casos_ocultos"] == ""


@pytest.mark.kernels
@pytest.mark.slow
def test_summary_counts_statuses_and_averages_each_exercise(batch):
    _, _, _, printed = batch
    summary = printed[printed.index("situação") :]
    for status, count in [
        ("ok", 7),
        ("erro", 4),
        ("tempo esgotado", 1),
        ("kernel morreu", 1),
        ("arquivo inválido", 2),
    ]:
        assert f"\n{status:<24}{count:>9}" in "\n" + summary
    # 06.1: 10 das 13 entregas reconhecidas têm os 2 pontos, e a ajustada à conferência 1,5
    assert f"\n{'06.1':<12}{'1,65':>8}{'2':>8}{13:>10}" in summary


@pytest.mark.kernels
@pytest.mark.slow
def test_running_again_resumes_without_regrading(batch):
    _, folder, output, _ = batch
    state_lines = (output / ".estado.jsonl").read_text(encoding="utf-8").count("\n")
    stream = io.StringIO()
    assert (
        grade_folder(folder, Settings(output, jobs=2, limits=TEST_LIMITS), stream=stream, progress=False) == 0
    )
    assert "0 a corrigir, 16 já corrigidas" in stream.getvalue()
    assert (output / ".estado.jsonl").read_text(encoding="utf-8").count("\n") == state_lines
    assert read_rows(output)["Ana_Souza__entrega"]["total"] == "9"


# --- Ctrl-C no meio, e depois continuar ------------------------------------------------------------
@pytest.mark.kernels
@pytest.mark.slow
def test_interrupted_run_keeps_what_finished_and_resumes_from_a_zip(tmp_path):
    folder = tmp_path / "entregas"
    notebooks = {}
    for name in ("ana", "bia", "caio"):
        notebooks[f"{name}.ipynb"] = make_submissions.signed(make_submissions.unsolved(), name)
    make_submissions.write_notebooks(folder, notebooks)
    archive = tmp_path / "entregas.zip"

    def pack():
        with zipfile.ZipFile(archive, "w") as bundle:
            for path in sorted(folder.glob("*.ipynb")):
                bundle.write(path, f"turma/{path.name}")

    pack()
    output = tmp_path / "saida"
    command = [sys.executable, "-m", "gptlab_instructor.grading", str(archive), "-o", str(output), "-j", "1"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    state = output / ".estado.jsonl"
    deadline = time.monotonic() + 120
    while not (state.exists() and state.read_text(encoding="utf-8").count("\n") >= 1):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    printed, _ = process.communicate(timeout=60)
    assert process.returncode == 130
    assert "Correção interrompida" in printed and "Rode o mesmo comando de novo" in printed
    finished = read_rows(output)
    assert 1 <= len(finished) < 3

    # um aluno reenviou a entrega: só ela e as que faltavam são corrigidas
    changed = folder / "ana.ipynb"
    changed.write_text(changed.read_text(encoding="utf-8").replace("Entrega de ana", "Entrega nova de ana"))
    pack()
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0
    regraded = 3 - len(finished) + (1 if "turma__ana" in finished else 0)
    assert f"{regraded} a corrigir, {3 - regraded} já corrigidas" in result.stdout
    rows = read_rows(output)
    assert sorted(rows) == ["turma__ana", "turma__bia", "turma__caio"]
    assert {row["total"] for row in rows.values()} == {"0"}
    assert {row["arquivo"] for row in rows.values()} == {
        "turma/ana.ipynb",
        "turma/bia.ipynb",
        "turma/caio.ipynb",
    }
    assert os.path.exists(output / "feedback" / "turma__caio.md")


# --- peças puras do executor: o plano, a leitura do resultado e as palavras -------------------------
def fake_exercise(key="06.4", maximum=1.0):
    return types.SimpleNamespace(id=key, title="Pergunta", max_points=maximum)


def test_plan_runs_the_student_cells_between_prepare_and_one_grade_per_exercise(tmp_path):
    notebook = notebook_with("a = 1", "", "q1.check()")
    counter = iter(range(100))
    steps = plan_steps(
        notebook,
        "06",
        ["06.1", "06.2"],
        "pacote.checks",
        tmp_path,
        skip={4},
        token=lambda n: f"t{next(counter)}",
    )
    assert [step.kind for step in steps] == ["prepare", "student", "grade", "grade"]
    assert "prepare('_t0', 'pacote.checks', True)" in steps[0].source
    assert (steps[1].cell, steps[1].source) == (2, "a = 1")  # a vazia (3) não roda; a 4 foi pulada
    assert steps[2].result_path == tmp_path / "resultado-t1.json"
    assert steps[3].source.endswith(f"('06', '06.2', {str(tmp_path / 'resultado-t2.json')!r}, globals())")


def test_parse_result_accepts_only_a_sensible_payload():
    exercise = fake_exercise()
    payload = ExerciseResult("06.4", "?", "review", 0.0, 1.0, "lido").to_dict()
    result = parse_result(json.dumps({**payload, "answer": "um texto"}), exercise)
    assert (result.status, result.pending, result.answer, result.title) == (
        "review",
        True,
        "um texto",
        "Pergunta",
    )
    for broken in (
        None,
        "{",
        "[]",
        json.dumps({**payload, "points": 2.0}),
        json.dumps({**payload, "id": "06.1"}),
        json.dumps({**payload, "status": "certo"}),
    ):
        result = parse_result(broken, exercise)
        assert result.status == "error" and result.points == 0.0 and "conferência" in result.message


@pytest.mark.parametrize(
    "detail, status, words",
    [
        (
            "RuntimeError: DefaultCPUAllocator: can't allocate memory: you tried",
            "memória esgotada",
            "limite de memória",
        ),
        (
            "BlockingIOError: [Errno 11] Resource temporarily unavailable",
            "processos demais",
            "processos demais",
        ),
        ("OSError: [Errno 101] Network is unreachable", "sem rede", "acessar a rede"),
        ("NameError: name 'x' is not defined", "erro", "levantou NameError"),
    ],
)
def test_limits_of_the_grader_get_their_own_status_and_words(detail, status, words):
    log = ProblemLog(Limits(memory=2 * 1024**3), after_last_cell=10)
    step = types.SimpleNamespace(cell=3, source="x = y\n", kind="student")
    log.student_cell(step, CellOutcome.ERROR, detail, timeout=60)
    (problem,) = log.problems()
    assert (problem.cell, problem.status) == (3, status)
    assert words in problem.message and "célula 3 (`x = y`)" in problem.message


# --- feedback: causas só do exercício, erro de sintaxe, conferências apagadas, arquivo vazio --------
def test_spans_tie_each_exercise_to_its_own_cells():
    order = ["06.1", "06.2", "06.3"]
    assert exercise_spans({"06.1": 5, "06.2": 9, "06.3": 12}, order) == {
        "06.1": (0, 5),
        "06.2": (5, 9),
        "06.3": (9, 12),
    }
    # 06.2 sem conferência: vai até a do seguinte
    assert exercise_spans({"06.1": 5, "06.3": 12}, order)["06.2"] == (5, 12)
    # conferências movidas para o topo não dizem nada: o notebook inteiro
    assert exercise_spans({"06.1": 9, "06.2": 3, "06.3": 4}, order)["06.1"] == (0, math.inf)


def test_deleted_and_edited_check_cells_are_flagged():
    notebook = notebook_with("q1.check()", "q2.check()\nprint('feito')", "x = 1")
    changes = check_cell_changes(notebook, {"q1": "06.1", "q2": "06.2", "q3": "06.3"})
    assert changes == {
        "06.2": "a célula `q2.check()` do exercício 06.2 foi editada",
        "06.3": "a célula `q3.check()` do exercício 06.3 foi apagada",
    }


def cell_problem(cell, detail):
    return CellProblem(cell, SubmissionStatus.ERROR, f"a célula {cell} levantou {detail}", detail=detail)


def test_causes_come_only_from_the_exercise_cells_and_a_syntax_error_is_an_error():
    syntax = cell_problem(8, "SyntaxError: incomplete input (linha 2)")
    other = cell_problem(3, "TypeError: ruim")
    placeholder = cell_problem(7, "NotImplementedError: escreva seu código aqui")
    missing = ExerciseResult("06.2", "T", "not_attempted", 0.0, 4.0, "ainda não encontrei `x`")
    result = with_causes(missing, [other, placeholder, syntax], (5, 9))
    assert result.status == "error"
    assert result.message.startswith("a célula 8 levantou SyntaxError: incomplete input (linha 2)")
    assert result.causes == ()  # o TypeError é de outro exercício, e a lacuna não é causa
    wrong = ExerciseResult("06.1", "T", "incorrect", 0.0, 2.0, "errado")
    assert with_causes(wrong, [other, placeholder, syntax], (0, 5)).causes == (
        "a célula 3 levantou TypeError: ruim",
    )
    blank = ExerciseResult("06.1", "T", "not_attempted", 0.0, 2.0, "reservado")
    assert with_causes(blank, [placeholder], (0, 9)) == blank


def test_feedback_of_an_empty_file_does_not_pretend_it_was_run():
    row = Graded("k", "nina.ipynb", "nina", None, "arquivo inválido", note="o arquivo está vazio")
    text = feedback_text(row)
    assert "0 de 0" not in text and "executado" not in text
    assert "- **Motivo:** o arquivo está vazio" in text and "entregue de novo" in text


def test_flagged_check_cells_reach_the_feedback_and_the_observation():
    row = graded_row("bia", [2.0])
    row.notes = ["a célula `q1.check()` do exercício 06.1 foi apagada"]
    assert "- **Aviso:** a célula `q1.check()` do exercício 06.1 foi apagada" in feedback_text(row)
    table = list(csv.DictReader(io.StringIO(grades_table([row]))))
    assert table[0]["observacao"] == "a célula `q1.check()` do exercício 06.1 foi apagada"


# --- respostas abertas: a revisar, um arquivo por lista, notas do instrutor ---------------------------
def open_row(student, answer, points_06_1=2.0):
    exercises = [
        ExerciseResult("06.1", "Classe", "correct", points_06_1, 2.0, "certo"),
        ExerciseResult("06.4", "Por quê?", "review", 0.0, 1.0, "registrada", answer=answer),
    ]
    return Graded(f"k-{student}", f"{student}.ipynb", student, "06", "ok", exercises=exercises)


def test_open_answers_wait_for_the_instructor_and_manual_grades_are_merged(tmp_path):
    rows = [
        open_row("ana", "Os pesos do embedding e da saída não são compartilhados."),
        open_row("bia", "não sei"),
    ]
    table = list(csv.DictReader(io.StringIO(grades_table(rows))))
    assert [(line["06.4"], line["total"]) for line in table] == [("a revisar", "2"), ("a revisar", "2")]
    manual.write_open_answers(tmp_path, rows, {})
    markdown = (tmp_path / "respostas_abertas.md").read_text(encoding="utf-8")
    assert "## 06.4: Por quê? (vale 1)" in markdown and "> não sei" in markdown
    # o instrutor preenche a coluna nota (com vírgula, como numa planilha em português)
    sheet = list(
        csv.DictReader(io.StringIO((tmp_path / "respostas_abertas.csv").read_text(encoding="utf-8")))
    )
    sheet[0]["nota"], sheet[0]["comentario"] = "1", "isso: weight tying"
    sheet[1]["nota"] = "0,5"
    graded = tmp_path / "corrigido.csv"
    with open(graded, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=manual.COLUMNS)
        writer.writeheader()
        writer.writerows(sheet)
    grades = manual.load(tmp_path / "saida", graded)
    assert manual.load(tmp_path / "saida") == grades  # guardadas para as próximas execuções
    ana, bia = (manual.apply(grades, row) for row in rows)
    assert (ana.total, ana.exercises[1].status, ana.exercises[1].message) == (
        3.0,
        "correct",
        "nota do instrutor: isso: weight tying",
    )
    assert (bia.total, bia.exercises[1].status) == (2.5, "partial")
    # o aluno reenviou outra resposta: volta a ficar a revisar
    changed = manual.apply(grades, open_row("bia", "uma resposta nova"))
    assert changed.exercises[1].pending


@pytest.mark.parametrize(
    "nota, message",
    [("dez", "não é um número"), ("3", "fora de 0 a 1")],
)
def test_bad_manual_grades_are_usage_errors(tmp_path, capsys, nota, message):
    nbformat.write(notebook_with("x = 1"), tmp_path / "ana.ipynb")
    sheet = tmp_path / "notas_manuais.csv"
    sheet.write_text(
        f"exercicio,aluno,maximo,nota,comentario,resposta\n06.4,ana,1,{nota},,texto\n", encoding="utf-8"
    )
    code, err = run_main(
        [str(tmp_path), "-o", str(tmp_path / "saida"), "--notas-manuais", str(sheet)], capsys
    )
    assert code == 2
    assert "notas_manuais.csv, linha 2: a nota" in err and nota in err and message in err


# --- limites de recursos: cada entrega perigosa vira uma linha com a situação certa -----------------
MEMORY_BOMB = "import torch\n\nbomba = torch.empty(3 * 1024**3, dtype=torch.uint8)"
# limitada de propósito: sem o limite da correção ela cria 150 `sleep` curtos, e não derruba nada
FORK_BOMB = 'import subprocess\n\nfilhos = [subprocess.Popen(["sleep", "5"]) for _ in range(150)]'
NETWORK_CALL = 'import socket\n\nsocket.create_connection(("1.1.1.1", 80), timeout=5)'


@pytest.mark.kernels
@pytest.mark.slow
def test_memory_bomb_fork_bomb_and_network_call_become_graded_rows(tmp_path):
    cases = {"memoria": MEMORY_BOMB, "processos": FORK_BOMB, "rede": NETWORK_CALL, "zz_normal": "x = 1"}
    notebooks = {}
    for name, source in cases.items():
        notebook = make_submissions.unsolved()
        notebooks[f"{name}.ipynb"] = make_submissions.insert(notebook, 2, source)
    make_submissions.write_notebooks(tmp_path / "entregas", notebooks)
    limits = dataclasses.replace(TEST_LIMITS, memory=2 * 1024**3, processes=64)
    settings = Settings(tmp_path / "saida", jobs=1, limits=limits)
    assert grade_folder(tmp_path / "entregas", settings, stream=io.StringIO(), progress=False) == 0
    rows = read_rows(tmp_path / "saida")
    assert sorted(rows) == ["memoria", "processos", "rede", "zz_normal"]
    assert rows["memoria"]["situacao"] == "memória esgotada"
    assert (
        "célula 3 (`import torch`) passou do limite de memória da correção (2 GB)"
        in rows["memoria"]["observacao"]
    )
    assert rows["processos"]["situacao"] == "processos demais"
    assert rows["zz_normal"]["situacao"] == "erro"  # só as lacunas do notebook em branco
    for row in rows.values():  # o lote continua e cada entrega é conferida até o fim
        assert row["lista"] == "06" and row["maximo"] == "10"
    if os.geteuid() == 0:  # sem root o sistema não deixa cortar a rede (veja o README)
        assert rows["rede"]["situacao"] == "sem rede"
        assert "tentou acessar a rede, que a correção bloqueia" in rows["rede"]["observacao"]
