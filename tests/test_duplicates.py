"""Near-duplicates fold under one hit: the same agency text at three outlets is one story, shown by
its fullest version with the others listed; ``--no-collapse`` and ``collapse=0`` show each; a copy
arriving later joins its story, through Whoosh's writer and the bulk writer alike; agency versions
still replace each other. Through the CLI as a subprocess, the app over HTTP and Chromium."""
from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from indexer import duplicates as d
from indexer.versions import item_document_id
from indexer.write import BULK_MIN_BYTES
from tests.conftest import CHROMIUM, ROOT, fetch, run_cli, serving, write_jsonl
from tests.test_pages import conforms
from tests.test_versions import until

DUPS = Path(__file__).parent / "data" / "dups"
WIRE = Path(__file__).parent / "data" / "wire"
ZEIT = ("b5601af70325f781", "Hochwasser an der Mosel erreicht Cochem", "2026-02-08T10:15:00+01:00", "zeit.de")
TSP = ("24a434273d6c543a", "Mosel-Hochwasser: Keller in Cochem geräumt", "2026-02-08T09:40:00+01:00",
       "tagesspiegel.de")
SZ = ("325a14f52b4c65f8", "Mosel tritt über die Ufer", "2026-02-08T12:05:00+01:00", "sueddeutsche.de")
ITEM = item_document_id("urn:newsml:dpa.com:20090101:260303-99-100200")
MZ = "Saalebrücke bleibt bis zum Sommer dicht"


def duplicate(doc: tuple) -> dict:
    doc_id, title, published, source = doc
    return {"id": doc_id, "title": title, "published": published, "source": source}


def search(index_dir: Path, *args: str) -> dict:
    result = run_cli("query", *args, "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def folded(answer: dict) -> list[tuple[str, list[str]]]:
    """Each hit's id with the ids folded under it."""
    return [(hit["id"], [dup["id"] for dup in hit["duplicates"]]) for hit in answer["hits"]]


def folded_now(index_dir: Path) -> list | None:
    """``folded`` for "Mosel" as the index holds it now; ``None`` while there is no index yet."""
    result = run_cli("query", "Mosel", "--json", index_dir=index_dir)
    return folded(json.loads(result.stdout)) if result.returncode == 0 else None


def index(index_dir: Path, *args: str) -> str:
    result = run_cli("index", *args, index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DUPS / "agentur.jsonl", folder)
    return folder


@pytest.fixture
def index_dir(tmp_path: Path, inbox: Path) -> Path:
    """Two outlets' copies and an unrelated story, then a third outlet's copy in a later run."""
    index(tmp_path / "ix", str(inbox))
    shutil.copy(DUPS / "spaet.jsonl", inbox)
    index(tmp_path / "ix", str(inbox))
    return tmp_path / "ix"


def test_minhash_estimate_is_near_the_exact_jaccard_similarity():
    """Checked against the exact similarity of the shingle sets, computed apart."""
    texts = [json.loads(line)["text"] for name in ("agentur.jsonl", "spaet.jsonl") for line in (DUPS / name).open()]
    for a in texts:
        for b in texts:
            sa, sb = np.unique(d.shingle_hashes(a)), np.unique(d.shingle_hashes(b))
            exact = len(np.intersect1d(sa, sb)) / len(np.union1d(sa, sb))
            assert abs(d.similarity(d.signature(a), d.signature(b)) - exact) <= 0.15, (a[:40], b[:40], exact)


def test_copies_at_three_outlets_are_one_hit_shown_by_the_fullest(index_dir: Path):
    answer = search(index_dir, "Mosel")
    assert answer["total"] == 1
    assert [(h["id"], h["title"], h["publisher"]) for h in answer["hits"]] == [(ZEIT[0], ZEIT[1], ZEIT[3])]
    assert answer["hits"][0]["duplicates"] == [duplicate(TSP), duplicate(SZ)]  # fullest first
    # facets count documents: every outlet's copy is counted
    assert answer["facets"]["source"] == [{"value": v, "count": 1} for v in ("sueddeutsche.de", "tagesspiegel.de",
                                                                              "zeit.de")]
    text = run_cli("query", "Mosel", index_dir=index_dir).stdout
    assert text.splitlines()[0] == "1 Treffer für „Mosel“ – Seite 1 von 1"
    assert text.splitlines()[4:] == [
        "     2 weitere Fassungen:",
        f"       – {TSP[1]} · 08.02.2026 09:40 · tagesspiegel.de  [{TSP[0]}]",
        f"       – {SZ[1]} · 08.02.2026 12:05 · sueddeutsche.de  [{SZ[0]}]",
    ]


def test_no_collapse_shows_every_copy(index_dir: Path):
    answer = search(index_dir, "Mosel", "--no-collapse", "--sort", "newest")
    assert answer["total"] == 3
    assert folded(answer) == [(SZ[0], []), (ZEIT[0], []), (TSP[0], [])]
    assert "3 Treffer für „Mosel“" in run_cli("query", "Mosel", "--no-collapse", index_dir=index_dir).stdout


def test_a_filter_folds_only_what_passes_it(index_dir: Path):
    assert folded(search(index_dir, "Mosel", "--source", "tagesspiegel.de")) == [(TSP[0], [])]
    assert folded(search(index_dir, "Mosel", "--source", "tagesspiegel.de", "--source", "sueddeutsche.de")) == [
        (TSP[0], [SZ[0]])]


def test_the_start_page_counts_stories(index_dir: Path):
    answer = search(index_dir)
    assert answer["total"] == 2  # the Freiburg story and the Mosel one, newest first
    assert folded(answer) == [("1a342d36fb3dcab2", []), (ZEIT[0], [TSP[0], SZ[0]])]


def test_time_shards_fold_within_each_shard_as_one_index_does(tmp_path: Path, inbox: Path):
    """Over time shards (``--shard-size``) each shard folds its own matches: the Mosel copies share
    a day, so a shard; the Saale story is a shard of its own. Totals count stories, facets documents."""
    shutil.copy(DUPS / "spaet.jsonl", inbox)
    shutil.copy(DUPS / "mz-saalebruecke.jsonl", inbox)
    index(tmp_path / "ix", "--shard-size", "1", str(inbox))
    assert len(json.loads((tmp_path / "ix" / "shards.json").read_text())["shards"]) == 2
    answer = search(tmp_path / "ix", "Mosel")
    assert (answer["total"], folded(answer)) == (1, [(ZEIT[0], [TSP[0], SZ[0]])])
    assert answer["hits"][0]["duplicates"] == [duplicate(TSP), duplicate(SZ)]
    assert [(v["value"], v["count"]) for v in answer["facets"]["source"]] == [
        ("sueddeutsche.de", 1), ("tagesspiegel.de", 1), ("zeit.de", 1)]
    newest = search(tmp_path / "ix")
    assert newest["total"] == 3
    assert folded(newest) == [("3fe84ddc399824bc", []), ("1a342d36fb3dcab2", []), (ZEIT[0], [TSP[0], SZ[0]])]
    assert search(tmp_path / "ix", "Mosel", "--no-collapse")["total"] == 3


def _moved(name: str, days: dict[str, str]) -> list[dict]:
    """The records of ``DUPS/name`` published on the ``days`` given by id."""
    records = [json.loads(line) for line in (DUPS / name).read_text(encoding="utf-8").splitlines()]
    return [dict(r, date=days[r["id"]]) for r in records]


def test_a_story_across_a_shard_boundary_folds_once_as_in_one_index(tmp_path: Path):
    """The Mosel copies published on three days, a day to a shard (``--shard-size 1``), the last one
    in a later run: the story is one hit over all shards, shown by its fullest copy with the other
    two, as one index of the same files shows it. ``NICHT Freiburg`` newest first, one hit: the
    first shard's newest is another story, so its Mosel copy is asked for apart."""
    days = {"mosel-tsp": "2026-02-07 09:40:00", "mosel-zeit": "2026-02-08 10:15:00", "freiburg-busse": "2026-02-08 11:00:00",
            "mz-saalebruecke": "2026-02-07 20:00:00", "mosel-sz": "2026-02-09 12:05:00"}
    files = tmp_path / "in"
    files.mkdir()
    write_jsonl(files / "a.jsonl", _moved("agentur.jsonl", days) + _moved("mz-saalebruecke.jsonl", days))
    one, sharded = tmp_path / "one", tmp_path / "sharded"
    index(one, str(files))
    index(sharded, "--shard-size", "1", str(files))
    write_jsonl(files / "b.jsonl", _moved("spaet.jsonl", days))
    index(one, str(files))
    index(sharded, str(files))
    assert [s["count"] for s in json.loads((sharded / "shards.json").read_text())["shards"]] == [2, 2, 1]
    mosel = search(sharded, "Mosel")
    assert (mosel["total"], folded(mosel)) == (1, [(ZEIT[0], [TSP[0], SZ[0]])])
    assert [d["published"] for d in mosel["hits"][0]["duplicates"]] == ["2026-02-07T09:40:00+01:00",
                                                                        "2026-02-09T12:05:00+01:00"]
    assert [(v["value"], v["count"]) for v in mosel["facets"]["source"]] == [
        ("sueddeutsche.de", 1), ("tagesspiegel.de", 1), ("zeit.de", 1)]
    assert folded(search(sharded, "NICHT Freiburg", "--sort", "newest", "--limit", "1")) == [(ZEIT[0], [TSP[0], SZ[0]])]
    for args in (("Mosel",), ("",), ("", "--sort", "oldest"), ("NICHT Freiburg", "--sort", "newest", "--limit", "1"),
                 ("Mosel", "--no-collapse")):
        assert search(sharded, *args) == search(one, *args), args
    assert search(sharded, "")["total"] == 3
    # Rebuilt whole, a copy looks up only the shards within reach of its date (shard_runs.run_here):
    # the same story over the three shards, the same answers.
    index(one, "--full", str(files))
    index(sharded, "--full", str(files))
    assert folded(search(sharded, "Mosel")) == [(ZEIT[0], [TSP[0], SZ[0]])]
    for args in (("Mosel",), ("",), ("NICHT Freiburg", "--sort", "newest", "--limit", "1"), ("Mosel", "--no-collapse")):
        assert search(sharded, *args) == search(one, *args), args


def test_a_copy_arriving_in_a_large_batch_joins_its_story_through_the_bulk_writer(tmp_path: Path, inbox: Path):
    ix = tmp_path / "ix"
    index(ix, str(inbox))
    rng = random.Random(19)
    words = [w for line in (DUPS / "agentur.jsonl").open() for w in json.loads(line)["text"].split() if "Mosel" not in w]
    filler = [{"id": f"f{n}", "url": f"https://example.org/{n}", "date": "2025-06-01 12:00:00", "source": "example.org",
               "title": f"Meldung {n}", "text": " ".join(rng.choice(words) for _ in range(700))} for n in range(300)]
    late = tmp_path / "gross"
    late.mkdir()
    write_jsonl(late / "viele.jsonl", filler)
    shutil.copy(DUPS / "spaet.jsonl", late)
    assert sum(len(r["text"]) for r in filler) > BULK_MIN_BYTES  # the bulk writer takes this batch
    assert "neu: 301" in index(ix, str(late))
    assert folded(search(ix, "Mosel")) == [(ZEIT[0], [TSP[0], SZ[0]])]


def test_watch_folds_a_copy_landing_later_under_its_story(tmp_path: Path, inbox: Path):
    """``newsearch watch`` as a subprocess, stopped with Ctrl-C as a person stops it."""
    ix = tmp_path / "ix"
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "newsearch", "--index-dir", str(ix), "watch", "--nice", "0", str(inbox)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        until(lambda: folded_now(ix) == [(ZEIT[0], [TSP[0]])], "the first two copies folded", 60)
        shutil.copy(DUPS / "spaet.jsonl", inbox)
        until(lambda: folded_now(ix) == [(ZEIT[0], [TSP[0], SZ[0]])], "the late copy folded", 60)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def test_watch_applies_a_wire_version_that_joins_the_copies_of_other_outlets(tmp_path: Path):
    """A folder of ninjs and NewsML-G2 items only: dpa's flash (version 1, too short to fold), a
    Tagesspiegel copy (NewsML-G2) and a Zeit copy (ninjs) of the later text. ``watch`` applies
    version 3 as it lands, which joins the copies; version 2 arriving late changes nothing shown.
    Each copy names its outlet, which a wire item gives as its provider."""
    inbox, ix = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    for path in (WIRE / "dpa-v1.json", DUPS / "tagesspiegel-saale.xml", DUPS / "zeit-saale.json"):
        shutil.copy(path, inbox)
    zeit = ("a02c89537534da13", "Saalebrücke bleibt bis Sommer zu")
    tsp = {"id": "4750910db0a9ea85", "title": "Brücke in Halle: Sperrung bis zum Sommer",
           "published": "2026-03-03T15:30:00+01:00", "source": "tagesspiegel.de"}
    dpa = {"id": ITEM, "title": "Saalebrücke bei Halle bleibt monatelang gesperrt",
           "published": "2026-03-03T14:05:00+01:00", "source": "dpa"}

    def hits() -> list | None:
        result = run_cli("query", "Saale", "--json", index_dir=ix)
        if result.returncode != 0:
            return None
        return sorted((h["id"], h["title"], h["duplicates"]) for h in json.loads(result.stdout)["hits"])

    def versions() -> list:
        shown = json.loads(run_cli("show", ITEM, "--json", index_dir=ix).stdout)
        return [(v["version"], v["title"]) for v in shown["versions"]]

    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "newsearch", "--index-dir", str(ix), "watch", "--nice", "0", str(inbox)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        until(lambda: hits() == [(*zeit, [tsp]), (ITEM, "Brücke über die Saale gesperrt", [])], "the copies folded", 60)
        shutil.copy(WIRE / "dpa-v3.xml", inbox)
        until(lambda: hits() == [(*zeit, [dpa, tsp])], "version 3 applied and folded", 60)
        shutil.copy(WIRE / "dpa-v2.json", inbox)
        until(lambda: versions() == [(1, "Brücke über die Saale gesperrt"), (2, "Saalebrücke bei Halle wegen Rissen gesperrt")],
              "version 2 listed", 60)
        assert hits() == [(*zeit, [dpa, tsp])]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=20)


def test_a_full_rebuild_folds_the_same(index_dir: Path, inbox: Path):
    index(index_dir, "--full", str(inbox))
    assert folded(search(index_dir, "Mosel")) == [(ZEIT[0], [TSP[0], SZ[0]])]


def test_agency_versions_still_replace_each_other_and_a_copy_folds_under_the_newest(tmp_path: Path):
    inbox, ix = tmp_path / "in", tmp_path / "ix"
    inbox.mkdir()
    shutil.copy(WIRE / "dpa-v3.xml", inbox)
    shutil.copy(DUPS / "mz-saalebruecke.jsonl", inbox)
    index(ix, str(inbox))
    for name in ("dpa-v1.json", "dpa-v2.json"):  # older versions arriving late rewrite the held item
        shutil.copy(WIRE / name, inbox)
    assert "ältere Fassungen ignoriert: 2." in index(ix, str(inbox))
    answer = search(ix, "Saale")
    assert [(h["id"], h["title"]) for h in answer["hits"]] == [(ITEM, "Saalebrücke bei Halle bleibt monatelang gesperrt")]
    assert [(dup["title"], dup["source"]) for dup in answer["hits"][0]["duplicates"]] == [(MZ, "mz.de")]
    assert [h["title"] for h in search(ix, "Saale", "--no-collapse", "--sort", "newest")["hits"]] == [
        MZ, "Saalebrücke bei Halle bleibt monatelang gesperrt"]


def test_api_folds_and_collapse_0_unfolds(index_dir: Path):
    with serving(index_dir) as base:
        status, _, body = fetch(f"{base}/api/search?q=Mosel")
        assert status == 200
        answer = json.loads(body)
        assert (answer["total"], folded(answer)) == (1, [(ZEIT[0], [TSP[0], SZ[0]])])
        assert answer["hits"][0]["duplicates"] == [duplicate(TSP), duplicate(SZ)]
        _, _, spec = fetch(f"{base}/api/openapi.json")
        spec = json.loads(spec)
        schema = spec["paths"]["/api/search"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert conforms(answer, schema, spec["components"]["schemas"]) == []
        _, _, body = fetch(f"{base}/api/search?q=Mosel&collapse=0&sort=newest")
        answer = json.loads(body)
        assert (answer["total"], folded(answer)) == (3, [(SZ[0], []), (ZEIT[0], []), (TSP[0], [])])


@pytest.mark.browser
def test_page_shows_further_versions_that_open_on_click(index_dir: Path):
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with serving(index_dir) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            page.set_default_timeout(10_000)
            page.goto(f"{base}/?q=Mosel")
            assert page.locator(".hit .title").all_inner_texts() == [ZEIT[1]]
            summary = page.locator(".hit .duplicates summary")
            assert summary.inner_text() == "2 weitere Fassungen"
            items = page.locator(".hit .duplicates li")
            assert [items.nth(i).is_visible() for i in range(2)] == [False, False]
            summary.click()
            assert items.all_inner_texts() == [f"{TSP[1]} 08.02.2026, 09:40 Uhr\xa0· tagesspiegel.de",
                                               f"{SZ[1]} 08.02.2026, 12:05 Uhr\xa0· sueddeutsche.de"]
            items.nth(1).locator("a").click()
            page.wait_for_url(f"{base}/artikel/{SZ[0]}")
            assert page.locator("h1").inner_text() == SZ[1]
            page.goto(f"{base}/?q=Mosel&collapse=0")
            assert len(page.locator(".hit .title").all_inner_texts()) == 3
            assert page.locator(".hit .duplicates").count() == 0
            page.fill("#q", "Cochem")  # a new search keeps showing every copy
            page.press("#q", "Enter")
            page.wait_for_url(f"{base}/?q=Cochem&collapse=0")
            assert len(page.locator(".hit .title").all_inner_texts()) == 3
        finally:
            browser.close()
