"""The index directory: the one thing ``indexer/`` and ``search/`` share at run time.

Layout::

    INDEX_DIR/newsearch.json   {"generation": "gen-…", "analyzer_version": N}, replaced atomically
    INDEX_DIR/gen-…/           a complete Whoosh index
    INDEX_DIR/write.lock       flock()ed by the one writer, holding who it is

Readers follow ``newsearch.json`` to the current generation, so ``index --full`` can build a
fresh generation beside the live one and swap it in with one ``os.replace``: a search never sees
a half-built index. The lock is an ``flock``, which the kernel drops when its process dies, so a
``kill -9``'d indexer never leaves a stale lock behind (Whoosh's own lock is a file that stays).

Whoosh pickles the analyzer into the index, so an index from an older analysis would tokenize
queries one way and documents another; opening one fails instead, saying to reindex.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from whoosh import index
from whoosh.index import Index

from indexer.analysis import ANALYZER_VERSION
from indexer.errors import IndexLockedError, IndexMissingError, SchemaMismatchError
from indexer.mapped import MappedStorage
from indexer.schema import build_schema
from indexer.settings import LOCK_TIMEOUT

META_FILE = "newsearch.json"
LOCK_FILE = "write.lock"


def read_meta(index_dir: str | Path) -> dict:
    try:
        return json.loads((Path(index_dir) / META_FILE).read_text())
    except (OSError, ValueError):
        return {}


def current_generation(index_dir: str | Path) -> Path | None:
    """The directory of the generation readers use now, or ``None`` if nothing was ever committed."""
    name = read_meta(index_dir).get("generation")
    path = Path(index_dir) / name if name else None
    return path if path is not None and index.exists_in(path) else None


def open_for_reading(index_dir: str | Path) -> Index:
    """Open the current generation for searching; ``IndexMissingError`` if there is none."""
    path = Path(index_dir)
    meta = read_meta(path)
    generation = current_generation(path)
    if generation is None:
        raise IndexMissingError(
            f"Unter {path} liegt kein Index. Zuerst Artikel indexieren: newsearch --index-dir {path} index PFAD"
        )
    _check_version(path, meta.get("analyzer_version"))
    # Memory maps read without copying (indexer/mapped.py): Whoosh's own mmap support copies every
    # sub-file into memory per reader, and file handles cost a seek and a read per small piece.
    # Read-only storage: a reader never writes.
    return MappedStorage(str(generation)).open_index()


@contextmanager
def write_lock(index_dir: str | Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the index's one writer lock, waiting up to ``timeout`` seconds for another writer.

    Raises ``IndexLockedError`` naming the process that holds it.
    """
    path = Path(index_dir)
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise IndexLockedError(_locked_message(path, timeout)) from None
                time.sleep(0.1)
        holder = {"pid": os.getpid(), "command": " ".join(sys.argv), "since": datetime.now().isoformat(timespec="seconds")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        yield
    finally:
        os.close(fd)  # closing drops the flock


def _locked_message(path: Path, timeout: float) -> str:
    try:
        holder = json.loads((path / LOCK_FILE).read_text() or "{}")
    except (OSError, ValueError):
        holder = {}
    who = f"Prozess {holder.get('pid', '?')} ({holder.get('command', 'unbekannt')}, seit {holder.get('since', '?')})"
    return (
        f"Der Index unter {path} wird gerade von {who} geschrieben; nach {timeout:g} s Warten aufgegeben. "
        f"Bitte später erneut versuchen."
    )


def open_for_writing(index_dir: str | Path) -> Index:
    """The current generation to add to, created empty on first use. Call with ``write_lock`` held."""
    path = Path(index_dir)
    generation = current_generation(path)
    if generation is None:
        return create_generation(path, activate=True)
    _check_version(path, read_meta(path).get("analyzer_version"))
    return index.open_dir(generation)


def create_generation(index_dir: str | Path, activate: bool) -> Index:
    """A new, empty generation directory; made current at once only if ``activate``."""
    path = Path(index_dir)
    name = f"gen-{datetime.now():%Y%m%d-%H%M%S}-{os.getpid()}-{time.monotonic_ns() % 10**6:06d}"
    (path / name).mkdir(parents=True)
    ix = index.create_in(path / name, build_schema())
    if activate:
        activate_generation(path, path / name)
    return ix


def activate_generation(index_dir: str | Path, generation: str | Path) -> None:
    """Point readers at ``generation`` in one atomic rename, then drop generations no longer used.

    The generation just replaced is kept, so a search that opened it a moment ago can finish.
    """
    path = Path(index_dir)
    previous = read_meta(path).get("generation")
    meta = {"generation": Path(generation).name, "analyzer_version": ANALYZER_VERSION}
    tmp = path / f".{META_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps(meta) + "\n")
    os.replace(tmp, path / META_FILE)
    keep = {meta["generation"], previous}
    for old in path.glob("gen-*"):
        if old.name not in keep and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def _check_version(path: Path, found) -> None:
    if found != ANALYZER_VERSION:
        raise SchemaMismatchError(
            f"Der Index unter {path} wurde mit Analyse-Version {found or 'unbekannt'} gebaut, "
            f"diese newsearch-Version analysiert mit Version {ANALYZER_VERSION}. "
            f"Bitte neu indexieren: newsearch --index-dir {path} index --full PFAD"
        )
