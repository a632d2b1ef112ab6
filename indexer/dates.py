"""Reading dates the way German news writes them, and the one time zone people see.

Stored times are UTC; people read Europe/Berlin. A time written without a zone is Berlin time,
because that is what a German portal means by ``27.02.2025 - 11:57:57``.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from dateutil import parser as dateparser

BERLIN = ZoneInfo("Europe/Berlin")

# "27.02.2025 - 11:57:57" and "26.01.2026 - 11:32": dateutil reads the dash as a minus sign.
_PORTAL_STAMP = re.compile(r"^\s*(\d{1,2}\.\d{1,2}\.\d{2,4})\s*[-–,]?\s*(\d{1,2}:\d{2}(?::\d{2})?)\s*(?:Uhr)?\s*$")


def parse_datetime(text: str) -> datetime:
    """Parse a timestamp as German news pages write it; naive times are Europe/Berlin.

    >>> parse_datetime("27.02.2025 - 11:57:57").isoformat()
    '2025-02-27T11:57:57+01:00'

    Raises ``ValueError`` when the text holds no date.
    """
    match = _PORTAL_STAMP.match(text)
    if match:
        text = f"{match.group(1)} {match.group(2)}"
    parsed = dateparser.parse(text, dayfirst=not _looks_iso(text))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BERLIN)
    return parsed


def parse_day(text: str) -> date:
    """Parse a calendar day as a searcher types it: ``2026-01-24`` or ``24.01.2026``.

    Raises ``ValueError`` with the text when it is not a day.
    """
    cleaned = text.strip()
    if not cleaned or not re.search(r"\d", cleaned):
        raise ValueError(f"kein Datum: {text!r}")
    try:
        return dateparser.parse(cleaned, dayfirst=not _looks_iso(cleaned)).date()
    except (ValueError, OverflowError) as err:
        raise ValueError(f"kein Datum: {text!r}") from err


def to_utc(moment: datetime) -> datetime:
    """The naive UTC datetime Whoosh stores: unambiguous, and sortable across DST changes."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def from_utc(stored: datetime) -> datetime:
    """A stored naive-UTC datetime as Berlin time, for people."""
    return stored.replace(tzinfo=timezone.utc).astimezone(BERLIN)


def berlin_day(moment: datetime) -> str:
    """The Berlin calendar day of a moment, ``YYYY-MM-DD``: what date facets and filters count in."""
    return moment.astimezone(BERLIN).strftime("%Y-%m-%d")


def _looks_iso(text: str) -> bool:
    return bool(re.match(r"^\s*\d{4}-\d{1,2}", text))
