"""As aulas no JupyterLab de verdade, num Chromium de verdade (Playwright, sem baixar navegador).

Sobe `jupyter lab` sem interface (só em 127.0.0.1, com token) numa cópia dos notebooks
versionados e, pelo Chromium do sistema:

- abre cada notebook de aula e de exercícios e confere que ele aparece renderizado: o título,
  as tabelas em Markdown, as fórmulas (MathJax) e as imagens (as figuras salvas nas saídas);
- executa todas as células das aulas 01, 04, 08 e 09 e do exercício 01 resolvido
  (`solutions/01_arquitetura_gpt.ipynb`: o exercício intocado tem lacunas que dão erro de
  propósito) e falha em qualquer saída de erro;
- na aula 08, confere que o texto de `generate(..., stream=True)` aparece aos poucos: a saída da célula
  muda a cada token enquanto ela roda, e não de uma vez no fim;
- na aula 07, executa as células até a exploração do dropout, move o slider pelo teclado (como
  uma pessoa faria) e confere que a figura do widget mudou (o PNG da saída é outro);
- grava capturas de tela em `tests/screenshots/` (fora do git).

Sem o Chromium (ou sem o playwright) o teste é pulado com uma linha dizendo o motivo; com
`GPTLAB_REQUIRE_BROWSER=1` (o CI define) ele falha.
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from gptlab_instructor.site.browser import chromium_args, chromium_executable

pytestmark = [pytest.mark.slow, pytest.mark.kernels]

ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = ROOT / "tests" / "screenshots"
OPENED = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "exercises").glob("*.ipynb"))
RUN_ALL = [
    "notebooks/01_arquitetura_gpt.ipynb",
    "notebooks/04_conexoes_de_atalho.ipynb",
    "notebooks/08_gerando_texto.ipynb",
    "notebooks/09_treinando_um_gpt_com_machado.ipynb",
    "solutions/01_arquitetura_gpt.ipynb",
]
# notebook -> trecho do código da célula que escreve o texto token a token
STREAMED = {"notebooks/08_gerando_texto.ipynb": "stream=True)"}
MIN_STREAM_UPDATES = 10  # a célula gera 20 tokens; alguns não completam um caractere sozinhos
RUN_TIMEOUT_S = (
    1200  # o 09 treina 1.500 passos (cerca de 90 s); numa máquina carregada, o resto pode levar outro tanto
)
# Configurações do JupyterLab para o teste: todas as células desenhadas de uma vez (sem o modo
# "janela", que só desenha o que está na tela), nada salvo sozinho, nenhum aviso por cima da página.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "kernelShutdown": True},
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
}
MARKDOWN_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*\|", re.M)
# imagens locais em Markdown (o selo do Colab vem da internet e não conta: o teste roda sem rede)
MARKDOWN_IMAGE = re.compile(r"!\[[^\]]*\]\((?!https?://)[^)]+\)")


@pytest.fixture(scope="module")
def chromium():
    """O caminho do Chromium do sistema; sem ele, pula (ou falha, se o CI exige o navegador)."""
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "o pacote playwright não está instalado (pip install -r requirements.txt)"
    path = chromium_executable()
    if reason is None and path is None:
        reason = "o Chromium não está instalado (no Debian/Ubuntu: apt install chromium)"
    if reason:
        if os.environ.get("GPTLAB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, e GPTLAB_REQUIRE_BROWSER=1 exige o teste no navegador")
        pytest.skip(f"teste no JupyterLab pulado: {reason}")
    return path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def copy_notebooks(target):
    """Os notebooks e o que eles leem, numa pasta temporária: o teste não mexe nos do repositório."""
    for folder in ("notebooks", "exercises", "solutions"):
        shutil.copytree(ROOT / folder, target / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))


def write_lab_settings(folder):
    for plugin, values in LAB_SETTINGS.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture(scope="module")
def jupyter_lab(chromium, tmp_path_factory):
    """(endereço base, token) de um `jupyter lab` sem interface, só na loopback."""
    base = tmp_path_factory.mktemp("lab")
    copy_notebooks(base / "raiz")
    write_lab_settings(base / "settings")
    port, token = free_port(), secrets.token_hex(16)
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={base / 'raiz'}",
        f"--LabApp.user_settings_dir={base / 'settings'}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if os.geteuid() == 0:
        command.append("--allow-root")  # só como root (no CI, num contêiner)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(base / "config"),  # nenhuma configuração de quem roda o teste
        "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",  # figuras dentro do notebook
    }
    log = open(base / "jupyter.log", "wb")  # noqa: SIM115 (fechado no fim do fixture)
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=base)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/api/status?token={token}", server, base / "jupyter.log")
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


def wait_until_up(status_url, server, log_path, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"o jupyter lab terminou ao subir:\n{log_path.read_text(errors='replace')[-3000:]}")
        try:
            with urllib.request.urlopen(status_url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(
        f"o jupyter lab não respondeu em {timeout} s:\n{log_path.read_text(errors='replace')[-3000:]}"
    )


def expected_content(path):
    """O que a página deve mostrar: título, nº de tabelas, de fórmulas e de imagens."""
    notebook = nbformat.read(str(path), as_version=4)
    markdown = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    prose = re.sub(r"```.*?```|`[^`\n]*`", "", markdown, flags=re.S)  # código não vira fórmula
    display = re.findall(r"\$\$.+?\$\$", prose, flags=re.S)
    inline = re.findall(r"(?<![$\\])\$(?!\$)[^$\n]+?(?<!\\)\$", re.sub(r"\$\$.+?\$\$", "", prose, flags=re.S))
    images = sum(
        1
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if "image/png" in output.get("data", {})
    )
    first_markdown = next(cell.source for cell in notebook.cells if cell.cell_type == "markdown")
    return {
        "title": first_markdown.splitlines()[0].removeprefix("# ").strip(),
        "tables": len(MARKDOWN_TABLE_RULE.findall(markdown)),
        "formulas": len(display) + len(inline),
        "images": images + len(MARKDOWN_IMAGE.findall(markdown)),
    }


OPEN_JS = """async (path) => {
  const app = window.jupyterapp;
  const panel = await app.commands.execute('docmanager:open', {path, factory: 'Notebook'});
  await panel.context.ready;
  await panel.sessionContext.ready;
  panel.node.dataset.gptlab = path;
  app.shell.activateById(panel.id);
  return panel.id;
}"""

RENDERED_JS = """(path) => {
  const node = document.querySelector(`[data-gptlab="${path}"]`);
  if (!node) return null;
  const images = [...node.querySelectorAll('.jp-RenderedImage img, .jp-RenderedMarkdown img')];
  return {
    title: node.querySelector('.jp-MarkdownCell .jp-RenderedMarkdown h1')?.textContent ?? '',
    tables: node.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown table').length,
    formulas: node.querySelectorAll('.jp-MarkdownCell mjx-container').length,
    mathErrors: node.querySelectorAll('mjx-merror').length,
    images: images.filter((img) => img.complete && img.naturalWidth > 0).length,
  };
}"""

RUN_ALL_JS = """async ([path, timeoutMs, watch]) => {
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  if (panel.node.dataset.gptlab !== path) throw new Error(`o notebook ativo não é ${path}`);
  await panel.sessionContext.ready;
  // o tamanho do texto que a página mostra na saída da célula vigiada, a cada mudança no DOM
  const streamed = [];
  for (const widget of panel.content.widgets) {
    const source = widget.model.sharedModel.getSource();
    if (!watch || widget.model.type !== 'code' || !source.includes(watch)) continue;
    const node = widget.outputArea.node;
    new MutationObserver(() => streamed.push(node.textContent.length))
      .observe(node, {childList: true, subtree: true, characterData: true});
  }
  const run = app.commands.execute('notebook:run-all-cells');
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error(`passou de ${timeoutMs / 1000} s`)), timeoutMs));
  const finished = await Promise.race([run, timeout]);
  const cells = [];
  for (const cell of panel.content.model.cells) {
    if (cell.type !== 'code') continue;
    const outputs = cell.outputs.toJSON();
    cells.push({
      source: cell.sharedModel.getSource().split('\\n')[0],
      count: cell.executionCount,
      errors: outputs.filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`),
      images: outputs.filter((o) => o.data && o.data['image/png']).length,
    });
  }
  return {finished, cells, streamed};
}"""

CLOSE_JS = """async (path) => {
  const panel = window.jupyterapp.shell.currentWidget;
  await panel.sessionContext.shutdown();
  panel.context.model.dirty = false;
  panel.dispose();
}"""


def open_notebook(page, relative):
    page.evaluate(OPEN_JS, relative)
    page.wait_for_selector(
        f'[data-gptlab="{relative}"] .jp-MarkdownCell .jp-RenderedMarkdown h1', timeout=60_000
    )


def wait_for_rendering(page, relative, expected, timeout=60):
    """Espera título, tabelas, fórmulas e imagens aparecerem; devolve o que a página mostrou."""
    deadline = time.monotonic() + timeout
    while True:
        seen = page.evaluate(RENDERED_JS, relative)
        complete = seen and all(seen[key] >= expected[key] for key in ("tables", "formulas", "images"))
        if complete or time.monotonic() > deadline:
            return seen
        time.sleep(0.5)


def screenshot(page, name):
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def scroll_to(page, relative, selector, last=False):
    """Rola o notebook até o primeiro (ou o último) elemento `selector`; False se não há nenhum."""
    return page.evaluate(
        """([path, selector, last]) => {
          const found = document.querySelectorAll(`[data-gptlab="${path}"] ${selector}`);
          if (!found.length) return false;
          found[last ? found.length - 1 : 0].scrollIntoView({block: 'center'});
          return true;
        }""",
        [relative, selector, last],
    )


@pytest.fixture(scope="module")
def page(chromium, jupyter_lab):
    """Uma aba do Chromium com o JupyterLab carregado."""
    from playwright.sync_api import sync_playwright

    url, token = jupyter_lab
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True, args=chromium_args())
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{url}/lab?token={token}")
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell", timeout=120_000)
        page.wait_for_selector("#jp-main-dock-panel", timeout=120_000)
        yield page
        browser.close()


def screenshot_name(relative, suffix=""):
    return relative.removesuffix(".ipynb").replace("/", "_") + suffix


def rendering_problems(page, relative):
    """Abre o notebook e lista o que não apareceu como devia (vazio = tudo certo)."""
    expected = expected_content(ROOT / relative)
    open_notebook(page, relative)
    seen = wait_for_rendering(page, relative, expected)
    screenshot(page, screenshot_name(relative))
    if expected["formulas"] and scroll_to(page, relative, "mjx-container"):
        screenshot(page, screenshot_name(relative, "_formula"))
    problems = []
    if seen["title"].replace("¶", "").strip() != expected["title"]:
        problems.append(f"título {seen['title']!r}, esperado {expected['title']!r}")
    for key in ("tables", "formulas", "images"):
        if seen[key] < expected[key]:
            problems.append(f"{seen[key]} de {expected[key]} {key} renderizadas")
    if seen["mathErrors"]:
        problems.append(f"{seen['mathErrors']} fórmula(s) com erro no MathJax")
    return problems


@pytest.mark.parametrize("relative", [path.relative_to(ROOT).as_posix() for path in OPENED])
def test_notebook_renders_in_jupyterlab(page, relative):
    try:
        problems = rendering_problems(page, relative)
    finally:
        page.evaluate(CLOSE_JS, relative)
    assert not problems, f"{relative}: " + "; ".join(problems)


@pytest.mark.parametrize("relative", RUN_ALL)
def test_run_all_cells_in_jupyterlab_without_errors(page, relative, capsys):
    try:
        problems = rendering_problems(page, relative)
        start = time.perf_counter()
        result = page.evaluate(RUN_ALL_JS, [relative, RUN_TIMEOUT_S * 1000, STREAMED.get(relative)])
        seconds = time.perf_counter() - start
        scroll_to(page, relative, ".jp-RenderedImage img", last=True)
        screenshot(page, screenshot_name(relative, "_executado"))
    finally:
        page.evaluate(CLOSE_JS, relative)
    counts = [cell["count"] for cell in result["cells"]]
    if not result["finished"] or None in counts:
        problems.append(f"a execução parou (contadores {counts})")
    for cell in result["cells"]:
        problems += [f"célula {cell['source']!r}: {error}" for error in cell["errors"]]
    drawn = sum(cell["images"] for cell in result["cells"])
    expected_images = expected_content(ROOT / relative)["images"]
    if drawn < expected_images:
        problems.append(f"a execução desenhou {drawn} de {expected_images} figuras")
    if relative in STREAMED:
        problems += streaming_problems(result["streamed"])
    with capsys.disabled():
        print(f"\n[jupyterlab] {relative}: todas as células em {seconds:.0f} s")
    assert not problems, f"{relative}: " + "; ".join(problems)


def streaming_problems(lengths):
    """O texto cresceu aos poucos? `lengths`: o tamanho da saída a cada mudança, na ordem."""
    growing = sorted({length for length in lengths if length > 0})
    if len(growing) < MIN_STREAM_UPDATES:
        return [
            f"o texto gerado apareceu em {len(growing)} etapa(s) (tamanhos {growing}); esperava pelo "
            f"menos {MIN_STREAM_UPDATES}, um pedaço por token"
        ]
    return []


# a aula com exploração que executa mais rápido; trecho do código da célula do widget
EXPLORATION = ("notebooks/07_dropout_separado.ipynb", "explore_dropout(")
SLIDER_PRESSES = 6  # seta para a esquerda: a taxa de dropout vai de 0,5 a 0,2 (passo 0,05)

MARK_EXPLORATION_JS = """([path, code]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (panel.node.dataset.gptlab !== path) throw new Error(`o notebook ativo não é ${path}`);
  const cell = panel.content.widgets.find(
    (widget) => widget.model.type === 'code' && widget.model.sharedModel.getSource().includes(code));
  if (!cell) return false;
  cell.node.dataset.gptlabExploration = 'sim';
  cell.node.scrollIntoView({block: 'start'});
  return true;
}"""

# o PNG da figura (a primeira imagem da saída) e o valor que o slider mostra
WIDGET_STATE_JS = """() => {
  const cell = document.querySelector('[data-gptlab-exploration]');
  const image = cell?.querySelector('.jp-OutputArea .jp-RenderedImage img');
  return {
    src: image && image.complete && image.naturalWidth > 0 ? image.src : null,
    readout: cell?.querySelector('.widget-readout')?.textContent.trim() ?? null,
  };
}"""


def exploration_cell(page):
    return page.locator("[data-gptlab-exploration]")


def widget_state(page):
    return page.evaluate(WIDGET_STATE_JS)


def wait_for_new_figure(page, old_src, timeout=60):
    """Espera a figura da saída trocar (o kernel redesenha depois que o slider para)."""
    deadline = time.monotonic() + timeout
    while True:
        state = widget_state(page)
        if (state["src"] and state["src"] != old_src) or time.monotonic() > deadline:
            return state
        time.sleep(0.25)


def move_dropout_slider(page):
    """Roda a aula até o widget, move o slider pelo teclado; devolve os estados antes e depois.

    As capturas da célula (figura + slider) ficam em tests/screenshots/, antes e depois.
    """
    import hashlib

    relative, code = EXPLORATION
    open_notebook(page, relative)
    result = page.evaluate(RUN_ALL_JS, [relative, RUN_TIMEOUT_S * 1000, None])
    errors = [error for cell in result["cells"] for error in cell["errors"]]
    assert result["finished"] and not errors, f"{relative}: a execução falhou: {errors}"
    assert page.evaluate(MARK_EXPLORATION_JS, [relative, code]), f"{relative} não tem a célula {code!r}"
    handle = exploration_cell(page).locator(".widget-slider .noUi-handle")
    handle.wait_for(timeout=60_000)  # o ipywidgets desenhou o slider
    before = widget_state(page)
    SCREENSHOTS.mkdir(exist_ok=True)
    exploration_cell(page).screenshot(path=str(SCREENSHOTS / "exploracao_dropout_antes.png"))
    handle.focus()
    for _ in range(SLIDER_PRESSES):
        page.keyboard.press("ArrowLeft")
    after = wait_for_new_figure(page, before["src"])
    page.wait_for_timeout(500)  # o navegador termina de desenhar a imagem nova
    exploration_cell(page).screenshot(path=str(SCREENSHOTS / "exploracao_dropout_depois.png"))
    for state in (before, after):
        state["sha256"] = state["src"] and hashlib.sha256(state["src"].encode()).hexdigest()[:12]
    return before, after


def test_moving_a_slider_redraws_the_exploration(page, capsys):
    try:
        before, after = move_dropout_slider(page)
    finally:
        page.evaluate(CLOSE_JS, EXPLORATION[0])
    with capsys.disabled():
        print(
            f"\n[jupyterlab] slider {before['readout']} -> {after['readout']}: "
            f"PNG {before['sha256']} -> {after['sha256']}"
        )
    assert before["src"] and before["readout"] == "0.50"
    assert after["readout"] == "0.20", (
        f"o slider mostra {after['readout']!r} depois de {SLIDER_PRESSES} setas"
    )
    assert after["src"] != before["src"], "a figura do widget não mudou depois de mover o slider"
