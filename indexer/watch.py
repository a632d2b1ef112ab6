"""Watching an inbox directory and indexing what lands in it.

watchdog delivers file-system events (inotify on Linux) instead of rescanning the tree; events are
collected until the directory has been quiet for a moment, because writers create a file and fill
it in several steps, and then exactly the touched paths are handed to the incremental
``index_files``: new and changed files are read, deleted ones forgotten.
"""
from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from pathlib import Path

from watchdog.events import (
    EVENT_TYPE_CLOSED,
    EVENT_TYPE_CREATED,
    EVENT_TYPE_DELETED,
    EVENT_TYPE_MODIFIED,
    EVENT_TYPE_MOVED,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

from indexer.model import IndexReport
from indexer.shards import index_paths

QUIET_SECONDS = 0.3
# How often the idle loop looks at ``stop``: the only wake-ups while nothing changes.
STOP_CHECK_SECONDS = 1.0
# The events that can change what a file holds. inotify also reports every open and every close
# after reading, and indexing reads each file it is given: counting those made each pass trigger
# the next one, three passes a second for as long as the watch ran (issue 15).
CHANGES = frozenset({EVENT_TYPE_CREATED, EVENT_TYPE_MODIFIED, EVENT_TYPE_DELETED, EVENT_TYPE_MOVED,
                     EVENT_TYPE_CLOSED})


class _Collect(FileSystemEventHandler):
    def __init__(self, inbox: queue.Queue):
        self.inbox = inbox

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in CHANGES or (event.is_directory and event.event_type != EVENT_TYPE_MOVED):
            return
        for path in (event.src_path, getattr(event, "dest_path", "")):
            if path:
                self.inbox.put(Path(path if isinstance(path, str) else path.decode()))


def watch_directory(directory: str | Path, index_dir: str | Path, stop: threading.Event | None = None,
                    **index_options) -> Iterator[IndexReport]:
    """Index ``directory`` once, then again for every quiet batch of changes, until ``stop`` is set.

    Yields one ``IndexReport`` per indexing pass; the first covers the whole directory.
    """
    root = Path(directory).resolve()
    stop = stop or threading.Event()
    inbox: queue.Queue[Path] = queue.Queue()
    observer = Observer()
    observer.schedule(_Collect(inbox), str(root), recursive=True)
    observer.start()
    try:
        yield index_paths([root], index_dir, **index_options)
        while not stop.is_set():
            try:
                touched = {inbox.get(timeout=STOP_CHECK_SECONDS)}
            except queue.Empty:
                continue
            while True:
                try:
                    touched.add(inbox.get(timeout=QUIET_SECONDS))
                except queue.Empty:
                    break
            yield index_paths(sorted(touched), index_dir, **index_options)
    finally:
        observer.stop()
        observer.join(timeout=5)
