"""The one error family of newsearch.

It lives in the most upstream package so every layer can raise and catch it. Each error carries a
sentence the reader can act on and the HTTP status the web edge answers with; only the edges
(``web/`` and ``newsearch/cli.py``) translate these into responses or exit codes.
"""
from __future__ import annotations


class NewsearchError(Exception):
    status = 500

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class ArticleParseError(NewsearchError):
    """A file could not be read as an article; the message names the path and the reason."""

    status = 422

    def __init__(self, path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


class NotArticlesError(ArticleParseError):
    """A file of a format we read whose content holds no articles (JSON that is no ninjs: a
    manifest, a configuration lying in the folder). It is skipped and named, as a file of unknown
    type is, not counted as broken."""


class IndexMissingError(NewsearchError):
    status = 503


class SchemaMismatchError(NewsearchError):
    status = 503


class IndexLockedError(NewsearchError):
    status = 409


class QuerySyntaxError(NewsearchError):
    """The searcher's input (query text, a date, a page number) cannot be understood."""

    status = 400


class DocumentNotFoundError(NewsearchError):
    """No searchable document has the id asked for (a mistyped link, or one since removed)."""

    status = 404


class BulkWriteError(NewsearchError):
    """A bulk build cannot start or failed; the message says why (a worker's traceback included)."""
