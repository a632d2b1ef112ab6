"""The hits-over-time bar chart of the results page, laid out for an inline SVG.

``search/`` chooses the granularity and counts the buckets (``SearchResult.histogram``); this
module only draws: it fills the periods without hits, so gaps in the news show as gaps, and turns
each period into a bar with its date range, for a link that filters the search to that period.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from search.facets import MONTHS_DE
from search.results import FacetCount

# SVG user units; the SVG scales uniformly to the sidebar's width.
WIDTH = 240.0
CHART_TOP = 4.0
CHART_BOTTOM = 74.0
HEIGHT = 92.0
MAX_BAR_WIDTH = 28.0
MIN_BAR_HEIGHT = 2.0  # one hit among hundreds must still be visible and clickable
MAX_BARS = 400  # more periods than this cannot be told apart on a sidebar

UNIT_LABELS = {"year": "Treffer je Jahr", "month": "Treffer je Monat", "day": "Treffer je Tag"}


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # "Januar 2026", read out by screen readers and shown as a tooltip
    short: str  # "Jan. 2026", the axis label
    count: int
    start: date
    end: date
    x: float
    y: float
    width: float
    height: float
    selected: bool


@dataclass(frozen=True, slots=True)
class Histogram:
    granularity: str  # "year", "month" or "day"
    title: str
    bars: tuple[Bar, ...]
    max_count: int
    width: float = WIDTH
    height: float = HEIGHT
    baseline: float = CHART_BOTTOM


def build_histogram(
    granularity: str, buckets: tuple[FacetCount, ...], chosen: tuple[date | None, date | None] = (None, None)
) -> Histogram | None:
    """Bars for every period from the first bucket to the last; ``None`` without dated hits.

    ``chosen`` is the date filter in force: the bar whose period it is exactly is marked selected.
    """
    counts = {b.value: b.count for b in buckets if b.count}
    if not counts:
        return None
    periods = list(_periods(granularity, min(counts), max(counts)))
    if len(periods) > MAX_BARS:
        return None
    top = max(counts.values())
    slot = WIDTH / len(periods)
    width = min(MAX_BAR_WIDTH, slot * 0.8)
    bars = []
    for i, (value, start, end) in enumerate(periods):
        count = counts.get(value, 0)
        height = 0.0 if not count else max(MIN_BAR_HEIGHT, (CHART_BOTTOM - CHART_TOP) * count / top)
        bars.append(
            Bar(
                label=_label(granularity, start),
                short=_short(granularity, start),
                count=count,
                start=start,
                end=end,
                x=round(i * slot + (slot - width) / 2, 2),
                y=round(CHART_BOTTOM - height, 2),
                width=round(width, 2),
                height=round(height, 2),
                selected=chosen == (start, end),
            )
        )
    return Histogram(granularity, UNIT_LABELS[granularity], tuple(bars), top)


def _periods(granularity: str, first: str, last: str):
    """(facet value, first day, last day) of every period from ``first`` to ``last``, both included."""
    if granularity == "year":
        for year in range(int(first), int(last) + 1):
            yield str(year), date(year, 1, 1), date(year, 12, 31)
    elif granularity == "month":
        year, month = int(first[:4]), int(first[5:7])
        while f"{year:04d}-{month:02d}" <= last:
            following = date(year + (month == 12), month % 12 + 1, 1)
            yield f"{year:04d}-{month:02d}", date(year, month, 1), following - timedelta(days=1)
            year, month = following.year, following.month
    else:
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            yield day.isoformat(), day, day
            day += timedelta(days=1)


def _label(granularity: str, start: date) -> str:
    if granularity == "year":
        return str(start.year)
    if granularity == "month":
        return f"{MONTHS_DE[start.month - 1]} {start.year}"
    return start.strftime("%d.%m.%Y")


def _short(granularity: str, start: date) -> str:
    if granularity == "month":
        name = MONTHS_DE[start.month - 1]
        return f"{name if len(name) <= 4 else name[:3] + '.'} {start.year}"
    return _label(granularity, start)
