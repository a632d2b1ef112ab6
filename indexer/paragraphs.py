"""Running text to paragraphs: the one place that decides where a line break ends a paragraph.

Article text reaches us hard-wrapped (FANG's zeit.de texts break every ~75 characters, mid-sentence:
"…, dass der" / "Corona-Impfstoff bereits …" / "Behörde."), one paragraph per line (most other
sources), or with blank lines between paragraphs. JSON Lines ``text``, JSON-LD ``articleBody``, a
feed's ``<br>``-broken snippet and a page dump's blocks all go through ``split_paragraphs``.

The rule: a blank line always ends a paragraph, and so does a line that ends a sentence (or a
quotation). Any other line is joined to the next one, except a subheading: a line like "Keine
Termine bei Vivantes-Kliniken" followed by a capitalised line is kept apart. A line is surely a wrap
when it ends on a word that never ends a heading ("der", "dass", "für") or the next line goes on in
lower case; a block where that happens and whose lines are mostly no longer than a wrap width is
hard-wrapped, and there every open line is a wrap.
"""
from __future__ import annotations

import re
import unicodedata

# A line ending in one of these ends a sentence or a quotation, so the next line starts a paragraph.
_SENTENCE_END = frozenset(".!?:;…\"“”„»«')]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_PUNCTUATION = ",;:-–—\"'“”„»«()[]…"
# Words that never end a German clause, so never a heading: articles, conjunctions, prepositions that
# are no separable verb particle ("auf", "ein", "durch", "bei" end "Experten fordern Regierung zum
# Handeln auf"); verbs like "ist" or "werden" can end a heading too.
_NEVER_LAST = frozenset(
    "der den dem des eine einen einem einer eines dass daß und oder sondern weil wenn ob als "
    "zum zur im am vom beim ins für von gegen ohne zwischen während seit trotz".split()
)
_WRAP_WIDTH = 100  # characters; text wrapped for a terminal or an e-mail breaks at 72 to 80


def split_paragraphs(text: str) -> list[str]:
    """Paragraphs of running text, each one line of single-spaced NFC text (see the module docstring).

    >>> split_paragraphs("Erster Absatz.\\nIm Dorf Vó in der\\nnordöstlichen Provinz.\\n\\nDritter")
    ['Erster Absatz.', 'Im Dorf Vó in der nordöstlichen Provinz.', 'Dritter']
    >>> split_paragraphs("Sie sagte, dass der\\nCorona-Impfstoff bereits\\nBehörde.\\nNeu")
    ['Sie sagte, dass der Corona-Impfstoff bereits Behörde.', 'Neu']
    """
    # Soft hyphens and zero-width spaces go; runs of other whitespace become one space per line.
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\xad", "").replace("\u200b", "")
    paragraphs: list[str] = []
    for block in _BLANK_LINE.split(text):
        lines = [c for c in (" ".join(line.split()) for line in block.split("\n")) if c]
        if not lines:
            continue
        open_ends = [line[-1] not in _SENTENCE_END for line in lines]
        if not any(open_ends[:-1]):  # one paragraph per line, as most texts come: nothing to join
            paragraphs.extend(lines)
            continue
        # Hard-wrapped lines are all about as long as the wrap width; a block of one paragraph per
        # line has long lines, and its short open ones are subheadings.
        median = sorted(map(len, lines))[len(lines) // 2]
        wrapped = median <= _WRAP_WIDTH and any(
            _is_wrap(a, b) for a, b, open_ in zip(lines, lines[1:], open_ends) if open_
        )
        current = lines[0]
        for previous, previous_open, line in zip(lines, open_ends, lines[1:]):
            # A wrapped line runs nearly to the wrap width; a much shorter one is a heading above its text.
            if previous_open and (_is_wrap(previous, line) or wrapped and 10 * len(previous) >= 7 * median):
                current += " " + line
            else:
                paragraphs.append(current)
                current = line
        paragraphs.append(current)
    return paragraphs


def _is_wrap(line: str, following: str) -> bool:
    """A break no subheading makes: the next line goes on in lower case, or the line ends on a
    function word ("der", "dass", "für") that German never ends a heading with."""
    if not following[0].isupper() and following[0].isalpha():
        return True
    return line.rsplit(None, 1)[-1].strip(_PUNCTUATION) in _NEVER_LAST
