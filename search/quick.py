"""The quick date choices beside the results ("Heute", "Letzte Woche" …), fitted to the archive.

On a live archive they are relative to today, and their links keep the words (``from=heute``), so
a bookmark means today tomorrow too. An archive whose newest document is older than today (FANG
ends in 2021) would answer every one of them with 0 hits, so they are anchored to its newest
day instead: "Neuester Tag", "Letzte 7 Tage" … up to that day, written as dates, and the page
says from which day they count.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from search.dates import parse_date_range, today_in_berlin
from search.scatter import as_shards

LIVE = (("Heute", "heute"), ("Gestern", "gestern"), ("Letzte Woche", "letzte Woche"),
        ("Letzter Monat", "letzter Monat"), ("Dieses Jahr", "dieses Jahr"))  # fmt: skip
ANCHORED = (("Neuester Tag", 1), ("Letzte 7 Tage", 7), ("Letzte 30 Tage", 30), ("Letzte 365 Tage", 365))


@dataclass(frozen=True, slots=True)
class QuickRange:
    label: str
    start: date
    end: date
    words: str | None = None  # the expression a live choice keeps in its link ("heute"); None: the dates


@dataclass(frozen=True, slots=True)
class QuickDates:
    ranges: tuple[QuickRange, ...]
    anchor: date | None  # the newest document's day, when the choices count back from it instead of today


def newest_day(source) -> date | None:
    """The Berlin day of the newest dated document in the index (``Shards`` or a Whoosh searcher)."""
    days = as_shards(source).day_range()
    return date.fromisoformat(days[1]) if days else None


def quick_dates(source, now: datetime | None = None) -> QuickDates:
    today = today_in_berlin(now)
    newest = newest_day(source)
    if newest is None or newest >= today:
        return QuickDates(tuple(QuickRange(label, *parse_date_range(words, now), words) for label, words in LIVE), None)
    return QuickDates(tuple(QuickRange(label, newest - timedelta(days=days - 1), newest) for label, days in ANCHORED),
                      newest)
