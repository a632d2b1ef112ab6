"""``newsearch``: index article files, query them, serve the web UI.

Each subcommand reads its options, calls one library function and prints the result. Library
errors become click errors here and only here: a ``QuerySyntaxError`` is a usage error (exit 2),
any other ``NewsearchError`` a plain error (exit 1), both with the library's German sentence.
An ``OSError`` while indexing (disk full, size limit, no write permission, read-only file system)
becomes a German sentence naming the path and the cause, exit 1.
"""
from __future__ import annotations

import contextlib
import errno
import functools
import html
import json
import os
import sys
import time

import click

from indexer.errors import NewsearchError, QuerySyntaxError
from indexer.model import ARTICLE
from indexer.formats import DEFAULT_MAX_BYTES
from indexer.store import DEFAULT_LOCK_TIMEOUT, open_for_reading
from indexer.watch import watch_directory
from indexer.write import COMMIT_EVERY_SECONDS, index_files
from search.documents import SIMILAR_LIMIT, similar_documents, similar_to_json
from search.query import DEFAULT_PER_PAGE, SORTS, build_request, open_searcher, run_query
from search.results import SearchResult, result_to_json

DEFAULT_INDEX = "./var/index"
KIND_LABELS = {ARTICLE: "Artikel", "related": "Meldung"}


def translate_errors(command):
    """Turn our errors into click's, so the user sees a sentence and an exit code, not a traceback."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except QuerySyntaxError as err:
            raise click.UsageError(err.message) from err
        except NewsearchError as err:
            raise click.ClickException(err.message) from err

    return wrapper


# What a person can do about the system errors an indexing run meets; others keep the system's text.
# SIGXFSZ needs no handler: CPython ignores it at start-up, so a write beyond ``ulimit -f`` raises
# EFBIG here instead of killing the process (tests/test_faults.py checks exactly that).
IO_CAUSES = {
    errno.ENOSPC: "kein Platz mehr auf dem Datenträger; bitte Platz schaffen",
    errno.EDQUOT: "das Speicherkontingent ist erschöpft; bitte Platz schaffen",
    errno.EFBIG: "eine Datei würde zu groß (Grenze des Dateisystems oder ulimit -f)",
    errno.EACCES: "keine Berechtigung; bitte die Schreibrechte prüfen",
    errno.EPERM: "nicht erlaubt; bitte die Schreibrechte prüfen",
    errno.EROFS: "das Dateisystem ist schreibgeschützt",
}


def translate_io_errors(command):
    """Turn an ``OSError`` of an indexing run into a German click error naming the path and the cause.

    The library never half-commits (Whoosh writes a new table of contents and renames it into
    place), so what was committed before the error is still there, and the message says so.
    """

    @functools.wraps(command)
    def wrapper(obj, *args, **kwargs):
        try:
            return command(obj, *args, **kwargs)
        except OSError as err:
            raise click.ClickException(io_error_message(err, obj["index_dir"])) from err

    return wrapper


def io_error_message(err: OSError, index_dir: str) -> str:
    cause = IO_CAUSES.get(err.errno) or err.strerror or type(err).__name__
    where = err.filename or index_dir
    return (
        f"Indexieren abgebrochen: {where}: {cause} (Fehler {err.errno}). Was bis dahin festgeschrieben war, "
        f"bleibt im Index unter {index_dir} erhalten; nach Beheben der Ursache denselben Befehl erneut "
        f"ausführen, er setzt dort fort."
    )


@click.group()
@click.option(
    "--index-dir",
    envvar="NEWSEARCH_INDEX",
    default=DEFAULT_INDEX,
    show_default=True,
    type=click.Path(file_okay=False),
    help="Index directory (environment: NEWSEARCH_INDEX).",
)
@click.version_option(package_name="newsearch")
@click.pass_context
def cli(ctx: click.Context, index_dir: str) -> None:
    """newsearch: Volltextsuche für deutsche Nachrichten."""
    ctx.ensure_object(dict)
    ctx.obj["index_dir"] = index_dir


# Indexing is batch work and searching is someone waiting: on a machine that does both, the
# indexer (and its build processes, which inherit it) runs at a lower CPU priority, so a running
# `serve` answers first. On an idle machine it changes nothing. Measured with wrk, 16 clients,
# while 1,000 articles were indexed: p95 319 ms at nice 0 (docs/reliability.md).
DEFAULT_NICE = 10
NICE_OPTION = click.option(
    "--nice", type=click.IntRange(0, 19), default=DEFAULT_NICE, show_default=True,
    help="CPU-Priorität des Indexierens senken (wie nice), damit Suchanfragen Vorrang haben; 0 = unverändert.")


def yield_cpu(nice: int) -> None:
    """Lower this process's CPU priority by ``nice`` (Unix); elsewhere, or if refused, leave it."""
    if nice and hasattr(os, "nice"):
        try:
            os.nice(nice)
        except OSError:
            pass


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--full", is_flag=True, help="Neu aufbauen und erst am Ende atomar austauschen.")
@click.option("--max-file-size", type=int, default=DEFAULT_MAX_BYTES, show_default=True, metavar="BYTES",
              help="Größere Dateien (bei JSON Lines: größere Zeilen) werden als fehlerhaft gemeldet statt gelesen.")
@click.option("--wait", type=float, default=DEFAULT_LOCK_TIMEOUT, show_default=True, metavar="SEKUNDEN",
              help="So lange auf einen anderen Schreibvorgang warten.")
@click.option("--commit-every", type=float, default=COMMIT_EVERY_SECONDS, show_default=True, metavar="SEKUNDEN",
              help="Zwischendurch so oft festschreiben: ein Abbruch verliert höchstens so viel Arbeit.")
@NICE_OPTION
@click.pass_obj
@translate_io_errors
@translate_errors
def index(obj: dict, paths: tuple[str, ...], full: bool, max_file_size: int, wait: float, commit_every: float,
          nice: int) -> None:
    """Artikeldateien (oder Verzeichnisse) in den Index aufnehmen.

    Inkrementell: neue Dateien kommen hinzu, geänderte werden neu gelesen, verschwundene entfernt.
    """
    yield_cpu(nice)
    with _progress_bar() as progress:
        report = index_files(paths, obj["index_dir"], full=full, progress=progress,
                             max_bytes=max_file_size, lock_timeout=wait, commit_every=commit_every)
    for failure in report.failures:
        click.echo(f"Fehler: {failure.path}: {failure.reason}", err=True)
    for path in report.skipped:  # not an error: the exit code stays 0 for them
        click.echo(f"Übersprungen: {path}: unbekanntes Dateiformat", err=True)
    if report.undated:
        click.echo(f"Hinweis: {report.undated} Artikel ohne Datum: auffindbar, aber in keiner Datumsfacette.", err=True)
    click.echo(
        f"{report.articles} Artikel und {report.related} weitere Meldungen indexiert "
        f"({report.articles + report.related} Dokumente) in {obj['index_dir']}; "
        f"neu: {report.added}, aktualisiert: {report.updated}, gelöscht: {report.deleted}, "
        f"unverändert: {report.unchanged}, fehlerhaft: {len(report.failures)}, übersprungen: {len(report.skipped)}."
    )
    if report.failures:
        sys.exit(1)


@contextlib.contextmanager
def _progress_bar():
    """A bar with documents per second on a terminal; nothing at all when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return
    started = time.monotonic()
    bar = None

    def update(done: int, total: int, docs: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label="Indexiere", file=sys.stderr, show_pos=True,
                                    item_show_func=lambda rate: rate)
            bar.__enter__()
        rate = docs / max(time.monotonic() - started, 1e-6)
        bar.update(done - bar.pos, f"{rate:,.0f} Dok./s".replace(",", "."))

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@cli.command()
@click.argument("text")
@click.option("--from", "date_from", metavar="DATUM", help="Frühestes Datum, z. B. 2026-01-24 oder 24.01.2026.")
@click.option("--to", "date_to", metavar="DATUM", help="Spätestes Datum (einschließlich).")
@click.option("--section", metavar="RESSORT", multiple=True, help="Nur dieses Ressort, z. B. Ausland (mehrfach: eines davon).")
@click.option("--topic", metavar="THEMA", multiple=True, help="Nur dieses Thema, z. B. USA.")
@click.option("--agency", metavar="AGENTUR", multiple=True, help="Nur diese Agentur, z. B. dpa.")
@click.option("--recency", is_flag=True, help="Neuere Artikel bei gleicher Relevanz bevorzugen.")
@click.option("--sort", type=click.Choice(SORTS), default="relevance", show_default=True)
@click.option("--limit", type=int, default=DEFAULT_PER_PAGE, show_default=True, help="Treffer pro Seite.")
@click.option("--page", type=int, default=1, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Ergebnis als JSON-Objekt ausgeben (wie /api/search).")
@click.pass_obj
@translate_errors
def query(obj: dict, text, date_from, date_to, section, topic, agency, recency, sort, limit, page, as_json) -> None:
    """Den Index durchsuchen.

    \b
    Suchsprache: Wörter werden UND-verknüpft; "exakte Phrase"; ODER, NICHT, -wort, +wort, (Klammern);
    titel:, ressort:, thema:, agentur:, datum:gestern; Präfix mit Botschaft*.
    Datumsangaben: 2026-01-24, 24.01.2026, Januar 2026, 2026-01, heute, gestern, letzte Woche,
    letzten Monat, seit Montag, vor 3 Tagen.
    """
    request = build_request(text, date_from, date_to, section, topic, sort, page, limit, agency, recency)
    ix = open_for_reading(obj["index_dir"])
    with open_searcher(ix) as searcher:
        result = run_query(searcher, request)
    if as_json:
        click.echo(json.dumps(result_to_json(result), ensure_ascii=False, indent=2))
    else:
        print_result(result, color=sys.stdout.isatty())


@cli.command()
@click.argument("doc_id", metavar="ID")
@click.option("--limit", type=int, default=SIMILAR_LIMIT, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Als JSON ausgeben (wie /api/similar/ID).")
@click.pass_obj
@translate_errors
def similar(obj: dict, doc_id: str, limit: int, as_json: bool) -> None:
    """Ähnliche Artikel zu einem Dokument (die Kennung steht in eckigen Klammern bei jedem Treffer)."""
    ix = open_for_reading(obj["index_dir"])
    with open_searcher(ix) as searcher:
        hits = similar_documents(searcher, doc_id, limit=limit)
    if as_json:
        click.echo(json.dumps(similar_to_json(doc_id, hits), ensure_ascii=False, indent=2))
        return
    click.echo(f"{len(hits)} ähnliche Dokumente zu [{doc_id}]")
    for rank, hit in enumerate(hits, start=1):
        _print_hit(rank, hit, sys.stdout.isatty())


def print_result(result: SearchResult, color: bool) -> None:
    for message in result.messages:
        click.echo(f"Hinweis: {message}", err=True)
    click.echo(f"{result.total} Treffer für „{result.query}“ – Seite {result.page} von {result.pages}")
    if result.notice:
        click.echo(f"Hinweis: {result.notice}")
    if result.suggestion:
        click.echo(f"Meinten Sie: „{result.suggestion}“?")
    first = (result.page - 1) * result.per_page
    for rank, hit in enumerate(result.hits, start=first + 1):
        _print_hit(rank, hit, color)


def _print_hit(rank: int, hit, color: bool) -> None:
    when = hit.published.strftime("%d.%m.%Y %H:%M") if hit.published else "ohne Datum"
    meta = " · ".join(x for x in (KIND_LABELS.get(hit.kind, hit.kind), when, hit.section, hit.agency) if x)
    click.echo(f"{rank:>3}. {click.style(hit.title, bold=True) if color else hit.title}")
    click.echo(f"     {meta}  [{hit.id}]")
    snippet = "".join(
        (click.style(text, bold=True, fg="yellow") if color else f"*{text}*") if matched else text
        for text, matched in hit.snippet.parts
    )
    if snippet:
        click.echo(f"     {' '.join(html.unescape(snippet).split())}")


@cli.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
@click.option("--max-file-size", type=int, default=DEFAULT_MAX_BYTES, show_default=True, metavar="BYTES")
@NICE_OPTION
@click.pass_obj
@translate_io_errors
@translate_errors
def watch(obj: dict, directory: str, max_file_size: int, nice: int) -> None:
    """Ein Verzeichnis beobachten und neue oder geänderte Dateien sofort indexieren (Strg-C beendet)."""
    yield_cpu(nice)
    click.echo(f"Beobachte {directory} (Index: {obj['index_dir']}); Strg-C beendet.", err=True)
    try:
        for report in watch_directory(directory, obj["index_dir"], max_bytes=max_file_size):
            for failure in report.failures:
                click.echo(f"Fehler: {failure.path}: {failure.reason}", err=True)
            click.echo(
                f"{time.strftime('%H:%M:%S')} neu: {report.added}, aktualisiert: {report.updated}, "
                f"gelöscht: {report.deleted}, unverändert: {report.unchanged}, fehlerhaft: {len(report.failures)}"
            )
    except KeyboardInterrupt:
        click.echo("Beendet.", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--threads", default=None, type=click.IntRange(1, 256),
              help="App threads per server process (default: 2; more lengthen the slow requests under load).")
@click.option("--processes", default=None, type=click.IntRange(1, 64),
              help="Server processes sharing the port (default: one per core, at most 4), since a process "
                   "searches on one core.")
@click.option("--debug", is_flag=True, help="Flask's development server with reloader instead of waitress.")
@click.pass_obj
def serve(obj: dict, host: str, port: int, threads: int, processes: int, debug: bool) -> None:
    """Die Weboberfläche und die JSON-API starten."""
    from web import create_app
    from web.serving import DEFAULT_PROCESSES, DEFAULT_THREADS
    from web.serving import serve as serve_app

    def create():
        return create_app({"INDEX_DIR": obj["index_dir"]})

    click.echo(f"newsearch: http://{host}:{port}/ (Index: {obj['index_dir']})", err=True)
    if debug:
        create().run(host=host, port=port, debug=True)
    else:
        serve_app(create, host, port, threads or DEFAULT_THREADS, processes or DEFAULT_PROCESSES)
