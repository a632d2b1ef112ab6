"""Writing small page dumps (the sample's layout) for tests that need articles of their own."""
from __future__ import annotations

from pathlib import Path


def write_page(path: Path, title: str, lead: str = "Ein kurzer Vorspann.", body: str = "Ein Absatz.",
               stamp: str = "01.02.2026 - 10:00:00", topics: str = "Politik", related: list[str] = ()) -> Path:
    """A page dump; ``related`` entries are written as "Title. Teaser. (Ausland, 02.02.2026 - 09:15) weiterlesen..."."""
    parts = [topics, title, stamp, lead, body, "@ dpa.de"]
    if related:
        parts += ["Weitere Meldungen", *related]
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path
