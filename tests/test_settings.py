"""Each default is declared once, in indexer/settings.py, and every surface shows that one value."""
from __future__ import annotations

import ast

from indexer import settings
from tests.conftest import ROOT, run_cli
from web.config import DEFAULTS
from web.openapi import openapi_document

# Literals that were written in several modules before: the index path and the serving address.
ONCE = {settings.INDEX_DIR, settings.HOST}


def test_default_literals_are_written_only_in_the_settings_module():
    found = []
    for package in ("indexer", "search", "web", "newsearch"):
        for path in sorted((ROOT / package).glob("*.py")):
            if path.name == "settings.py" and package == "indexer":
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value in ONCE:
                    found.append(f"{package}/{path.name}:{node.lineno} {node.value!r}")
    assert found == []


def test_the_command_line_the_app_and_the_api_show_the_same_defaults():
    def shown(*args: str) -> str:  # help text with its line breaks undone
        return " ".join(run_cli(*args).stdout.split())

    serve = shown("serve", "--help")
    assert f"[Vorgabe: {settings.HOST}]" in serve and f"[Vorgabe: {settings.PORT}]" in serve
    assert f"(Vorgabe: {settings.SERVE_THREADS};" in serve
    assert f"[Vorgabe: {settings.INDEX_DIR}]" in shown("--help")
    assert f"[Vorgabe: {settings.PER_PAGE}]" in shown("query", "--help")
    assert (DEFAULTS["INDEX_DIR"], DEFAULTS["PER_PAGE"], DEFAULTS["SIMILAR_COUNT"]) == (
        settings.INDEX_DIR, settings.PER_PAGE, settings.SIMILAR_COUNT)
    parameters = openapi_document()["paths"]["/api/search"]["get"]["parameters"]
    per_page = next(p for p in parameters if p["name"] == "per_page")["schema"]
    assert (per_page["default"], per_page["maximum"]) == (settings.PER_PAGE, settings.MAX_PER_PAGE)
