"""Ver o que acontece: gráficos de dados (`plots`), diagramas das aulas (`figures`) e os gráficos
das medidas da aula 12 (`norm_position`). Títulos e eixos em português."""
