"""O Chromium do sistema para o playwright: onde ele está e com que opções abri-lo.

Usado pelo teste no JupyterLab (tests/test_jupyterlab_browser.py) e pelas capturas de tela
do README (scripts/make_screenshots.py): o playwright não baixa navegador nenhum.
"""

import os
import shutil

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_executable():
    """O caminho do Chromium do sistema, ou None se ele não está instalado."""
    for name in CHROMIUM_NAMES:
        if shutil.which(name):
            return shutil.which(name)
    return None


def chromium_args():
    """As opções de linha de comando do Chromium sem interface, num contêiner ou não."""
    args = ["--disable-dev-shm-usage"]  # contêineres costumam ter um /dev/shm pequeno
    if os.geteuid() == 0:
        args.append("--no-sandbox")  # o Chromium não abre a sandbox como root
    return args
