"""Treinar em vários processos ao mesmo tempo: dados em paralelo com `torch.distributed` (DDP).

O `torchrun --nproc_per_node N -m gptlab_helpers.training ...` inicia N cópias do mesmo programa e
dá a cada uma as variáveis de ambiente RANK (quem sou eu: 0, 1, ..., N - 1), WORLD_SIZE (N) e
LOCAL_RANK (qual GPU desta máquina é minha). Cada processo tem uma cópia inteira do modelo e
calcula o gradiente na sua parte do lote; o `DistributedDataParallel` tira a média dos
gradientes entre os processos, e assim todas as cópias dão o mesmo passo do AdamW.

O lote global de B exemplos é sorteado inteiro, com a mesma semente, em todos os processos, e o
processo `rank` fica com as linhas `rank * B / N` até `(rank + 1) * B / N`. Cada processo vê
exemplos diferentes, mas o conjunto do passo é o mesmo com 1, 2 ou 8 processos: é isso que
permite comparar os treinos e retomar um checkpoint com outro número de processos.
"""

import inspect
import os
from contextlib import nullcontext
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

TORCHRUN_VARIABLES = ("RANK", "WORLD_SIZE", "LOCAL_RANK")

# O único buffer do GPTModel (a máscara causal) é constante: não há o que copiar a cada forward.
# O PyTorch 2.13 renomeou a opção; o Colab pode ter um PyTorch mais antigo.
_DDP_OPTIONS = inspect.signature(DistributedDataParallel).parameters
NO_BUFFER_SYNC = (
    {"forward_sync_buffers": False}
    if "forward_sync_buffers" in _DDP_OPTIONS
    else {"broadcast_buffers": False}
)

# Os motivos para parar, do menos ao mais urgente: entre os processos vale o maior.
KEEP_GOING, OUT_OF_BUDGET, STOP_REQUESTED = 0, 1, 2


def launched_by_torchrun():
    """True quando o programa foi iniciado pelo torchrun (que define RANK, WORLD_SIZE...)."""
    return all(name in os.environ for name in TORCHRUN_VARIABLES)


def world_size_from_environment():
    """Quantos processos o torchrun iniciou (1 sem torchrun), antes mesmo de conectá-los."""
    return int(os.environ.get("WORLD_SIZE", "1")) if launched_by_torchrun() else 1


def local_rank_from_environment():
    """Qual GPU desta máquina é deste processo (0 sem torchrun)."""
    return int(os.environ.get("LOCAL_RANK", "0")) if launched_by_torchrun() else 0


def is_main_process_from_environment():
    """True no processo 0 (ou sem torchrun): o único que escreve na tela e em disco."""
    return os.environ.get("RANK", "0") == "0"


@dataclass(frozen=True)
class DataParallel:
    """Onde este processo está no grupo: `rank` de 0 a `world_size - 1`.

    Sem torchrun vale `DataParallel()` (um processo só) e todos os métodos viram operações
    que não fazem nada: o mesmo laço de treino serve para os dois casos.
    """

    rank: int = 0
    world_size: int = 1

    @classmethod
    def current(cls):
        """O grupo já conectado por `connect` (ou um processo só, se não houver grupo)."""
        if dist.is_available() and dist.is_initialized():
            return cls(dist.get_rank(), dist.get_world_size())
        return cls()

    @property
    def is_main(self):
        return self.rank == 0

    @property
    def is_distributed(self):
        return self.world_size > 1 or (dist.is_available() and dist.is_initialized())

    def rows(self, batch):
        """A parte deste processo de um lote global: (B, ...) -> (B / world_size, ...)."""
        size = batch.shape[0] // self.world_size
        return batch[self.rank * size : (self.rank + 1) * size]

    def wrap(self, model, device):
        """Envolve o modelo no DistributedDataParallel (ou o devolve como está, sem grupo)."""
        if not self.is_distributed:
            return model
        device_ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(model, device_ids=device_ids, **NO_BUFFER_SYNC)

    def agree(self, reason, elapsed, device):
        """Todos os processos combinam o motivo de parar e o relógio: devolve (reason, elapsed).

        Vale o maior de cada um. Um SIGTERM que chegou só a um processo para todos no mesmo
        passo, e o cosseno da taxa de aprendizado usa o mesmo tempo em todos (taxas diferentes
        fariam as cópias do modelo se separarem).
        """
        if not self.is_distributed:
            return reason, elapsed
        values = torch.tensor([float(reason), elapsed], dtype=torch.float64, device=device)
        dist.all_reduce(values, op=dist.ReduceOp.MAX)
        return int(values[0].item()), float(values[1].item())

    def barrier(self):
        """Espera todos os processos chegarem aqui."""
        if self.is_distributed:
            dist.barrier()

    def main_first(self):
        """Contexto em que o processo 0 age antes dos outros (ex.: baixar o corpus uma vez só)."""
        return _MainFirst(self) if self.is_distributed else nullcontext()


class _MainFirst:
    def __init__(self, parallel):
        self.parallel = parallel

    def __enter__(self):
        if not self.parallel.is_main:
            self.parallel.barrier()  # espera o processo 0 terminar o bloco

    def __exit__(self, *exc_info):
        if self.parallel.is_main:
            self.parallel.barrier()  # libera os outros
        return False


def connect(device_type):
    """Conecta os processos do torchrun: NCCL entre GPUs, gloo na CPU. Devolve o DataParallel."""
    if not launched_by_torchrun():
        return DataParallel()
    backend = "nccl" if device_type == "cuda" else "gloo"
    dist.init_process_group(backend=backend)
    return DataParallel.current()


def disconnect():
    """Fecha o grupo de processos (no fim do treino, em todos os processos)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
