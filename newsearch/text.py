"""Search results and stored documents as text on a terminal: what ``query``, ``similar`` and
``show`` print when not asked for JSON.

Dates are Berlin time, as stored documents carry them (``search/documents.py``); counts use the
German thousands point (``search/display.py``). With ``color`` (a terminal) titles are bold and
matches yellow; piped output marks matches with ``*``.
"""
from __future__ import annotations

import html
from datetime import datetime

import click

from indexer.model import ARTICLE, RELATED
from search.display import counted, format_count
from search.documents import Document, DocumentLink
from search.results import Hit, SearchResult
from search.sections import section_label

KIND_LABELS = {ARTICLE: "Artikel", RELATED: "Meldung"}


def print_result(result: SearchResult, color: bool) -> None:
    for message in result.messages:
        click.echo(f"Hinweis: {message}", err=True)
    where = f"Seite {format_count(result.page)} von {format_count(result.pages)}"
    if result.query:
        click.echo(f"{format_count(result.total)} Treffer für „{result.query}“ – {where}")
    else:
        click.echo(f"Neueste Dokumente: {format_count(result.total)} insgesamt – {where}")
    if result.notice:
        click.echo(f"Hinweis: {result.notice}")
    if result.suggestion:
        click.echo(f"Meinten Sie: „{result.suggestion}“?")
    first = (result.page - 1) * result.per_page
    for rank, hit in enumerate(result.hits, start=first + 1):
        print_hit(rank, hit, color)


def print_similar(doc_id: str, hits: list[Hit], messages, color: bool) -> None:
    for message in messages:  # shards that did not answer, as a search names them
        click.echo(f"Hinweis: {message}", err=True)
    click.echo(f"{counted(len(hits), 'ähnliches Dokument', 'ähnliche Dokumente')} zu [{doc_id}]")
    for rank, hit in enumerate(hits, start=1):
        print_hit(rank, hit, color)


def print_hit(rank: int, hit: Hit, color: bool) -> None:
    by = f"von {', '.join(hit.author)}" if hit.author else ""
    meta = " · ".join(x for x in (KIND_LABELS.get(hit.kind, hit.kind), _when(hit.published), _section(hit.section),
                                  hit.publisher, hit.agency, by) if x)
    click.echo(f"{rank:>3}. {_bold(hit.title, color)}")
    click.echo(f"     {meta}  [{hit.id}]")
    snippet = "".join(
        (click.style(text, bold=True, fg="yellow") if color else f"*{text}*") if matched else text
        for text, matched in hit.snippet.parts
    )
    if snippet:
        click.echo(f"     {' '.join(html.unescape(snippet).split())}")
    if hit.duplicates:  # near-duplicates folded under the hit (search/whoosh/folding.py)
        click.echo(f"     {counted(len(hit.duplicates), 'weitere Fassung', 'weitere Fassungen')}:")
        for dup in hit.duplicates:
            click.echo(f"       – {' · '.join(x for x in (dup.title, _when(dup.published), dup.source) if x)}  [{dup.id}]")


def print_document(doc: Document, color: bool) -> None:
    """The whole stored document: head, lead, body paragraphs, captions with credits, links."""
    click.echo(_bold(doc.title, color))
    click.echo(" · ".join(x for x in (KIND_LABELS.get(doc.kind, doc.kind), _when(doc.published), _section(doc.section),
                                      doc.agency) if x) + f"  [{doc.id}]")
    if doc.topics:
        click.echo(f"Themen: {', '.join(doc.topics)}")
    if doc.url:
        click.echo(f"Quelle: {doc.url}")
    for paragraph in ((doc.lead,) if doc.lead else ()) + doc.body:
        click.echo()
        click.echo(paragraph)
    _print_section("Bilder", [f"{c.text} (Foto: {c.credit})" if c.credit else c.text for c in doc.captions])
    _print_section("Weitere Meldungen", [_link(link) for link in doc.related])
    _print_section("Gemeldet unter", [_link(link) for link in doc.parents])


def _print_section(title: str, lines: list[str]) -> None:
    if not lines:
        return
    click.echo()
    click.echo(f"{title}:")
    for line in lines:
        click.echo(f"  – {line}")


def _link(link: DocumentLink) -> str:
    meta = " · ".join(x for x in (_when(link.published), _section(link.section)) if x)
    return f"{link.title} ({meta})  [{link.id}]" if meta else f"{link.title}  [{link.id}]"


def _section(value: str) -> str:
    return section_label(value) or ""


def _when(moment: datetime | None) -> str:
    return moment.strftime("%d.%m.%Y %H:%M") if moment else "ohne Datum"


def _bold(text: str, color: bool) -> str:
    return click.style(text, bold=True) if color else text
