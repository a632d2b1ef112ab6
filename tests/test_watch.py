"""``watch`` rests between changes: one indexing pass per real change, none for its own reads
of the files, and a broken file reported once per change (issue 15, defect 3)."""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from indexer.watch import watch_directory
from tests.pages import write_page

QUIET_AFTER_PASS = 3.0  # seconds without a pass that show the watch is at rest (it ran ~3 passes a second)


@contextlib.contextmanager
def watching(inbox: Path, index_dir: Path) -> Iterator[list[tuple]]:
    """The real ``watch_directory`` in a thread; yields the list its passes are appended to, as
    (added, updated, deleted, unchanged, failed paths)."""
    stop = threading.Event()
    reports: list[tuple] = []

    def run():
        for r in watch_directory(inbox, index_dir, stop=stop):
            reports.append((r.added, r.updated, r.deleted, r.unchanged, [f.path for f in r.failures]))

    watcher = threading.Thread(target=run)
    watcher.start()
    try:
        yield reports
    finally:
        stop.set()
        watcher.join(10)
    assert not watcher.is_alive()


def next_pass(reports: list[tuple], while_waiting=lambda: None) -> tuple:
    """Wait (up to 20 s) for one more pass, then make sure no other follows it for a while."""
    count = len(reports)
    deadline = time.monotonic() + 20
    while len(reports) == count:
        assert time.monotonic() < deadline, f"no pass within 20 s: {reports}"
        time.sleep(0.05)
    rest = time.monotonic() + QUIET_AFTER_PASS
    while time.monotonic() < rest:
        while_waiting()
        assert len(reports) == count + 1, f"the watch did not rest: {reports}"
        time.sleep(0.5)  # longer than the watch's quiet wait (0.3 s), so a batch of events can close
    return reports[-1]


def test_watch_makes_one_pass_per_change_and_reports_a_broken_file_once(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    with watching(inbox, tmp_path / "ix") as reports:
        assert next_pass(reports) == (0, 0, 0, 0, [])
        broken = inbox / "kaputt.txt"
        broken.write_bytes(b"\x00\x01binary")
        assert next_pass(reports) == (0, 0, 0, 0, [str(broken)])
        page = write_page(inbox / "meldung.txt", "Eine Meldung im Eingang")
        assert next_pass(reports) == (1, 0, 0, 0, [])
        broken.write_bytes(b"\x00\x02still binary")  # a real change: reported again, once
        assert next_pass(reports) == (0, 0, 0, 0, [str(broken)])
        page.unlink()
        assert next_pass(reports) == (0, 0, 1, 0, [])


def test_reading_a_watched_file_is_no_change(tmp_path):
    """Reading a watched file (a backup, a search, ``cat``) starts no pass."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    page = write_page(inbox / "meldung.txt", "Eine Meldung im Eingang")
    with watching(inbox, tmp_path / "ix") as reports:
        assert next_pass(reports, while_waiting=page.read_bytes) == (1, 0, 0, 0, [])
