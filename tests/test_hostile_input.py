"""Hostile input through the real CLI: bad dates, wrong types, broken bytes in every format, files
of unknown type, broken records on later runs, and the writer a large batch gets (issue 15)."""
from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from indexer import schema as f
from indexer.write import index_files
from tests.conftest import SAMPLE, run_cli, write_jsonl
from tests.test_indexing import documents, titles


def reported(stderr: str, label: str = "Fehler") -> Counter:
    """How often each ``label: WHERE: reason`` line names each WHERE (a path, or path:line)."""
    return Counter(m.group(1) for m in re.finditer(rf"^{label}: (.+?): \S.*$", stderr, re.M))


def test_one_bad_date_in_a_first_run_is_reported_and_the_rest_indexed(tmp_path):
    """Wikinews record 75280 (``0001-01-01``) ended the whole first run in an OverflowError and left
    the index empty."""
    path = tmp_path / "wikinews.jsonl"
    write_jsonl(path, [
        {"id": 1, "title": "Wahl in Bremen", "text": "Die Wahl.", "date": "2007-05-13"},
        {"id": 75280, "title": "Platzhalterdatum", "text": "Kein Datum.", "date": "0001-01-01"},
        {"id": 3, "title": "Hafen in Kiel", "text": "Der Hafen.", "date": "2008-01-02T10:00:00Z"},
    ])
    result = run_cli("index", str(path), index_dir=tmp_path / "ix")
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [f"Fehler: {path}:2: „date“ liegt vor dem Jahr 1600: '0001-01-01'"]
    assert titles(tmp_path / "ix") == ["Hafen in Kiel", "Wahl in Bremen"]


def test_hostile_records_in_every_format_in_one_batch(tmp_path):
    """The broken corpus with its hostile records (tests/broken_corpus.py), in one run of the CLI:
    every good document is found, every bad file and bad JSON line reported once with a reason,
    hostile dates in pages, feeds and page dumps leave their article undated, files of unknown
    type are named as skipped and hidden ones not at all. A second run reports the same again."""
    from tests.broken_corpus import MAX_BYTES, generate

    corpus = tmp_path / "corpus"
    expected = generate(corpus)
    # A generous timeout: the run takes seconds, but the test machine is shared.
    result = run_cli("index", "--max-file-size", str(MAX_BYTES), str(corpus), index_dir=tmp_path / "ix", timeout=300)
    assert result.returncode == 1, result.stderr

    failures = reported(result.stderr)
    assert set(failures.values()) == {1}, [where for where, n in failures.items() if n > 1]
    lines = {(Path(w.rsplit(":", 1)[0]).name, int(w.rsplit(":", 1)[1])) for w in failures if w.endswith(tuple("0123456789"))}
    expected_lines = {(name, n) for name, e in expected.items() for n in e.get("bad_lines", ())}
    assert {line for line in lines if line[0] in {n for n, _ in expected_lines}} == expected_lines
    failed_files = {Path(w.rsplit(":", 1)[0] if w[-1].isdigit() else w).name for w in failures}
    assert failed_files == {name for name, e in expected.items() if e["expect"] == "bad" or e.get("bad_lines")}

    skipped = reported(result.stderr, "Übersprungen")
    assert sorted(Path(w).name for w in skipped) == ["bericht.pdf", "daten.json", "expected.json", "notizen.md"]
    for name in (name for name, e in expected.items() if e["expect"] == "ignored"):
        assert name not in result.stderr + result.stdout

    docs = documents(tmp_path / "ix")
    found = {d[f.TITLE]: d for d in docs.values() if d[f.KIND] == "article"}
    wanted = {t for e in expected.values() for t in e["titles"]}
    assert wanted <= set(found), sorted(wanted - set(found))
    undated = {t for e in expected.values() for t in e.get("undated", ())}
    assert len(undated) == 36 and {t for t in undated if found[t].get(f.PUBLISHED) is not None} == set()
    assert found["Feindlich 16: Schleuse"][f.PUBLISHED].isoformat() == "2026-01-07T09:00:00"

    again = run_cli("index", "--max-file-size", str(MAX_BYTES), str(corpus), index_dir=tmp_path / "ix", timeout=300)
    assert again.returncode == 1
    assert reported(again.stderr) == failures, "an unchanged file with broken records must be reported again"
    assert "; neu: 0, aktualisiert: 0, gelöscht: 0, unverändert: 90, fehlerhaft: 108, übersprungen: 4." in again.stdout


def test_a_broken_record_is_reported_on_every_run_until_its_file_changes(tmp_path):
    path = tmp_path / "archiv.jsonl"
    good = {"id": 1, "title": "Deich hält", "text": "Der Deich.", "date": "2026-02-03 08:00"}
    path.write_text(json.dumps(good) + '\n{"id": 2, "title": "abgebrochen\n', encoding="utf-8")
    message = f"Fehler: {path}:2: ungültiges JSON (Invalid control character at: line 1 column 32 (char 31))"
    for _ in range(2):
        result = run_cli("index", str(path), index_dir=tmp_path / "ix")
        assert (result.returncode, result.stderr.splitlines()) == (1, [message]), result.stderr
    assert result.stdout.strip().endswith("unverändert: 1, fehlerhaft: 1."), result.stdout
    write_jsonl(path, [good, {"id": 2, "title": "Deich repariert", "text": "Wieder heil.", "date": "2026-02-04"}])
    result = run_cli("index", str(path), index_dir=tmp_path / "ix")
    assert (result.returncode, result.stderr) == (0, ""), result.stderr
    again = run_cli("index", str(path), index_dir=tmp_path / "ix")
    assert (again.returncode, again.stderr) == (0, "")
    assert titles(tmp_path / "ix") == ["Deich hält", "Deich repariert"]


def test_unknown_files_in_a_directory_are_named_as_skipped_with_exit_0(tmp_path):
    folder = tmp_path / "gemischt"
    folder.mkdir()
    (folder / SAMPLE.name).write_bytes(SAMPLE.read_bytes())
    for name in ("notizen.md", "bericht.pdf", ".entwurf.txt.swp", "entwurf.txt~"):
        (folder / name).write_text("kein Artikel", encoding="utf-8")
    (folder / "daten.json").write_text('{"kein": "Artikel"}', encoding="utf-8")  # JSON, but no ninjs
    result = run_cli("index", str(folder), index_dir=tmp_path / "ix")
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        f"Übersprungen: {folder / 'bericht.pdf'}: unbekanntes Dateiformat",
        f"Übersprungen: {folder / 'notizen.md'}: unbekanntes Dateiformat",
        f"Übersprungen: {folder / 'daten.json'}: JSON, aber kein ninjs (keine Agenturmeldung)",
    ]
    assert result.stdout.strip().endswith("fehlerhaft: 0, übersprungen: 3."), result.stdout
    named = run_cli("index", str(folder / "notizen.md"), index_dir=tmp_path / "ix")
    assert named.returncode == 1
    assert f"Fehler: {folder / 'notizen.md'}: unbekanntes Dateiformat" in named.stderr


def _records(prefix: str, count: int) -> list[dict]:
    body = "Der Deichverband prüft die Schleusen an der Küste. " * 40  # ~2 KB an article
    return [{"id": f"{prefix}{i}", "source": "bench", "title": f"Meldung {prefix}{i} vom Deich",
             "text": body, "date": f"2026-01-{i % 28 + 1:02d} 10:00"} for i in range(count)]


def test_a_large_batch_into_a_filled_index_takes_the_bulk_writer_and_replaces_old_documents(tmp_path):
    """`index` of a large batch took Whoosh's writer unless the index was empty and --full was
    given (7 min 42 s and 1.85 GB on FANG): now any batch over BULK_MIN_BYTES takes the bulk
    writer, beside what the index holds. It must leave what Whoosh's writer leaves."""
    small, big1, big2 = tmp_path / "in" / "a.jsonl", tmp_path / "in" / "b.jsonl", tmp_path / "in" / "c.jsonl"
    small.parent.mkdir()
    write_jsonl(small, _records("a", 3))
    assert index_files([small], tmp_path / "bulk").bulk is False
    assert index_files([small], tmp_path / "whoosh").bulk is False
    changed = _records("a", 2)
    changed[1]["title"] = "Meldung a1 berichtigt"
    write_jsonl(small, changed)
    write_jsonl(big1, _records("b", 300))
    write_jsonl(big2, _records("c", 300))

    report = index_files([small.parent], tmp_path / "bulk")
    assert report.bulk is True
    assert (report.added, report.updated, report.deleted, report.failures) == (600, 2, 1, ())
    for path in (small, big1, big2):  # each file alone is a small batch
        assert index_files([path], tmp_path / "whoosh").bulk is False
    bulk_docs, whoosh_docs = documents(tmp_path / "bulk"), documents(tmp_path / "whoosh")
    assert len(bulk_docs) == 602 and bulk_docs == whoosh_docs
    assert "Meldung a1 vom Deich" not in titles(tmp_path / "bulk")
    again = index_files([small.parent], tmp_path / "bulk")
    assert (again.bulk, again.added, again.updated, again.unchanged) == (False, 0, 0, 602)
