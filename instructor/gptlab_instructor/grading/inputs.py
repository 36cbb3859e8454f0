"""As entregas: achar os notebooks (pasta ou .zip), dar um nome a cada aluno e reconhecer a lista.

Os nomes dos arquivos são quaisquer (Moodle, Google Classroom, e-mail), então a lista de
exercícios é reconhecida pelo conteúdo: primeiro `metadata["gptlab"]["exercise_set"]`, depois
os `import` de `gptlab_helpers.checks.lessonNN` nas células.
"""

import hashlib
import math
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

from gptlab_helpers.checks.conventions import ANY_CHECK_CALL, CHECK_CALL, LESSON_IMPORT, declared_exercise_set

NOTEBOOK_SUFFIX = ".ipynb"
# pastas que ferramentas criam sozinhas; não são entregas nem merecem aviso
SYSTEM_FOLDERS = {"__MACOSX", ".ipynb_checkpoints", "__pycache__"}
MAX_NOTEBOOK_BYTES = 100 * 2**20


class SubmissionsError(ValueError):
    """O caminho das entregas não serve (erro de uso: o comando sai com código 2)."""


@dataclass(frozen=True)
class Submission:
    """Uma entrega: `source` é o caminho como o instrutor o vê (dentro da pasta ou do zip)."""

    source: str
    path: Path
    student: str
    digest: str


def collect_submissions(location, scratch, skip=None):
    """Acha os .ipynb em `location` (pasta ou .zip) -> (entregas, avisos sobre arquivos ignorados).

    Um zip é extraído em `scratch` com nomes escolhidos aqui (nunca os do zip), o que impede
    caminhos como ../../etc. `skip` é uma pasta a não visitar (a saída, se estiver dentro).
    """
    location = Path(location)
    if not location.exists():
        raise SubmissionsError(
            f"não encontrei {location}; confira o caminho da pasta (ou .zip) com as entregas"
        )
    if location.is_dir():
        found, ignored = from_folder(location, skip)
    elif zipfile.is_zipfile(location):
        found, ignored = from_zip(location, Path(scratch))
    else:
        raise SubmissionsError(
            f"{location} não é uma pasta nem um arquivo .zip; passe a pasta com os notebooks entregues"
        )
    if not found:
        raise SubmissionsError(f"não há nenhum arquivo {NOTEBOOK_SUFFIX} em {location}")
    found.sort()
    names = student_names([source for source, _ in found])
    submissions = [
        Submission(source, path, name, hashlib.sha256(path.read_bytes()).hexdigest())
        for (source, path), name in zip(found, names)
    ]
    return submissions, ignored


def is_system_path(parts):
    return any(part in SYSTEM_FOLDERS or part.startswith("._") for part in parts)


def from_folder(folder, skip):
    found, ignored = [], []
    skip = Path(skip).resolve() if skip else None
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if not path.is_file() or is_system_path(relative.parts):
            continue
        if skip is not None and path.resolve().is_relative_to(skip):
            continue
        if path.suffix.lower() == NOTEBOOK_SUFFIX:
            found.append((relative.as_posix(), path))
        elif not path.name.startswith("."):
            ignored.append(f"{relative.as_posix()}: não é um notebook {NOTEBOOK_SUFFIX}")
    return found, ignored


def from_zip(archive, scratch):
    found, ignored = [], []
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(archive) as bundle:
            for number, info in enumerate(bundle.infolist()):
                name = PurePosixPath(info.filename.replace("\\", "/"))
                if info.is_dir() or is_system_path(name.parts):
                    continue
                if name.suffix.lower() != NOTEBOOK_SUFFIX:
                    ignored.append(f"{name}: não é um notebook {NOTEBOOK_SUFFIX}")
                    continue
                data = read_member(bundle, info)
                if data is None:
                    ignored.append(f"{name}: maior que {MAX_NOTEBOOK_BYTES // 2**20} MB ou ilegível no zip")
                    continue
                target = scratch / f"{number:05d}{NOTEBOOK_SUFFIX}"
                target.write_bytes(data)
                found.append((str(name).lstrip("/"), target))
    except zipfile.BadZipFile as exc:
        raise SubmissionsError(f"não consegui abrir o zip {archive}: {exc}") from exc
    return found, ignored


def read_member(bundle, info):
    """Lê um membro do zip com limite de tamanho (o tamanho declarado no zip pode mentir)."""
    try:
        with bundle.open(info) as handle:
            data = handle.read(MAX_NOTEBOOK_BYTES + 1)
    except (RuntimeError, zipfile.BadZipFile, NotImplementedError, OSError):
        return None  # senha, compressão desconhecida ou membro corrompido
    return None if len(data) > MAX_NOTEBOOK_BYTES else data


def ascii_text(text):
    """Sem acentos: 'João' -> 'Joao' (nomes de arquivo e a comparação com a turma)."""
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()


def clean_name(text):
    """'Turma A/João Silva.ipynb' -> 'Turma_A__Joao_Silva': só letras ASCII, dígitos, '.', '_' e '-'."""
    text = text.removesuffix(NOTEBOOK_SUFFIX).removesuffix(NOTEBOOK_SUFFIX.upper())
    text = ascii_text(text)
    parts = [re.sub(r"[^A-Za-z0-9.-]+", "_", part).strip("._-") for part in text.split("/")]
    name = "__".join(part for part in parts if part)[:120]
    return name or "entrega"


def student_names(sources):
    """Um nome por entrega, tirado do caminho, sem repetição (nem só de maiúsculas/minúsculas)."""
    names, used = [], set()
    for source in sources:
        base = clean_name(source)
        name, copy = base, 2
        while name.lower() in used:
            name, copy = f"{base}-{copy}", copy + 1
        used.add(name.lower())
        names.append(name)
    return names


def read_notebook(path):
    """-> (notebook, None) ou (None, motivo em português) quando o arquivo não é um notebook."""
    data = Path(path).read_bytes()
    if not data.strip():
        return None, "o arquivo está vazio"
    try:
        # capture_validation_error: um notebook do Colab fora do esquema não deve encher o terminal de avisos
        notebook = nbformat.reads(data.decode("utf-8"), as_version=4, capture_validation_error={})
        cells = list(notebook.cells)
        for cell in cells:
            cell.source = str(cell.get("source", ""))
    except Exception as exc:  # JSON quebrado, formato antigo desconhecido, bytes que não são texto
        return None, f"o arquivo não é um notebook válido ({type(exc).__name__}); ele abre no Jupyter?"
    return notebook, None


def recognise_exercise_set(notebook, known):
    """Qual lista de exercícios (chave de EXERCISE_SETS) é este notebook, ou None."""
    declared = declared_exercise_set(notebook.metadata)
    if isinstance(declared, str) and declared in known:
        return declared
    votes = Counter(
        match
        for cell in notebook.cells
        if cell.get("cell_type") == "code"
        for match in LESSON_IMPORT.findall(cell.source)
        if match in known
    )
    return votes.most_common(1)[0][0] if votes else None


def check_cells(notebook, names):
    """Onde o aluno confere cada exercício: {id: posição (do 1) da 1ª célula com `<nome>.check(`}.

    `names` liga o nome da variável no notebook (q1, q2...) ao id do exercício. Serve para dizer
    ao aluno qual erro de execução pode ter custado pontos em qual exercício.
    """
    found = {}
    for position, cell in enumerate(notebook.cells, start=1):
        if cell.get("cell_type") != "code":
            continue
        for name in ANY_CHECK_CALL.findall(cell.source):
            if name in names:
                found.setdefault(names[name], position)
    return found


def exercise_spans(checked_in, order):
    """{id: (depois_de, até)}: as células de cada exercício, de depois da conferência do anterior
    até a sua (inclusive). Serve para ligar um erro de execução só ao exercício a que ele pertence.

    `checked_in` vem de `check_cells`; `order` são os ids na ordem da lista. Sem a célula de
    conferência, o trecho vai até a conferência seguinte. Conferências fora de ordem (movidas
    para o topo, por exemplo) não dizem nada: cada exercício fica com o notebook inteiro.
    """
    found = [checked_in[key] for key in order if key in checked_in]
    if found != sorted(found) or len(set(found)) != len(found):
        return {key: (0, math.inf) for key in order}
    spans = {}
    for index, key in enumerate(order):
        before = [checked_in[other] for other in order[:index] if other in checked_in]
        after = [checked_in[other] for other in order[index + 1 :] if other in checked_in]
        spans[key] = (max(before, default=0), checked_in.get(key, min(after, default=math.inf)))
    return spans


def check_cell_changes(notebook, names):
    """{id: frase} dos exercícios cuja célula `qN.check()` o aluno apagou ou editou.

    Não muda a nota (o corretor confere sozinho), mas o instrutor e o aluno ficam sabendo.
    """
    sources = [cell.source for cell in notebook.cells if cell.get("cell_type") == "code"]
    changes = {}
    for name, key in names.items():
        if not CHECK_CALL.fullmatch(f"{name}.check()"):
            continue  # só as variáveis qN dos nossos notebooks têm uma célula própria
        calls = [source for source in sources if re.search(rf"\b{name}\.check\(", source)]
        if not calls:
            changes[key] = f"a célula `{name}.check()` do exercício {key} foi apagada"
        elif not any(source.strip() == f"{name}.check()" for source in calls):
            changes[key] = f"a célula `{name}.check()` do exercício {key} foi editada"
    return changes
