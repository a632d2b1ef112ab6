"""The OpenAPI 3.1 description of ``/api/...``: served as JSON and rendered as the ``/api`` page.

One dict, so the page a person reads and the file a client generator reads cannot disagree; a
test checks that every ``/api`` route is described and that real answers have the shapes given.
"""
from __future__ import annotations

from search.export import COLUMNS, FORMATS, MAX_ROWS
from search.facets import KEYWORD_FACETS, KEYWORD_NAMES
from indexer.settings import MAX_PER_PAGE, PER_PAGE
from search.query import MAX_PAGE, SORT_ALIASES, SORTS
from search.syntax import KNOWN_FIELDS

EXAMPLE_ID = "669fac5b321b2b3a"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(description: str, properties: dict, optional: tuple[str, ...] = ()) -> dict:
    """An object whose listed properties are always present (``null`` where the type allows it)."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": False,
    }


def _nullable(kind: str, description: str, **extra) -> dict:
    return {"type": [kind, "null"], "description": description, **extra}


def _text(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


def _list(items: dict, description: str) -> dict:
    return {"type": "array", "items": items, "description": description}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


ERRORS = {
    "400": _json(_ref("Error"), "Unlesbare Eingabe: ein Datum, eine Seitenzahl oder eine Sortierung."),
    "503": _json(_ref("Error"), "Es gibt (noch) keinen Index, oder er passt nicht zu dieser Version."),
}
NOT_FOUND = {"404": _json(_ref("Error"), "Kein Dokument mit dieser Kennung.")}

DOC_ID = {
    "name": "id",
    "in": "path",
    "required": True,
    "description": "Kennung eines Dokuments, wie `id` in den Treffern von `/api/search`.",
    "schema": {"type": "string", "example": EXAMPLE_ID},
}


def _multi(name: str, description: str, example: str) -> dict:
    return {
        "name": name,
        "in": "query",
        "description": description + " Mehrfach angeben für „eines davon“.",
        "schema": {"type": "array", "items": {"type": "string"}},
        "style": "form",
        "explode": True,
        "example": [example],
    }


SEARCH_PARAMETERS = [
    {"name": "q", "in": "query", "description": "Suchanfrage: Wörter (alle müssen vorkommen), \"Phrasen\", "
     "\"Wörter nah beieinander\"~5, "
     f"ODER, NICHT/-Wort, {KNOWN_FIELDS}, Präfix*.",
     "schema": {"type": "string"}, "example": "Abu Dhabi"},
    {"name": "exact", "in": "query", "description": "`1`: die Wörter nur so, wie sie geschrieben sind, ohne andere "
     "Formen (wie jedes Wort in Anführungszeichen; „exakt“ auf der Suchseite).",
     "schema": {"type": "string", "enum": ["0", "1"], "default": "0"}},
    {"name": "from", "in": "query", "description": "Frühester Tag (Europe/Berlin): 24.01.2026, 2026-01-24, Januar 2026, "
     "gestern, letzte Woche …; bei einem Zeitraum zählt sein erster Tag.", "schema": {"type": "string"}},
    {"name": "to", "in": "query", "description": "Letzter Tag, Schreibweisen wie `from`; bei einem Zeitraum zählt sein "
     "letzter Tag.", "schema": {"type": "string"}},
    *(_multi(facet.name, f"{facet.title}, Groß-/Kleinschreibung egal.", facet.example) for facet in KEYWORD_FACETS),
    {"name": "sort", "in": "query", "description": "Reihenfolge: `relevance`, `newest` (neueste zuerst) oder "
     "`oldest` (älteste zuerst); Dokumente ohne Datum zuletzt. `date` ist der alte Name für `newest`.",
     "schema": {"type": "string", "enum": [*SORTS, *SORT_ALIASES], "default": SORTS[0]}},
    {"name": "recency", "in": "query", "description": "`1`: bei Sortierung nach Relevanz wiegen neuere Dokumente mehr.",
     "schema": {"type": "string", "enum": ["0", "1"], "default": "0"}},
    {"name": "collapse", "in": "query", "description": "`0`: beinahe gleiche Texte (Fassungen einer Meldung bei "
     "mehreren Medien) einzeln zeigen; sonst stehen sie unter einem Treffer (`duplicates`), und `total` zählt Meldungen.",
     "schema": {"type": "string", "enum": ["0", "1"], "default": "1"}},
    {"name": "page", "in": "query", "description": "Seite, ab 1.",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}},
    {"name": "per_page", "in": "query", "description": "Treffer pro Seite.",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": PER_PAGE}},
]  # fmt: skip

# The export takes the search's parameters without the page, and how many rows at most.
EXPORT_PARAMETERS = [
    *(p for p in SEARCH_PARAMETERS if p["name"] not in ("page", "per_page")),
    {"name": "limit", "in": "query", "description": "Höchstens so viele Zeilen.",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ROWS, "default": MAX_ROWS}},
]  # fmt: skip
EXPORT_DESCRIPTIONS = {
    "csv": "Alle Treffer der Suche als CSV für eine deutsche Tabellenkalkulation, in der Reihenfolge der Ergebnisseiten, "
           "gestreamt: UTF-8 mit BOM, `;` als Trenner, jedes Feld in Anführungszeichen, Zeilenende CRLF. Spalten: "
           f"{', '.join(f'`{c}`' for c in COLUMNS)}; `published` als `2026-01-24 12:26` (Europe/Berlin), `score` mit "
           "Dezimalkomma, Listen mit `, ` verbunden, `snippet` als Text.",
    "jsonl": "Alle Treffer der Suche als JSON Lines, in der Reihenfolge der Ergebnisseiten, gestreamt: je Zeile ein "
             "Treffer wie in `/api/search` und dazu `url`.",
}


def _export_path(fmt: str) -> dict:
    return {"get": {
        "operationId": f"export_{fmt}",
        "summary": f"Export als {fmt.upper()}",
        "description": EXPORT_DESCRIPTIONS[fmt],
        "parameters": EXPORT_PARAMETERS,
        "responses": {"200": {"description": "Die Treffer, eine Zeile je Treffer.",
                              "content": {FORMATS[fmt]: {"schema": {"type": "string"}}}}, **ERRORS},
    }}  # fmt: skip


PUBLISHED = _nullable("string", "Veröffentlicht, Europe/Berlin mit Versatz (RFC 3339); null ohne Datum.",
                      format="date-time", example="2026-01-24T12:26:00+01:00")  # fmt: skip
KIND = _text("`article` (ein ganzer Artikel) oder `related` (eine Meldung aus „Weitere Meldungen“).",
             enum=["article", "related"])  # fmt: skip

# fmt: off
SCHEMAS = {
    "Hit": _object("Ein Treffer.", {
        "id": _text("Kennung, für `/api/document/{id}`."),
        "kind": KIND,
        "title": _text("Überschrift."),
        "published": PUBLISHED,
        "section": _nullable("string", "Ressort."),
        "topics": _list({"type": "string"}, "Themen, wie die Redaktion sie vergeben hat."),
        "author": _list({"type": "string"}, "Autorinnen und Autoren, wenn bekannt."),
        "publisher": _nullable("string", "Quelle: Zeitung, Sender oder Website (`tagesspiegel.de`)."),
        "snippet": _text("Bester Textausschnitt als HTML: Text maskiert, Treffer in `<mark>`."),
        "score": {"type": "number", "description": "Relevanz (BM25F); nur innerhalb einer Antwort vergleichbar."},
        "parent_id": _nullable("string", "Bei Meldungen: der Artikel, unter dem sie stand."),
        "duplicates": _list(_ref("Duplicate"), "Weitere Fassungen desselben Textes, die auch passen, unter diesem "
                            "Treffer zusammengefasst (der vollständigste zeigt); leer bei `collapse=0`."),
    }),
    "Duplicate": _object("Eine weitere Fassung eines Treffers: beinahe derselbe Text, oft bei einem anderen Medium.", {
        "id": _text("Dokument-ID."),
        "title": _text("Überschrift."),
        "published": PUBLISHED,
        "source": _nullable("string", "Quelle (`zeit.de`)."),
    }),
    "FacetValue": _object("Ein Wert einer Facette mit der Zahl seiner Treffer.", {
        "value": _text(f"Wert: {', '.join(facet.title for facet in KEYWORD_FACETS)}, oder Jahr `2026`, "
                       "Monat `2026-01`, Tag `2026-01-24`."),
        "count": {"type": "integer", "minimum": 0},
    }),
    "SearchResult": _object("Eine Seite Treffer mit Facetten über alle Treffer.", {
        "query": _text("Die Anfrage, wie sie gesucht wurde."),
        "total": {"type": "integer", "minimum": 0, "description": "Alle Treffer nach Filtern; "
                  "beinahe gleiche Texte zählen als einer (außer bei `collapse=0`)."},
        "page": {"type": "integer", "minimum": 1},
        "per_page": {"type": "integer", "minimum": 1},
        "hits": _list(_ref("Hit"), "Die Treffer dieser Seite."),
        "facets": {
            "type": "object",
            "description": "Zählungen je Facette über alle Treffer: year, month, day (ältester zuerst), "
                           f"{', '.join(KEYWORD_NAMES)} (häufigster zuerst).",
            "additionalProperties": _list(_ref("FacetValue"), "Werte der Facette."),
        },
        "suggestion": _nullable("string", "„Meinten Sie …?“: eine Schreibweise mit mehr Treffern."),
        "messages": _list({"type": "string"}, "Was an der Anfrage nicht lesbar war und wie sie gelesen wurde."),
        "notice": _nullable("string", "Wie die Suche erweitert wurde, z. B. von allen auf einige Wörter."),
        "histogram": _ref("Histogram"),
    }),
    "Histogram": _object("Treffer über die Zeit, in der Körnung, die zur Streuung der Treffer passt.", {
        "granularity": _text("Körnung.", enum=["year", "month", "day"]),
        "buckets": _list(_ref("FacetValue"), "Zeiträume mit Treffern, ältester zuerst."),
    }),
    "DocumentLink": _object("Ein verknüpftes Dokument.", {
        "id": _text("Kennung."),
        "kind": KIND,
        "title": _text("Überschrift."),
        "published": PUBLISHED,
        "section": _nullable("string", "Ressort."),
    }),
    "Caption": _object("Eine Bildunterschrift.", {
        "text": _text("Bildunterschrift."),
        "credit": _nullable("string", "Bildnachweis."),
    }),
    "Document": _object("Ein ganzes Dokument, wie der Index es speichert.", {
        "id": _text("Kennung."),
        "kind": KIND,
        "title": _text("Überschrift."),
        "url": _nullable("string", "Adresse des Originals, wenn bekannt.", format="uri"),
        "published": PUBLISHED,
        "section": _nullable("string", "Ressort."),
        "agency": _nullable("string", "Agentur."),
        "author": _list({"type": "string"}, "Autorinnen und Autoren in der Reihenfolge der Autorenzeile."),
        "publisher": _nullable("string", "Herausgeber: Zeitung, Sender oder Website."),
        "topics": _list({"type": "string"}, "Themen."),
        "lead": _text("Vorspann; bei Meldungen der Anrisstext."),
        "body": _list({"type": "string"}, "Absätze des Textes."),
        "subheadings": _list({"type": "string"}, "Zwischenüberschriften."),
        "captions": _list(_ref("Caption"), "Bildunterschriften mit Nachweis."),
        "parents": _list(_ref("DocumentLink"), "Bei Meldungen: die Artikel, unter denen sie standen."),
        "related": _list(_ref("DocumentLink"), "Bei Artikeln: „Weitere Meldungen“ in Seitenreihenfolge."),
        "item_id": _nullable("string", "Bei Agenturmeldungen (ninjs, NewsML-G2): die Kennung der Agentur (guid/uri), "
                             "die alle Fassungen einer Meldung teilen; sonst null."),
        "version": _nullable("integer", "Bei Agenturmeldungen: die gezeigte Fassung, die höchste, die der Index kennt."),
        "first_created": _nullable("string", "Bei Agenturmeldungen: wann die erste Fassung entstand.", format="date-time"),
        "urgency": _nullable("integer", "Bei Agenturmeldungen: Dringlichkeit nach IPTC, 1 (höchste) bis 9."),
        "genre": _nullable("string", "Bei Agenturmeldungen: Genre, z. B. „Eilmeldung“, „Zusammenfassung“."),
        "located": _nullable("string", "Bei Agenturmeldungen: Ort der Meldung (Spitzmarke)."),
        "versions": _list(_ref("Version"), "Bei Agenturmeldungen: die früheren Fassungen, älteste zuerst; "
                          "eine spät eingetroffene ältere Fassung steht hier, ersetzt aber nichts."),
    }),
    "Version": _object("Eine frühere Fassung einer Agenturmeldung.", {
        "version": {"type": "integer", "minimum": 0, "description": "Nummer der Fassung (0: ohne Angabe)."},
        "published": PUBLISHED,
        "title": _text("Überschrift dieser Fassung."),
        "chars": {"type": "integer", "minimum": 0, "description": "Länge von Überschrift, Vorspann und Text in Zeichen."},
        "change": _nullable("integer", "Zeichen mehr (negativ: weniger) als die Fassung davor; null bei der ersten."),
    }),
    "Similar": _object("Dokumente, die einem Dokument am meisten ähneln.", {
        "id": _text("Das Ausgangsdokument."),
        "hits": _list(_ref("Hit"), "Ähnlichste zuerst; `snippet` ist der Textanfang, ohne Markierungen."),
        "messages": _list({"type": "string"}, "Indexabschnitte, die nicht rechtzeitig geantwortet haben: ihre "
                                              "Dokumente fehlen in der Liste."),
    }),
    "Error": _object("Ein Fehler, als Satz auf Deutsch.", {"error": _text("Was falsch ist und was zu tun ist.")}),
}
# fmt: on


def openapi_document(server_url: str = "/") -> dict:
    """The OpenAPI description; ``server_url`` is where this app answers."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "newsearch API",
            "version": "1",
            "description": "Volltextsuche in deutschen Nachrichten. Alle Antworten sind JSON in UTF-8; Zeiten sind "
                           "Europe/Berlin mit Versatz; Fehler sind `{\"error\": \"…\"}` mit passendem HTTP-Status.",
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/api/search": {"get": {
                "operationId": "search",
                "summary": "Suchen",
                "description": "Eine Seite Treffer mit Facetten; dieselben Parameter wie die Suchseite.",
                "parameters": SEARCH_PARAMETERS,
                "responses": {"200": _json(_ref("SearchResult"), "Treffer."), **ERRORS},
            }},
            "/api/document/{id}": {"get": {
                "operationId": "document",
                "summary": "Ein Dokument",
                "description": "Der ganze gespeicherte Artikel oder die Meldung, mit aufgelösten Verknüpfungen.",
                "parameters": [DOC_ID],
                "responses": {"200": _json(_ref("Document"), "Das Dokument."), **NOT_FOUND},
            }},
            "/api/similar/{id}": {"get": {
                "operationId": "similar",
                "summary": "Ähnliche Dokumente",
                "description": "Die Dokumente mit den meisten gemeinsamen Schlüsselbegriffen (more like this).",
                "parameters": [DOC_ID],
                "responses": {"200": _json(_ref("Similar"), "Ähnliche Dokumente."), **NOT_FOUND},
            }},
            **{f"/export.{fmt}": _export_path(fmt) for fmt in FORMATS},
            "/api/openapi.json": {"get": {
                "operationId": "openapi",
                "summary": "Diese Beschreibung",
                "description": "Die OpenAPI-3.1-Beschreibung aller Endpunkte.",
                "responses": {"200": {"description": "OpenAPI-Dokument.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {"schemas": SCHEMAS},
    }  # fmt: skip


def type_label(schema: dict) -> tuple[str, str | None]:
    """How the ``/api`` page names a schema's type, and the component it links to, if any.

    >>> type_label({"type": "array", "items": {"$ref": "#/components/schemas/Hit"}})
    ('Liste von Hit', 'Hit')
    """
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return name, name
    kind = schema.get("type", "object")
    if kind == "array":
        inner, ref = type_label(schema.get("items", {}))
        return f"Liste von {inner}", ref
    if isinstance(kind, list):
        names = [TYPE_NAMES.get(k, k) for k in kind]
        return " oder ".join(names), None
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict):
        inner, ref = type_label(schema["additionalProperties"])
        return f"Name → {inner}", ref
    label = TYPE_NAMES.get(kind, kind)
    if "enum" in schema:
        label += ": " + ", ".join(str(v) for v in schema["enum"])
    return label, None


TYPE_NAMES = {"string": "Text", "integer": "ganze Zahl", "number": "Zahl", "boolean": "ja/nein", "null": "null",
              "object": "Objekt"}  # fmt: skip
