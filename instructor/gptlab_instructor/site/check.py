"""Confere o HTML do site: todo link interno leva a um arquivo que existe e toda imagem tem `alt`.

python -m gptlab_instructor.site.check build/site
"""

import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

# o que o tema põe na página e não é conteúdo do curso (ícones decorativos com alt vazio)
DECORATIVE_IMAGE_CLASSES = {"logo__image"}


class PageParser(HTMLParser):
    """Junta os links (`<a href>`, `<link href>`, `<script src>`) e as imagens de uma página."""

    def __init__(self):
        super().__init__()
        self.links, self.images = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("a", "link") and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.links.append(attrs["src"])
        elif tag == "img":
            self.images.append(attrs)


def local_target(page, url):
    """O arquivo para onde `url` aponta a partir de `page`, ou None se é externo ou só âncora."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path:
        return None
    return (page.parent / unquote(parts.path)).resolve()


def page_problems(page, root):
    """Os problemas de uma página: links e imagens locais que não existem, imagens sem `alt`."""
    parser = PageParser()
    parser.feed(page.read_text(encoding="utf-8"))
    name = page.relative_to(root)
    problems = []
    for url in parser.links:
        target = local_target(page, url)
        if target is not None and not target.exists():
            problems.append(f"{name}: link quebrado para {url}")
    for image in parser.images:
        src = image.get("src", "")
        target = local_target(page, src)
        if target is not None and not target.exists():
            problems.append(f"{name}: imagem ausente {src}")
        decorative = DECORATIVE_IMAGE_CLASSES & set(image.get("class", "").split())
        alt = (image.get("alt") or "").strip()
        if (not alt or alt == src) and not decorative:  # sem `alt`, o myst-nb repete o caminho
            problems.append(f"{name}: imagem sem texto alternativo ({src[:60]})")
    return problems


def site_pages(root):
    """As páginas do site sob `root` (os modelos do tema em _static/ não são páginas)."""
    return sorted(
        page for page in Path(root).rglob("*.html") if "_static" not in page.relative_to(root).parts
    )


def site_problems(root):
    """Todos os problemas das páginas HTML sob `root` (lista vazia: o site está inteiro)."""
    root = Path(root)
    pages = site_pages(root)
    if not pages:
        return [f"nenhuma página HTML em {root}"]
    return [problem for page in pages for problem in page_problems(page, root)]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    root = Path(argv[0] if argv else "build/site")
    problems = site_problems(root)
    for problem in problems:
        print(problem)
    pages = len(site_pages(root))
    print(f"{pages} páginas conferidas em {root}: {len(problems)} problema(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
