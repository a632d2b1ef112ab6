"""Near-duplicates across shard boundaries in a full build on Ray, after its tasks.

Built one after the other (``shard_runs.run_here``), each shard's run looks a new document's
near-duplicates up in the shards built before it, so a story whose copies fall on both sides of a
boundary is one group. The Ray tasks of a full build run at once and see no other shard, so each
shard groups only its own documents. This pass, run in the command once every task has succeeded
and before the staged shards are swapped in, gives them the groups a build here gives: for each
shard after the first, oldest first, its documents are placed again in the order they were
written (``Grouping.place``, from their stored signatures: nothing is parsed or analysed), with the
shards before it (already passed over) as neighbours, exactly as the run here placed them.

Only documents near another shard's days can find a candidate there (copies of a story are at
most ``MAX_DAYS_APART`` days apart), so only those are looked up in the other shards
(``Grouping.reach``); a shard's undated documents are compared with all. The documents whose
group changes are written back with the new group, with the rest of their segments (``_write_groups``),
so the shard's statistics count no deleted copy: its scores stay those of the shard built here.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np

from indexer import schema as f
from indexer.duplicates import MAX_DAYS_APART, Grouping, published_seconds
from indexer.bulk import BulkWriter
from indexer.documents import stored_to_fields
from indexer.model import ARTICLE, RELATED
from indexer.run import whole_document
from indexer.settings import BULK_PROCESSES
from indexer.store import open_for_reading, open_for_writing

Reach = tuple[float, float] | None  # POSIX seconds a shard's documents may be published in; None: any


def reach_of(days: tuple[str, str] | None, undated: bool) -> Reach:
    """The publication times that can be near a shard of Berlin ``days`` (first, last): its days
    widened by ``MAX_DAYS_APART`` and a day for the time zones; None if it holds undated articles."""
    if undated or days is None:
        return None
    margin = timedelta(days=MAX_DAYS_APART + 1)
    first, last = (datetime.fromisoformat(day).replace(tzinfo=timezone.utc) for day in days)
    return ((first - margin).timestamp(), (last + timedelta(days=1) + margin).timestamp())


def regroup(places: list[Path], reaches: list[Reach]) -> int:
    """Give the staged shards at ``places`` (oldest first, each of ``reaches``) the near-duplicate
    groups of a build one after the other; the number of documents whose group changed."""
    changed = 0
    for number in range(1, len(places)):
        changed += _regroup_one(places[number], places[:number], reaches[:number])
    return changed


def _regroup_one(place: Path, before: list[Path], reaches: list[Reach]) -> int:
    neighbours = [open_for_reading(path).searcher() for path in before]
    try:
        grouping = Grouping(None, neighbours, reaches)
        moved: dict[str, str] = {}
        with open_for_reading(place).searcher() as searcher:
            reader = searcher.reader()
            for _, stored in reader.iter_docs():  # in document order: the order they were written
                if not stored.get(f.DUP_SIGNATURE):
                    continue
                sig = np.frombuffer(stored[f.DUP_SIGNATURE], dtype=np.uint32)
                group = grouping.place(stored[f.ID], sig, published_seconds(stored.get(f.PUBLISHED)))
                if group != stored.get(f.DUP_GROUP):
                    moved[stored[f.ID]] = group
    finally:
        for searcher in neighbours:
            searcher.close()
    if moved:
        _write_groups(place, moved)
    return len(moved)


def _write_groups(place: Path, moved: dict[str, str]) -> None:
    """Write the documents of ``moved`` back with their new groups, and with them every other
    document of the segments that held them: the bulk writer drops a segment left without a live
    document, so no deleted copy stays behind to count in the shard's statistics (a Whoosh merge
    would count field lengths as its length bytes round them), and the documents are analysed as
    the build analysed them. The segments near a boundary, not the shard."""
    with open_for_reading(place).searcher() as searcher:  # memory maps, not Whoosh's copies
        reader = searcher.reader()
        leaves = [(leaf, offset) for leaf, offset in reader.leaf_readers()]
        held = {searcher.document_number(**{f.ID: doc_id}) for doc_id in moved}
        docs = []
        for leaf, offset in leaves:
            if any(offset <= docnum < offset + leaf.doc_count_all() for docnum in held):
                docs += [_written_back(stored, moved) for _, stored in leaf.iter_docs()]
    writer = BulkWriter(open_for_writing(place), procs=BULK_PROCESSES)
    try:
        for doc in docs:
            writer.update_document(**doc)
        writer.commit()
    except BaseException:
        writer.cancel()
        raise


def _written_back(stored: dict, moved: dict[str, str]) -> dict:
    """A stored document as the fields to write it again (its group from ``moved`` if there)."""
    kind = stored.get(f.KIND)
    if kind == ARTICLE:
        return whole_document({**stored, f.DUP_GROUP: moved.get(stored[f.ID], stored.get(f.DUP_GROUP))}, bulk=True)
    if kind == RELATED:
        return stored_to_fields(stored)
    return {k: v for k, v in stored.items() if v not in (None, "")}  # a ledger entry: all of it is stored
