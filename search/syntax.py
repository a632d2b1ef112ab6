"""The query language people type, parsed into a small tree; never raises on what they type.

    Botschaft Moskau             both words (AND is the default)
    "exakte Phrase"              the words as written, in this order (case aside)
    "Merkel Macron"~5            the words as written, at most 5 words apart, in any order
    Ukraine ODER Russland        either; AND/OR/NOT and UND/ODER/NICHT, any case
    -Krieg  NICHT Krieg          without the word;  +Krieg: must contain it
    NICHT quelle:bild.de  -ressort:sport   without that outlet, section, topic or agency
    (Kreml ODER Moskau) Gas      grouping
    titel:Botschaft              title:, section:/ressort:, topic:/thema:, agency:/agentur:, quelle:/source:
    autor:Weber  autor:"Anna Weber"   an author: a surname, a first name or the whole name
    Botschaft*                   prefix
    datum:gestern  date:2026-01  a date filter (search/dates.py reads the expression)

A malformed query is not an error: each problem becomes a German ``message`` naming it
(unbalanced quotes or parentheses, a lone operator, an unknown field), and the rest is parsed as
well as it can be, so the searcher sees results and the reason for any surprise.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from search.facets import KEYWORD_FACETS, KEYWORD_NAMES

# Field names a searcher may type, German and English, mapped to what they mean; the keyword
# facets' words come from their registry (search/facets.py).
AUTHOR = "author"  # autor: searches the bylines (search/query.py turns it into a filter)
FIELD_ALIASES = {
    "title": "title", "titel": "title", "überschrift": "title",
    "author": AUTHOR, "autor": AUTHOR, "autorin": AUTHOR,
    "date": "date", "datum": "date", "zeit": "date",
    **{word: facet.name for facet in KEYWORD_FACETS for word in facet.words},
}  # fmt: skip
KNOWN_FIELDS = "titel:, autor:, " + ", ".join(f"{facet.words[1]}:" for facet in KEYWORD_FACETS) + ", datum:"
OPERATORS = {"and": "AND", "und": "AND", "or": "OR", "oder": "OR", "not": "NOT", "nicht": "NOT"}


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    field: str | None = None  # None: the weighted text fields; else a FIELD_ALIASES value
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Phrase:
    words: tuple[str, ...]
    field: str | None = None
    slop: int = 0  # "a b"~5: at most 5 words between them, any order (search/exactness.py); 0: a phrase


MAX_SLOP = 50  # "a b"~N beyond this is "both words somewhere", which needs no quotes


@dataclass(frozen=True, slots=True)
class Not:
    child: object


@dataclass(frozen=True, slots=True)
class Required:
    child: object


def _negate(node):
    """``NICHT NICHT x`` is ``x``: a pasted chain of negations is at most one, not a nest of them.

    Whoosh evaluates each ``Not`` against every document, nested: 80 of them took 6 s over the
    28k FANG articles, 166 (a 1,000-character query of ``NICHT``) 10 s (docs/reliability.md).
    """
    return node.child if isinstance(node, Not) else Not(node)


@dataclass(frozen=True, slots=True)
class Group:
    op: str  # "AND" or "OR"
    children: tuple[object, ...]


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    tree: object | None  # None when nothing searchable is left
    messages: tuple[str, ...] = ()
    explicit_operators: bool = False  # the searcher wrote AND/OR/NOT or parentheses themselves
    dates: tuple[str, ...] = ()  # datum:… expressions, in order
    filters: tuple[tuple[str, str], ...] = ()  # (keyword facet name, value)
    excluded: tuple[tuple[str, str], ...] = ()  # (keyword facet name, value) under NICHT or -


_TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<quote>["„“”])
      | (?P<lpar>\()
      | (?P<rpar>\))
      | (?P<field>[^\W\d_][\w-]*):(?=\S)
      | (?P<word>[^\s()"„“”]+)""",
    re.X,
)


_SIGNED_FIELD = re.compile(r"([^\W\d_][\w-]*):(.*)")


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int
    slop: int = 0


_SLOP = re.compile(r"~(\d{1,6})(?=[\s()]|$)")


@dataclass
class _State:
    messages: list[str] = field(default_factory=list)
    explicit: bool = False
    dates: list[str] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)
    excluded: list[tuple[str, str]] = field(default_factory=list)


def parse_user_query(text: str) -> ParsedQuery:
    """Parse what the searcher typed; problems become messages, never exceptions."""
    state = _State()
    tokens = _tokenize(text or "", state)
    parser = _Parser(tokens, state)
    tree = parser.parse()
    return ParsedQuery(
        tree=tree,
        messages=tuple(dict.fromkeys(state.messages)),
        explicit_operators=state.explicit,
        dates=tuple(state.dates),
        filters=tuple(state.filters),
        excluded=tuple(state.excluded),
    )


def _tokenize(text: str, state: _State) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        kind = m.lastgroup
        if kind == "quote":
            end = _closing_quote(text, m.end())
            if end is None:
                state.messages.append(
                    f"Das Anführungszeichen an Stelle {m.start() + 1} wird nicht geschlossen; "
                    f"die Wörter danach werden einzeln gesucht."
                )
                pos = m.end()
                continue
            tokens.append(_Tok("phrase", text[m.end() : end], m.start()))
            pos = end + 1
            if slop := _SLOP.match(text, pos):
                tokens[-1].slop = min(int(slop.group(1)), MAX_SLOP)
                if int(slop.group(1)) > MAX_SLOP:
                    state.messages.append(f"„{slop.group(0)}“ an Stelle {pos + 1} wird als ~{MAX_SLOP} gelesen: "
                                          f"mehr Wörter Abstand sucht newsearch nicht.")
                pos = slop.end()
            continue
        if kind != "space":
            tokens.append(_Tok(kind, m.group(kind) if kind != "field" else m.group("field"), m.start()))
        pos = m.end()
    return tokens


def _closing_quote(text: str, start: int) -> int | None:
    m = re.compile(r"[\"“”]").search(text, start)
    return m.start() if m else None


class _Parser:
    """Recursive descent: or := and (OR and)* ; and := unary+ ; unary := NOT unary | -x | +x | primary."""

    def __init__(self, tokens: list[_Tok], state: _State):
        self.tokens = tokens
        self.i = 0
        self.state = state
        self.depth = 0
        self.negated = False  # inside an odd number of NICHT / -: a filter there excludes

    def parse(self):
        tree = self._or()
        while self.i < len(self.tokens):  # a stray ")" ends _or early: report it and go on
            tok = self.tokens[self.i]
            self.i += 1
            if tok.kind == "rpar":
                self.state.messages.append(
                    f"Die schließende Klammer an Stelle {tok.pos + 1} hat keine öffnende; sie wird übergangen."
                )
            more = self._or()
            tree = _group("AND", [tree, more])
        return tree

    def _peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def _op(self, tok: _Tok | None) -> str | None:
        if tok is not None and tok.kind == "word" and tok.text.lower() in OPERATORS and tok.text.isupper():
            return OPERATORS[tok.text.lower()]
        return None

    def _or(self):
        children = [self._and()]
        while (tok := self._peek()) is not None and self._op(tok) == "OR":
            self.i += 1
            self.state.explicit = True
            right = self._and()
            if right is None or children[-1] is None:
                self.state.messages.append(
                    f"„{tok.text}“ an Stelle {tok.pos + 1} fehlt ein Suchwort auf einer Seite; es wird übergangen."
                )
            children.append(right)
        return _group("OR", children)

    def _and(self):
        children = []
        while (tok := self._peek()) is not None:
            op = self._op(tok)
            if tok.kind == "rpar" and self.depth > 0 or op == "OR":
                break
            if tok.kind == "rpar":  # unmatched at top level: parse() reports it
                break
            if op == "AND":
                self.i += 1
                self.state.explicit = True
                nxt = self._peek()
                if not children or nxt is None or self._op(nxt) in ("AND", "OR") or nxt.kind == "rpar":
                    self.state.messages.append(
                        f"„{tok.text}“ an Stelle {tok.pos + 1} fehlt ein Suchwort auf einer Seite; es wird übergangen."
                    )
                continue
            node = self._unary()
            if node is not None:
                children.append(node)
        return _group("AND", children)

    def _unary(self):
        tok = self.tokens[self.i]
        if self._op(tok) == "NOT":
            self.i += 1
            self.state.explicit = True
            nxt = self._peek()
            if nxt is None or self._op(nxt) in ("AND", "OR") or nxt.kind == "rpar":
                self.state.messages.append(
                    f"„{tok.text}“ an Stelle {tok.pos + 1} fehlt das Wort, das ausgeschlossen werden soll; "
                    f"es wird übergangen."
                )
                return None
            child = self._negated_unary()
            return _negate(child) if child is not None else None
        if tok.kind == "word" and len(tok.text) > 1 and tok.text[0] in "-+" and tok.text[1] not in "-+":
            sign, rest = tok.text[0], tok.text[1:]
            self.tokens[self.i : self.i + 1] = self._signed(rest, tok.pos + 1)
            child = self._negated_unary() if sign == "-" else self._unary()
            if child is None:
                return None
            return _negate(child) if sign == "-" else Required(child)
        return self._primary()

    def _negated_unary(self):
        """The operand of NICHT or ``-``, parsed knowing that a filter in it excludes."""
        self.negated = not self.negated
        try:
            return self._unary()
        finally:
            self.negated = not self.negated

    def _signed(self, rest: str, pos: int) -> list[_Tok]:
        """What follows a sign: ``-autor:Weber``, ``-autor:"Anna Weber"``, ``-quelle:bild.de`` are a
        field and its value, as without the sign; any other ``-word:`` stays a word to leave out."""
        m = _SIGNED_FIELD.fullmatch(rest)
        after = self.tokens[self.i + 1] if self.i + 1 < len(self.tokens) else None
        known = m is not None and m.group(1).lower() in FIELD_ALIASES
        if known and (m.group(2) or after is not None and after.kind in ("phrase", "lpar")):
            value = [_Tok("word", m.group(2), pos + m.start(2))] if m.group(2) else []
            return [_Tok("field", m.group(1), pos), *value]
        return [_Tok("word", rest, pos)]

    def _primary(self):
        tok = self.tokens[self.i]
        self.i += 1
        if tok.kind == "lpar":
            self.state.explicit = True
            self.depth += 1
            inner = self._or()
            self.depth -= 1
            if (close := self._peek()) is not None and close.kind == "rpar":
                self.i += 1
            else:
                self.state.messages.append(
                    f"Die Klammer an Stelle {tok.pos + 1} wird nicht geschlossen; sie gilt bis zum Ende der Anfrage."
                )
            return inner
        if tok.kind == "phrase":
            words = tuple(tok.text.split())
            return Phrase(words, slop=tok.slop if len(words) > 1 else 0) if words else None  # one word: as written
        if tok.kind == "field":
            return self._fielded(tok)
        if tok.kind == "word":
            return _word(tok.text, None)
        return None

    def _fielded(self, tok: _Tok):
        name = tok.text.lower()
        target = FIELD_ALIASES.get(name)
        value_tok = self._peek()
        if target is None:
            self.state.messages.append(
                f"Unbekanntes Feld „{tok.text}:“ – gesucht wird im ganzen Text. Bekannte Felder: {KNOWN_FIELDS}."
            )
            return _word(tok.text, None)
        if value_tok is None:
            return None
        if target == "date":
            self.i += 1
            value = value_tok.text if value_tok.kind in ("word", "phrase") else ""
            if value and self.negated:
                self.state.messages.append(
                    f"„{tok.text}:{value}“ lässt sich nicht ausschließen (NICHT oder - vor einem Datum); "
                    f"die Angabe wird übergangen. Einen Zeitraum wählen Sie mit {tok.text}: ohne NICHT "
                    f"oder mit Von und Bis."
                )
            elif value:
                self.state.dates.append(value)
            return None
        if target in KEYWORD_NAMES:
            self.i += 1
            value = value_tok.text.strip()
            if value:
                (self.state.excluded if self.negated else self.state.filters).append((target, value))
            return None
        # title, author: a word, a phrase or a parenthesised group, searched in that field only
        node = self._primary() if value_tok.kind in ("word", "phrase", "lpar") else None
        return _in_field(node, target)


def _word(text: str, fieldname: str | None):
    prefix = text.endswith("*") and len(text.rstrip("*")) >= 2
    core = text.rstrip("*") if prefix else text
    core = core.strip(".,;:!?\"'„“”«»")
    if not core or core in "*":
        return None
    return Word(core, fieldname, prefix)


def _in_field(node, fieldname: str):
    if isinstance(node, Word):
        return Word(node.text, fieldname, node.prefix)
    if isinstance(node, Phrase):
        return Phrase(node.words, fieldname, node.slop)
    if isinstance(node, Group):
        return Group(node.op, tuple(_in_field(c, fieldname) for c in node.children))
    if isinstance(node, (Not, Required)):
        return type(node)(_in_field(node.child, fieldname))
    return node


def _group(op: str, children: list):
    kept = [c for c in children if c is not None]
    if not kept:
        return None
    if len(kept) == 1:
        return kept[0]
    return Group(op, tuple(kept))
