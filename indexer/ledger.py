"""The source ledger: what the index says it read from each file.

One document of kind ``SOURCE_KIND`` per file, committed in the same Whoosh commit as the file's
articles (indexer/write.py), so what the index holds and what it says it read never disagree.
It holds the file's fingerprint, the ids it gave, and the records of it that failed: a file is
re-read only when its fingerprint changes, so its failures must be kept to be reported on every
run until then, or a broken line would be reported once and forgotten.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from indexer import schema as f
from indexer.model import Failure


@dataclass
class Ledger:
    fingerprint: str
    doc_ids: list[str]
    failures: list[Failure] = field(default_factory=list)  # records of the file that could not be indexed


def fingerprint(path: Path) -> str:
    """The sha1 of the file's bytes: a file counts as changed when this does."""
    digest = hashlib.sha1()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_ledger(searcher) -> dict[str, Ledger]:
    """Every file's entry, by source path."""
    entries = {}
    for stored in searcher.documents(**{f.KIND: f.SOURCE_KIND}):
        failures = [Failure(where, reason) for where, reason in stored.get(f.FAILURES) or ()]
        entries[stored[f.SOURCE]] = Ledger(stored[f.FINGERPRINT], list(stored[f.DOC_IDS]), failures)
    return entries


def ledger_id(source: str) -> str:
    return "source:" + hashlib.sha1(source.encode("utf-8")).hexdigest()[:20]


def ledger_document(source: str, entry: Ledger) -> dict:
    return {f.ID: ledger_id(source), f.KIND: f.SOURCE_KIND, f.SOURCE: source, f.FINGERPRINT: entry.fingerprint,
            f.DOC_IDS: entry.doc_ids, f.FAILURES: [(failure.path, failure.reason) for failure in entry.failures]}
