"""The one Whoosh schema: field names as constants, and ``build_schema()``.

This is the only module that names Whoosh field types. ``search/`` imports these constants and
reads the schema stored in the opened index; it never builds one. Field weights are not set here
(no ``field_boost=``): they live in ``search/ranking.py`` so they can be tuned without reindexing.
"""
from __future__ import annotations

from whoosh import columns, fields
from whoosh.analysis import IDAnalyzer, KeywordAnalyzer

from indexer.analysis import compound_parts_analyzer, exact_analyzer, german_analyzer

# Identity and links
ID = "id"
KIND = "kind"  # indexer.model.ARTICLE or RELATED
PARENTS = "parents"  # ids of the articles a related item was listed under
RELATED_IDS = "related_ids"  # ids of an article's related items, in page order
URL = "url"
SOURCE = "source"  # the file a document came from

# Searchable German text
TITLE = "title"
TOPICS = "topics"
LEAD = "lead"
BODY = "body"
SUBHEADINGS = "subheadings"
CAPTIONS = "captions"
# All searchable text again, analysed differently; not stored
EXACT = "exact"  # surface forms with positions: quoted phrases, and an exact form outranks a stem-only match
PARTS = "parts"  # compound parts only, no positions: Botschaft finds Botschaftsbesitz, below a standalone match

# Filters and facets: lower-cased for matching, the column keeps the spelling people read
PUBLISHED = "published"  # naive UTC, sortable
DAY = "day"  # Berlin calendar day, YYYY-MM-DD: what date filters and facets count in
SECTION = "section"
TOPIC = "topic"  # one term per topic, for filters and the topic facet
AGENCY = "agency"
AUTHOR = "author"  # one lower-cased term per name, for a cheap filter; stored as written, comma-joined
PUBLISHER = "publisher"
GENRE = "genre"  # an agency item's genres, one term each

# Stored only, for showing a whole article
CREDITS = "credits"  # one per caption, same order: credits never rank
# Agency items only (indexer/versions.py): the agency's id, the version held, and all versions seen
ITEM_ID = "item_id"
VERSION = "version"
URGENCY = "urgency"
LOCATED = "located"
FIRST_CREATED = "first_created"  # naive UTC, like PUBLISHED
VERSIONS = "versions"  # list of dicts, oldest first, the held version included

# Near-duplicates (indexer/duplicates.py): articles whose text is nearly the same share a group
DUP_GROUP = "dup_group"  # the group's id (the id of the document that founded it); a column for folding
DUP_BANDS = "dup_bands"  # LSH band hashes of the MinHash signature, one term each: a new document's candidates
DUP_SIGNATURE = "dup_signature"  # the MinHash signature, bytes: to measure a candidate's similarity
DUP_CHARS = "dup_chars"  # length of lead and body, a column: the fullest document of a group is shown

# The page a document is part of (indexer.documents.page_key: its address up to "#", hashed), a
# column: the parts of one page lift each other in the ranking (search/context.py)
PAGE = "page"

# The source ledger: one document of kind SOURCE_KIND per indexed file, committed together with
# that file's articles, so what the index holds and what it says it read never disagree.
SOURCE_KIND = "source"
FINGERPRINT = "fingerprint"  # sha1 of the file's bytes
DOC_IDS = "doc_ids"  # the article ids read from the file
FAILURES = "failures"  # (where, reason) of each record of the file that failed: reported until it changes


def build_schema() -> fields.Schema:
    text = dict(analyzer=german_analyzer(), stored=True, multitoken_query="phrase")
    keyword = dict(analyzer=IDAnalyzer(lowercase=True), stored=True, sortable=True)
    return fields.Schema(
        **{
            ID: fields.ID(stored=True, unique=True),
            KIND: fields.ID(stored=True),
            PARENTS: fields.KEYWORD(stored=True, commas=True),
            RELATED_IDS: fields.STORED(),
            URL: fields.STORED(),
            SOURCE: fields.ID(stored=True),
            TITLE: fields.TEXT(**text),
            TOPICS: fields.TEXT(**text),
            LEAD: fields.TEXT(**text),
            BODY: fields.TEXT(**text),
            SUBHEADINGS: fields.TEXT(**text),
            CAPTIONS: fields.TEXT(**text),
            EXACT: fields.TEXT(analyzer=exact_analyzer(), multitoken_query="phrase"),
            PARTS: fields.TEXT(analyzer=compound_parts_analyzer(), phrase=False, multitoken_query="and"),
            PUBLISHED: fields.DATETIME(stored=True, sortable=True),
            DAY: fields.ID(stored=True, sortable=True),
            SECTION: fields.ID(**keyword),
            TOPIC: fields.KEYWORD(
                analyzer=KeywordAnalyzer(lowercase=True, commas=True), stored=True, sortable=True
            ),
            AGENCY: fields.ID(**keyword),
            AUTHOR: fields.KEYWORD(analyzer=KeywordAnalyzer(lowercase=True, commas=True), stored=True),
            PUBLISHER: fields.ID(**keyword),
            GENRE: fields.KEYWORD(lowercase=True, commas=True, stored=True),
            CREDITS: fields.STORED(),
            ITEM_ID: fields.ID(stored=True),
            VERSION: fields.STORED(),
            URGENCY: fields.STORED(),
            LOCATED: fields.STORED(),
            FIRST_CREATED: fields.STORED(),
            VERSIONS: fields.STORED(),
            DUP_GROUP: fields.ID(stored=True, sortable=True),
            DUP_BANDS: fields.KEYWORD(scorable=False),
            DUP_SIGNATURE: fields.STORED(),
            DUP_CHARS: fields.COLUMN(columns.NumericColumn("I")),
            PAGE: fields.COLUMN(columns.NumericColumn("Q")),
            FINGERPRINT: fields.STORED(),
            DOC_IDS: fields.STORED(),
            FAILURES: fields.STORED(),
        }
    )
