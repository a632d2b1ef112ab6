"""How counts read for a German reader, on the pages and on the command line alike.

The number format itself (``27.149``) is ``indexer.german.format_count``, so the indexer's
messages use it too; this module adds the noun that agrees with the count.
"""
from __future__ import annotations

from indexer.german import format_count

__all__ = ["counted", "format_count"]


def counted(number: int, singular: str, plural: str) -> str:
    """``1 Dokument``, ``27.149 Dokumente``: the count and the noun that agrees with it."""
    return f"{format_count(number)} {singular if number == 1 else plural}"
