"""The code base's shape: README's Layout table names every module, and indexer/ (the lowest
layer) imports nothing downstream and has no import cycle."""
from __future__ import annotations

import ast

from tests.conftest import ROOT

PACKAGES = ("indexer", "search", "web", "newsearch")


def modules() -> list[str]:
    """Every module of the packages, their subpackages (``search/whoosh/``) included."""
    return [path.relative_to(ROOT).as_posix() for p in PACKAGES for path in sorted((ROOT / p).rglob("*.py"))
            if path.name != "__init__.py" or path.parent == ROOT / "web"]


def imports_of(module: str) -> set[str]:
    """The project modules ``module`` imports, anywhere in it (functions included), as ``package/name.py``."""
    found = set()
    for node in ast.walk(ast.parse((ROOT / module).read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] in PACKAGES and len(parts) > 1 and (ROOT / parts[0] / f"{parts[1]}.py").is_file():
                found.add(f"{parts[0]}/{parts[1]}.py")
    return found - {module}


def test_readme_layout_names_every_module():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    assert [m for m in modules() if f"`{m}`" not in layout] == []


def test_indexer_imports_nothing_downstream_and_has_no_cycle():
    indexer = [m for m in modules() if m.startswith("indexer/")]
    graph = {m: imports_of(m) for m in indexer}
    assert {m: sorted(i for i in deps if not i.startswith("indexer/")) for m, deps in graph.items()
            if any(not i.startswith("indexer/") for i in deps)} == {}
    cycles = []
    for start in indexer:  # a module that reaches itself again
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == start:
                cycles.append(start)
                break
            if m not in seen:
                seen.add(m)
                todo += graph.get(m, ())
    assert cycles == []
