"""Versions of an agency item: which one the index holds, and the list of all it has seen.

An agency sends a developing story as a string of versions of one item ("Eilmeldung", then
"Zusammenfassung", then corrections), each with the same guid and a higher version number. The
index keeps one document per item, always the highest version: an older version that arrives late
(a slow feed, a re-sent file) changes nothing a search shows. Every version seen is remembered in
the document, oldest first, with its time, headline and length, so the article page can list the
earlier ones and say how much each version added or cut.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from indexer.dates import from_utc, to_utc
from indexer.model import Article


class Arrival(Enum):
    """How an arriving version relates to the one the index holds."""

    FIRST = "first"  # no version of this item yet
    NEWER = "newer"  # replaces the held version
    SAME = "same"  # the held version again (a re-read file): replaces it, last read wins
    OLDER = "older"  # arrived late: the held version stays


@dataclass(frozen=True, slots=True)
class Version:
    """One version of an agency item as the article page lists it."""

    version: int
    created: datetime | None  # when the agency created this version (``versioncreated``), Europe/Berlin
    title: str
    chars: int  # length of the readable text (title, lead, body): what a change in size is measured on


def item_document_id(item_id: str) -> str:
    """The document id of an agency item: every version of it gets the same one."""
    return hashlib.sha1(("item:" + item_id.strip()).encode("utf-8")).hexdigest()[:16]


def arrival(held: int | None, arriving: int) -> Arrival:
    if held is None:
        return Arrival.FIRST
    if arriving > held:
        return Arrival.NEWER
    return Arrival.SAME if arriving == held else Arrival.OLDER


def version_of(article: Article) -> Version:
    chars = len(article.title) + len(article.lead) + sum(len(p) for p in article.body)
    return Version(article.version, article.published, article.title, chars)


def with_version(history: list[dict], version: Version) -> list[dict]:
    """The stored history with ``version`` in it, oldest first; a version seen again replaces its entry."""
    kept = [entry for entry in history if entry["version"] != version.version]
    return sorted(kept + [version_to_stored(version)], key=lambda entry: entry["version"])


def version_to_stored(version: Version) -> dict:
    """Plain values for the index: Whoosh pickles stored fields, and our classes may change."""
    created = to_utc(version.created) if version.created else None
    return {"version": version.version, "created": created, "title": version.title, "chars": version.chars}


def versions_from_stored(history: list[dict] | None) -> tuple[Version, ...]:
    return tuple(
        Version(
            version=entry["version"],
            created=from_utc(entry["created"]) if entry.get("created") else None,
            title=entry.get("title", ""),
            chars=entry.get("chars", 0),
        )
        for entry in history or ()
    )
