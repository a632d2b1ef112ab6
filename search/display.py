"""How counts read for a German reader, on the pages and on the command line alike.

German groups thousands with a point (``27.149 Treffer``); Python's ``,`` option gives the
English comma. One function, so the page, the feed and the terminal cannot disagree.
"""
from __future__ import annotations


def format_count(number: int) -> str:
    """``27149`` as ``27.149``."""
    return f"{number:,}".replace(",", ".")


def counted(number: int, singular: str, plural: str) -> str:
    """``1 Dokument``, ``27.149 Dokumente``: the count and the noun that agrees with it."""
    return f"{format_count(number)} {singular if number == 1 else plural}"
