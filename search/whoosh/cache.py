"""Caches over what an index never changes: a segment's contents, and one index state's joins.

A Whoosh segment is immutable once written (deletions are kept beside it), so what is read from
one, such as a term's posting arrays or a facet column, stays valid for as long as the segment
exists. What is built over all segments (their arrays joined, the live documents) is valid for one
index state: the same segments with the same deletions. ``search/evaluate.py`` and
``search/facets.py`` keep theirs here, so the two rules live in one place.

The caches are module-level on purpose: a segment's id names the same bytes in every searcher,
every request and every index generation of the process, so one cache serves them all. Each has a
size (a byte budget, or a number of states) and a ``clear()``; ``clear_caches()`` empties every
one, for an owner that wants the memory back (tests, a server dropping an index).
"""
from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from threading import Lock
from weakref import WeakKeyDictionary


def segment_leaves(reader) -> list[tuple]:
    """The reader's segment readers with their first document numbers, as ``leaf_readers()``.

    An index without documents has no segment: Whoosh reads it with an ``EmptyReader``, whose one
    leaf has no segment and no columns. Leaving it out makes every per-segment loop run zero
    times, so an empty index answers like any other, with nothing.
    """
    return [(leaf, offset) for leaf, offset in reader.leaf_readers() if leaf.segment() is not None]


def state_key(reader) -> tuple:
    """What identifies an index state: each segment's id and deletion count, in order.

    Kept per reader: a reader is a snapshot of one index state for its whole life (a commit opens
    a new one), and working the key out again cost ~0.2 ms for 20 segments, asked a dozen times
    a search (every state-wide cache asks for it).
    """
    try:
        found = _keys.get(reader)
    except TypeError:  # a reader that cannot be referred to weakly: worked out each time
        return _worked_out(reader)
    if found is None:
        found = _keys[reader] = _worked_out(reader)
    return found


def _worked_out(reader) -> tuple:
    return tuple((leaf.segment().segment_id(), leaf.segment().deleted_count()) for leaf, _ in segment_leaves(reader))


_keys: WeakKeyDictionary = WeakKeyDictionary()


_CACHES: list = []  # every PerState, Budgeted and PerSegment made, for clear_caches()


def clear_caches() -> None:
    """Empty every cache of this module's kinds; they fill again as searches read."""
    for cache in _CACHES:
        cache.clear()


class _Recent:
    """What both kinds share: their values by key, least recently used first, behind one lock,
    and listed for ``clear_caches()``."""

    def __init__(self):
        self._items: OrderedDict[tuple, object] = OrderedDict()
        self._lock = Lock()
        _CACHES.append(self)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def _kept(self, key):
        """The value kept for ``key``, now the most recently used; ``None`` if there is none."""
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found


class PerState(_Recent):
    """The value built for an index state, for the last ``size`` states (the current one and a few
    that long requests may still hold)."""

    def __init__(self, size: int = 4):
        super().__init__()
        self._size = size

    def get(self, reader, build: Callable[[], object]):
        key = state_key(reader)
        found = self._kept(key)
        if found is not None:
            return found
        built = build()  # outside the lock: building reads files; two threads may build once each
        with self._lock:
            self._items[key] = built
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return built


class Budgeted(_Recent):
    """Values by key, least recently used out first, within a budget of bytes."""

    def __init__(self, limit: int, size: Callable[[object], int]):
        super().__init__()
        self.limit, self.used = limit, 0
        self._size = size

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.used = 0

    def kept_or_read(self, key: Hashable, read: Callable[[], object]):
        """The value kept for ``key``, or ``read()``, kept if it fits."""
        found = self._kept(key)
        if found is not None:
            return found
        found = read()
        size = self._size(found)
        if size <= self.limit // 8:  # one huge value must not flush everything else
            with self._lock:
                if key not in self._items:
                    self._items[key] = found
                    self.used += size
                while self.used > self.limit:
                    _, dropped = self._items.popitem(last=False)
                    self.used -= self._size(dropped)
        return found


class PerSegment(Budgeted):
    """Values read from segments, keyed by segment id (a segment never changes), within a budget of bytes."""

    def get(self, leaf, key: Hashable, read: Callable[[], object]):
        """The value for ``key`` in the segment of ``leaf`` (a segment reader), ``read()`` if not kept."""
        return self.kept_or_read((leaf.segment().segment_id(), key), read)
