"""As saídas do `gptlab-grade` para a turma: Moodle, Canvas, planilha pt-BR, a turma, erros comuns e dicas.

Uma turma de 13 entregas (5 conteúdos diferentes, então só 5 kernels) é feita de solutions/ com
erros de propósito (tests/fixtures/make_submissions.py) e corrigida uma vez, com --roster, para
o módulo inteiro. Os nomes dos arquivos imitam o "baixar todas as entregas" do Moodle.
"""

import csv
import io
import shutil
from pathlib import Path

import make_submissions  # tests/fixtures, pelo pythonpath do pytest
import nbformat
import pytest
from gptlab_instructor.grading import Settings, grade_folder, main
from gptlab_instructor.grading import batch as grading_batch
from gptlab_instructor.grading.common_errors import failure_identity, normalise_message
from gptlab_instructor.grading.hints import hint_use, penalize
from gptlab_instructor.grading.inputs import Submission, clean_name
from gptlab_instructor.grading.kernel import Limits
from gptlab_instructor.grading.reports import Graded
from gptlab_instructor.grading.roster import RosterError, match_submissions, read_students
from gptlab_instructor.grading.status import ExerciseResult

LIMITS = Limits()  # os padrões do comando: o teste da linha de comando reaproveita a correção
MOODLE_SUFFIX = "_assignsubmission_file_06_exercicios.ipynb"
ROSTER = (
    "\ufeffNome completo;E-mail;Matrícula;Turma\n"
    "Ana Souza;ana.souza@uni.br;20230001;A\n"
    "Bruno Lima;bruno@uni.br;20230002;A\n"
    "Carla Dias;carla@uni.br;20230003;A\n"
    "Daniel Rocha;daniel@uni.br;20230004;A\n"
    "Elisa Prado;elisa@uni.br;20230005;B\n"
    "Fábio Nunes;fabio@uni.br;20230006;B\n"
    "Gabi Reis;gabi@uni.br;20230007;B\n"
    "Heitor Alves;heitor@uni.br;20230008;B\n"
    "Iara Melo;iara@uni.br;20230009;B\n"
    "João Pedro;jp@uni.br;20230010;B\n"
    "Kleber Matos;kleber.m@uni.br;20230011;B\n"
    "Lia Costa;lia@uni.br;20230012;B\n"
    "Mateus Costa;mateus@uni.br;20230013;B\n"
    "Nina Torres;nina@uni.br;20230014;B\n"
)


def att_params(offset):
    """06.2 com a atenção contada com `offset` parâmetros a mais (o mesmo erro, outro número)."""
    return make_submissions.edit(
        make_submissions.solution(),
        r"^att_params_count = 0",
        lambda text: text.replace("\nprint(", f"\natt_params_count += {offset}\nprint(", 1),
    )


def with_help():
    """att_params(5), com q2.hint() e q2.solution() chamados e um `# q1.hint()` só comentado."""
    notebook = att_params(5)
    after = make_submissions.check_position(notebook, 1) + 1
    make_submissions.insert(notebook, after, "# q1.hint()  (comentado: não conta)\nq2.hint()\nq2.solution()")
    return notebook


def moodle(name, number):
    return f"{name}_{100 + number}{MOODLE_SUFFIX}"


def class_submissions():
    """{arquivo: notebook} da turma; a, b, c, d, e são os cinco conteúdos diferentes."""
    a, b, c = make_submissions.correct(), make_submissions.partial(), with_help()
    d, e = att_params(7), make_submissions.exception_in_cell()
    return {
        moodle("Ana Souza", 1): a,
        moodle("Bruno Lima", 2): a,
        moodle("Carla Dias", 3): a,
        moodle("Daniel Rocha", 4): b,
        moodle("Elisa Prado", 5): b,
        moodle("Fabio Nunes", 6): b,  # sem o acento da turma
        moodle("Gabi Reis", 7): c,
        moodle("Heitor Alves", 8): d,
        moodle("Iara Melo", 9): e,
        "20230010_lista06.ipynb": e,  # João Pedro, pela matrícula
        "kleber.m_lista06.ipynb": e,  # Kleber Matos, pelo e-mail
        "Lia Costa e Mateus Costa_lista06.ipynb": a,  # dois alunos: ambígua
        "sem_nome.ipynb": a,  # ninguém
    }


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A turma corrigida com --roster: (pasta de saída, texto impresso, pasta das entregas, turma)."""
    folder = make_submissions.write_notebooks(tmp_path_factory.mktemp("entregas"), class_submissions())
    roster = tmp_path_factory.mktemp("turma") / "turma.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    output = tmp_path_factory.mktemp("correcao") / "notas"
    stream = io.StringIO()
    settings = Settings(output, jobs=2, limits=LIMITS, roster=roster)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grading_batch, "source_digest", lambda names: "codigo-fixo")
        assert grade_folder(folder, settings, stream=stream, progress=False) == 0
    return output, stream.getvalue(), folder, roster


def read_csv(path, delimiter=",", encoding="utf-8"):
    with open(path, encoding=encoding, newline="") as handle:
        return list(csv.reader(handle, delimiter=delimiter))


# --- a turma (sem kernel) ------------------------------------------------------------------------
def write_roster(tmp_path, text, encoding="utf-8"):
    path = tmp_path / "turma.csv"
    path.write_bytes(text.encode(encoding))
    return path


def test_roster_accepts_header_variants_separators_and_bom(tmp_path):
    for text in (ROSTER, ROSTER.lstrip("\ufeff").replace(";", ",")):
        students = read_students(write_roster(tmp_path, text))
        assert len(students) == 14
        assert students[5].name == "Fábio Nunes" and students[5].student_id == "20230006"
        assert students[0].email == "ana.souza@uni.br" and students[0].section == "A"
    lower = "NOME,EMAIL,RA\nAna,ana@x.br,1\n"
    assert read_students(write_roster(tmp_path, lower))[0].student_id == "1"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "está vazia; ela precisa de um cabeçalho (nome, email, matricula)"),
        ("nome;email\nAna;ana@x.br\n", "não tem a(s) coluna(s) matricula (achei: 'nome', 'email')"),
        ("nome,email,matricula\n", "só tem o cabeçalho"),
        (
            "nome;email;matricula\nAna;ana@x.br;123\nBia;bia@x.br;123\n",
            "tem a matrícula '123' repetido(a), nas linhas 2 e 3; cada aluno deve aparecer uma vez só",
        ),
        (
            "nome;email;matricula\nAna;ana@x.br;1\nBia;ANA@x.br;2\n",
            "tem o e-mail 'ANA@x.br' repetido(a), nas linhas 2 e 3",
        ),
        ("nome;email;matricula\nAna;;1\n", "linha 2: falta o e-mail"),
    ],
)
def test_bad_roster_is_a_usage_error_before_any_grading(tmp_path, capsys, text, message):
    roster = write_roster(tmp_path, text)
    with pytest.raises(RosterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_students(roster)
    nbformat.write(make_submissions.unsolved(), tmp_path / "ana.ipynb")
    code = main([str(tmp_path / "ana.ipynb"), "-o", str(tmp_path / "saida"), "--roster", str(roster)])
    assert code == 2
    assert f"gptlab-grade: erro: a turma {roster}" in capsys.readouterr().err
    assert not (tmp_path / "saida").exists()


def test_roster_in_latin1_says_to_save_as_utf8(tmp_path):
    with pytest.raises(RosterError, match="não está em UTF-8; .* 'CSV UTF-8'"):
        read_students(write_roster(tmp_path, "nome;email;matricula\nJoão;j@x.br;1\n", "latin-1"))


def test_matching_never_guesses(tmp_path):
    students = read_students(write_roster(tmp_path, ROSTER))
    sources = list(class_submissions()) + ["Ana Souza_999_segunda_tentativa.ipynb"]
    submissions = [Submission(source, Path(source), f"chave{n}", "") for n, source in enumerate(sources)]
    match = match_submissions(students, submissions)
    names = {key: student.name for key, (student, _) in match.assigned.items()}
    hows = {student.name: how for student, how in match.assigned.values()}
    assert sorted(names.values()) == sorted(
        ["Bruno Lima", "Carla Dias", "Daniel Rocha", "Elisa Prado", "Fábio Nunes", "Gabi Reis"]
        + ["Heitor Alves", "Iara Melo", "João Pedro", "Kleber Matos"]
    )
    assert (
        hows["Fábio Nunes"] == "nome"
        and hows["João Pedro"] == "matrícula"
        and hows["Kleber Matos"] == "e-mail"
    )
    assert match.unmatched == ["sem_nome.ipynb"]
    assert [(source, [s.name for s in found]) for source, found in match.ambiguous] == [
        ("Lia Costa e Mateus Costa_lista06.ipynb", ["Lia Costa", "Mateus Costa"])
    ]
    assert [(s.name, len(found)) for s, found in match.repeated] == [("Ana Souza", 2)]
    assert [s.name for s in match.missing] == ["Nina Torres"]  # Lia e Mateus estão na ambígua


# --- identidade dos erros e dicas (sem kernel) -----------------------------------------------------
def result(key, message, status="incorrect", hints=()):
    return ExerciseResult(key, "Título", status, 0.0, 4.0, message, hints=hints)


def test_failure_identity_ignores_numbers_and_quoted_values_but_keeps_names():
    first = result("06.2", "`att_params_count` vale 28.311.557; sobram 5 parâmetros")
    second = result("06.2", "`att_params_count` vale 28.311.559; sobram 7 parâmetros")
    other_name = result("06.2", "`ff_params_count` vale 28.311.559; sobram 7 parâmetros")
    other_exercise = result("06.3", "`att_params_count` vale 28.311.557; sobram 5 parâmetros")
    assert failure_identity(first) == failure_identity(second)
    assert len({failure_identity(r) for r in (first, other_name, other_exercise)}) == 3
    assert (
        normalise_message("gpt2_configs['xl'] vale 1,5 e \"x\"") == "gpt2_configs[{valor}] vale {n} e {valor}"
    )


def test_hint_calls_and_printed_hints_are_found_per_exercise():
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("Use `q3.hint()` se precisar"),
            nbformat.v4.new_code_cell("# q1.hint()\nq2.hint()"),
            nbformat.v4.new_code_cell("x = 1"),
        ]
    )
    notebook.cells[2].outputs = [nbformat.v4.new_output("stream", text="Solução do exercício 06.4 (X):\n")]
    used = hint_use(notebook, {"q1": "06.1", "q2": "06.2", "q3": "06.3", "q4": "06.4"})
    assert used == {"06.2": ("dica",), "06.4": ("solução",)}


def test_hint_recorded_in_the_output_metadata_is_found_without_the_call_in_the_code():
    """`for q in (q2,): q.hint()` não tem `q2.hint()` no código; o metadado da saída diz o exercício."""
    cell = nbformat.v4.new_code_cell("for q in (q2,):\n    q.hint()")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/plain": "Dica (06.2): ..."},
            metadata={"gptlab": {"ajuda": "dica", "exercicio": "06.2"}},
        ),
        nbformat.v4.new_output("display_data", data={"text/plain": "x"}, metadata={"gptlab": {"ajuda": "?"}}),
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"), cell])
    assert hint_use(notebook, {"q1": "06.1", "q2": "06.2"}) == {"06.2": ("dica",)}


def test_record_help_marks_the_output_in_jupyter_and_prints_outside(monkeypatch, capsys):
    import IPython.display

    from gptlab_helpers.checks import base

    monkeypatch.setattr(base, "HELP_LOG", [])
    base.record_help("06.2", base.HINT, "Dica (06.2): some as quatro partes")
    assert capsys.readouterr().out == "Dica (06.2): some as quatro partes\n"
    shown = []
    monkeypatch.setattr(base, "ipython_shell", lambda: object())
    monkeypatch.setattr(IPython.display, "display", lambda *args, **kwargs: shown.append((args, kwargs)))
    base.record_help("06.3", base.SOLUTION, "Solução do exercício 06.3")
    assert shown == [
        (
            ({"text/plain": "Solução do exercício 06.3"},),
            {"metadata": {"gptlab": {"ajuda": "solução", "exercicio": "06.3"}}, "raw": True},
        )
    ]
    assert base.HELP_LOG == [("06.2", "dica"), ("06.3", "solução")]


def test_hint_penalty_only_when_asked():
    row = Graded("k", "a.ipynb", "a", "06", "ok", exercises=[result("06.2", "ok", "correct", ("dica",))])
    row.exercises[0] = ExerciseResult("06.2", "T", "correct", 4.0, 4.0, "ok", hints=("dica",))
    assert penalize(row, 0.0) is row
    discounted = penalize(row, 0.25).exercises[0]
    assert (
        discounted.points == 3.0 and "Desconto de 1 ponto(s) por usar dica (`hint()`)" in discounted.message
    )


# --- a turma corrigida -------------------------------------------------------------------------------
EXERCISES = ["Exercício 06.1", "Exercício 06.2", "Exercício 06.3", "Exercício 06.4"]


@pytest.mark.kernels
@pytest.mark.slow
def test_moodle_csv_has_email_one_item_per_exercise_and_a_total(graded):
    output, *_ = graded
    lines = read_csv(output / "moodle.csv")
    assert lines[0] == ["email", *EXERCISES, "Exercícios 06 (total)"]
    rows = {line[0]: line[1:] for line in lines[1:]}
    assert len(rows) == 11  # os 11 alunos com a entrega identificada
    assert rows["bruno@uni.br"] == ["2", "4", "3", "", "9"]  # 06.4 espera a nota do instrutor
    assert rows["daniel@uni.br"] == ["2", "3", "0", "", "5"]
    assert rows["iara@uni.br"][2] == "0" and rows["kleber.m@uni.br"] == rows["iara@uni.br"]
    assert rows["gabi@uni.br"] == rows["heitor@uni.br"] == ["2", "3", "3", "", "8"]
    assert "nina@uni.br" not in rows and "lia@uni.br" not in rows


@pytest.mark.kernels
@pytest.mark.slow
def test_canvas_csv_has_the_canvas_columns_and_points_possible(graded):
    output, *_ = graded
    lines = read_csv(output / "canvas.csv")
    assert lines[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Exercícios 06 (pontos)"]
    assert lines[1][0].strip() == "Points Possible" and lines[1][1:] == ["", "", "", "", "10"]
    rows = {line[0]: line[1:] for line in lines[2:]}
    assert rows["Fábio Nunes"] == ["", "20230006", "fabio@uni.br", "B", "5"]
    assert rows["Bruno Lima"][-1] == "9" and len(rows) == 11


@pytest.mark.kernels
@pytest.mark.slow
def test_spreadsheet_is_semicolon_decimal_comma_and_bom(graded):
    output, *_ = graded
    assert (output / "notas_planilha.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    lines = read_csv(output / "notas_planilha.csv", delimiter=";", encoding="utf-8-sig")
    header = lines[0]
    assert header[:6] == ["nome", "email", "matricula", "arquivo", "lista", "situacao"]
    assert header[6:] == [
        "06.1",
        "06.2",
        "06.3",
        "06.4",
        "total",
        "maximo",
        "dicas",
        "casos_ocultos",
        "observacao",
    ]
    rows = {line[0]: dict(zip(header, line)) for line in lines[1:]}
    assert [line[0] for line in lines[1:4]] == ["Ana Souza", "Bruno Lima", "Carla Dias"]
    assert rows["Gabi Reis"]["06.2"] == "3" and rows["Gabi Reis"]["total"] == "8"
    assert rows["Gabi Reis"]["maximo"] == "10" and rows["Gabi Reis"]["06.4"] == "a revisar"
    assert rows["Gabi Reis"]["dicas"] == "06.2: dica, solução"
    assert rows["Nina Torres"]["situacao"] == "sem entrega"
    assert rows["sem_nome"]["email"] == ""  # fora da turma, mas na planilha


@pytest.mark.kernels
@pytest.mark.slow
def test_unmatched_ambiguous_and_missing_are_listed(graded):
    output, printed, *_ = graded
    assert "Turma: 14 alunos, 11 com a entrega identificada." in printed
    assert "Entregas que não casam com nenhum aluno da turma: 1\n  - sem_nome.ipynb" in printed
    assert "Lia Costa e Mateus Costa_lista06.ipynb: Lia Costa <lia@uni.br>" in printed
    report = (output / "turma_entregas.md").read_text(encoding="utf-8")
    assert "## Alunos da turma sem entrega\n\n- Nina Torres <nina@uni.br>, matrícula 20230014" in report
    assert (
        f"| `{moodle('Fabio Nunes', 6)}` | Fábio Nunes <fabio@uni.br>, matrícula 20230006 | nome |" in report
    )


@pytest.mark.kernels
@pytest.mark.slow
def test_common_errors_group_the_class_by_failure(graded):
    output, *_ = graded
    text = (output / "erros_comuns.md").read_text(encoding="utf-8")
    section = text[text.index("## 06.2") : text.index("## 06.3")]
    assert "Para rever: `notebooks/06_distribuicao_de_parametros.ipynb`, célula " in section
    # 3 alunos com a atenção de um bloco; 2 (Gabi +5, Heitor +7) com o mesmo erro de outro número
    one_block = (
        "### 3 alunos (parcialmente correto): `att_params_count` vale {n}: essa é a atenção de um bloco só"
    )
    assert one_block in section
    assert (
        "### 2 alunos (parcialmente correto): `att_params_count` vale {n}; sobram {n} parâmetros" in section
    )
    assert "- Exemplo 1: `att_params_count` vale 28.320.773; sobram 5 parâmetros" in section
    assert "- Exemplo 2: `att_params_count` vale 28.320.775; sobram 7 parâmetros" in section
    assert "## 06.1" not in text  # todos acertaram
    assert "![Gráfico de barras horizontais" in text and "](erros_comuns.png)" in text
    for name in ("Gabi", "Heitor", "Daniel", "Iara", "Kleber"):
        assert name not in text
    assert (output / "erros_comuns.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.kernels
@pytest.mark.slow
def test_hint_use_reaches_notas_csv_and_the_feedback_without_penalty(graded):
    output, *_ = graded
    lines = read_csv(output / "notas.csv")
    rows = {line[0]: dict(zip(lines[0], line)) for line in lines[1:]}
    gabi = rows[clean_name(moodle("Gabi Reis", 7))]
    assert gabi["dicas"] == "06.2: dica, solução" and gabi["06.2"] == "3"
    assert rows[clean_name(moodle("Heitor Alves", 8))]["dicas"] == ""
    feedback = (output / "feedback" / f"{clean_name(moodle('Gabi Reis', 7))}.md").read_text("utf-8")
    assert "> Ajuda usada neste exercício: dica (`hint()`) e solução (`solution()`)." in feedback
    assert "Desconto" not in feedback


@pytest.mark.kernels
@pytest.mark.slow
def test_penalty_from_the_command_line_reuses_the_grading_and_uses_decimal_comma(graded, tmp_path, capsys):
    done, _, folder, roster = graded
    output = tmp_path / "notas"
    shutil.copytree(done, output)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(grading_batch, "source_digest", lambda names: "codigo-fixo")
        args = [str(folder), "-o", str(output), "--roster", str(roster), "--penalizar-dicas", "0,1"]
        assert main(args) == 0
    assert "0 a corrigir, 13 já corrigidas" in capsys.readouterr().out
    lines = read_csv(output / "notas_planilha.csv", delimiter=";", encoding="utf-8-sig")
    gabi = dict(zip(lines[0], next(line for line in lines if line[0] == "Gabi Reis")))
    assert gabi["06.2"] == "2,6" and gabi["total"] == "7,6"  # 3 - 0,1 x 4
    moodle_rows = {line[0]: line for line in read_csv(output / "moodle.csv")}
    assert moodle_rows["gabi@uni.br"][2] == "2.6" and moodle_rows["heitor@uni.br"][2] == "3"
    feedback = next((output / "feedback").glob("Gabi_Reis*.md")).read_text(encoding="utf-8")
    assert "Desconto de 0,4 ponto(s) por usar dica (`hint()`) e solução (`solution()`)" in feedback


def test_similarity_report_comes_from_the_same_run_and_changes_no_grade(graded):
    output, printed, *_ = graded
    text = (output / "similaridade.md").read_text(encoding="utf-8")
    assert text.startswith("# Respostas parecidas") and "nunca muda uma nota" in text
    compared = int(text.split("\n\n")[1].split()[0])
    assert compared == 13  # todas as entregas da turma, mesmo as de conteúdo repetido
    assert "similaridade.md" in printed
