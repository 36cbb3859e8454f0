"""Regenera as capturas de tela do README em docs/img/ (Chromium do sistema, pelo playwright).

    python scripts/make_screenshots.py               # as duas
    python scripts/make_screenshots.py --so-site     # só a página do site
    python scripts/make_screenshots.py --so-widget   # só a exploração no JupyterLab

- `docs/img/site_aula.png`: a página de uma aula no site (build/site/, que o comando reconstrói
  antes com `scripts/build_site.py`, para a captura nunca mostrar um site velho), servida numa porta local só durante a captura;
- `docs/img/exploracao_dropout.png`: a exploração do dropout da aula 07 depois de o slider ir
  de 0,5 a 0,2, a captura que `tests/test_jupyterlab_browser.py` grava ao mover o slider (o
  comando roda esse teste).

Cada PNG é reduzido a uma paleta de 256 cores se passar de `MAX_BYTES`.
"""

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from gptlab_instructor.site.browser import chromium_args, chromium_executable

from gptlab_helpers.core.cli import PortugueseParser

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "img"
SITE = ROOT / "build" / "site"
SITE_PAGE = "notebooks/08_gerando_texto.html"
SITE_VIEWPORT = {"width": 1200, "height": 760}
WIDGET_TEST = "test_moving_a_slider_redraws_the_exploration"
WIDGET_CAPTURE = ROOT / "tests" / "screenshots" / "exploracao_dropout_depois.png"
MAX_BYTES = 300 * 1024


def shrink(path):
    """Se o PNG passa de MAX_BYTES, grava-o com uma paleta de 256 cores; devolve o tamanho final."""
    from PIL import Image

    if path.stat().st_size > MAX_BYTES:
        with Image.open(path) as image:
            image.convert("RGB").quantize(colors=256).save(path, optimize=True)
    return path.stat().st_size


def site_screenshot(target):
    """Captura a página de uma aula do site, servido em 127.0.0.1 numa porta livre."""
    from playwright.sync_api import sync_playwright

    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_site.py")], check=True)  # ~15 s
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium(), headless=True, args=chromium_args()
            )
            page = browser.new_page(viewport=SITE_VIEWPORT)
            page.goto(f"http://127.0.0.1:{server.server_port}/{SITE_PAGE}", wait_until="networkidle")
            page.screenshot(path=str(target))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def chromium():
    path = chromium_executable()
    if path is None:
        raise SystemExit("o Chromium não está instalado (no Debian/Ubuntu: apt install chromium)")
    return path


def widget_screenshot(target):
    """Roda o teste do slider no JupyterLab e copia a captura de depois do movimento."""
    command = [sys.executable, "-m", "pytest", "tests/test_jupyterlab_browser.py", "-k", WIDGET_TEST]
    env = {**os.environ, "GPTLAB_REQUIRE_BROWSER": "1"}
    subprocess.run([*command, "-q", "-p", "no:cacheprovider"], check=True, cwd=ROOT, env=env)
    shutil.copyfile(WIDGET_CAPTURE, target)


def main(argv=None):
    parser = PortugueseParser(description="Regenera as capturas de tela do README em docs/img/.")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--so-site", action="store_true", help="só a captura do site")
    which.add_argument("--so-widget", action="store_true", help="só a captura da exploração")
    args = parser.parse_args(argv)
    IMAGES.mkdir(parents=True, exist_ok=True)
    jobs = []
    if not args.so_widget:
        jobs.append((site_screenshot, IMAGES / "site_aula.png"))
    if not args.so_site:
        jobs.append((widget_screenshot, IMAGES / "exploracao_dropout.png"))
    for make, target in jobs:
        make(target)
        print(f"{target.relative_to(ROOT)}: {shrink(target) / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
