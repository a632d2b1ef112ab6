"""Date expressions as German searchers write them, read as a range of Berlin calendar days.

    2026-01-24   24.01.2026   24.1.26          that day
    2026-01   01.2026   Januar 2026   Jan. 26  that month        2026   that year
    heute   gestern   vorgestern               that day
    diese Woche   letzte Woche                  Monday to Sunday (this week: up to today)
    diesen Monat   letzten Monat                 dieses Jahr   letztes Jahr
    seit Montag   seit 01.01.2026   seit Januar from then until today
    vor 3 Tagen   vor einer Woche   vor 2 Monaten          that day
    letzte 7 Tage   letzten 30 Tagen                        the last N days up to today

``--from`` takes the first day of the range and ``--to`` the last, so ``--from "Januar 2026"
--to "Januar 2026"`` is all of January. "Now" is always Europe/Berlin, and it is a parameter, so
tests fix it.
"""
from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta

from indexer.dates import BERLIN, parse_day
from indexer.errors import QuerySyntaxError

MONTHS = {
    "jan": 1, "januar": 1, "jänner": 1, "january": 1, "feb": 2, "februar": 2, "february": 2,
    "mär": 3, "märz": 3, "maerz": 3, "mrz": 3, "mar": 3, "march": 3, "apr": 4, "april": 4,
    "mai": 5, "may": 5, "jun": 6, "juni": 6, "june": 6, "jul": 7, "juli": 7, "july": 7,
    "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9, "okt": 10, "oktober": 10,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dez": 12, "dezember": 12, "dec": 12,
    "december": 12,
}  # fmt: skip
WEEKDAYS = {
    "montag": 0, "dienstag": 1, "mittwoch": 2, "donnerstag": 3, "freitag": 4, "samstag": 5,
    "sonnabend": 5, "sonntag": 6,
}  # fmt: skip
NUMBERS = {"einem": 1, "einer": 1, "einen": 1, "ein": 1, "eine": 1, "zwei": 2, "drei": 3, "vier": 4, "fünf": 5,
           "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10, "zwölf": 12}  # fmt: skip

EXAMPLES = "2026-01-24, 24.01.2026, Januar 2026, 2026-01, gestern, letzte Woche, seit Montag, vor 3 Tagen"


def today_in_berlin(now: datetime | None = None) -> date:
    return (now or datetime.now(BERLIN)).astimezone(BERLIN).date()


def parse_date_range(text: str, now: datetime | None = None) -> tuple[date, date]:
    """The first and last Berlin day ``text`` means; ``QuerySyntaxError`` in German if none.

    >>> parse_date_range("letzte Woche", datetime(2026, 1, 28, 12, tzinfo=BERLIN))
    (datetime.date(2026, 1, 19), datetime.date(2026, 1, 25))
    """
    today = today_in_berlin(now)
    words = " ".join(text.strip().lower().replace(",", " ").split())
    for reader in _READERS:
        found = reader(words, today)
        if found is not None:
            return found
    raise QuerySyntaxError(f"„{text.strip()}“ ist kein Datum, das newsearch versteht. Zum Beispiel: {EXAMPLES}.")


def _relative_day(words: str, today: date):
    offsets = {"heute": 0, "gestern": 1, "vorgestern": 2}
    if words in offsets:
        day = today - timedelta(days=offsets[words])
        return day, day
    return None


def _this_or_last(words: str, today: date):
    m = re.fullmatch(r"(diese[nrs]?|letzte[nrs]?|vergangene[nrs]?|vorige[nrs]?)\s+(woche|monat|jahr)", words)
    if not m:
        return None
    last = not m.group(1).startswith("diese")
    unit = m.group(2)
    if unit == "woche":
        monday = today - timedelta(days=today.weekday()) - timedelta(weeks=last)
        return monday, (monday + timedelta(days=6)) if last else today
    if unit == "monat":
        year, month = (today.year, today.month)
        if last:
            year, month = (year - 1, 12) if month == 1 else (year, month - 1)
            return _month(year, month)
        return date(year, month, 1), today
    year = today.year - last
    return (date(year, 1, 1), date(year, 12, 31)) if last else (date(year, 1, 1), today)


def _last_n_days(words: str, today: date):
    m = re.fullmatch(r"(?:die\s+)?(?:letzte[nr]?|vergangene[nr]?)\s+(\w+)\s+tage[n]?", words)
    if not m or (n := _number(m.group(1))) is None or n < 1:
        return None
    return today - timedelta(days=n - 1), today


def _ago(words: str, today: date):
    m = re.fullmatch(r"vor\s+(\w+)\s+(tag|tagen|woche|wochen|monat|monaten|jahr|jahren)", words)
    if not m or (n := _number(m.group(1))) is None:
        return None
    unit = m.group(2)
    if unit.startswith("tag"):
        day = today - timedelta(days=n)
    elif unit.startswith("woche"):
        day = today - timedelta(weeks=n)
    elif unit.startswith("monat"):
        day = _shift_months(today, -n)
    else:
        day = _shift_months(today, -12 * n)
    return day, day


def _since(words: str, today: date):
    if not words.startswith("seit "):
        return None
    rest = words[5:].strip()
    if rest in WEEKDAYS:
        back = (today.weekday() - WEEKDAYS[rest]) % 7
        return today - timedelta(days=back), today
    try:
        start, _ = parse_date_range(rest, datetime.combine(today, datetime.min.time(), BERLIN))
    except QuerySyntaxError:
        return None
    return start, today


def _month_name(words: str, today: date):
    m = re.fullmatch(r"([a-zäöü]+)\.?(?:\s+(\d{2}|\d{4}))?", words)
    if not m or m.group(1) not in MONTHS:
        return None
    month = MONTHS[m.group(1)]
    if m.group(2):
        year = _full_year(int(m.group(2)))
    else:  # "Januar" alone: the most recent January, this year's if it has begun
        year = today.year if month <= today.month else today.year - 1
    return _month(year, month)


def _numeric_month_or_year(words: str, today: date):
    if m := re.fullmatch(r"(\d{4})-(\d{1,2})", words):
        year, month = int(m.group(1)), int(m.group(2))
    elif m := re.fullmatch(r"(\d{1,2})[./](\d{4})", words):
        year, month = int(m.group(2)), int(m.group(1))
    elif m := re.fullmatch(r"(\d{4})", words):
        year = int(m.group(1))
        return date(year, 1, 1), date(year, 12, 31)
    else:
        return None
    return _month(year, month) if 1 <= month <= 12 else None


def _single_day(words: str, today: date):
    if not re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}\.\d{1,2}\.(\d{2}|\d{4})?|\d{1,2}\.\s*[a-zäöü]+\.?\s*\d{2,4}",
                        words):
        return None
    try:
        day = parse_day(words if not words.endswith(".") else f"{words}{today.year}")
    except ValueError:
        return None
    return day, day


_READERS = (_relative_day, _this_or_last, _last_n_days, _ago, _since, _single_day, _numeric_month_or_year,
            _month_name)


def _number(word: str) -> int | None:
    return int(word) if word.isdigit() else NUMBERS.get(word)


def _full_year(year: int) -> int:
    return year + 2000 if year < 100 else year


def _month(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _shift_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
