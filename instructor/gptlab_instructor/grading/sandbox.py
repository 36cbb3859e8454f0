"""O lançador do kernel de cada entrega: põe os limites e então vira o kernel (`os.execv`).

    python -m gptlab_instructor.grading.sandbox --memoria BYTES --processos N --casa PASTA
        [--sem-rede] [--pastas PASTA ...] -- python -m ipykernel_launcher -f ARQUIVO

- memória: `RLIMIT_AS` (espaço de endereços), herdado por qualquer processo que o aluno crie;
  passar dele faz a alocação falhar (MemoryError, "can't allocate memory") em vez de derrubar
  a máquina do instrutor;
- processos: `RLIMIT_NPROC`. Ele conta os processos do usuário inteiro e não vale para o
  root; por isso, rodando como root, o kernel passa para o usuário `nobody` (e as `--pastas`
  de trabalho passam a ser dele). Fora do root, o limite é o que o usuário já tem mais N;
- rede: com root, o kernel roda num namespace de rede próprio, sem nenhuma interface (o
  corretor conversa com ele por sockets Unix, não por TCP). Sem root isto não é possível e o
  kernel fica com a rede do sistema;
- `HOME` temporário: o que o aluno grava em `~` some com a pasta da entrega.

Só a biblioteca padrão, e nada de importar o resto do pacote: este processo tem de ser leve.
"""

import argparse
import ctypes
import os
import resource
import sys
from pathlib import Path

CLONE_NEWNET = 0x40000000
NOBODY = 65534
# para o nobody ainda ler o Python e o pacote (que podem estar numa pasta fechada, como /root)
CAP_DAC_READ_SEARCH = 2
PR_SET_KEEPCAPS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE = 8, 47, 2
CAPABILITY_VERSION_3 = 0x20080522


def user_tasks(uid):
    """Quantos processos e threads o usuário `uid` tem agora (o que RLIMIT_NPROC conta)."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            total += int(fields.get("Threads", "1"))
    return total


def without_network():
    """Entra num namespace de rede vazio; devolve False onde o sistema não deixa."""
    if not sys.platform.startswith("linux") or os.geteuid() != 0:
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.unshare(CLONE_NEWNET) == 0


def become_nobody(folders):
    """Root não tem limite de processos: o kernel passa a rodar como `nobody`, dono das `folders`.

    Ele guarda só a capacidade de LER qualquer arquivo (CAP_DAC_READ_SEARCH), para achar o
    Python e o pacote onde quer que estejam; gravar, só nas `folders`.
    """
    for folder in folders:
        for path in [Path(folder), *Path(folder).rglob("*")]:
            os.chown(path, NOBODY, NOBODY)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
    header = (ctypes.c_uint32 * 2)(CAPABILITY_VERSION_3, 0)
    bit = 1 << CAP_DAC_READ_SEARCH
    data = (ctypes.c_uint32 * 6)(bit, bit, bit, 0, 0, 0)  # efetiva, permitida, herdável
    if libc.capset(header, data) == 0:
        libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_DAC_READ_SEARCH, 0, 0)


def limit(which, value):
    soft, hard = resource.getrlimit(which)
    value = value if hard == resource.RLIM_INFINITY else min(value, hard)
    resource.setrlimit(which, (value, value))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="gptlab_instructor.grading.sandbox")
    parser.add_argument("--memoria", type=int, required=True, help="bytes de espaço de endereços")
    parser.add_argument("--processos", type=int, required=True, help="processos e threads a mais")
    parser.add_argument("--casa", required=True, help="a pasta HOME do kernel")
    parser.add_argument("--sem-rede", action="store_true")
    parser.add_argument("--pastas", nargs="*", default=[], help="pastas que o kernel precisa gravar")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.sem_rede:
        without_network()
    if sys.platform.startswith("linux"):  # no macOS não há /proc para contar o que o usuário já tem
        if os.geteuid() == 0:
            become_nobody([args.casa, *args.pastas])
        limit(resource.RLIMIT_NPROC, user_tasks(os.getuid()) + args.processos)
    limit(resource.RLIMIT_AS, args.memoria)
    os.environ["HOME"] = args.casa
    os.environ["MPLCONFIGDIR"] = str(Path(args.casa) / ".matplotlib")
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
