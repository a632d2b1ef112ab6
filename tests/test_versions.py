"""Versions of an agency item: the highest wins everywhere, a late older one changes nothing, and
the earlier ones are listed on the article page and in the API. Through the CLI as a subprocess
(``index`` and ``watch``), the app over HTTP, and Chromium."""
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
from indexer.errors import NewsearchError
from indexer.store import open_for_reading
from indexer.versions import item_document_id
from indexer.write import index_files
from tests.conftest import ROOT, fetch, run_cli
from tests.test_pages import conforms

WIRE = Path(__file__).parent / "data" / "wire"
ITEM = item_document_id("urn:newsml:dpa.com:20090101:260303-99-100200")
TITLES = {
    1: "Brücke über die Saale gesperrt",
    2: "Saalebrücke bei Halle wegen Rissen gesperrt",
    3: "Saalebrücke bei Halle bleibt monatelang gesperrt",
}
FILES = {1: "dpa-v1.json", 2: "dpa-v2.json", 3: "dpa-v3.xml"}
# What the page and the API say about versions 1 and 2 under version 3 (sizes: title + lead + body)
EARLIER = [
    {"version": 1, "published": "2026-03-03T09:12:00+01:00", "title": TITLES[1], "chars": 113, "change": None},
    {"version": 2, "published": "2026-03-03T10:40:00+01:00", "title": TITLES[2], "chars": 277, "change": 164},
]


def deliver(inbox: Path, *versions: int) -> None:
    for version in versions:
        shutil.copy(WIRE / FILES[version], inbox / FILES[version])


def hits(index_dir: Path, query: str) -> list[tuple[str, str]]:
    result = run_cli("query", query, "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    return [(hit["id"], hit["title"]) for hit in json.loads(result.stdout)["hits"]]


def stored_version(index_dir: Path) -> tuple[int, str, list[int]]:
    with open_for_reading(index_dir).searcher() as searcher:
        doc = searcher.document(**{f.ID: ITEM}) or {f.VERSION: 0, f.TITLE: "", f.VERSIONS: []}
    return doc[f.VERSION], doc[f.TITLE], [entry["version"] for entry in doc[f.VERSIONS]]


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """Version 3 delivered first, then versions 1 and 2 late: the index the live server serves."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    deliver(inbox, 3)
    index_files([inbox], tmp_path / "ix")
    deliver(inbox, 1, 2)
    report = index_files([inbox], tmp_path / "ix")
    assert (report.superseded, report.added, report.updated) == (2, 0, 0)
    return tmp_path / "ix"


def test_each_higher_version_replaces_the_one_before_in_the_results(tmp_path):
    inbox, ix = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    for version in (1, 2, 3):
        deliver(inbox, version)
        result = run_cli("index", str(inbox), index_dir=ix)
        assert result.returncode == 0, result.stderr
        assert hits(ix, "Saale") == [(ITEM, TITLES[version])]
        assert stored_version(ix) == (version, TITLES[version], list(range(1, version + 1)))
    assert "neu: 0, aktualisiert: 1, gelöscht: 0, unverändert: 2, fehlerhaft: 0." in result.stdout


def test_older_versions_arriving_late_change_nothing_and_are_reported(tmp_path):
    inbox, ix = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    deliver(inbox, 3)
    run_cli("index", str(inbox), index_dir=ix)
    deliver(inbox, 1, 2)
    result = run_cli("index", str(inbox), index_dir=ix)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(
        "neu: 0, aktualisiert: 0, gelöscht: 0, unverändert: 1, fehlerhaft: 0, ältere Fassungen ignoriert: 2.")
    assert hits(ix, "Saale") == [(ITEM, TITLES[3])]
    assert hits(ix, "Ostern") == []  # words only version 2 had are not found
    assert stored_version(ix) == (3, TITLES[3], [1, 2, 3])  # listed, though they came late


def test_a_full_rebuild_holds_the_same_whatever_the_order_of_the_files(tmp_path):
    inbox, ix = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    deliver(inbox, 1, 2, 3)
    (inbox / FILES[3]).rename(inbox / "0-zuerst-gelesen.xml")  # version 3 is read before 1 and 2
    result = run_cli("index", "--full", str(inbox), index_dir=ix)
    assert result.returncode == 0, result.stderr
    assert "ältere Fassungen ignoriert: 2." in result.stdout
    assert stored_version(ix) == (3, TITLES[3], [1, 2, 3])
    assert hits(ix, "Saale") == [(ITEM, TITLES[3])]


def test_when_the_file_of_the_shown_version_goes_the_highest_remaining_version_shows(tmp_path):
    inbox, ix = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    deliver(inbox, 1, 2, 3)
    run_cli("index", str(inbox), index_dir=ix)
    (inbox / FILES[3]).unlink()
    result = run_cli("index", str(inbox), index_dir=ix)
    assert result.returncode == 0, result.stderr
    assert stored_version(ix) == (2, TITLES[2], [1, 2])
    assert hits(ix, "Saale") == [(ITEM, TITLES[2])]
    (inbox / FILES[1]).unlink()  # not the file of the shown version: nothing changes
    run_cli("index", str(inbox), index_dir=ix)
    assert stored_version(ix) == (2, TITLES[2], [1, 2])


def test_a_broken_item_is_reported_in_german_and_the_rest_of_the_batch_indexed(tmp_path):
    inbox, ix = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    deliver(inbox, 2)
    shutil.copy(WIRE / "nitf-item.xml", inbox / "kna.xml")
    (inbox / "kaputt.json").write_text('{"uri": "urn:x", "headline": "Abgebrochen', encoding="utf-8")
    result = run_cli("index", str(inbox), index_dir=ix)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        f"Fehler: {(inbox / 'kaputt.json').resolve()}: kein gültiges JSON (Zeile 1, Spalte 30)")
    assert "Traceback" not in result.stderr
    assert sorted(title for _, title in hits(ix, "Halle OR Kirchentag")) == [
        "Kirchentag meldet Rekord bei Anmeldungen", TITLES[2]]


def test_api_document_carries_the_earlier_versions(live_server):
    status, _, body = fetch(f"{live_server}/api/document/{ITEM}")
    assert status == 200
    doc = json.loads(body)
    assert (doc["title"], doc["version"], doc["versions"]) == (TITLES[3], 3, EARLIER)
    assert (doc["item_id"], doc["genre"], doc["located"], doc["urgency"], doc["author"]) == (
        "urn:newsml:dpa.com:20090101:260303-99-100200", "Zusammenfassung", "Halle", 3, ["Anna Weber"])
    assert doc["first_created"] == "2026-03-03T09:12:00+01:00"
    _, _, spec = fetch(f"{live_server}/api/openapi.json")
    spec = json.loads(spec)
    schema = spec["paths"]["/api/document/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert conforms(doc, schema, spec["components"]["schemas"]) == []
    status, _, body = fetch(f"{live_server}/api/search?q=Saale")
    assert [(h["id"], h["title"]) for h in json.loads(body)["hits"]] == [(ITEM, TITLES[3])]


@pytest.mark.browser
def test_article_page_lists_the_earlier_versions_newest_first(page):
    page.goto(f"{page.base}/artikel/{ITEM}")
    assert page.locator("h1").inner_text() == TITLES[3]
    assert page.locator(".versions .version-current").inner_text() == (
        "Gezeigt: Fassung 3 (+113 Zeichen gegenüber der Fassung davor).")
    assert page.locator(".versions li").all_inner_texts() == [
        f"Fassung 2, 03.03.2026, 10:40 Uhr: „{TITLES[2]}“ 277 Zeichen, +164 Zeichen",
        f"Fassung 1, 03.03.2026, 09:12 Uhr: „{TITLES[1]}“ 113 Zeichen",
    ]
    assert page.locator(".meta .author").inner_text() == "Von Anna Weber"
    assert page.locator(".byline").inner_text() == "Halle Zusammenfassung"


def test_watch_applies_new_versions_as_they_land_and_ignores_late_old_ones(tmp_path):
    """``newsearch watch`` as a subprocess; stopped with Ctrl-C, as a person stops it."""
    inbox, ix = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    deliver(inbox, 1)
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "newsearch", "--index-dir", str(ix), "watch", str(inbox)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: list[str] = []  # read as they come: a pass commits before it prints its line
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        until(lambda: stored_version(ix) == (1, TITLES[1], [1]), "version 1 indexed")
        deliver(inbox, 3)
        until(lambda: stored_version(ix)[0] == 3, "version 3 applied")
        deliver(inbox, 2)
        until(lambda: stored_version(ix)[2] == [1, 2, 3], "late version 2 listed")
        assert stored_version(ix) == (3, TITLES[3], [1, 2, 3])
        until(lambda: any("ältere Fassungen ignoriert" in line for line in lines), "the late version's pass printed")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)
        reader.join(timeout=5)  # stdout is the reader's alone, so no line is split between two readers
        err = proc.stderr.read()
    # How file events fall into passes depends on timing; what each version did does not.
    passes = [line.rstrip("\n").split(" ", 1)[1] for line in lines]
    assert passes[0] == "neu: 1, aktualisiert: 0, gelöscht: 0, unverändert: 0, fehlerhaft: 0", err
    assert [p for p in passes if "aktualisiert: 1" in p] != [], passes
    assert passes[-1].endswith("fehlerhaft: 0, ältere Fassungen ignoriert: 1"), passes


def until(condition, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if condition():
                return
        except (OSError, NewsearchError):  # the index is not there yet
            pass
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.05)
