"""O site estático do curso: as aulas, os exercícios e as soluções em HTML, das saídas salvas.

`build.py` monta uma pasta de fontes (cópias dos notebooks, sem os widgets, com o texto
alternativo das figuras e os links "Abrir no Colab" e "Baixar") e roda o Sphinx com myst-nb
sem executar nada; `check.py` confere o HTML gerado (links internos, imagens e `alt`).
"""
