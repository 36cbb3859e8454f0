"""O caminho da GPU no treino: bf16, TF32, memória fixada e cópias assíncronas.

Na CPU nada disso é ligado por padrão: o treino das aulas continua exatamente o mesmo.
"""

from contextlib import nullcontext

import torch


def check_bf16(device):
    """Confere que o dispositivo calcula em bfloat16 (erro em português se não)."""
    if device.type == "mps":
        raise ValueError("bf16 não é suportado aqui em 'mps'; treine sem --bf16 no Mac")
    if device.type == "cuda" and not bf16_supported(device):
        raise ValueError(
            "esta GPU não calcula em bfloat16 (só as de arquitetura Ampere em diante, como A100, "
            "RTX 30xx, L4, H100); treine sem --bf16"
        )


def bf16_supported(device):
    """True se a GPU calcula em bf16 no hardware (Ampere em diante, capacidade >= 8.0).

    `torch.cuda.is_bf16_supported()` também diz True numa T4 (a GPU grátis do Colab), onde o
    bf16 é emulado e fica mais lento que o float32; por isso a conferência é pela arquitetura.
    """
    return device.type == "cuda" and torch.cuda.get_device_capability(device)[0] >= 8


def autocast_context(device, bf16):
    """Fábrica de contextos para o forward: autocast em bfloat16 ou nada.

    Dentro do autocast as multiplicações de matrizes rodam em bf16 (metade da memória, núcleos
    tensoriais da GPU) e as somas delicadas (normas, softmax, perda) continuam em float32. O
    bf16 tem o mesmo alcance do float32, então não precisa do GradScaler do float16.
    """
    if not bf16:
        return nullcontext
    return lambda: torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def enable_tf32():
    """Deixa as multiplicações em float32 da GPU usarem TF32 (núcleos tensoriais, ~8x mais rápido).

    O TF32 guarda 10 bits de mantissa em vez de 23: para treinar redes é precisão de sobra.
    """
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True


def to_device(tensor, device):
    """Copia um lote para o dispositivo; na GPU, de memória fixada e sem esperar a cópia acabar.

    Memória fixada ("pinned") pode ser lida pela GPU direto, e `non_blocking=True` deixa a
    CPU seguir preparando o próximo passo enquanto a cópia acontece.
    """
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)
