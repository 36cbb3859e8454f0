"""O que todo notebook gerado tem em comum: o selo do Colab, a célula de preparação, a leitura das
fontes no formato percent, a execução e a gravação reprodutível (sem metadados voláteis).

`build` (as aulas), `exercises` (soluções e exercícios) e `repository` (o endereço do
repositório) usam este módulo; ele não importa nenhum deles.
"""

import os
import time
import tomllib
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[3]  # instructor/gptlab_instructor/authoring -> raiz
SOURCES_DIR = ROOT / "scripts" / "notebook_sources"
NOTEBOOKS_DIR = ROOT / "notebooks"
SOLUTIONS_DIR = ROOT / "solutions"
DEFAULT_TIMEOUT = 300  # segundos por célula

# Variáveis de ambiente do kernel: fixam o que poderia mudar de uma execução para outra.
DETERMINISTIC_ENV = {
    "PYTHONHASHSEED": "0",  # ordem de sets e dicts de strings
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # figuras dentro do notebook
}

# Metadados fixos de todo notebook: nada de versão do Python nem de horários.
NOTEBOOK_METADATA = {
    "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "language_info": {"name": "python"},
}
# Metadados que mudam a cada execução ou a cada editor e por isso são descartados; os demais
# (por exemplo, o `gptlab` dos notebooks de exercícios) são mantidos.
VOLATILE_NOTEBOOK_METADATA = ("widgets", "vscode", "colab", "toc", "varInspector")
VOLATILE_CELL_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")

# A célula de preparação: no Colab instala o pacote (só ele: o Colab já tem PyTorch & cia.); no
# computador do aluno, com o pacote instalado, só mostra as versões. O pip roda num subprocesso
# com a saída guardada: se falhar, o aluno vê uma mensagem em português, não 40 linhas do pip.
# A linha das versões muda de máquina para máquina: tests/nbval_sanitize.cfg a neutraliza.
SETUP_TEMPLATE = """\
# Preparação: no Colab, instala o pacote gptlab_helpers a partir do repositório do curso (no seu
# computador ele já está instalado) e mostra as versões em uso.
import importlib.util
import os
import platform
import subprocess
import sys

REPOSITORIO, RAMO = "{url}", "{branch}"
if importlib.util.find_spec("gptlab_helpers") is None:
    pacote = f"gptlab-helpers @ git+{{REPOSITORIO}}@{{RAMO}}"
    pip = [sys.executable, "-m", "pip", "install", "-q", pacote]
    if subprocess.run(pip, capture_output=True, env={{**os.environ, "GIT_TERMINAL_PROMPT": "0"}}).returncode:
        raise RuntimeError(
            f"Não consegui instalar o gptlab_helpers de {{REPOSITORIO}} (ramo {{RAMO}}). Duas saídas:\\n"
            "1. endereço errado: corrija REPOSITORIO acima ou rode scripts/set_repository.py DONO/NOME;\\n"
            "2. sem acesso ao repositório: envie a pasta gptlab_helpers/ (painel Arquivos) e rode de novo.\\n"
            f'(o erro do pip aparece com: !pip install "{{pacote}}")'
        ) from None
    importlib.invalidate_caches()

import torch

import gptlab_helpers

print(
    f"Python {{platform.python_version()}} · torch {{torch.__version__}} · gptlab_helpers {{gptlab_helpers.__version__}}"
)"""

COLAB_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
# Logo depois do selo, em todo notebook (todos ficam a um nível da raiz: notebooks/, exercises/, solutions/).
CONVENTIONS_LINKS = "[Convenções do curso](../docs/convencoes.md) · [Glossário](../docs/glossario.md)"


def repository_url(pyproject=ROOT / "pyproject.toml"):
    """O endereço do repositório, lido de `[project.urls] Repository` no pyproject.toml."""
    with open(pyproject, "rb") as file:
        pyproject = tomllib.load(file)
    try:
        url = pyproject["project"]["urls"]["Repository"]
    except KeyError:
        raise KeyError(
            "pyproject.toml não tem [project.urls] Repository; acrescente, por exemplo, "
            'Repository = "https://github.com/dono/repositorio"'
        ) from None
    return url.rstrip("/").removesuffix(".git")


def repository_branch(pyproject=ROOT / "pyproject.toml"):
    """O ramo que o Colab abre e instala: `[tool.gptlab] branch` no pyproject.toml ("main" se faltar)."""
    with open(pyproject, "rb") as file:
        settings = tomllib.load(file)
    return settings.get("tool", {}).get("gptlab", {}).get("branch", "main")


def github_repository(url=None):
    """'dono/repositorio' a partir de `url` (padrão: `repository_url()`); o Colab abre do GitHub."""
    url = url or repository_url()
    prefix = "https://github.com/"
    if not url.startswith(prefix) or url[len(prefix) :].count("/") != 1:
        raise ValueError(
            f"o endereço do repositório deve ser https://github.com/dono/repositorio, mas é {url!r}"
        )
    return url[len(prefix) :]


def setup_cell(url=None, branch=None):
    """A célula de preparação de todo notebook (aulas, exercícios e soluções), logo depois do selo.

    `url` e `branch` trocam o endereço e o ramo do pyproject.toml (scripts/set_repository.py e
    o teste "como no Colab", que instala de um `file://`, usam isso).
    """
    url, branch = url or repository_url(), branch or repository_branch()
    return nbformat.v4.new_code_cell(SETUP_TEMPLATE.format(url=url, branch=branch))


def colab_url(path, url=None, branch=None):
    """O endereço que abre no Colab o notebook em `path` do repositório configurado.

    `path` é relativo à raiz do repositório (ex.: "notebooks/01_arquitetura_gpt.ipynb");
    um caminho absoluto dentro do repositório também serve. `url` e `branch` como em `setup_cell`.
    """
    path = Path(path)
    if path.is_absolute():
        path = path.resolve().relative_to(ROOT)
    repository, branch = github_repository(url), branch or repository_branch()
    return f"https://colab.research.google.com/github/{repository}/blob/{branch}/{path.as_posix()}"


def colab_badge_cell(path, url=None, branch=None):
    """Célula de texto com o selo "Abrir no Colab" para o notebook em `path` (veja `colab_url`)."""
    badge = f"[![Abrir no Colab]({COLAB_BADGE_IMAGE})]({colab_url(path, url, branch)})"
    return nbformat.v4.new_markdown_cell(f"{badge} · {CONVENTIONS_LINKS}")


def with_title_badge_and_setup(cells, notebook_path):
    """As células na ordem de abertura: o título (a 1ª célula de texto), o selo, a preparação.

    O título vem antes de qualquer código: quem abre o notebook vê primeiro do que ele trata.
    """
    cells = list(cells)
    title = cells[:1] if cells and cells[0].cell_type == "markdown" else []
    return [*title, colab_badge_cell(notebook_path), setup_cell(), *cells[len(title) :]]


def percent_cells(text):
    """As células (nbformat) de um arquivo percent, sem o cabeçalho antes do primeiro `# %%`."""
    cells = jupytext.reads(text, fmt="py:percent").cells
    if cells and not text.lstrip().startswith("# %%"):
        cells = cells[1:]  # o cabeçalho antes do primeiro marcador
    return cells


def checked_percent_cells(text, name="fonte", with_tags=False):
    """As células (nbformat) de um arquivo percent, conferidas: nenhuma vazia, tags só numa lista
    JSON de textos e só quando `with_tags` (as fontes de scripts/solution_sources/). Uma fonte com
    tags onde elas não valem é recusada, para nenhuma tag se perder sem aviso."""
    cells = percent_cells(text)
    for index, cell in enumerate(cells):
        tags = cell.metadata.get("tags", [])
        bad = cell.metadata.get("incorrectly_encoded_metadata")
        if bad is not None or not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise ValueError(
                f"{name}, célula {index}: as tags vão numa lista JSON de textos, como "
                f'tags=["solucao"], mas encontrei {bad or tags!r}'
            )
        if not cell.source.strip():
            raise ValueError(f"{name}: a célula {index} está vazia; apague o marcador '# %%' que sobrou")
        if tags and not with_tags:
            raise ValueError(
                f"{name}, célula {index}: tags de célula só valem nas fontes de "
                f"scripts/solution_sources/; tire o 'tags={tags}' do marcador"
            )
    return cells


def parse_percent_source(text, name="fonte", with_tags=False):
    """Lê um arquivo no formato percent (com o jupytext) -> [(tipo, texto)], tipo "markdown" ou "code".

    O que vem antes do primeiro `# %%` (comentários para o ruff, por exemplo) é ignorado.
    O marcador pode trazer tags de célula: `# %% [markdown] tags=["solucao"]`. Com
    `with_tags=True` cada item vem como (tipo, texto, tags).
    """
    cells = checked_percent_cells(text, name, with_tags)
    if with_tags:
        return [(cell.cell_type, cell.source, list(cell.metadata.get("tags", []))) for cell in cells]
    return [(cell.cell_type, cell.source) for cell in cells]


def source_notebook_cells(text, name="fonte", with_tags=False):
    """As células do notebook gerado a partir de uma fonte percent, lida uma vez só.

    A célula que desenha uma figura leva o texto alternativo no marcador:
    `# %% alt="Gráfico de ..."`. Ele vai para o metadado `alt` da célula de código, e o site do
    curso o usa no `<img alt=...>` (tests/test_site.py confere que toda figura tem um). Com
    `with_tags`, as tags do marcador vão para o metadado `tags`.
    """
    cells = []
    for cell in checked_percent_cells(text, name, with_tags):
        alt, tags = cell.metadata.get("alt"), cell.metadata.get("tags")
        if cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(cell.source)
        else:
            new = nbformat.v4.new_code_cell(cell.source, metadata={"alt": alt} if alt else {})
        if tags:
            new.metadata["tags"] = list(tags)
        cells.append(new)
    return cells


def copy_alt_texts(saved, fresh):
    """Põe em `saved` (um notebook gravado, com saídas) o `alt` das células de `fresh`.

    Para quando só o texto alternativo de uma figura mudou: as saídas ficam como estão. As
    células dos dois têm de ser as mesmas (ValueError se não forem: aí é gerar de novo).
    """
    if [cell.source for cell in saved.cells] != [cell.source for cell in fresh.cells]:
        raise ValueError("as células do notebook gravado não batem com as da fonte")
    for saved_cell, fresh_cell in zip(saved.cells, fresh.cells):
        saved_cell.metadata.pop("alt", None)
        if "alt" in fresh_cell.metadata:
            saved_cell.metadata["alt"] = fresh_cell.metadata["alt"]
    return saved


NOTEBOOK_NAME = "[0-9][0-9]*_*"  # NN_nome ou NNb_nome (apêndice): o nome dá a ordem das aulas


def numbered_files(folder, suffix):
    """Os arquivos de `folder` com nome de aula (NN_nome ou NNb_nome + `suffix`), em ordem.

    A convenção mora só aqui: o build, a entrega da turma e o site a usam, e um apêndice
    novo (como o 13b) entra nos três de uma vez.
    """
    return sorted(Path(folder).glob(NOTEBOOK_NAME + suffix))


def new_notebook(cells):
    """Um notebook com os metadados fixos de NOTEBOOK_METADATA e ids de célula previsíveis."""
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    return normalize_notebook(notebook)


def normalize_notebook(notebook):
    """Tira do notebook tudo o que muda a cada execução, para o arquivo ser reprodutível."""
    kept = {key: value for key, value in notebook.metadata.items() if key not in VOLATILE_NOTEBOOK_METADATA}
    notebook.metadata = nbformat.from_dict({**kept, **NOTEBOOK_METADATA})
    for index, cell in enumerate(notebook.cells):
        cell.id = f"cell-{index:03d}"  # ids aleatórios mudariam o arquivo a cada geração
        for key in VOLATILE_CELL_METADATA:
            cell.metadata.pop(key, None)
    return notebook


def write_notebook(notebook, path):
    """Grava o notebook em `path` (JSON com chaves ordenadas, como o Jupyter)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, str(path))


def execute_notebook(path, timeout=DEFAULT_TIMEOUT):
    """Executa o notebook em `path` num kernel novo e grava as saídas no próprio arquivo.

    O kernel roda na pasta do notebook, com as variáveis de DETERMINISTIC_ENV. Os metadados
    voláteis (horários, versão do Python) são descartados: sem mudança no código, o arquivo
    sai idêntico. Devolve o tempo de execução em segundos. Se uma célula falha, o arquivo
    não é alterado e o erro diz qual célula foi.
    """
    path = Path(path)
    os.environ.update(DETERMINISTIC_ENV)
    notebook = nbformat.read(str(path), as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
        coalesce_streams=True,
    )
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        raise RuntimeError(f"a execução de {path} falhou; o arquivo não foi alterado.\n{error}") from None
    elapsed = time.perf_counter() - start
    write_notebook(normalize_notebook(notebook), path)
    return elapsed


def selected(paths, only):
    """Filtra por prefixo do nome (ex.: "03" ou "03_gelu"); sem filtro, devolve todos."""
    if not only:
        return list(paths)
    return [path for path in paths if any(path.stem.startswith(prefix) for prefix in only)]
