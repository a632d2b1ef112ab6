"""Opening the index directory, the one thing ``indexer/`` and ``search/`` share at run time.

Beside Whoosh's files lies ``newsearch.json`` with the analyzer version the index was built with.
Whoosh pickles the analyzer into the index, so an index from an older analysis would quietly
tokenize queries one way and documents another; opening it fails instead, with a message that
says to reindex.
"""
from __future__ import annotations

import json
from pathlib import Path

from whoosh import index
from whoosh.index import Index

from indexer.analysis import ANALYZER_VERSION
from indexer.errors import IndexMissingError, SchemaMismatchError
from indexer.schema import build_schema

META_FILE = "newsearch.json"


def open_for_writing(index_dir: str | Path) -> Index:
    """Open the index to add documents, creating the directory and an empty index if needed."""
    path = Path(index_dir)
    if not index.exists_in(path):
        path.mkdir(parents=True, exist_ok=True)
        ix = index.create_in(path, build_schema())
        (path / META_FILE).write_text(json.dumps({"analyzer_version": ANALYZER_VERSION}) + "\n")
        return ix
    _check_version(path)
    return index.open_dir(path)


def open_for_reading(index_dir: str | Path) -> Index:
    """Open an existing index for searching; raise ``IndexMissingError`` if there is none."""
    path = Path(index_dir)
    if not index.exists_in(path):
        raise IndexMissingError(
            f"Unter {path} liegt kein Index. Zuerst Artikel indexieren: newsearch --index-dir {path} index PFAD"
        )
    _check_version(path)
    return index.open_dir(path)


def _check_version(path: Path) -> None:
    try:
        found = json.loads((path / META_FILE).read_text()).get("analyzer_version")
    except (OSError, ValueError):
        found = None
    if found != ANALYZER_VERSION:
        raise SchemaMismatchError(
            f"Der Index unter {path} wurde mit Analyse-Version {found or 'unbekannt'} gebaut, "
            f"diese newsearch-Version analysiert mit Version {ANALYZER_VERSION}. "
            f"Bitte neu indexieren: Verzeichnis löschen und newsearch index PFAD erneut ausführen."
        )
