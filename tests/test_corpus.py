import hashlib
import io
import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gptlab_helpers.training import corpus
from gptlab_helpers.training.corpus import CORPORA, load_corpus, manifest_json

TEXT = "Era uma vez um texto curto, só para testar o carregador.\n"
DATA = TEXT.encode("utf-8")


@pytest.fixture
def mini(monkeypatch, tmp_path):
    """Um corpus fictício no manifesto, com a origem num arquivo local (file://)."""
    source = tmp_path / "origem" / "mini.txt"
    source.parent.mkdir()
    source.write_bytes(DATA)
    entry = {
        "description": "texto de teste",
        "url": source.as_uri(),
        "sha256": hashlib.sha256(DATA).hexdigest(),
        "size_bytes": len(DATA),
        "license": "domínio público",
    }
    monkeypatch.setitem(CORPORA, "mini", entry)
    return entry


def leftovers(folder):
    """Arquivos temporários de download que sobraram na pasta."""
    return [path.name for path in Path(folder).iterdir() if path.name.endswith(".part")]


def test_reads_file_already_in_corpus_dir(mini, tmp_path, monkeypatch):
    (tmp_path / "mini.txt").write_bytes(DATA)
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("não devia usar a rede"))
    assert load_corpus("mini", corpus_dir=tmp_path) == TEXT


def test_downloads_verifies_and_keeps_the_file(mini, tmp_path, capsys):
    target_dir = tmp_path / "corpus"
    assert load_corpus("mini", corpus_dir=target_dir) == TEXT
    assert (target_dir / "mini.txt").read_bytes() == DATA
    assert leftovers(target_dir) == []
    assert "mini.txt" in capsys.readouterr().out  # a barra de progresso do tqdm


def test_checksum_mismatch_on_download_writes_nothing(mini, tmp_path, monkeypatch):
    monkeypatch.setitem(mini, "sha256", "0" * 64)
    target_dir = tmp_path / "corpus"
    with pytest.raises(ValueError, match="não confere.*nada foi gravado"):
        load_corpus("mini", corpus_dir=target_dir, progress=False)
    assert not (target_dir / "mini.txt").exists()
    assert leftovers(target_dir) == []


def test_checksum_mismatch_on_local_file(mini, tmp_path):
    (tmp_path / "mini.txt").write_text("outro texto", encoding="utf-8")
    with pytest.raises(ValueError, match="não é o texto esperado.*apague-o"):
        load_corpus("mini", corpus_dir=tmp_path)


class BrokenResponse(io.BytesIO):
    """Resposta HTTP que cai depois do primeiro pedaço."""

    headers = {"Content-Length": str(10 * len(DATA))}

    def read(self, size=-1):
        if self.tell() > 0:
            raise ConnectionResetError("conexão perdida")
        return super().read(size)


def test_interrupted_download_leaves_no_broken_file(mini, tmp_path, monkeypatch):
    monkeypatch.setattr(corpus, "CHUNK_BYTES", 8)
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: BrokenResponse(DATA))
    target_dir = tmp_path / "corpus"
    with pytest.raises(FileNotFoundError, match="conexão perdida"):
        load_corpus("mini", corpus_dir=target_dir, progress=False)
    assert os.listdir(target_dir) == []


def test_offline_error_says_where_to_put_the_file(mini, tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("sem rede")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    target_dir = tmp_path / "corpus"
    with pytest.raises(FileNotFoundError) as error:
        load_corpus("mini", corpus_dir=target_dir, progress=False)
    message = str(error.value)
    assert "Sem internet" in message
    assert f"copie o arquivo mini.txt para {target_dir}" in message
    assert "corpus_dir=" in message


def test_no_download_when_forbidden(mini, tmp_path):
    with pytest.raises(FileNotFoundError, match="não encontrei o texto 'mini'"):
        load_corpus("mini", corpus_dir=tmp_path, download_missing=False)


def test_unknown_name_lists_the_available_ones():
    with pytest.raises(ValueError, match="corpus desconhecido: 'machado'.*machado_de_assis_conto"):
        load_corpus("machado")


def test_manifest_file_matches_the_package():
    path = Path(__file__).resolve().parents[1] / "corpus" / "manifest.json"
    assert json.loads(path.read_text(encoding="utf-8")) == json.loads(manifest_json())
    assert set(CORPORA) == {"machado_de_assis_conto", "machado_de_assis_romance", "shakespeare"}


def test_machado_conto_is_committed_and_loads_offline(monkeypatch):
    """O conto vem no git: um clone novo treina sem internet (a rede é proibida aqui)."""
    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: pytest.fail("não devia usar a rede"))
    assert corpus.default_corpus_dir() == corpus.REPOSITORY_CORPUS_DIR
    text = load_corpus("machado_de_assis_conto", download_missing=False)
    assert len(text) == 1_724_227
    assert len(set(text)) == 115
