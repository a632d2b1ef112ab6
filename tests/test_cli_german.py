"""The command line speaks German throughout: click's usage lines, help and errors as well as
ours; counts carry the German thousands point on the terminal and on the pages (issue 15, defect 12)."""
from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import click
import pytest

from newsearch.cli import cli
from newsearch.messages import GERMAN, GERMAN_PLURALS
from tests.conftest import fetch, run_cli, serving

# What click says only to programmers (declaration mistakes), or on Windows, in shell completion
# and in the editor: never to a person running newsearch on Linux.
NOT_FOR_PEOPLE = {
    "Could not determine name for option with declarations {decls!r}",
    "No options defined but a name was passed ({name}). Did you mean to declare an argument instead? "
    "Did you mean to pass '--{name}'?",
    "Arguments take exactly one parameter declaration, got {length}: {decls}.",
    "Name '{name}' defined twice",
    "Boolean option {decl!r} cannot use the same flag for true/false.",
    "DeprecationWarning: The command {name!r} is deprecated.{extra_message}",
    "DeprecationWarning: The {param_type} {name!r} is deprecated.{extra_message}",
    "Windows error: {error}",
    "Couldn't detect Bash version, shell completion is not supported.",
    "Shell completion is not supported for Bash versions older than 4.4.",
    "{editor}: Editing failed",
    "{editor}: Editing failed: {e}",
    "Unknown color {colour!r}",
    "Unknown standard stream '{name}'",
    "d",  # the editor's temporary-file prefix
}
ENGLISH = re.compile(r"Usage|Options|Commands|Show this|Show the|Error|Try '|Missing|No such|Invalid|"
                     r"default:|does not|is not|INTEGER|DIRECTORY|PATH\b|COMMAND|ARGS|(?<!--)version")


def click_messages() -> tuple[set[str], set[tuple[str, str]]]:
    """Every message the installed click passes to ``_`` and to ``ngettext``, read from its source."""
    singles, plurals = set(), set()
    for source in Path(click.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                texts = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
                if node.func.id == "_" and texts:
                    singles.add(texts[0])
                elif node.func.id == "ngettext":
                    plurals.add((texts[0], texts[1]))
    return singles, plurals


def test_every_message_click_shows_a_person_has_a_german_text():
    singles, plurals = click_messages()
    assert len(singles) > 50 and len(plurals) == 7, (len(singles), plurals)  # the scan found click's calls
    assert sorted(singles - NOT_FOR_PEOPLE - set(GERMAN)) == []
    assert sorted(plurals - set(GERMAN_PLURALS)) == []


@pytest.mark.parametrize("command", [[], ["index"], ["query"], ["show"], ["similar"], ["watch"], ["serve"]])
def test_help_is_german(runner, command):
    result = runner.invoke(cli, [*command, "--help"], prog_name="newsearch")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Aufruf: newsearch {' '.join(command) + ' ' if command else ''}[OPTIONEN]")
    assert "Optionen:" in result.output and "  --help" in result.output
    assert ENGLISH.findall(result.output) == [], result.output


@pytest.mark.parametrize("args, usage, error", [
    (["index", "/gibt/es/nicht"], "newsearch index [OPTIONEN] PFAD...",
     "Ungültiger Wert für 'PFAD...': Pfad '/gibt/es/nicht' gibt es nicht."),
    (["index"], "newsearch index [OPTIONEN] PFAD...", "Es fehlt das Argument 'PFAD...'."),
    (["query", "x", "--seite", "2"], "newsearch query [OPTIONEN] [TEXT]", 
     "Die Option '--seite' gibt es nicht. (Meinten Sie eines davon: '--section', '--sort'?)"),
    (["quary"], "newsearch [OPTIONEN] BEFEHL [ARGUMENTE]...", "Den Befehl 'quary' gibt es nicht. Meinten Sie 'query'?"),
    (["query", "x", "--limit", "zehn"], "newsearch query [OPTIONEN] [TEXT]",
     "Ungültiger Wert für '--limit': 'zehn' ist keine gültige Zahl."),
    (["query", "x", "--sort", "klicks"], "newsearch query [OPTIONEN] [TEXT]",
     "Ungültiger Wert für '--sort': 'klicks' ist keiner der Werte 'relevance', 'newest', 'oldest', 'date'."),
    (["index", "--nice", "30", "."], "newsearch index [OPTIONEN] PFAD...",
     "Ungültiger Wert für '--nice': 30 liegt nicht im Bereich 0<=x<=19."),
])
def test_usage_errors_are_german_with_exit_2(tmp_path, args, usage, error):
    result = run_cli(*args, index_dir=tmp_path / "ix")
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    command = "newsearch " + " ".join(a for a in args[:1] if a != "quary")
    assert result.stderr.splitlines() == [
        f"Aufruf: {usage}",
        f"Hilfe: '{command.strip()} --help'.",
        "",
        f"Fehler: {error}",
    ]


def test_version_is_german(runner):
    result = runner.invoke(cli, ["--version"], prog_name="newsearch")
    assert result.output == "newsearch, Version 0.1.0\n"


@pytest.fixture
def harbour(tmp_path: Path) -> tuple[Path, Path]:
    """1,001 short articles in one JSON Lines file, and the CLI's ``index`` run over them."""
    folder = tmp_path / "hafen"
    folder.mkdir()
    lines = [
        json.dumps({"id": f"h{i}", "url": f"https://example.org/hafen/{i}", "date": "2026-01-24T10:00:00+01:00",
                    "source": "dpa", "section": "Wirtschaft", "title": f"Hafen meldet Umschlag Nummer {i}",
                    "text": f"Der Hafen in Hamburg meldet den Umschlag Nummer {i}."}, ensure_ascii=False)
        for i in range(1001)
    ]
    (folder / "hafen.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder, tmp_path / "ix"


def test_counts_have_the_german_thousands_point(harbour):
    folder, index_dir = harbour
    indexed = run_cli("index", str(folder), index_dir=index_dir)
    assert indexed.returncode == 0, indexed.stderr
    assert indexed.stdout == (
        f"1.001 Artikel und 0 weitere Meldungen indexiert (1.001 Dokumente) in {index_dir}; "
        "neu: 1.001, aktualisiert: 0, gelöscht: 0, unverändert: 0, fehlerhaft: 0.\n"
    )
    found = run_cli("query", "Hafen", "--limit", "1", index_dir=index_dir)
    assert found.stdout.splitlines()[0] == "1.001 Treffer für „Hafen“ – Seite 1 von 1.001", found.stdout
    with serving(index_dir) as base:
        _, _, page = fetch(base + "/?q=Hafen&per_page=1")
        assert '<span id="count">1.001 Treffer – Seite 1 von 1.001</span>' in page
        assert '<span class="n">1.001</span>' in page  # the section facet's count
        assert 'aria-label="Seite 1.001">1.001</a>' in page  # the last page's link
        _, _, feed = fetch(base + "/feed.atom?q=Hafen")
        assert "(1.001 insgesamt)" in feed


def test_one_document_is_not_dokumente(tmp_path, sample_files):
    (sample_files / "000_502c415add25ad79.txt").unlink()
    (sample_files / "eins.jsonl").write_text(json.dumps(
        {"id": "1", "url": "https://example.org/1", "date": "2026-01-24T10:00:00+01:00", "source": "dpa",
         "section": "Inland", "title": "Ein Artikel", "text": "Nur einer."}) + "\n", encoding="utf-8")
    result = run_cli("index", str(sample_files), index_dir=tmp_path / "ix")
    assert result.stdout.startswith("1 Artikel und 0 weitere Meldungen indexiert (1 Dokument) in "), result.stdout
