"""A parte do corretor que roda DENTRO do kernel do aluno.

O corretor (`runner.py`) chama `prepare()` numa célula própria, ANTES do código do
aluno, e depois das células dele chama `grade()` uma vez por exercício. Duas defesas:

1. As conferências (o pacote `checks`) do corretor são uma cópia particular, importada e
   tirada de `sys.modules` antes do aluno rodar qualquer coisa: o `import` do aluno carrega
   outra cópia, e redefinir `q1`, trocar `Exercise.evaluate` ou `grade()` não alcança a do
   corretor.
2. O resto do pacote (GPTModel, GPT_CONFIG_124M, parameter_breakdown...) é compartilhado, para
   que `issubclass(classe_do_aluno, GPTModel)` continue respondendo certo; por isso o
   `prepare()` fotografa módulos, classes, funções e dicionários/listas do pacote (e os
   nomes de `builtins` e do `torch`) e `grade()` os devolve ao estado da foto antes de
   conferir. Um `GPT_CONFIG_124M["drop_rate"] = 0.0` esquecido pelo aluno, ou um monkeypatch
   em `GPTModel.forward`, não muda a referência.

Depois da conferência visível, `grade()` roda os casos ocultos do exercício (`hidden.py`:
outras configurações, sementes e entradas), com uma cópia dos casos guardada também antes do
código do aluno.

O resultado (um `status.ExerciseResult`) vai em JSON para um arquivo de nome aleatório que só o corretor conhece, nunca
pela saída da célula (um `print("Correto!")` não vale nada). Isto não é uma caixa de areia:
o código do aluno roda no mesmo processo, e um ataque escrito contra este arquivo ainda
poderia enganá-lo; o que ele cobre é o que um aluno faz num notebook.
"""

import copy
import importlib
import json
import sys
import types

from . import hidden
from .status import ExerciseResult, ExerciseStatus

# módulos de fora do pacote cujos nomes as conferências usam o tempo todo
GUARDED_MODULES = ("builtins", "torch", "torch.nn", "torch.nn.functional")
GUARDED_CLASSES = (("torch", "Tensor"), ("torch.nn", "Module"))
MISSING = object()


def modules_under(prefixes):
    return {
        name: module
        for name, module in sys.modules.items()
        if any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)
    }


class Snapshot:
    """Como estavam os objetos de que as conferências dependem; `restore()` volta a eles.

    Só devolve o que mudou ou sumiu; nomes acrescentados pelo aluno ficam (não atrapalham).
    """

    def __init__(self):
        self.namespaces = []  # (dicionário de módulo ou de classe, cópia)
        self.classes = []  # (classe, cópia do __dict__)
        self.functions = []  # (função, __code__, __defaults__, __kwdefaults__)
        self.containers = []  # (dict/list/set, cópia rasa)
        self.sys_modules = {}
        self.seen = {}  # id -> objeto (guardar o objeto impede que o id seja reaproveitado)

    def add_package(self, modules):
        self.sys_modules.update(modules)
        for module in modules.values():
            self.namespaces.append((module.__dict__, dict(module.__dict__)))
            for key, value in list(vars(module).items()):
                if not key.startswith("__"):  # __builtins__ etc. não são do pacote
                    self.add_value(value, module.__name__.split(".")[0])

    def add_value(self, value, root):
        if id(value) in self.seen:
            return
        self.seen[id(value)] = value
        if isinstance(value, type) and getattr(value, "__module__", "").split(".")[0] == root:
            self.classes.append((value, dict(vars(value))))
            for member in list(vars(value).values()):
                self.add_value(getattr(member, "__func__", member), root)
        elif isinstance(value, types.FunctionType) and (value.__module__ or "").split(".")[0] == root:
            self.functions.append((value, value.__code__, value.__defaults__, value.__kwdefaults__))
        elif isinstance(value, (dict, list, set)):
            self.containers.append((value, value.copy()))
            for item in list(value.values() if isinstance(value, dict) else value):
                self.add_value(item, root)
        elif isinstance(value, tuple):
            for item in value:
                self.add_value(item, root)

    def add_guarded(self):
        for name in GUARDED_MODULES:
            module = importlib.import_module(name)
            self.namespaces.append((module.__dict__, dict(module.__dict__)))
        for module_name, class_name in GUARDED_CLASSES:
            cls = getattr(importlib.import_module(module_name), class_name)
            self.classes.append((cls, dict(vars(cls))))

    def restore(self):
        sys.modules.update(self.sys_modules)
        for namespace, saved in self.namespaces:
            for key, value in saved.items():
                if namespace.get(key, MISSING) is not value:
                    namespace[key] = value
        for cls, saved in self.classes:
            for key, value in saved.items():
                if cls.__dict__.get(key, MISSING) is not value and key not in ("__dict__", "__weakref__"):
                    setattr(cls, key, value)
        for function, code, defaults, kwdefaults in self.functions:
            function.__code__, function.__defaults__, function.__kwdefaults__ = code, defaults, kwdefaults
        for container, saved in self.containers:
            if isinstance(container, list):
                container[:] = saved
            else:
                container.clear()
                container.update(saved)


def prepare(slot, checks_module, hidden_cases=True):
    """Importa a cópia particular de `checks_module`, fotografa o resto e se guarda em `sys.modules[slot]`.

    `slot` é um nome aleatório escolhido pelo corretor para esta entrega. Com `hidden_cases`, os
    casos ocultos de `hidden.HIDDEN_CASES` (que valem para as conferências do pacote) rodam
    depois de cada conferência visível.
    """
    parent_name, _, child = checks_module.rpartition(".")
    for name in modules_under([checks_module]):
        del sys.modules[name]
    checks = importlib.import_module(checks_module)
    private = modules_under([checks_module])
    for name in private:
        del sys.modules[name]
    if parent_name in sys.modules:
        # `import gptlab_helpers.checks` do aluno deve achar a cópia dele, não esta
        vars(sys.modules[parent_name]).pop(child, None)
    snapshot = Snapshot()
    snapshot.add_package(modules_under(["gptlab_helpers"]))
    snapshot.add_guarded()
    state = types.SimpleNamespace(
        private=private,
        exercise_sets=checks.EXERCISE_SETS,
        snapshot=snapshot,
        checks_module=checks_module,
        hidden_cases=copy.deepcopy(hidden.HIDDEN_CASES) if hidden_cases else {},
        run_hidden=hidden.run_hidden,
        hidden_message=hidden.hidden_message,
        partial=ExerciseStatus.PARTIAL,
        # o mesmo tipo que o corretor lê de volta e leva até o CSV (guardado antes do aluno)
        result_type=ExerciseResult,
        # guardados antes do código do aluno, que poderia trocar open ou json.dumps
        open=open,
        dumps=json.dumps,
    )
    entry = types.ModuleType(slot)
    entry.grade = lambda *args: grade(state, *args)
    sys.modules[slot] = entry


def help_requested(student_modules, exercise_id):
    """("dica", "solução") que as conferências do aluno registraram para `exercise_id` ao executar o notebook."""
    base = student_modules.get("gptlab_helpers.checks.base")
    log = getattr(base, "HELP_LOG", [])
    kinds = set()
    for entry in list(log) if isinstance(log, list) else []:
        if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == exercise_id:
            kinds.add(str(entry[1]))
    return tuple(sorted(kinds))


def grade(state, exercise_set, exercise_id, result_path, namespace):
    """Confere um exercício com as variáveis do aluno e grava o resultado em `result_path`."""
    state.snapshot.restore()
    student_copy = modules_under([state.checks_module])
    # durante a conferência, um import feito dentro das conferências acha a cópia do corretor
    sys.modules.update(state.private)
    try:
        exercise = next(item for item in state.exercise_sets[exercise_set] if item.id == exercise_id)
        result = exercise.evaluate(dict(namespace))
        points, status, message, failed = result.points, result.status, result.message, ()
        cases = state.hidden_cases.get(exercise.id, ())
        if cases:
            state.snapshot.restore()
            points, failed = state.run_hidden(exercise, dict(namespace), result, cases)
            if failed:
                status = state.partial if points > 0 else status
                message = message + state.hidden_message(failed, result.points - points)
        payload = state.result_type(
            str(result.exercise),
            str(exercise.title),
            str(status),
            float(points),
            float(result.max_points),
            str(message),
            answer=str(result.answer),
            hints=help_requested(student_copy, exercise.id),
            hidden=tuple(str(item) for item in failed),
        ).to_dict()
    except Exception as exc:  # evaluate() não deveria falhar, mas o corretor não pode parar
        payload = {"status": "error", "message": f"a conferência falhou: {type(exc).__name__}: {exc}"}
    finally:
        for name in modules_under([state.checks_module]):
            del sys.modules[name]
        sys.modules.update(student_copy)
    with state.open(result_path, "w", encoding="utf-8") as handle:
        handle.write(state.dumps(payload))
