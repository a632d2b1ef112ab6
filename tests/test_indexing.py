"""Incremental, idempotent, crash-safe indexing with real files, a real index and real processes."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from indexer import schema as f
from indexer.errors import IndexLockedError
from indexer.store import open_for_reading, read_meta, write_lock
from indexer.watch import watch_directory
from indexer.write import index_files
from tests.conftest import ROOT, run_cli
from tests.pages import write_page

RELATED_X = "Hafen Hamburg wächst weiter. Der Umschlag steigt. (Wirtschaft, 02.02.2026 - 09:15) weiterlesen..."


def documents(index_dir: Path) -> dict[str, dict]:
    """Every searchable document by id, read straight from the index."""
    with open_for_reading(index_dir).searcher() as searcher:
        docs = [d for d in searcher.all_stored_fields() if d[f.KIND] != f.SOURCE_KIND]
    ids = [d[f.ID] for d in docs]
    assert len(ids) == len(set(ids)), "a document is in the index twice"
    return {d[f.ID]: d for d in docs}


def titles(index_dir: Path, kind: str = "article") -> list[str]:
    return sorted(d[f.TITLE] for d in documents(index_dir).values() if d[f.KIND] == kind)


def test_second_run_over_unchanged_files_changes_nothing(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    write_page(inbox / "a.txt", "Neuer Hafen für Hamburg")
    write_page(inbox / "b.txt", "Streit um Windräder")
    first = index_files([inbox], tmp_path / "ix")
    again = index_files([inbox], tmp_path / "ix")
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    assert (again.added, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 2)
    assert titles(tmp_path / "ix") == ["Neuer Hafen für Hamburg", "Streit um Windräder"]


def test_changed_file_replaces_its_article_and_vanished_file_removes_it(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    write_page(inbox / "a.txt", "Neuer Hafen für Hamburg")
    write_page(inbox / "b.txt", "Streit um Windräder")
    index_files([inbox], tmp_path / "ix")
    write_page(inbox / "a.txt", "Neuer Hafen für Bremen")
    (inbox / "b.txt").unlink()
    report = index_files([inbox], tmp_path / "ix")
    # The title is part of a page dump's id, so the renamed article is a new document.
    assert (report.added, report.deleted, report.unchanged) == (1, 2, 0)
    assert titles(tmp_path / "ix") == ["Neuer Hafen für Bremen"]


def test_files_outside_the_given_roots_are_kept(tmp_path):
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        write_page(tmp_path / name / "a.txt", f"Bericht aus Ordner {name}")
    index_files([tmp_path / "one"], tmp_path / "ix")
    index_files([tmp_path / "two"], tmp_path / "ix")
    assert titles(tmp_path / "ix") == ["Bericht aus Ordner one", "Bericht aus Ordner two"]


def test_related_item_listed_twice_is_one_document_linked_to_both(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    a = write_page(inbox / "a.txt", "Werften melden Aufträge", related=[RELATED_X])
    write_page(inbox / "b.txt", "Reeder investieren", stamp="03.02.2026 - 08:00:00", related=[RELATED_X])
    index_files([inbox], tmp_path / "ix")
    docs = documents(tmp_path / "ix")
    related = [d for d in docs.values() if d[f.KIND] == "related"]
    assert [r[f.TITLE] for r in related] == ["Hafen Hamburg wächst weiter"]
    parent_titles = sorted(docs[p][f.TITLE] for p in related[0][f.PARENTS].split(","))
    assert parent_titles == ["Reeder investieren", "Werften melden Aufträge"]
    a.unlink()
    index_files([inbox], tmp_path / "ix")
    docs = documents(tmp_path / "ix")
    related = [d for d in docs.values() if d[f.KIND] == "related"]
    assert [docs[p][f.TITLE] for p in related[0][f.PARENTS].split(",")] == ["Reeder investieren"]


def test_related_item_disappears_with_the_last_article_listing_it(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    a = write_page(inbox / "a.txt", "Werften melden Aufträge", related=[RELATED_X])
    index_files([inbox], tmp_path / "ix")
    assert titles(tmp_path / "ix", "related") == ["Hafen Hamburg wächst weiter"]
    a.unlink()
    report = index_files([inbox], tmp_path / "ix")
    assert report.deleted == 1 and documents(tmp_path / "ix") == {}


def test_full_rebuild_swaps_in_a_new_generation(tmp_path, sample_files):
    index_files([sample_files], tmp_path / "ix")
    before = read_meta(tmp_path / "ix")["generation"]
    report = index_files([sample_files], tmp_path / "ix", full=True)
    after = read_meta(tmp_path / "ix")["generation"]
    assert before != after and (report.articles, report.related, report.unchanged) == (1, 6, 0)
    assert len(documents(tmp_path / "ix")) == 7


def test_second_writer_waits_then_names_the_one_writing(tmp_path, sample_files):
    (tmp_path / "ix").mkdir()
    with write_lock(tmp_path / "ix"):
        started = time.monotonic()
        result = run_cli("index", "--wait", "0.5", str(sample_files), index_dir=tmp_path / "ix")
        assert time.monotonic() - started >= 0.5
    assert result.returncode == 1
    assert f"wird gerade von Prozess {os.getpid()}" in result.stderr
    assert "nach 0.5 s Warten aufgegeben" in result.stderr


def test_lock_waiter_gets_the_index_once_the_writer_is_done(tmp_path, sample_files):
    (tmp_path / "ix").mkdir()
    release = threading.Event()

    def hold():
        with write_lock(tmp_path / "ix"):
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    time.sleep(0.2)
    with pytest.raises(IndexLockedError):
        index_files([sample_files], tmp_path / "ix", lock_timeout=0.2)
    threading.Timer(0.3, release.set).start()
    report = index_files([sample_files], tmp_path / "ix", lock_timeout=5)
    holder.join()
    assert report.articles == 1


def test_kill_9_mid_run_loses_nothing_committed_and_next_run_completes(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    for i in range(400):
        write_page(inbox / f"{i:03d}.txt", f"Meldung Nummer {i} aus dem Archiv", body="Text. " * 200)
    proc = subprocess.Popen(
        [sys.executable, "-m", "newsearch", "--index-dir", str(tmp_path / "ix"), "index", "--commit-every", "0",
         str(inbox)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if read_meta(tmp_path / "ix").get("generation"):
                try:
                    if len(documents(tmp_path / "ix")) >= 20:
                        break
                except Exception:  # the index is mid-commit; try again
                    pass
            time.sleep(0.05)
        assert proc.poll() is None, "the run finished before it could be killed; make it longer"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(10)
    survived = documents(tmp_path / "ix")
    assert 20 <= len(survived) < 400
    report = index_files([inbox], tmp_path / "ix")
    assert report.unchanged == len(survived) and report.added == 400 - len(survived)
    assert len(documents(tmp_path / "ix")) == 400


def test_watch_indexes_new_and_changed_files_within_two_seconds(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    write_page(inbox / "a.txt", "Erste Meldung im Eingang")
    stop = threading.Event()
    reports = []

    def run():
        for report in watch_directory(inbox, tmp_path / "ix", stop=stop):
            reports.append(report)

    watcher = threading.Thread(target=run)
    watcher.start()
    try:
        deadline = time.monotonic() + 10
        while not reports and time.monotonic() < deadline:
            time.sleep(0.05)
        assert titles(tmp_path / "ix") == ["Erste Meldung im Eingang"]
        for name, title in (("b.txt", "Zweite Meldung im Eingang"), ("a.txt", "Erste Meldung, berichtigt")):
            write_page(inbox / name, title)
            written = time.monotonic()
            while title not in titles(tmp_path / "ix"):
                assert time.monotonic() - written < 2.0, f"{title!r} not searchable within 2 s"
                time.sleep(0.05)
        assert titles(tmp_path / "ix") == ["Erste Meldung, berichtigt", "Zweite Meldung im Eingang"]
    finally:
        stop.set()
        watcher.join(10)


def test_index_reports_all_counts_in_german(tmp_path, sample_files):
    run_cli("index", str(sample_files), index_dir=tmp_path / "ix")
    again = run_cli("index", str(sample_files), index_dir=tmp_path / "ix")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().endswith(
        "neu: 0, aktualisiert: 0, gelöscht: 0, unverändert: 1, fehlerhaft: 0."
    ), again.stdout
    assert json.loads((tmp_path / "ix" / "newsearch.json").read_text())["analyzer_version"] >= 1


def test_full_article_replaces_its_related_stub_and_is_never_overwritten_by_it(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    write_page(inbox / "a.txt", "Werften melden Aufträge", related=[RELATED_X])
    index_files([inbox], tmp_path / "ix")
    assert titles(tmp_path / "ix", "related") == ["Hafen Hamburg wächst weiter"]
    # The full article arrives, stamped with seconds where the related list showed minutes.
    write_page(inbox / "x.txt", "Hafen Hamburg wächst weiter", lead="Der Umschlag steigt deutlich.",
               stamp="02.02.2026 - 09:15:37", topics="Wirtschaft")
    index_files([inbox], tmp_path / "ix")
    assert titles(tmp_path / "ix", "related") == []
    assert titles(tmp_path / "ix") == ["Hafen Hamburg wächst weiter", "Werften melden Aufträge"]
    # Re-reading the page that lists it must not turn the article back into a stub.
    write_page(inbox / "a.txt", "Werften melden Aufträge", body="Ein neuer Absatz.", related=[RELATED_X])
    index_files([inbox], tmp_path / "ix")
    docs = documents(tmp_path / "ix")
    assert sorted((d[f.KIND], d[f.TITLE]) for d in docs.values()) == [
        ("article", "Hafen Hamburg wächst weiter"),
        ("article", "Werften melden Aufträge"),
    ]
    assert next(d for d in docs.values() if d[f.TITLE].startswith("Hafen"))[f.LEAD] == "Der Umschlag steigt deutlich."


BAD = ROOT / "tests" / "data" / "bad"


def test_every_bad_file_is_reported_with_its_reason_and_every_good_one_indexed(tmp_path):
    inbox = tmp_path / "in"
    shutil.copytree(BAD, inbox)
    result = run_cli("index", "--max-file-size", "2000", str(inbox), index_dir=tmp_path / "ix")
    assert result.returncode == 1, result.stdout
    errors = sorted(line for line in result.stderr.splitlines() if line.startswith("Fehler:"))
    assert errors == [
        f"Fehler: {inbox / 'abgeschnitten.html'}: kein Artikelinhalt gefunden (weder Überschrift noch Text), "
        "die Seite ist leer oder abgeschnitten",
        f"Fehler: {inbox / 'binaer.txt'}: keine Textdatei (enthält Binärdaten)",
        f"Fehler: {inbox / 'leer.txt'}: die Datei ist leer",
        f"Fehler: {inbox / 'zeilen.jsonl'}:2: ungültiges JSON (Invalid control character at: line 1 column 81 (char 80))",
        f"Fehler: {inbox / 'zu-gross.txt'}: zu groß (3.886 Bytes, erlaubt sind 2.000)",
    ], result.stderr
    assert titles(tmp_path / "ix") == ["Deich bei Husum wird erhöht", "Fähre nach Amrum fällt aus",
                                       "Sturmflut trifft Nordfriesland"]


def test_a_file_that_breaks_later_keeps_what_the_index_had_from_it(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    page = write_page(inbox / "a.txt", "Neuer Hafen für Hamburg")
    index_files([inbox], tmp_path / "ix")
    page.write_bytes(b"\x00\x00 kaputt")
    report = index_files([inbox], tmp_path / "ix")
    assert [f.reason for f in report.failures] == ["keine Textdatei (enthält Binärdaten)"]
    assert titles(tmp_path / "ix") == ["Neuer Hafen für Hamburg"]


def test_article_without_date_is_searchable_reported_and_outside_date_facets(tmp_path):
    from search.query import build_request, open_searcher, run_query

    feed = tmp_path / "in.jsonl"
    feed.write_text(json.dumps({"id": "x", "source": "t", "title": "Deichbau ohne Datum", "text": "Der Deich."}) + "\n"
                    + json.dumps({"id": "y", "source": "t", "title": "Deichbau mit Datum", "date": "2026-02-01",
                                  "text": "Der Deich."}) + "\n", encoding="utf-8")
    result = run_cli("index", str(feed), index_dir=tmp_path / "ix")
    assert result.returncode == 0, result.stderr
    assert "Hinweis: 1 Artikel ohne Datum" in result.stderr
    with open_searcher(open_for_reading(tmp_path / "ix")) as searcher:
        found = run_query(searcher, build_request("Deichbau"))
    assert found.total == 2
    assert [(c.value, c.count) for c in found.facets["day"]] == [("2026-02-01", 1)]


def test_progress_bar_shows_documents_per_second_on_a_terminal_only(tmp_path, sample_files):
    import pty

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "newsearch", "--index-dir", str(tmp_path / "ix"), "index",
                             str(sample_files)], cwd=ROOT, stdin=follower, stdout=follower, stderr=follower)
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    proc.wait(30)
    os.close(leader)
    text = output.decode("utf-8", "replace")
    assert "Indexiere" in text and "Dok./s" in text, text
    piped = run_cli("index", str(sample_files), index_dir=tmp_path / "ix2")
    assert "Indexiere" not in piped.stderr + piped.stdout and "Dok./s" not in piped.stderr + piped.stdout


def test_a_hundred_broken_and_odd_files_lose_nothing_and_report_every_bad_one(tmp_path, sample_files):
    from tests.broken_corpus import MAX_BYTES, generate

    index_files([sample_files], tmp_path / "ix")
    before = set(documents(tmp_path / "ix"))
    expected = generate(tmp_path / "corpus")
    assert len(expected) >= 100
    report = index_files([tmp_path / "corpus"], tmp_path / "ix", max_bytes=MAX_BYTES)
    failed = {Path(f.path.split(":")[0]).name for f in report.failures}
    assert failed == {name for name, e in expected.items() if e["expect"] == "bad" or e.get("bad_lines")}
    assert all(f.reason for f in report.failures)
    wanted = {t for e in expected.values() for t in e["titles"]}
    assert set(titles(tmp_path / "ix")) == wanted | {"USA und Russland sprechen über Arbeit ihrer Botschaften"}
    assert before <= set(documents(tmp_path / "ix")), "documents indexed before the batch were lost"


def test_full_rebuild_by_the_bulk_writer_holds_what_incremental_runs_hold(tmp_path, sample_files):
    """``--full`` builds with the bulk writer (indexer/bulk.py): over a batch with shared related
    items, an article that replaces a related stub, one article in two files and the broken
    corpus, it must hold the same documents, answer queries the same, and leave a ledger the next
    incremental run trusts."""
    from search.query import build_request, open_searcher, run_query
    from search.results import result_to_json
    from tests.broken_corpus import MAX_BYTES, generate

    inbox = tmp_path / "in"
    generate(inbox / "corpus")
    shutil.copy(next(sample_files.iterdir()), inbox / "sample.txt")
    write_page(inbox / "a.txt", "Werften melden Aufträge", related=[RELATED_X])
    write_page(inbox / "b.txt", "Reeder investieren", stamp="03.02.2026 - 08:00:00", related=[RELATED_X])
    write_page(inbox / "x.txt", "Hafen Hamburg wächst weiter", lead="Der Umschlag steigt deutlich.",
               stamp="02.02.2026 - 09:15:37", topics="Wirtschaft")
    write_page(inbox / "y.txt", "Streit um Windräder", related=[RELATED_X.replace("Hafen Hamburg", "Kai Kiel")])
    shutil.copy(inbox / "y.txt", inbox / "y-kopie.txt")

    incremental = index_files([inbox], tmp_path / "inc", max_bytes=MAX_BYTES)
    full = index_files([inbox], tmp_path / "full", full=True, max_bytes=MAX_BYTES)
    assert (full.articles, full.related, full.added) == (incremental.articles, incremental.related, incremental.added)
    assert sorted(map(str, full.failures)) == sorted(map(str, incremental.failures))
    inc_docs, full_docs = documents(tmp_path / "inc"), documents(tmp_path / "full")
    assert len(full_docs) > 50 and full_docs == inc_docs
    assert {d[f.KIND] for d in full_docs.values()} == {"article", "related"}

    def answers(index_dir):
        with open_searcher(open_for_reading(index_dir)) as searcher:
            return [result_to_json(run_query(searcher, build_request(q, per_page=50)))["hits"]
                    for q in ("Hafen", "Botschaft", "Windräder", "Meldung", "Ukraine-Gespräche")]

    assert answers(tmp_path / "full") == answers(tmp_path / "inc")
    again = index_files([inbox], tmp_path / "full", max_bytes=MAX_BYTES)
    assert (again.added, again.updated, again.deleted) == (0, 0, 0) and again.unchanged == incremental.articles


def _api_articles(prefix: str) -> list:
    from datetime import datetime, timezone

    from indexer.model import Article, Caption, RelatedItem

    when = datetime(2026, 2, 2, 9, 15, tzinfo=timezone.utc)
    shared = RelatedItem(f"{prefix}-rel", "Hafen Hamburg wächst weiter", teaser="Der Umschlag steigt.", published=when)
    return [
        Article(f"{prefix}-1", "US-Botschaft zieht um", topics=("Politik", "USA"), lead="Der Botschaftsbesitz wird verkauft.",
                body=("Die Müller-Werke liefern Möbel.", "Ein zweiter Absatz."), subheadings=("Umzug",),
                captions=(Caption("Das Gebäude in Berlin", "dpa"),), published=when, section="Politik",
                agency="dpa", related=(shared,)),
        Article(f"{prefix}-2", "Werften melden Aufträge", body=("Reeder investieren in Schiffe.",), related=(shared,)),
        Article(f"{prefix}-3", "Alte Fassung", body=("Wird ersetzt.",)),
        Article(f"{prefix}-3", "Neue Fassung", body=("Ersetzt die alte im selben Aufruf.",)),
    ]


def test_index_articles_into_empty_and_non_empty_index_gives_the_same_documents(tmp_path):
    """index_articles uses the bulk writer when the index is empty (it commits once either way)
    and Whoosh's writer when it is not; both must leave the same documents, found the same way."""
    from indexer.write import index_articles
    from search.query import build_request, open_searcher, run_query
    from search.results import result_to_json

    report = index_articles(_api_articles("a"), tmp_path / "empty")
    assert report.bulk
    assert (report.articles, report.related, report.added) == (4, 1, 3)

    # The same articles into an index that already holds one: Whoosh's writer.
    assert index_articles([_api_articles("x")[1]], tmp_path / "filled", source="<other>").bulk
    report = index_articles(_api_articles("a"), tmp_path / "filled")
    assert not report.bulk, "a non-empty index must not get the bulk writer"
    assert (report.articles, report.related, report.added) == (4, 1, 3)

    bulk_docs = documents(tmp_path / "empty")
    filled_docs = documents(tmp_path / "filled")
    assert set(bulk_docs) == {"a-1", "a-2", "a-3", "a-rel"}
    assert bulk_docs["a-3"][f.TITLE] == "Neue Fassung"
    assert bulk_docs["a-rel"][f.PARENTS] == "a-1,a-2"
    assert {k: v for k, v in filled_docs.items() if k in bulk_docs} == bulk_docs
    assert set(filled_docs) == set(bulk_docs) | {"x-2", "x-rel"}

    def answers(index_dir):
        with open_searcher(open_for_reading(index_dir)) as searcher:
            return {q: [h["id"] for h in result_to_json(run_query(searcher, build_request(q)))["hits"]]
                    for q in ("Botschaft", "Mueller", "Werke", "Hafen", "Fassung", "Schiff")}

    found = answers(tmp_path / "empty")
    assert found["Botschaft"] == ["a-1"] and found["Mueller"] == ["a-1"] and found["Fassung"] == ["a-3"]
    assert {q: [i for i in ids if not i.startswith("x-")] for q, ids in answers(tmp_path / "filled").items()} == found

    # A second call into the bulk-built index adds with Whoosh's writer and keeps the rest.
    assert not index_articles(_api_articles("b")[:2], tmp_path / "empty", source="<more>").bulk
    assert set(documents(tmp_path / "empty")) == {"a-1", "a-2", "a-3", "a-rel", "b-1", "b-2", "b-rel"}


def test_watch_and_index_yield_the_cpu_to_searches_unless_told(tmp_path):
    """`newsearch watch` (and `index`, the same option) runs at nice 10 by default, at --nice N if asked."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    seen = {}
    for args in ((), ("--nice", "3"), ("--nice", "0")):
        proc = subprocess.Popen([sys.executable, "-m", "newsearch", "--index-dir", str(tmp_path / "ix"), "watch",
                                 str(inbox), *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 20
            while b"Beobachte" not in (line := proc.stdout.readline()) and time.monotonic() < deadline:
                assert line, "watch ended before it started watching"
            seen[args] = nice_of(proc.pid) - nice_of("self")
        finally:
            proc.terminate()
            proc.wait(15)
    room = 19 - nice_of("self")  # nice stops at 19
    assert seen == {(): min(10, room), ("--nice", "3"): min(3, room), ("--nice", "0"): 0}, seen


def nice_of(pid) -> int:
    """A process's nice value, field 19 of /proc/PID/stat (after the command name, which may hold spaces)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])
