"""Um kernel Python novo por entrega: executa uma célula com tempo limite e diz como ela acabou.

`KernelSession` não sabe nada de exercícios nem de notas: recebe o código de uma célula e um
tempo limite e devolve um `CellOutcome` (ok, erro com a mensagem, tempo esgotado, travado ou
morto). Os limites de memória, de processos e de rede de cada kernel são postos pelo
lançador `sandbox.py`, que vira o kernel.
"""

import os
import re
import subprocess
import sys
import threading
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import nbformat
from ipykernel.kernelspec import RESOURCES, get_kernel_dict
from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import DeadKernelError

TIMEOUT_ENAME = "GPTLabTempoEsgotado"
GB = 1024**3


@dataclass(frozen=True)
class Limits:
    """Tempos limite (segundos), threads do PyTorch e recursos de cada kernel.

    `memory`: bytes de espaço de endereços (RLIMIT_AS); `processes`: processos e threads que o
    kernel pode criar; `network`: False corta a rede onde o sistema deixa (root no Linux).
    """

    cell_timeout: float = 60.0
    total_timeout: float = 600.0
    interrupt_grace: float = 10.0
    startup_timeout: float = 120.0
    threads: int = 1
    memory: int = 4 * GB
    processes: int = 256
    network: bool = False


class CellOutcome(Enum):
    """Como uma célula terminou dentro do kernel."""

    OK = "ok"
    ERROR = "error"
    TIMEOUT = "timeout"  # interrompida, e o kernel voltou a atender
    STUCK = "stuck"  # interrompida, mas o kernel não atendeu: ele foi encerrado
    DEAD = "dead"

    @property
    def loses_kernel(self):
        return self in (CellOutcome.STUCK, CellOutcome.DEAD)


class RunningKernels:
    """Os kernels em execução, para que Ctrl-C possa encerrá-los todos de uma vez."""

    def __init__(self):
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._managers = set()

    def add(self, manager):
        with self._lock:
            self._managers.add(manager)

    def discard(self, manager):
        with self._lock:
            self._managers.discard(manager)

    def stop(self):
        """Marca a parada e mata os processos dos kernels (chamado de outra thread)."""
        self.stopping.set()
        with self._lock:
            managers = list(self._managers)
        for manager in managers:
            process = getattr(manager.provisioner, "process", None)
            if process is not None:
                process.kill()


def sandboxed():
    """Os limites só existem onde há `resource` (Linux, macOS); no Windows o kernel roda sem eles."""
    return sys.platform != "win32"


class CurrentPython(KernelSpecManager):
    """O kernel é sempre o Python que roda o corretor (onde o pacote está instalado), lançado
    por `sandbox.py` com os limites da entrega. Um kernelspec "python3" do usuário poderia
    apontar para outro ambiente."""

    limits = Limits()
    home = ""
    folders = ()

    def get_kernel_spec(self, kernel_name):
        spec = get_kernel_dict()
        if sandboxed():
            launcher = [sys.executable, "-m", "gptlab_instructor.grading.sandbox"]
            launcher += ["--memoria", str(self.limits.memory), "--processos", str(self.limits.processes)]
            launcher += ["--casa", self.home, "--pastas", *self.folders]
            launcher += [] if self.limits.network else ["--sem-rede"]
            spec = {**spec, "argv": [*launcher, "--", *spec["argv"]]}
        return KernelSpec(resource_dir=RESOURCES, **spec)


class SilentClient(NotebookClient):
    """NotebookClient que descarta a saída das células: a nota nunca vem do que o aluno imprime,
    e uma célula que imprime megabytes não enche a memória do corretor."""

    def output(self, outs, msg, display_id, cell_index):
        return None


def short_error(content):
    """'SyntaxError: incomplete input (856036005.py, line 7)' -> '... (linha 7)'."""
    text = f"{content.get('ename', 'Erro')}: {content.get('evalue', '')}".strip().rstrip(":")
    text = re.sub(r"\((?:[^()]*[/\\])?\d+\.py, line (\d+)\)", r"(linha \1)", text)
    return text.splitlines()[0][:300] if text else "Erro"


class KernelSession:
    """Um kernel novo, numa pasta de trabalho; use com `with` (o kernel é encerrado na saída).

    `folder` tem `trabalho/` (a pasta corrente do aluno), `casa/` (o HOME) e `resultados/`
    (os arquivos que a conferência grava).
    """

    def __init__(self, folder, limits, kernels):
        self.folder = Path(folder)
        self.limits = limits
        self.kernels = kernels
        self.last_reply = None
        for name in ("trabalho", "casa", "resultados"):
            (self.folder / name).mkdir(parents=True, exist_ok=True)
        specs = CurrentPython()
        specs.limits, specs.home = limits, str(self.folder / "casa")
        specs.folders = (str(self.folder / "trabalho"), str(self.folder / "resultados"))
        self.manager = AsyncKernelManager(kernel_name="python3", kernel_spec_manager=specs)
        # sockets Unix e arquivo de conexão dentro de casa/: funcionam sem rede e com o kernel como nobody
        self.manager.transport = "ipc"
        self.manager.ip = str(self.folder / "casa" / "k")
        self.manager.connection_file = str(self.folder / "casa" / "conexao.json")
        self.client = SilentClient(
            nbformat.v4.new_notebook(),
            km=self.manager,
            allow_errors=True,
            interrupt_on_timeout=True,
            error_on_timeout={"ename": TIMEOUT_ENAME, "evalue": "", "traceback": []},
            timeout_func=lambda cell: cell.metadata.get("gptlab_timeout"),
            startup_timeout=int(limits.startup_timeout),
            shutdown_kernel="immediate",
            on_cell_executed=self.remember_reply,
        )
        self._setup = None

    @property
    def results_folder(self):
        return self.folder / "resultados"

    def environment(self):
        threads = str(self.limits.threads)
        return dict(
            os.environ,
            OMP_NUM_THREADS=threads,
            MKL_NUM_THREADS=threads,
            MALLOC_ARENA_MAX="2",  # cada thread reservaria 64 MB de endereços e gastaria o limite à toa
            MPLBACKEND="Agg",
            PYDEVD_DISABLE_FILE_VALIDATION="1",
        )

    def __enter__(self):
        self.kernels.add(self.manager)
        # a saída do próprio processo do kernel (avisos do ipykernel) sujaria a barra de progresso
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        cwd = str(self.folder / "trabalho")
        self._setup = self.client.setup_kernel(cwd=cwd, env=self.environment(), cleanup_kc=True, **quiet)
        try:
            self._setup.__enter__()
        except BaseException:
            self.kernels.discard(self.manager)
            raise
        return self

    def __exit__(self, *exc_info):
        try:
            return self._setup.__exit__(*exc_info)
        finally:
            self.kernels.discard(self.manager)

    def remember_reply(self, cell, cell_index, execute_reply):
        self.last_reply = execute_reply

    def execute(self, source, timeout):
        """Executa uma célula -> (CellOutcome, detalhe do erro); nunca por causa do aluno levanta."""
        cell = nbformat.v4.new_code_cell(source, metadata={"gptlab_timeout": max(timeout, 0.1)})
        self.last_reply = None
        self.client.nb.cells.append(cell)  # o nbclient guarda a célula executada na sua posição
        try:
            self.client.execute_cell(cell, len(self.client.nb.cells) - 1)
        except DeadKernelError:
            return CellOutcome.DEAD, ""
        content = (self.last_reply or {}).get("content", {})
        if content.get("status") == "ok":
            return CellOutcome.OK, ""
        if content.get("ename") == TIMEOUT_ENAME:
            return CellOutcome.TIMEOUT, ""
        return CellOutcome.ERROR, short_error(content)

    def run(self, source, timeout):
        """Como `execute`, mas um tempo esgotado em que o kernel não volta a atender vira STUCK."""
        outcome, detail = self.execute(source, timeout)
        if outcome is CellOutcome.TIMEOUT:
            answered, _ = self.execute("pass", self.limits.interrupt_grace)
            if answered is not CellOutcome.OK:
                outcome = CellOutcome.STUCK
        return outcome, detail
