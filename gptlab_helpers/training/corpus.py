"""Os textos de treino (corpus): onde procurar, como baixar e como conferir.

`load_corpus("machado_de_assis_conto")` devolve o texto. Procura `corpus/<nome>.txt` (a pasta
`corpus/` do repositório ou, fora dele, a da pasta atual) e, se não achar, baixa do endereço de
origem para essa pasta, conferindo o sha256.

O conto de Machado de Assis (`machado_de_assis_conto.txt`, 1,8 MB, domínio público) vem no git:
os notebooks 09 a 11 e o benchmark rodam sem internet num clone novo. O romance e o Shakespeare
não vêm: são baixados na primeira vez. Em todos os casos o arquivo é conferido com o manifesto
(nome, origem, sha256, tamanho, licença), que fica aqui em `CORPORA` e, para ler sem Python,
em `corpus/manifest.json`.
"""

import hashlib
import json
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

from tqdm import tqdm

MACHADO_LICENSE = "domínio público (Machado de Assis morreu em 1908)"

CORPORA = {
    "machado_de_assis_conto": {
        "description": "Machado de Assis, contos",
        "url": "https://raw.githubusercontent.com/wmelo52/GPTLab/master/corpus/machado_de_assis_conto.txt",
        "sha256": "f7eaaccb575b68bdd7995bd688a4c52deb7f611678a429ec9ffcf2a2b4940720",
        "size_bytes": 1779401,
        "license": MACHADO_LICENSE,
    },
    "machado_de_assis_romance": {
        "description": "Machado de Assis, romances",
        "url": "https://raw.githubusercontent.com/wmelo52/GPTLab/master/corpus/machado_de_assis_romance.txt",
        "sha256": "17c13db708dfea68ff2ed14a8c7b6faf4277703a8ea57756d4b6b2890c84dad7",
        "size_bytes": 3154694,
        "license": MACHADO_LICENSE,
    },
    "shakespeare": {
        "description": "Tiny Shakespeare (trechos das peças de William Shakespeare)",
        "url": "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "sha256": "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
        "size_bytes": 1115394,
        "license": "domínio público (William Shakespeare morreu em 1616)",
    },
}

CHUNK_BYTES = 1 << 16
REPOSITORY_CORPUS_DIR = Path(__file__).resolve().parents[2] / "corpus"


def default_corpus_dir():
    """A pasta `corpus/` do repositório, se o pacote roda de dentro dele; senão `./corpus`.

    No Colab o pacote é instalado pelo pip, longe do repositório: os textos baixados ficam
    em `corpus/` ao lado do notebook.
    """
    if (REPOSITORY_CORPUS_DIR / "manifest.json").is_file():
        return REPOSITORY_CORPUS_DIR
    return Path.cwd() / "corpus"


def corpus_entry(name):
    """A entrada do manifesto para `name`, com um erro que lista os nomes válidos."""
    if name not in CORPORA:
        raise ValueError(f"corpus desconhecido: {name!r}. Os disponíveis são: {', '.join(CORPORA)}.")
    return CORPORA[name]


def file_sha256(path):
    """sha256 de um arquivo, lido em pedaços (não precisa caber na memória)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_file(path, entry):
    """Confere que o arquivo em `path` é exatamente o texto do manifesto."""
    actual = file_sha256(path)
    if actual != entry["sha256"]:
        raise ValueError(
            f"o arquivo {path} não é o texto esperado (sha256 {actual[:12]}..., o manifesto diz "
            f"{entry['sha256'][:12]}...). Ele pode estar incompleto ou ter sido editado: apague-o "
            f"para que seja baixado de novo de {entry['url']}"
        )


def stream_to_file(response, file, label, progress):
    """Copia a resposta HTTP para `file` em pedaços, com barra de progresso; devolve o sha256."""
    digest = hashlib.sha256()
    total = int(response.headers.get("Content-Length") or 0) or None
    # na saída padrão: no Jupyter ela aparece sem o fundo vermelho dos avisos
    options = {"unit": "B", "unit_scale": True, "desc": label, "disable": not progress, "file": sys.stdout}
    with tqdm(total=total, **options) as bar:
        for chunk in iter(lambda: response.read(CHUNK_BYTES), b""):
            file.write(chunk)
            digest.update(chunk)
            bar.update(len(chunk))
    return digest.hexdigest()


def download(url, destination, expected_sha256, progress=True):
    """Baixa `url` para `destination` com barra de progresso, conferindo o sha256.

    O arquivo é escrito primeiro num temporário na mesma pasta e só no fim renomeado
    (`os.replace` é atômico): um download interrompido ou corrompido não deixa meio
    arquivo no lugar do texto.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "wb") as file, urllib.request.urlopen(url, timeout=60) as response:
            actual = stream_to_file(response, file, destination.name, progress)
        if actual != expected_sha256:
            raise ValueError(
                f"o arquivo baixado de {url} não confere: sha256 {actual[:12]}..., o manifesto diz "
                f"{expected_sha256[:12]}...; nada foi gravado. Tente de novo mais tarde ou baixe o "
                "arquivo à mão e confira a origem"
            )
        os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return destination


def corpus_path(name, corpus_dir=None, download_missing=True, progress=True):
    """O caminho de um arquivo do corpus já conferido, baixando-o se preciso."""
    entry = corpus_entry(name)
    corpus_dir = Path(corpus_dir) if corpus_dir is not None else default_corpus_dir()
    target = corpus_dir / f"{name}.txt"
    if target.is_file():
        check_file(target, entry)
        return target
    where = f"copie o arquivo {name}.txt para {corpus_dir} (ou passe corpus_dir= com a pasta que o contém)"
    if not download_missing:
        raise FileNotFoundError(f"não encontrei o texto {name!r}: {where}")
    try:
        return download(entry["url"], target, entry["sha256"], progress=progress)
    except OSError as error:  # sem internet, servidor fora do ar, endereço errado...
        raise FileNotFoundError(
            f"não encontrei o texto {name!r} e não consegui baixá-lo de {entry['url']} ({error}). "
            f"Sem internet, {where}."
        ) from error


def load_corpus(name, corpus_dir=None, download_missing=True, progress=True):
    """O texto inteiro do corpus `name` (uma string), conferido pelo sha256 do manifesto.

    `corpus_dir` troca a pasta padrão (`corpus/`); `download_missing=False` proíbe a internet.
    """
    path = corpus_path(name, corpus_dir, download_missing, progress)
    return path.read_text(encoding="utf-8")


def manifest_json():
    """O manifesto como texto JSON (o conteúdo de `corpus/manifest.json`)."""
    return json.dumps(CORPORA, ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":
    # python -m gptlab_helpers.training.corpus: regrava corpus/manifest.json a partir de CORPORA
    (REPOSITORY_CORPUS_DIR / "manifest.json").write_text(manifest_json(), encoding="utf-8")
    print(f"manifesto gravado em {REPOSITORY_CORPUS_DIR / 'manifest.json'}")
