"""Ler e comparar as respostas do aluno: números, formas, textos e classes.

Tudo aqui levanta `Feedback` com uma mensagem que diz o que está errado, em vez de um
AssertionError sem explicação.
"""

import numbers

import torch

from .base import Feedback, NotAttempted, count_words, format_int, run_quietly


def as_int(value, name):
    """Converte a resposta `name` para int (aceita int, float inteiro, tensor de um elemento)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise Feedback(f"`{name}` deve ser um número, mas é um tensor de forma {tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Feedback(f"`{name}` deve ser um número inteiro, mas é {type(value).__name__}: {value!r}")
    if int(value) != value:
        raise Feedback(f"`{name}` deve ser um número inteiro de parâmetros, mas vale {value!r}")
    return int(value)


def as_float(value, name):
    """Converte a resposta `name` para float (aceita int, float, tensor de um elemento)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise Feedback(f"`{name}` deve ser um número, mas é um tensor de forma {tuple(value.shape)}")
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Feedback(f"`{name}` deve ser um número, mas é {type(value).__name__}: {value!r}")
    return float(value)


def as_shape(value, name):
    """Converte a resposta `name` numa tupla de inteiros (aceita tupla, lista ou torch.Size)."""
    if isinstance(value, torch.Tensor):
        raise Feedback(f"`{name}` deve ser a forma (uma tupla como (2, 4, 768)), não o tensor; use .shape")
    if not isinstance(value, (tuple, list, torch.Size)):
        raise Feedback(f"`{name}` deve ser uma tupla de inteiros, como (2, 4, 768), mas é {value!r}")
    return tuple(as_int(item, f"{name}[{index}]") for index, item in enumerate(value))


def int_list(value, name):
    """Converte a resposta `name` numa lista de inteiros."""
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise Feedback(f"`{name}` deve ser uma lista de inteiros, mas é {type(value).__name__}: {value!r}")
    return [as_int(item, f"{name}[{index}]") for index, item in enumerate(value)]


def explain_count(name, given, expected, known_mistakes=()):
    """Mensagem para uma contagem errada, ou None se estiver certa.

    `known_mistakes` é uma lista de (valor errado, explicação) com os enganos típicos; a
    mensagem diz qual deles o aluno cometeu, ou de quanto errou.
    """
    if given == expected:
        return None
    for wrong_value, explanation in known_mistakes:
        if given == wrong_value:
            return f"`{name}` vale {format_int(given)}: {explanation}"
    difference = given - expected
    direction = "sobram" if difference > 0 else "faltam"
    return f"`{name}` vale {format_int(given)}; {direction} {format_int(abs(difference))} parâmetros"


def report_counts(namespace, expected, known_mistakes):
    """Confere várias contagens de uma vez: `expected` é {nome: valor certo}.

    `known_mistakes[nome]` traz os enganos típicos de cada contagem (veja `explain_count`);
    as erradas viram um `Feedback` com pontos proporcionais (veja `report_problems`).
    """
    report_problems(
        [
            explain_count(name, as_int(namespace[name], name), value, known_mistakes[name])
            for name, value in expected.items()
        ]
    )


def explanation_text(value, name):
    """Confere que a resposta escrita `name` é um texto não vazio; devolve o texto."""
    if not isinstance(value, str):
        raise Feedback(f"`{name}` deve ser um texto (str) com a sua explicação, mas é {type(value).__name__}")
    if count_words(value) == 0:
        raise NotAttempted(f"`{name}` ainda está vazio; escreva sua explicação entre as aspas")
    return value


def student_class(namespace, name, reference):
    """A classe `name` que o aluno definiu; recusa a própria classe de referência do pacote."""
    cls = namespace[name]
    if not isinstance(cls, type):
        raise Feedback(f"`{name}` deveria ser uma classe (class {name}(nn.Module): ...), mas é {cls!r}")
    if reference is not None and issubclass(cls, reference):
        raise Feedback(
            f"`{name}` é a classe pronta do pacote gptlab_helpers; o exercício é escrever a sua. "
            f"Apague o import de {name} e defina a classe na célula do exercício."
        )
    return cls


def student_function(namespace, name, reference, signature):
    """A função `name` que o aluno escreveu; recusa a função pronta do pacote e o que não é função."""
    function = namespace[name]
    if function is reference:
        raise Feedback(f"`{name}` é a função pronta do pacote; o exercício é escrever a sua")
    if not callable(function):
        raise Feedback(f"`{name}` deveria ser uma função {signature}, mas é {function!r}")
    return function


def build(cls, *args, **kwargs):
    """Cria um objeto da classe do aluno, guardando o que ela imprimir."""
    try:
        obj, _ = run_quietly(cls, *args, **kwargs)
    except KeyError as exc:
        raise Feedback(
            f"ao criar {cls.__name__} a configuração não tem a chave {exc}; "
            "use só as chaves da configuração do exercício"
        ) from exc
    except TypeError as exc:
        raise Feedback(f"não consegui criar {cls.__name__}: {exc}. Use a assinatura do livro.") from exc
    return obj


def copy_parameters(source, target, what):
    """Copia os pesos do modelo de referência `source` para o modelo do aluno `target`.

    Pelo nome quando os nomes coincidem com os do livro; senão, pela ordem, se as formas
    coincidirem. Assim os dois modelos calculam com os mesmos números e podem ser comparados.
    """
    source_params = dict(source.named_parameters())
    target_params = dict(target.named_parameters())
    if source_params.keys() == target_params.keys():
        pairs = [(target_params[name], source_params[name]) for name in source_params]
    else:
        source_shapes = [tuple(p.shape) for p in source_params.values()]
        target_shapes = [tuple(p.shape) for p in target_params.values()]
        if source_shapes != target_shapes:
            raise Feedback(parameter_mismatch_message(source_params, target_params, what))
        pairs = list(zip(target_params.values(), source_params.values()))
    with torch.no_grad():
        for target_param, source_param in pairs:
            if target_param.shape != source_param.shape:
                raise Feedback(parameter_mismatch_message(source_params, target_params, what))
            target_param.copy_(source_param)


def parameter_mismatch_message(source_params, target_params, what):
    expected = sum(p.numel() for p in source_params.values())
    given = sum(p.numel() for p in target_params.values())
    missing = [name for name in source_params if name not in target_params]
    extra = [name for name in target_params if name not in source_params]
    parts = [f"{what} tem {format_int(given)} parâmetros, a referência tem {format_int(expected)}"]
    if missing:
        parts.append(
            "faltam (ou têm outro nome): " + ", ".join(missing[:4]) + (" ..." if len(missing) > 4 else "")
        )
    if extra:
        parts.append("sobram: " + ", ".join(extra[:4]) + (" ..." if len(extra) > 4 else ""))
    for name, param in target_params.items():
        if name in source_params and param.shape != source_params[name].shape:
            parts.append(
                f"{name} tem forma {tuple(param.shape)}, mas deveria ter {tuple(source_params[name].shape)}"
            )
            break
    return "; ".join(parts) + ". Use os nomes e as formas do livro."


def max_difference(given, expected, name):
    """Maior diferença absoluta entre a saída do aluno e a de referência (confere a forma antes)."""
    if not isinstance(given, torch.Tensor):
        raise Feedback(f"{name} deveria devolver um tensor, mas devolveu {type(given).__name__}")
    if given.shape != expected.shape:
        raise Feedback(
            f"{name} devolveu um tensor de forma {tuple(given.shape)}, mas a esperada é {tuple(expected.shape)}"
        )
    return (given.detach().float() - expected.detach().float()).abs().max().item()


def same_output(given, expected, name, atol=1e-5):
    """True se a saída do aluno coincide com a de referência (até `atol`)."""
    return max_difference(given, expected, name) <= atol


def report_problems(problems):
    """Junta as conferências das partes de um exercício (None = parte certa).

    Se alguma parte falhou, levanta um `Feedback` com as mensagens das partes erradas e os
    pontos proporcionais às partes certas.
    """
    wrong = [problem for problem in problems if problem]
    if wrong:
        right = len(problems) - len(wrong)
        raise Feedback(
            "; ".join(wrong) + f". ({right} de {len(problems)} partes certas)", fraction=right / len(problems)
        )
