"""similaridade.md: cópias disfarçadas (nomes trocados, comentários) aparecem; respostas diferentes, não."""

import nbformat
from gptlab_instructor.grading import similarity
from gptlab_instructor.grading.inputs import Submission

ORIGINAL = """
emb_params_count = 0
att_params_count = 0
for name, param in model.named_parameters():
    if name.startswith("tok_emb.") or name.startswith("pos_emb."):
        emb_params_count += param.numel()
    elif ".att." in name:
        att_params_count += param.numel()
print(emb_params_count, att_params_count)
"""
# a mesma resposta com outros nomes, outro comentário e outro espaçamento
DISGUISED = """
# minha solução
e = 0
a = 0
for n,   p in model.named_parameters():
    if n.startswith("tok_emb.") or n.startswith('pos_emb.'):   # embeddings
        e += p.numel()
    elif ".att." in n:
        a += p.numel()
print(e, a)
"""
# outra forma de chegar ao mesmo número: compreensões e sum, nada de laço
DIFFERENT = """
parameters = dict(model.named_parameters())
emb_params_count = sum(t.numel() for k, t in parameters.items() if k.split(".")[0] in {"tok_emb", "pos_emb"})
att_params_count = sum(t.numel() for k, t in parameters.items() if ".att." in k)
total = {"emb": emb_params_count, "att": att_params_count}
print(total)
"""


def test_renaming_and_comments_do_not_hide_a_copy():
    pairs = similarity.similar_pairs({"ana.ipynb": ORIGINAL, "bia.ipynb": DISGUISED, "caio.ipynb": DIFFERENT})
    assert [(a, b) for _, a, b in pairs] == [("ana.ipynb", "bia.ipynb")]
    assert pairs[0][0] == 1.0


def test_a_different_solution_scores_low():
    a = similarity.fingerprints(similarity.normalised_tokens(ORIGINAL))
    b = similarity.fingerprints(similarity.normalised_tokens(DIFFERENT))
    assert similarity.similarity(a, b) < 0.5


def test_short_answers_and_identical_files_are_left_out():
    short = "x = 1\nprint(x)\n"
    assert similarity.similar_pairs({"a.ipynb": short, "b.ipynb": "y = 2\nprint(y)\n"}) == []
    assert similarity.similar_pairs({"a.ipynb": ORIGINAL, "b.ipynb": ORIGINAL}) == []  # o resumo já aponta


def test_code_that_does_not_tokenize_is_still_compared():
    broken = ORIGINAL + "\n    def (\n"
    assert similarity.normalised_tokens(broken)  # cai para as palavras, sem erro


def notebook_file(path, *sources):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in sources])
    nbformat.write(notebook, path)
    return Submission(source=path.name, path=path, student=path.stem, digest=path.name)


def test_the_given_cells_do_not_count_and_the_report_never_grades(tmp_path):
    given = (
        "import torch\nfrom gptlab_helpers import GPTModel, GPT_CONFIG_124M\n"
        "torch.manual_seed(123)\nmodel = GPTModel(GPT_CONFIG_124M)\nmodel.eval()\n"
        "batch = torch.tensor([[6109, 3626, 6100, 345], [6109, 1110, 6622, 257]])\n"
        "with torch.no_grad():\n    logits = model(batch)\nprint(logits.shape, logits[0, 0, :3])\n"
        "total = sum(p.numel() for p in model.parameters())\nprint(f'{total:,}')\n"
    )
    template = tmp_path / "06_exercicio.ipynb"
    notebook_file(template, given)
    first = notebook_file(tmp_path / "ana.ipynb", given, ORIGINAL)
    second = notebook_file(tmp_path / "caio.ipynb", given, DIFFERENT)
    text, pairs = similarity.class_report([first, second], template)
    assert pairs == []  # sem o modelo, as células dadas, iguais nas duas, fariam um par
    assert "nunca muda uma nota" in text and "Nenhum par" in text
    _, with_given = similarity.class_report([first, second], None, threshold=0.3)
    assert with_given  # a conta mostra que a célula dada pesaria
    copy = notebook_file(tmp_path / "bia.ipynb", given, DISGUISED)
    text, pairs = similarity.class_report([first, second, copy], template)
    assert [(a, b) for _, a, b in pairs] == [("ana.ipynb", "bia.ipynb")]
    assert "| 100% | ana.ipynb | bia.ipynb |" in text


def test_a_cell_that_most_of_the_class_has_is_given_material():
    """A célula de preparação da entrega da turma é igual em todas: não faz dois alunos parecidos."""
    setup = (
        "%pip install -q 'gptlab-helpers @ git+https://github.com/minha-uni/turma@main'\nimport torch\n" * 3
    )
    notebooks = [
        nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(f"x = {n}")]
        )
        for n in range(4)
    ]
    assert similarity.shared_cells(notebooks) == {setup.strip()}
    assert similarity.shared_cells(notebooks[:3]) == frozenset()  # poucas entregas: nada é descartado
