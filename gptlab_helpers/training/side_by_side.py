"""Aula 13: treinar dois (ou mais) modelos lado a lado, com o mesmo orçamento de tempo de CPU.

Medir "quanto cada modelo aprende em um minuto" treinando um depois do outro é injusto numa
máquina compartilhada: se outro programa pesado começar no meio, só um dos dois sofre. Aqui os
modelos se revezam, um passo de cada vez, e cada um só conta o tempo dos seus próprios passos.
Assim os dois enfrentam a mesma carga da máquina, e o orçamento é o mesmo para cada um.
"""

import time

import torch

from .data import as_token_tensor, fixed_batches, random_batch
from .loop import estimate_loss, learning_rate_at, make_optimizer, training_step


class Runner:
    """Um modelo em treino: otimizador, sorteio dos lotes, relógio próprio e histórico."""

    def __init__(self, model, seed, settings):
        self.model = model.train()
        self.optimizer = make_optimizer(model, settings["learning_rate"], settings["weight_decay"])
        self.batches = torch.Generator().manual_seed(seed)  # a mesma sequência de lotes para todos
        self.step, self.seconds = 0, 0.0
        self.history = {"step": [], "seconds": [], "val_loss": []}

    def train_step(self, train_ids, settings, budget):
        """Um passo de AdamW com aquecimento + cosseno pelo tempo já gasto (o cosseno acaba em `budget`)."""
        peak = settings["learning_rate"]
        progress = min(self.seconds / budget, 1.0)  # quem manda é o relógio, não um número de passos
        lr = learning_rate_at(self.step, None, peak, settings["warmup_steps"], peak / 10, progress=progress)
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        context = self.model.cfg["context_length"]
        x, y = random_batch(train_ids, settings["batch_size"], context, self.batches)
        start = time.perf_counter()
        training_step(self.model, self.optimizer, x, y, settings["grad_clip"])
        self.seconds += time.perf_counter() - start
        self.step += 1

    def evaluate(self, val_batches):
        self.history["step"].append(self.step)
        self.history["seconds"].append(self.seconds)
        self.history["val_loss"].append(estimate_loss(self.model, val_batches, "cpu"))


def train_side_by_side(models, train_ids, val_ids, seconds, settings, evaluations=10, seed=123, threads=1):
    """Treina cada modelo de `models` (nome -> GPTModel) por `seconds` segundos dos seus passos.

    Os modelos se revezam passo a passo na CPU, com os mesmos lotes (mesma semente) e as mesmas
    configurações de treino `settings` (as chaves de CHAR_TRAIN_SETTINGS). A perda de validação
    é medida `evaluations` vezes ao longo do orçamento, nos mesmos trechos para todos (o tempo da
    avaliação não entra na conta). Devolve nome -> histórico {step, seconds, val_loss}.

    O PyTorch usa `threads` linhas de execução durante a corrida (1 = um núcleo por vez: um
    "minuto de CPU" é literalmente um minuto de um núcleo; numa máquina ocupada, várias linhas
    esperando umas pelas outras deixam um modelo tão pequeno muitas vezes mais lento).
    """
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return race(models, train_ids, val_ids, seconds, settings, evaluations, seed)
    finally:
        torch.set_num_threads(previous_threads)


def race(models, train_ids, val_ids, seconds, settings, evaluations, seed):
    """O laço de `train_side_by_side`: um passo de cada modelo por vez, até o orçamento acabar."""
    if not seconds > 0:
        raise ValueError(f"seconds deve ser positivo, mas vale {seconds!r}")
    train_ids, val_ids = as_token_tensor(train_ids, "train_ids"), as_token_tensor(val_ids, "val_ids")
    runners = {name: Runner(model, seed, settings) for name, model in models.items()}
    context = next(iter(models.values())).cfg["context_length"]
    val_batches = fixed_batches(val_ids, settings["batch_size"], context, settings["eval_batches"])
    for runner in runners.values():
        runner.evaluate(val_batches)
    active = list(runners.values())
    while active:
        for runner in active:
            runner.train_step(train_ids, settings, seconds)
            done = len(runner.history["step"]) - 1  # avaliações já feitas depois do começo
            if runner.seconds >= seconds * (done + 1) / evaluations:
                runner.evaluate(val_batches)
        active = [runner for runner in active if runner.seconds < seconds]
    for runner in runners.values():
        if runner.history["step"][-1] != runner.step:
            runner.evaluate(val_batches)
    return {name: runner.history for name, runner in runners.items()}
