"""``newsearch`` as a user runs it: real subprocesses against a real index."""
from __future__ import annotations

import json

from indexer.parse import parse_article
from tests.conftest import SAMPLE, run_cli

ARTICLE = parse_article(SAMPLE)


def test_index_prints_articles_and_related_items_counted(tmp_path, sample_files):
    result = run_cli("index", str(sample_files), index_dir=tmp_path / "ix")
    assert result.returncode == 0, result.stderr
    assert "1 Artikel und 6 weitere Meldungen indexiert (7 Dokumente)" in result.stdout


def test_index_dir_defaults_to_environment_variable(tmp_path, sample_files):
    import os
    import subprocess
    import sys

    env = dict(os.environ, NEWSEARCH_INDEX=str(tmp_path / "env-ix"))
    done = subprocess.run([sys.executable, "-m", "newsearch", "index", str(sample_files)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "env-ix" / "newsearch.json").is_file()


def test_query_prints_rank_title_kind_date_and_marked_snippet(index_dir):
    result = run_cli("query", "Botschaft", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "1 Treffer für „Botschaft“ – Seite 1 von 1"
    assert lines[1] == "  1. USA und Russland sprechen über Arbeit ihrer Botschaften"
    assert lines[2] == f"     Artikel · 27.02.2025 11:57 · dpa  [{ARTICLE.id}]"
    assert "*Botschaften*" in lines[3]


def test_query_related_item_shows_meldung_and_section(index_dir):
    result = run_cli("query", "Kreml", "--from", "26.01.2026", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    assert f"     Meldung · 26.01.2026 11:32 · Boerse  [{ARTICLE.related[0].id}]" in result.stdout.splitlines()


def test_query_json_has_the_documented_shape(index_dir):
    result = run_cli("query", "Abu Dhabi", "--json", "--limit", "2", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert list(data) == ["query", "total", "page", "per_page", "hits", "facets", "suggestion", "messages", "notice",
                          "histogram"]
    assert (data["query"], data["total"], data["page"], data["per_page"]) == ("Abu Dhabi", 3, 1, 2)
    assert [list(h) for h in data["hits"]] == [
        ["id", "kind", "title", "published", "section", "topics", "author", "publisher", "snippet", "score",
         "parent_id", "duplicates"]
    ] * 2
    assert data["facets"]["day"] == [
        {"value": "2026-01-23", "count": 1},
        {"value": "2026-01-24", "count": 1},
        {"value": "2026-01-25", "count": 1},
    ]
    assert all(h["parent_id"] == ARTICLE.id and h["kind"] == "related" for h in data["hits"])


def test_query_with_bad_date_exits_2_with_german_message_and_no_traceback(index_dir):
    result = run_cli("query", "Ukraine", "--from", "31.02.2026", index_dir=index_dir)
    assert result.returncode == 2, result.stdout
    assert "Von-Datum '31.02.2026' ist kein Datum" in result.stderr
    assert "Traceback" not in result.stderr


def test_query_without_index_says_how_to_build_one(tmp_path):
    result = run_cli("query", "Ukraine", index_dir=tmp_path / "nothing")
    assert result.returncode == 1
    assert "kein Index" in result.stderr and "newsearch" in result.stderr and "Traceback" not in result.stderr


def test_broken_file_is_reported_and_the_rest_is_indexed(tmp_path, sample_files):
    (sample_files / "leer.txt").write_text("  \n\n", encoding="utf-8")
    (sample_files / "kaputt.txt").write_bytes(b"\x00\x01\x02binary")
    result = run_cli("index", str(sample_files), index_dir=tmp_path / "ix")
    assert result.returncode == 1
    errors = sorted(line for line in result.stderr.splitlines() if line.startswith("Fehler:"))
    assert errors == [
        f"Fehler: {sample_files / 'kaputt.txt'}: keine Textdatei (enthält Binärdaten)",
        f"Fehler: {sample_files / 'leer.txt'}: die Datei ist leer",
    ]
    assert "1 Artikel und 6 weitere Meldungen indexiert" in result.stdout
    found = run_cli("query", "Botschaft", "--json", index_dir=tmp_path / "ix")
    assert [h["id"] for h in json.loads(found.stdout)["hits"]] == [ARTICLE.id]


def test_similar_lists_related_reports_and_unknown_id_exits_1(index_dir):
    result = run_cli("similar", ARTICLE.id, "--json", index_dir=index_dir)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["id"] == ARTICLE.id and ARTICLE.id not in [h["id"] for h in data["hits"]]
    assert data["hits"] and {h["id"] for h in data["hits"]} <= {r.id for r in ARTICLE.related}
    missing = run_cli("similar", "0000000000000000", index_dir=index_dir)
    assert missing.returncode == 1 and "gibt es im Index nicht" in missing.stderr and "Traceback" not in missing.stderr
