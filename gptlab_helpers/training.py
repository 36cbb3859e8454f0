"""Treinar um GPTModel do zero: AdamW, aquecimento + cosseno, corte do gradiente e checkpoints.

`train(model, train_ids, val_ids, max_steps=...)` faz o laço inteiro e devolve o histórico
das perdas. Cada passo: sortear um lote, calcular a entropia cruzada do próximo token,
retropropagar, cortar o gradiente e dar um passo do AdamW. De tempos em tempos mede a perda
de treino e de validação (sempre nos mesmos trechos) e, no fim, grava um checkpoint.
"""

import math
import os
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from .char_tokenizer import CharTokenizer
from .data import as_token_tensor, fixed_batches, random_batch
from .distributed import KEEP_GOING, OUT_OF_BUDGET, STOP_REQUESTED, DataParallel
from .gpt import GPTModel
from .gpu import autocast_context, check_bf16, to_device
from .tokenizer import get_tokenizer
from .utils import get_device
from .validation import check_non_negative_int, check_positive_int, check_token_ids

# O GPT de caracteres da trilha GPTLab (notebooks 09 a 11 e scripts/benchmark_training.py):
# o mesmo GPTModel das aulas, em tamanho de CPU. vocab_size = os 115 caracteres do conto de Machado.
CHAR_GPT_CONFIG = {
    "vocab_size": 115,
    "context_length": 64,  # caracteres que o modelo enxerga de uma vez
    "emb_dim": 64,
    "n_heads": 4,
    "n_layers": 4,
    "drop_rate": 0.0,  # o modelo é pequeno para o texto: quase não há sobreajuste a evitar
    "qkv_bias": False,
    "use_sdpa": True,  # F.scaled_dot_product_attention: o mesmo cálculo, mais rápido
    "fast_kernels": True,  # LayerNorm e GELU fundidas (F.layer_norm, F.gelu): idem
}

# Como treiná-lo (argumentos de `train`), escolhidos para chegar rápido numa CPU de 2 núcleos.
CHAR_TRAIN_SETTINGS = {
    "batch_size": 32,
    "learning_rate": 6e-3,  # modelos pequenos aguentam (e pedem) taxas altas
    "warmup_steps": 50,
    "weight_decay": 0.1,
    "grad_clip": 1.0,
    "eval_interval": 100,
    "eval_batches": 20,
}

CHECKPOINT_FORMAT = 1
HISTORY_KEYS = ("step", "tokens", "seconds", "learning_rate", "train_loss", "val_loss")


def learning_rate_at(step, max_steps, learning_rate, warmup_steps, min_learning_rate, progress=None):
    """Taxa de aprendizado do passo `step`: subida linear e depois descida em cosseno.

    Nos `warmup_steps` primeiros passos a taxa sobe de quase 0 até `learning_rate` (os pesos
    iniciais são aleatórios e o AdamW ainda não tem boas médias dos gradientes). Depois ela
    desce como meio cosseno até `min_learning_rate` no fim do treino. `progress` (de 0 a 1)
    diz quanto do treino já passou; por padrão é step / max_steps.
    """
    if step < warmup_steps:
        return learning_rate * (step + 1) / warmup_steps
    progress = step / max_steps if progress is None else progress
    cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))  # vai de 1 a 0
    return min_learning_rate + cosine * (learning_rate - min_learning_rate)


def make_optimizer(model, learning_rate, weight_decay):
    """AdamW com decaimento de peso só nas matrizes (não em bias nem em scale/shift das normas).

    O decaimento puxa os pesos para zero; nas normas e nos bias isso só atrapalharia.
    """
    matrices = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [{"params": matrices, "weight_decay": weight_decay}, {"params": vectors, "weight_decay": 0.0}]
    # beta2 = 0.99 (e não 0.999): a média dos gradientes ao quadrado esquece mais depressa, o que
    # acompanha melhor lotes pequenos e barulhentos (é a escolha do nanoGPT para caracteres)
    return torch.optim.AdamW(groups, lr=learning_rate, betas=(0.9, 0.99))


def batch_loss(model, x, y):
    """Entropia cruzada média do próximo token: x, y (B, T) -> escalar (em nats)."""
    logits = model(x)  # (B, T, V)
    return F.cross_entropy(logits.flatten(0, 1), y.flatten())


@torch.no_grad()
def estimate_loss(model, batches, device):
    """Perda média nos lotes fixos `batches` (lista de (x, y)), com o modelo em modo de avaliação."""
    was_training = model.training
    model.eval()  # desliga o dropout
    total, count = torch.zeros((), dtype=torch.float64, device=device), 0
    for x, y in batches:
        # a soma fica no device: um .item() só no fim, em vez de uma espera por lote
        total += batch_loss(model, x.to(device), y.to(device)).double() * y.numel()
        count += y.numel()
    model.train(was_training)
    return total.item() / count


def evaluation_batches(token_ids, batch_size, context_length, num_batches):
    """As janelas de `fixed_batches(..., batch_size, ..., num_batches)`, em menos lotes, maiores.

    A perda média é a mesma (as mesmas janelas), mas cada forward processa até 4 lotes de
    treino de uma vez (sem passar de 16.384 tokens, para caber na memória): menos chamadas,
    menos tempo de avaliação. Devolve uma lista de (x, y), cada um (B', T).
    """
    batches = fixed_batches(token_ids, batch_size, context_length, num_batches)
    size = max(1, min(4 * batch_size, 16_384 // context_length))
    x = torch.cat([x for x, _ in batches])
    y = torch.cat([y for _, y in batches])
    return list(zip(x.split(size), y.split(size)))


def tokenizer_to_dict(tokenizer):
    """Descreve o tokenizador só com tipos simples, para caber num checkpoint seguro."""
    if tokenizer is None:
        return None
    if isinstance(tokenizer, CharTokenizer):
        return tokenizer.to_dict()
    if getattr(tokenizer, "name", None) == "gpt2":
        return {"kind": "gpt2"}
    raise TypeError(
        f"não sei guardar um tokenizador do tipo {type(tokenizer).__name__}; "
        "use CharTokenizer ou get_tokenizer('gpt2')"
    )


def tokenizer_from_dict(data):
    """Reconstrói o tokenizador descrito por `tokenizer_to_dict`."""
    if data is None:
        return None
    if data.get("kind") == "gpt2":
        return get_tokenizer("gpt2")
    return CharTokenizer.from_dict(data)


def save_checkpoint(
    path, model, optimizer=None, step=0, tokenizer=None, history=None, settings=None, rng=None
):
    """Grava modelo, otimizador, configuração, tokenizador e passo num arquivo `.pt`.

    A gravação é atômica: tudo vai para um arquivo temporário que só no fim toma o lugar do
    checkpoint, então um Ctrl-C no meio nunca deixa um arquivo quebrado.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    checkpoint = {
        "format": CHECKPOINT_FORMAT,
        "model_config": dict(model.cfg),
        "model_state": model.state_dict(),
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "tokenizer": tokenizer_to_dict(tokenizer),
        "step": step,
        "history": history,
        "settings": settings,
        "rng": rng,
    }
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(checkpoint, temporary)
        os.replace(temporary, path)
    finally:
        if temporary.exists():
            temporary.unlink()
    return path


def load_checkpoint(path, device="cpu"):
    """Lê um checkpoint com `weights_only=True`: só tensores e tipos simples, nenhum código."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"não encontrei o checkpoint {path}; treine o modelo com train(...) antes")
    checkpoint = torch.load(path, map_location=device, weights_only=True)
    if checkpoint.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} não é um checkpoint do gptlab_helpers (formato {CHECKPOINT_FORMAT})")
    return checkpoint


def load_trained_model(path, device=None):
    """Reconstrói o GPTModel de um checkpoint: devolve (model, tokenizer, checkpoint).

    O modelo volta em modo de avaliação (`model.eval()`), pronto para gerar texto.
    """
    device = get_device() if device is None else torch.device(device)
    checkpoint = load_checkpoint(path, device)
    model = GPTModel(checkpoint["model_config"]).to(device)
    model.load_state_dict(checkpoint["model_state"])
    model.eval()
    return model, tokenizer_from_dict(checkpoint["tokenizer"]), checkpoint


def training_step(model, optimizer, x, y, grad_clip, accum_steps=1, autocast=nullcontext):
    """Um passo de gradiente num lote x, y (B, T); devolve a perda média do lote (um float).

    Com `accum_steps` > 1 o lote passa pelo modelo em `accum_steps` pedaços de B / accum_steps
    linhas e os gradientes se somam antes do passo (acumulação): o mesmo passo de um lote
    grande, com a memória de um pedaço. Cada pedaço entra com peso 1 / accum_steps, para que a
    soma seja a média do lote inteiro.
    """
    optimizer.zero_grad(set_to_none=True)
    total = 0.0
    pieces = list(zip(x.chunk(accum_steps), y.chunk(accum_steps)))
    for index, (x_piece, y_piece) in enumerate(pieces):
        # no DDP, só o último pedaço troca gradientes entre os processos; antes, a soma é local
        is_last = index == len(pieces) - 1
        sync = nullcontext() if is_last or not hasattr(model, "no_sync") else model.no_sync()
        with sync:
            with autocast():
                loss = batch_loss(model, x_piece, y_piece) / accum_steps
            loss.backward()
        total = total + loss.detach()
    # cortar a norma do gradiente evita que um lote estranho dê um passo enorme
    torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
    optimizer.step()
    return total.item()


def progress_bar(max_steps, step, max_seconds, disable):
    """Barra do tqdm em passos ou, quando há limite de tempo, em segundos."""
    # na saída padrão: no Jupyter ela aparece sem o fundo vermelho dos avisos
    options = {"desc": "treino", "disable": disable, "file": sys.stdout}
    if max_seconds is None:
        return tqdm(total=max_steps, initial=step, unit="passo", **options)
    bar_format = "{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s [{elapsed}{postfix}]"
    return tqdm(total=max_seconds, bar_format=bar_format, **options)


def update_bar(bar, step, loss, history, position):
    """Leva a barra até `position` (passos, ou segundos no modo por tempo) e mostra as perdas."""
    # refresh=False: a barra se redesenha no ritmo do tqdm (10 vezes por segundo), não a cada chamada
    bar.set_postfix(passo=step, perda=f"{loss:.3f}", val=f"{history['val_loss'][-1]:.3f}", refresh=False)
    bar.update(position - bar.n)


def empty_history():
    return {key: [] for key in HISTORY_KEYS}


def resume_from(path, model, optimizer, batch_generator):
    """Carrega um checkpoint para continuar o treino: devolve (passo, histórico).

    Vale com qualquer número de processos: o sorteio dos lotes globais é o mesmo em todos.
    """
    checkpoint = load_checkpoint(path, next(model.parameters()).device)
    if checkpoint["model_config"] != dict(model.cfg):
        raise ValueError(
            f"o checkpoint {path} é de um modelo com outra configuração; crie o modelo com "
            "GPTModel(checkpoint['model_config']) ou use resume=False para começar do zero"
        )
    model.load_state_dict(checkpoint["model_state"])
    optimizer.load_state_dict(checkpoint["optimizer_state"])
    # os sorteios (lotes e dropout) continuam de onde pararam: retomar = não ter parado
    torch.set_rng_state(checkpoint["rng"]["torch"].cpu())
    batch_generator.set_state(checkpoint["rng"]["batches"].cpu())
    return checkpoint["step"], checkpoint["history"]


def check_train_settings(settings):
    """Confere os argumentos de `train` antes de começar (mensagens em português)."""
    for name in ("max_steps", "batch_size", "eval_interval"):
        check_positive_int(settings[name], name)
    check_non_negative_int(settings["warmup_steps"], "warmup_steps")
    if settings["eval_batches"] is not None:
        check_positive_int(settings["eval_batches"], "eval_batches")
    max_seconds = settings["max_seconds"]
    if max_seconds is not None and not max_seconds > 0:
        raise ValueError(f"max_seconds deve ser positivo (ou None), mas vale {max_seconds!r}")
    if settings["resume"] and settings["checkpoint_path"] is None:
        raise ValueError("resume=True precisa de checkpoint_path: de qual arquivo devo continuar?")
    check_positive_int(settings["accum_steps"], "accum_steps")


def micro_batch_size(batch_size, accum_steps, world_size):
    """Linhas de cada pedaço: o lote global B = pedaço x accum_steps x processos."""
    pieces = accum_steps * world_size
    if batch_size % pieces != 0:
        raise ValueError(
            f"o lote global ({batch_size}) deve ser divisível por accum_steps x processos "
            f"({accum_steps} x {world_size} = {pieces}); escolha, por exemplo, batch_size={pieces * max(1, batch_size // pieces)}"
        )
    return batch_size // pieces


def seed_dropout(parallel, seed, step):
    """Sorteios de dropout diferentes em cada processo (o 0 segue a sequência de um processo só)."""
    if parallel.rank > 0:
        torch.manual_seed(seed + 1_000_003 * parallel.rank + step)


def train(
    model,
    train_ids,
    val_ids,
    *,
    max_steps,
    batch_size=32,
    learning_rate=1e-3,
    min_learning_rate=None,
    warmup_steps=100,
    weight_decay=0.1,
    grad_clip=1.0,
    eval_interval=250,
    eval_batches=20,
    max_seconds=None,
    checkpoint_path=None,
    tokenizer=None,
    resume=False,
    device=None,
    seed=123,
    show_progress=True,
    accum_steps=1,
    bf16=False,
    compile_model=False,
    on_eval=None,
    stop_requested=None,
):
    """Treina `model` (um GPTModel) para prever o próximo token e devolve o histórico.

    - `train_ids`, `val_ids`: o texto de treino e o de validação já codificados, (N,).
    - Cada passo usa `batch_size` janelas de `model.cfg["context_length"]` tokens sorteadas.
    - A taxa de aprendizado segue `learning_rate_at` (aquecimento + cosseno até
      `min_learning_rate`, por padrão um décimo de `learning_rate`).
    - A cada `eval_interval` passos mede a perda de treino e de validação em
      `eval_batches` lotes fixos (`None` = a validação inteira).
    - `max_seconds` limita o tempo de relógio (avaliações incluídas); o cosseno acompanha
      o que estiver mais adiantado, passos ou tempo.
    - Com `checkpoint_path`, grava um checkpoint no fim (e ao interromper com Ctrl-C);
      com `resume=True` e o arquivo já existindo, continua dele até `max_steps`.
    - `accum_steps` divide cada lote em pedaços (acumulação de gradiente); `bf16` liga o
      autocast em bfloat16; `compile_model` passa o modelo pelo `torch.compile`.
    - Iniciado pelo torchrun (grupo do `torch.distributed` já conectado), treina em paralelo
      com DDP: `batch_size` é o lote global, dividido entre os processos (ver `distributed`).
      Só o processo 0 mostra a barra e grava o checkpoint.
    - `on_eval(history)` é chamada depois de cada avaliação (no processo 0);
      `stop_requested()` devolve True para parar no fim do passo e gravar (ex.: um SIGTERM).

    Devolve um dict de listas (uma entrada por avaliação): step, tokens, seconds,
    learning_rate, train_loss, val_loss.
    """
    not_settings = ("model", "train_ids", "val_ids", "tokenizer", "on_eval", "stop_requested")
    settings = {k: v for k, v in locals().items() if k not in not_settings}
    check_train_settings(settings)
    parallel = DataParallel.current()
    micro_batch_size(batch_size, accum_steps, parallel.world_size)  # confere que o lote se divide
    settings["checkpoint_path"] = None if checkpoint_path is None else str(checkpoint_path)
    settings["device"] = None if device is None else str(device)
    settings["world_size"] = parallel.world_size
    min_learning_rate = learning_rate / 10 if min_learning_rate is None else min_learning_rate

    device = get_device() if device is None else torch.device(device)
    if bf16:
        check_bf16(device)
    autocast = autocast_context(device, bf16)
    model.to(device).train()
    context_length = model.cfg["context_length"]
    train_ids = as_token_tensor(train_ids, "train_ids")
    val_ids = as_token_tensor(val_ids, "val_ids")
    for ids, name in ((train_ids, "train_ids"), (val_ids, "val_ids")):
        # confere os IDs do texto inteiro uma vez; cada forward pode então pular a conferência
        check_token_ids(ids.unsqueeze(0), model.cfg["vocab_size"], name=name)
    eval_sets = {
        "train_loss": evaluation_batches(train_ids, batch_size, context_length, eval_batches or 20),
        "val_loss": evaluation_batches(val_ids, batch_size, context_length, eval_batches),
    }
    optimizer = make_optimizer(model, learning_rate, weight_decay)
    batch_generator = torch.Generator().manual_seed(seed)

    step, history = 0, empty_history()
    if resume and Path(checkpoint_path).is_file():
        step, history = resume_from(checkpoint_path, model, optimizer, batch_generator)
    seed_dropout(parallel, seed, step)
    # o modelo que treina: compilado e/ou envolvido no DDP; `model` continua o original (avaliação, checkpoint)
    trained_model = parallel.wrap(torch.compile(model) if compile_model else model, device)
    start = time.perf_counter() - (history["seconds"][-1] if history["seconds"] else 0.0)

    eval_seconds = [0.0]  # quanto durou a última avaliação

    def evaluate():
        eval_start = time.perf_counter()
        for key, batches in eval_sets.items():
            with autocast():
                history[key].append(estimate_loss(model, batches, device))
        history["step"].append(step)
        history["tokens"].append(step * batch_size * context_length)
        history["learning_rate"].append(optimizer.param_groups[0]["lr"])
        history["seconds"].append(time.perf_counter() - start)
        eval_seconds[0] = time.perf_counter() - eval_start
        if on_eval is not None and parallel.is_main:
            on_eval(history)

    def reason_to_stop(elapsed):
        if stop_requested is not None and stop_requested():
            return STOP_REQUESTED
        # guarda tempo para a avaliação final caber dentro de max_seconds
        if max_seconds is not None and elapsed + eval_seconds[0] >= max_seconds:
            return OUT_OF_BUDGET
        return KEEP_GOING

    def bar_position():
        # no modo por tempo a barra mede segundos; no modo por passos, passos
        return min(time.perf_counter() - start, max_seconds) if max_seconds else step

    bar = progress_bar(max_steps, step, max_seconds, disable=not (show_progress and parallel.is_main))
    interrupted = keyboard_interrupt = False
    check_inputs, model.check_inputs = getattr(model, "check_inputs", True), False
    try:
        while step < max_steps:
            if step % eval_interval == 0 and (not history["step"] or history["step"][-1] != step):
                evaluate()
            elapsed = time.perf_counter() - start
            # todos os processos param no mesmo passo e usam o mesmo relógio
            reason, elapsed = parallel.agree(reason_to_stop(elapsed), elapsed, device)
            if reason != KEEP_GOING:
                interrupted = reason == STOP_REQUESTED
                break
            progress = max(step / max_steps, elapsed / max_seconds if max_seconds else 0.0)
            lr = learning_rate_at(step, max_steps, learning_rate, warmup_steps, min_learning_rate, progress)
            for group in optimizer.param_groups:
                group["lr"] = lr

            # o lote global (B, T) é o mesmo em todos os processos; cada um treina nas suas linhas
            x, y = random_batch(train_ids, batch_size, context_length, batch_generator)
            x, y = to_device(parallel.rows(x), device), to_device(parallel.rows(y), device)
            loss = training_step(trained_model, optimizer, x, y, grad_clip, accum_steps, autocast)
            step += 1
            if step % 10 == 0:
                update_bar(bar, step, loss, history, bar_position())
        if not interrupted and (not history["step"] or history["step"][-1] != step):
            evaluate()
        update_bar(bar, step, history["train_loss"][-1], history, bar_position())
    except KeyboardInterrupt:
        # Ctrl-C (ou "interromper o kernel" no Jupyter): para aqui, guarda o que já foi feito
        interrupted = keyboard_interrupt = True
    finally:
        bar.close()
        model.check_inputs = check_inputs

    if checkpoint_path is not None and parallel.is_main:
        rng = {"torch": torch.get_rng_state(), "batches": batch_generator.get_state()}
        save_checkpoint(checkpoint_path, model, optimizer, step, tokenizer, history, settings, rng)
    if not keyboard_interrupt:
        # os outros processos esperam o checkpoint ficar pronto (depois de um KeyboardInterrupt
        # eles podem estar presos noutro ponto: não há o que esperar)
        parallel.barrier()
    if interrupted and parallel.is_main:
        where = f"; checkpoint salvo em {checkpoint_path}" if checkpoint_path else ""
        print(f"Treino interrompido no passo {step}{where}.")
    return history
