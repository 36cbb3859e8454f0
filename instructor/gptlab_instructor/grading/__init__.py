"""`gptlab-grade`: corrige de uma vez uma pasta (ou .zip) de notebooks de exercícios entregues.

    gptlab-grade ENTREGAS -o SAIDA [-j N] [--timeout SEGUNDOS] [--memoria-max GB] ...
    python -m gptlab_instructor.grading ENTREGAS -o SAIDA

As peças, na ordem em que agem:

- `cli`: a linha de comando, em português;
- `inputs`: acha os .ipynb (pasta ou .zip), dá um nome a cada aluno e reconhece a lista de
  exercícios pelo conteúdo do notebook;
- `batch`: corrige as entregas que faltam, `-j N` de cada vez, e retoma o que parou;
- `runner`: planeja as células de uma entrega, executa-as (com novas tentativas se o kernel
  se perde) e lê os resultados; `problems` escreve o que deu errado em português;
- `kernel`: um kernel novo por entrega, com tempo limite por célula; `sandbox` põe nele os
  limites de memória, processos e rede;
- `evaluator`: dentro do kernel, confere cada exercício depois do código do aluno, com uma
  cópia das conferências que o aluno não alcança;
- `reports`: notas.csv, um feedback por aluno, o estado para retomar e o resumo; `manual`:
  as respostas abertas que o instrutor lê e avalia;
- `hints`: as chamadas `hint()`/`solution()` achadas em cada entrega (e o desconto, se pedido);
- `roster`: a turma (`--roster`) e qual entrega é de qual aluno, sem adivinhar;
- `exports`: moodle.csv, canvas.csv e notas_planilha.csv; `common_errors`: erros_comuns.md e
  o gráfico, com os alunos agrupados pelo erro;
- `status`: a situação de uma entrega e o resultado de um exercício (a situação de um
  exercício, que o aluno também vê, é a de `gptlab_helpers.checks.status`).

Este arquivo não importa nada pesado: o corretor (nbclient, jupyter_client) só é importado
quando alguém o pede.
"""

__all__ = ["Settings", "grade_folder", "main"]


def __getattr__(name):
    # o corretor (nbclient, jupyter_client) só é importado quando alguém o pede
    if name in ("Settings", "grade_folder"):
        from . import batch

        return getattr(batch, name)
    if name == "main":
        from .cli import main

        return main
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
