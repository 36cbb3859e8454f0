"""A turma (`--roster turma.csv`): quem é cada aluno, e qual entrega é de quem.

O arquivo da turma é um CSV com as colunas nome, email e matricula (e, se quiser, turma),
separado por `;` ou `,`, em UTF-8 com ou sem BOM. Os cabeçalhos valem em qualquer caixa, com
ou sem acento, e com as variações comuns ("Nome completo", "E-mail", "Endereço de e-mail",
"RA", "ID number"...). Um arquivo que não serve (vazio, sem uma coluna, matrícula ou e-mail
repetidos) é recusado com `RosterError` antes de corrigir qualquer entrega.

Cada entrega é ligada a um aluno pelo caminho do arquivo, sem acentos nem caixa: o nome
completo do aluno (o Moodle grava "Nome Sobrenome_12345_assignsubmission_file_..."), a
matrícula ou a parte do e-mail antes do @. Nada é adivinhado: uma entrega que não casa com
ninguém, ou casa com dois alunos, fica de fora e é listada (`report_text`), assim como os
alunos sem entrega e os alunos com mais de uma entrega.
"""

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .inputs import ascii_text

# nome interno -> cabeçalhos aceitos, já sem acento, caixa, espaço e pontuação
HEADERS = {
    "name": {"nome", "name", "nomecompleto", "aluno", "aluna", "estudante", "student", "fullname"},
    "email": {"email", "enderecodeemail", "emailaddress", "mail", "correioeletronico"},
    "student_id": {
        "matricula",
        "numerodematricula",
        "ra",
        "registroacademico",
        "idnumber",
        "numerodeidentificacao",
        "studentid",
        "sisuserid",
    },
    "section": {"turma", "secao", "section", "classe", "grupo"},
}
REQUIRED = {"name": "nome", "email": "email", "student_id": "matricula"}
MIN_ID_LENGTH = 4  # uma matrícula "06" casaria com o número da lista no nome do arquivo
REPORT_FILE = "turma_entregas.md"


class RosterError(ValueError):
    """O arquivo da turma não serve (erro de uso: o comando sai com código 2, antes de corrigir)."""


@dataclass(frozen=True)
class Student:
    """Um aluno da turma; `line` é a linha do CSV (para as mensagens)."""

    name: str
    email: str
    student_id: str
    section: str = ""
    line: int = 0


@dataclass
class RosterMatch:
    """Quem entregou o quê. `assigned`: {nome da entrega (Submission.student): (Student, como casou)}."""

    students: list
    assigned: dict = field(default_factory=dict)
    unmatched: list = field(default_factory=list)  # caminhos das entregas sem aluno
    ambiguous: list = field(default_factory=list)  # (caminho, [Student, ...])
    repeated: list = field(default_factory=list)  # (Student, [caminhos])
    missing: list = field(default_factory=list)  # Student sem nenhuma entrega

    def student_of(self, key):
        """O Student da entrega `key` (Submission.student), ou None."""
        found = self.assigned.get(key)
        return None if found is None else found[0]


def plain(text):
    """Sem acentos, em minúsculas: 'João' -> 'joao'."""
    return ascii_text(text).lower()


def tokens(text):
    """'Ana Souza_12345_assign.ipynb' -> ['ana', 'souza', '12345', 'assign', 'ipynb']."""
    return re.findall(r"[a-z0-9]+", plain(text))


# --- ler o arquivo ---------------------------------------------------------------------------
def decode(path):
    """O texto do arquivo (UTF-8, com ou sem BOM) ou RosterError dizendo o que fazer."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise RosterError(f"não consegui ler a turma {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(
            f"a turma {path} não está em UTF-8; no Excel ou no LibreOffice, salve de novo como "
            "'CSV UTF-8' e rode o comando outra vez"
        ) from None
    if not text.strip():
        raise RosterError(
            f"a turma {path} está vazia; ela precisa de um cabeçalho (nome, email, matricula) e "
            "de uma linha por aluno"
        )
    return text


def header_map(header, path):
    """{nome interno: índice da coluna}; RosterError se faltar nome, email ou matricula."""
    found = {}
    for index, title in enumerate(header):
        key = re.sub(r"[^a-z0-9]", "", plain(title))
        for name, accepted in HEADERS.items():
            if key in accepted:
                found.setdefault(name, index)
    missing = [label for name, label in REQUIRED.items() if name not in found]
    if missing:
        seen = ", ".join(repr(title.strip()) for title in header if title.strip()) or "nenhuma"
        raise RosterError(
            f"a turma {path} não tem a(s) coluna(s) {', '.join(missing)} (achei: {seen}). A primeira "
            "linha precisa dos cabeçalhos nome, email e matricula (valem também 'Nome completo', "
            "'E-mail', 'RA'...); corrija o arquivo e rode de novo"
        )
    return found


def read_students(path):
    """Os alunos do arquivo da turma -> [Student]; RosterError se o arquivo não serve."""
    text = decode(path)
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    lines = [line for line in csv.reader(io.StringIO(text), delimiter=delimiter)]
    columns = header_map(lines[0], path)
    students = []
    for number, line in enumerate(lines[1:], start=2):
        if not any(cell.strip() for cell in line):
            continue
        value = {name: (line[index].strip() if index < len(line) else "") for name, index in columns.items()}
        for name, label in (("name", "o nome"), ("email", "o e-mail")):
            if not value[name]:
                raise RosterError(f"a turma {path}, linha {number}: falta {label}; preencha e rode de novo")
        students.append(
            Student(value["name"], value["email"], value["student_id"], value.get("section", ""), number)
        )
    if not students:
        raise RosterError(f"a turma {path} só tem o cabeçalho; acrescente uma linha por aluno")
    check_unique(students, path)
    return students


def check_unique(students, path):
    """RosterError quando duas linhas têm a mesma matrícula ou o mesmo e-mail."""
    for what, label in (("student_id", "a matrícula"), ("email", "o e-mail")):
        seen = {}
        for student in students:
            value = getattr(student, what).strip().lower()
            if not value:
                continue
            if value in seen:
                raise RosterError(
                    f"a turma {path} tem {label} {getattr(student, what)!r} repetido(a), nas linhas "
                    f"{seen[value]} e {student.line}; cada aluno deve aparecer uma vez só: corrija o "
                    "arquivo e rode de novo"
                )
            seen[value] = student.line


# --- casar as entregas -----------------------------------------------------------------------
def contains(sequence, part):
    """True se `part` aparece inteira e seguida dentro de `sequence` (listas de palavras)."""
    size = len(part)
    return size > 0 and any(
        sequence[start : start + size] == part for start in range(len(sequence) - size + 1)
    )


def how_it_matches(student, words):
    """Por onde o caminho da entrega (`words`) casa com o aluno: 'nome', 'matrícula', 'e-mail' ou None."""
    if contains(words, tokens(student.name)):
        return "nome"
    student_id = tokens(student.student_id)
    if student_id and len("".join(student_id)) >= MIN_ID_LENGTH and contains(words, student_id):
        return "matrícula"
    local = student.email.split("@", 1)[0]
    if len(local) >= 3 and contains(words, tokens(local)):
        return "e-mail"
    return None


def match_submissions(students, submissions):
    """Liga cada entrega (inputs.Submission) a um aluno -> RosterMatch, sem adivinhar."""
    match = RosterMatch(students)
    by_student = {}
    for submission in submissions:
        words = tokens(submission.source)
        found = [(student, how) for student in students if (how := how_it_matches(student, words))]
        if not found:
            match.unmatched.append(submission.source)
        elif len(found) > 1:
            match.ambiguous.append((submission.source, [student for student, _ in found]))
        else:
            by_student.setdefault(found[0][0], []).append((submission, found[0][1]))
    candidates = {student for _, found in match.ambiguous for student in found}
    for student in students:
        mine = by_student.get(student, [])
        if len(mine) > 1:
            match.repeated.append((student, [submission.source for submission, _ in mine]))
        elif mine:
            submission, how = mine[0]
            match.assigned[submission.student] = (student, how)
        elif student not in candidates:  # quem está numa entrega ambígua já foi listado lá
            match.missing.append(student)
    return match


# --- o que fica de fora ----------------------------------------------------------------------
def describe(student):
    """'Ana Souza <ana@x.br>, matrícula 123': um aluno nas listas do que ficou de fora."""
    return f"{student.name} <{student.email}>" + (
        f", matrícula {student.student_id}" if student.student_id else ""
    )


def problem_sections(match):
    """[(título, [linhas])] do que não casou: nada aqui quer dizer uma turma inteira ligada."""
    return [
        (
            "Entregas que não casam com nenhum aluno da turma",
            [f"`{source}`" for source in match.unmatched],
        ),
        (
            "Entregas que casam com mais de um aluno (não atribuídas)",
            [f"`{source}`: {'; '.join(describe(s) for s in found)}" for source, found in match.ambiguous],
        ),
        (
            "Alunos com mais de uma entrega (nenhuma atribuída)",
            [
                f"{describe(student)}: {', '.join(f'`{s}`' for s in sources)}"
                for student, sources in match.repeated
            ],
        ),
        ("Alunos da turma sem entrega", [describe(student) for student in match.missing]),
    ]


def summary_lines(match):
    """As linhas do resumo final sobre a turma."""
    lines = [f"Turma: {len(match.students)} alunos, {len(match.assigned)} com a entrega identificada."]
    for title, items in problem_sections(match):
        if items:
            lines.append(f"{title}: {len(items)}")
            lines += [f"  - {item.replace('`', '')}" for item in items]
    return lines


def report_text(match, submissions):
    """O Markdown com cada entrega e o aluno dela (e como casou), e o que ficou de fora."""
    lines = ["# Entregas e alunos da turma", "", *summary_lines(match)[:1], ""]
    lines += [
        "Uma entrega é de um aluno quando o caminho do arquivo contém o nome completo dele, a "
        "matrícula ou a parte do e-mail antes do @ (sem acentos nem maiúsculas). Para ligar uma "
        "entrega que ficou de fora, renomeie o arquivo com o nome do aluno e rode o comando de "
        "novo: nada é corrigido de novo.",
    ]
    for title, items in problem_sections(match):
        lines += ["", f"## {title}", ""]
        lines += [f"- {item}" for item in items] or [
            "Nenhuma." if title.startswith("Entregas") else "Nenhum."
        ]
    lines += [
        "",
        "## Entregas identificadas",
        "",
        "| entrega | aluno | casou pelo(a) |",
        "| --- | --- | --- |",
    ]
    for submission in submissions:
        found = match.assigned.get(submission.student)
        if found is not None:
            lines.append(f"| `{submission.source}` | {describe(found[0])} | {found[1]} |")
    return "\n".join(lines) + "\n"
