"""Aula 09: o laço de treino de um GPTModel: AdamW, aquecimento + cosseno, corte do gradiente.

`train(model, train_ids, val_ids, max_steps=...)` faz o laço inteiro e devolve o histórico das
perdas. Cada passo: sortear um lote, calcular a entropia cruzada do próximo token,
retropropagar, cortar o gradiente e dar um passo do AdamW. De tempos em tempos mede a perda de
treino e de validação (sempre nos mesmos trechos) e, no fim, grava um checkpoint. As escolhas
ficam num `TrainSettings` (`settings.py`); o que um passo e uma avaliação fazem fica em
`TrainingRun`, para que o laço em `train` se leia de uma vez.
"""

import math
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..core.device import get_device
from ..core.validation import check_token_ids
from .checkpoint import resume_from, save_checkpoint
from .data import as_token_tensor, fixed_batches, random_batch
from .distributed import KEEP_GOING, OUT_OF_BUDGET, STOP_REQUESTED, DataParallel
from .gpu import autocast_context, check_bf16, to_device
from .settings import TrainSettings

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


def empty_history():
    return {key: [] for key in HISTORY_KEYS}


class TrainingRun:
    """Um treino em andamento: modelo, dados, otimizador, relógio, histórico e barra de progresso.

    Criar um `TrainingRun` prepara tudo (dispositivo, conferência dos IDs, lotes fixos de
    avaliação, AdamW, retomada do checkpoint); `train` só chama os seus métodos em ordem.
    """

    def __init__(self, model, train_ids, val_ids, settings, on_eval=None):
        self.settings, self.on_eval = settings, on_eval
        self.parallel = DataParallel.current()
        micro_batch_size(settings.batch_size, settings.accum_steps, self.parallel.world_size)  # confere
        self.device = get_device() if settings.device is None else torch.device(settings.device)
        if settings.bf16:
            check_bf16(self.device)
        self.autocast = autocast_context(self.device, settings.bf16)
        self.model = model.to(self.device).train()
        self.context_length = model.cfg["context_length"]
        self.train_ids, self.val_ids = (
            checked_ids(ids, name, model) for ids, name in ((train_ids, "train_ids"), (val_ids, "val_ids"))
        )
        size, count = settings.batch_size, settings.eval_batches
        self.eval_sets = {
            "train_loss": evaluation_batches(self.train_ids, size, self.context_length, count or 20),
            "val_loss": evaluation_batches(self.val_ids, size, self.context_length, count),
        }
        self.optimizer = make_optimizer(model, settings.learning_rate, settings.weight_decay)
        self.batch_generator = torch.Generator().manual_seed(settings.seed)
        self.step, self.history = 0, empty_history()
        path = settings.checkpoint_path
        if settings.resume and path is not None and Path(path).is_file():
            self.step, self.history = resume_from(path, model, self.optimizer, self.batch_generator)
        seed_dropout(self.parallel, settings.seed, self.step)
        # o modelo que treina: compilado e/ou envolvido no DDP; `model` continua o original
        compiled = torch.compile(model) if settings.compile_model else model
        self.trained_model = self.parallel.wrap(compiled, self.device)
        self.start = time.perf_counter() - (self.history["seconds"][-1] if self.history["seconds"] else 0.0)
        self.eval_seconds = 0.0  # quanto durou a última avaliação

    def elapsed(self):
        return time.perf_counter() - self.start

    def evaluated_now(self):
        return bool(self.history["step"]) and self.history["step"][-1] == self.step

    def evaluate(self):
        """Mede as perdas de treino e de validação nos lotes fixos e acrescenta uma linha ao histórico."""
        eval_start = time.perf_counter()
        for key, batches in self.eval_sets.items():
            with self.autocast():
                self.history[key].append(estimate_loss(self.model, batches, self.device))
        self.history["step"].append(self.step)
        self.history["tokens"].append(self.step * self.settings.batch_size * self.context_length)
        self.history["learning_rate"].append(self.optimizer.param_groups[0]["lr"])
        self.history["seconds"].append(self.elapsed())
        self.eval_seconds = time.perf_counter() - eval_start
        if self.on_eval is not None and self.parallel.is_main:
            self.on_eval(self.history)

    def reason_to_stop(self, stop_requested):
        """KEEP_GOING, OUT_OF_BUDGET ou STOP_REQUESTED, combinado entre os processos; devolve (motivo, segundos)."""
        elapsed = self.elapsed()
        reason = KEEP_GOING
        if stop_requested is not None and stop_requested():
            reason = STOP_REQUESTED
        # guarda tempo para a avaliação final caber dentro de max_seconds
        elif (
            self.settings.max_seconds is not None and elapsed + self.eval_seconds >= self.settings.max_seconds
        ):
            reason = OUT_OF_BUDGET
        # todos os processos param no mesmo passo e usam o mesmo relógio
        return self.parallel.agree(reason, elapsed, self.device)

    def train_step(self, elapsed):
        """Um passo de AdamW num lote sorteado, com a taxa de aprendizado do momento; devolve a perda."""
        settings = self.settings
        progress = settings.progress(self.step, elapsed)
        lr = learning_rate_at(
            self.step,
            None,
            settings.learning_rate,
            settings.warmup_steps,
            settings.final_learning_rate,
            progress,
        )
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        # o lote global (B, T) é o mesmo em todos os processos; cada um treina nas suas linhas
        x, y = random_batch(self.train_ids, settings.batch_size, self.context_length, self.batch_generator)
        x, y = to_device(self.parallel.rows(x), self.device), to_device(self.parallel.rows(y), self.device)
        loss = training_step(
            self.trained_model, self.optimizer, x, y, settings.grad_clip, settings.accum_steps, self.autocast
        )
        self.step += 1
        return loss

    def progress_bar(self):
        """A barra do tqdm: em passos ou, quando há limite de tempo, em segundos."""
        disable = not (self.settings.show_progress and self.parallel.is_main)
        return progress_bar(self.settings.max_steps, self.step, self.settings.max_seconds, disable)

    def bar_position(self):
        max_seconds = self.settings.max_seconds
        return min(self.elapsed(), max_seconds) if max_seconds else self.step

    def finish(self, tokenizer, interrupted, keyboard_interrupt):
        """Grava o checkpoint (no processo 0), espera os outros processos e avisa se parou antes."""
        settings, parallel = self.settings, self.parallel
        path = settings.checkpoint_path
        if path is not None and parallel.is_main:
            rng = {"torch": torch.get_rng_state(), "batches": self.batch_generator.get_state()}
            recorded = dict(settings.to_dict(), world_size=parallel.world_size)
            save_checkpoint(
                path, self.model, self.optimizer, self.step, tokenizer, self.history, recorded, rng
            )
        if not keyboard_interrupt:
            # os outros processos esperam o checkpoint ficar pronto (depois de um KeyboardInterrupt
            # eles podem estar presos noutro ponto: não há o que esperar)
            parallel.barrier()
        if interrupted and parallel.is_main:
            where = f"; checkpoint salvo em {path}" if path else ""
            print(f"Treino interrompido no passo {self.step}{where}.")


def checked_ids(token_ids, name, model):
    """Os IDs como tensor (N,), conferidos uma vez contra o vocabulário (os forwards pulam a conferência)."""
    token_ids = as_token_tensor(token_ids, name)
    check_token_ids(token_ids.unsqueeze(0), model.cfg["vocab_size"], name=name)
    return token_ids


def train(
    model, train_ids, val_ids, settings=None, *, tokenizer=None, on_eval=None, stop_requested=None, **options
):
    """Treina `model` (um GPTModel) para prever o próximo token e devolve o histórico.

    - `train_ids`, `val_ids`: o texto de treino e o de validação já codificados, (N,).
    - `settings` (um `TrainSettings`) e/ou `options` (os seus campos: `max_steps`, `max_seconds`,
      `batch_size`, `learning_rate`, `checkpoint_path`, `resume`...; ex.: `**CHAR_TRAIN_SETTINGS`).
      Cada passo usa `batch_size` janelas de `model.cfg["context_length"]` tokens sorteadas.
    - A cada `eval_interval` passos mede a perda de treino e de validação em `eval_batches`
      lotes fixos (`None` = a validação inteira); `on_eval(history)` é chamada depois de cada uma.
    - Com `checkpoint_path`, grava um checkpoint no fim (e ao interromper com Ctrl-C); com
      `resume=True` e o arquivo já existindo, continua dele. `tokenizer` vai junto no checkpoint.
    - `stop_requested()` devolve True para parar no fim do passo e gravar (ex.: um SIGTERM).
    - Iniciado pelo torchrun, treina em paralelo com DDP (`batch_size` é o lote global); só o
      processo 0 mostra a barra e grava o checkpoint.

    Devolve um dict de listas (uma entrada por avaliação): step, tokens, seconds,
    learning_rate, train_loss, val_loss.
    """
    settings = TrainSettings.build(settings, **options)
    run = TrainingRun(model, train_ids, val_ids, settings, on_eval)
    interrupted = keyboard_interrupt = False
    bar = run.progress_bar()
    check_inputs, model.check_inputs = getattr(model, "check_inputs", True), False
    try:
        while run.step < settings.step_budget:
            if run.step % settings.eval_interval == 0 and not run.evaluated_now():
                run.evaluate()
            reason, elapsed = run.reason_to_stop(stop_requested)
            if reason != KEEP_GOING:
                interrupted = reason == STOP_REQUESTED
                break
            loss = run.train_step(elapsed)
            if run.step % 10 == 0:
                update_bar(bar, run.step, loss, run.history, run.bar_position())
        if not interrupted and not run.evaluated_now():
            run.evaluate()
        update_bar(bar, run.step, run.history["train_loss"][-1], run.history, run.bar_position())
    except KeyboardInterrupt:
        # Ctrl-C (ou "interromper o kernel" no Jupyter): para aqui, guarda o que já foi feito
        interrupted = keyboard_interrupt = True
    finally:
        bar.close()
        model.check_inputs = check_inputs
    run.finish(tokenizer, interrupted, keyboard_interrupt)
    return run.history
