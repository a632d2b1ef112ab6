"""Reading the changed files once to route their articles, and handing each time shard its share.

A sharded run (indexer/shards.py) must know every new article's day before it can say which
shard takes it, so the changed files are parsed once here. What that parse learns is handed on:
each shard's run gets, per file, the lines of a JSON Lines file holding its articles
(``FileShare.lines``), and parses only those; a file of another format (a page, a feed, a NewsML
message) is read whole by the shards holding some of its articles and by no other. So a build
parses each article about twice (here and in its shard), not once here and once per shard: on
FANG ×4 in four shards every task parsed all 112k articles to find its 28k (bench/README.md,
"112k: one index, 4 shards, Ray").

What the parse finds wrong is said once, here: a broken line goes with the file's share to every
shard, which keeps it in its ledger (reported again while the file is unchanged, as a single
index does) and the run's report lists it once; a file that cannot be read at all goes to no
shard (what they hold from it stays, as in a single index) and is reported by the run itself.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from indexer.dates import berlin_day
from indexer.errors import ArticleParseError, NotArticlesError
from indexer.formats import LINE_FORMATS, format_of, located_articles
from indexer.model import Failure


@dataclass(frozen=True, slots=True)
class FileShare:
    """What one shard's run reads of one changed file: the file as routed (its fingerprint then),
    the lines of its articles (a JSON Lines file; ``None``: the file whole, its articles kept by
    id), and the file's broken records, which every shard keeps in its ledger entry for the file."""

    fingerprint: str
    lines: tuple[int, ...] | None = None
    failures: tuple[Failure, ...] = ()


@dataclass(frozen=True, slots=True)
class RoutedFile:
    """One changed file as the routing parse found it: its articles as (id, Berlin day, line),
    its broken records, or why it could not be read at all (``broken``, ``skipped``)."""

    path: Path
    fingerprint: str
    articles: tuple[tuple[str, str | None, int | None], ...] = ()
    failures: tuple[Failure, ...] = ()
    broken: Failure | None = None  # a file of no article: reported once by the run, read by no shard
    skipped: Failure | None = None  # of no format we read


@dataclass
class Routing:
    """Every changed file's routing parse, in file order."""

    files: list[RoutedFile] = field(default_factory=list)

    def dated(self) -> list[tuple[str, str | None]]:
        """(article id, Berlin day) of every article read, for ``shards._routed``."""
        return [(doc_id, day) for routed in self.files for doc_id, day, _ in routed.articles]

    def failures(self) -> list[Failure]:
        """What went wrong, in file order: broken records and files that could not be read."""
        return [failure for routed in self.files for failure in (*routed.failures, *filter(None, [routed.broken]))]

    def in_file_order(self, failures: Iterable[Failure]) -> list[Failure]:
        """``failures`` (the shards' and the routing's) each once, as one index lists them: those of
        files not read again first, then each changed file's in file order."""
        position = {str(routed.path): number for number, routed in enumerate(self.files)}

        def file_of(failure: Failure) -> int:
            for path in (failure.path, failure.path.rpartition(":")[0], failure.path.partition(" [")[0]):
                if path in position:
                    return position[path]
            return -1

        return sorted(dict.fromkeys(failures), key=file_of)

    def skipped(self) -> list[Failure]:
        return [routed.skipped for routed in self.files if routed.skipped]

    def shares(self, route: dict[str, str], names: Iterable[str]) -> dict[str, dict[str, FileShare]]:
        """Each shard's ``FileShare`` of every readable file, by shard name and path. A shard with
        no article in a file gets it too, with no lines: it reads nothing of it, but records it in
        its ledger (dropping what it held from it), so a file is known as read only when every
        shard has recorded it (``shards._read_files``)."""
        names = list(names)
        shares: dict[str, dict[str, FileShare]] = {name: {} for name in names}
        for routed in self.files:
            if routed.broken or routed.skipped:
                continue
            by_line = format_of(routed.path) in LINE_FORMATS
            lines_of: dict[str, set] = {}
            for doc_id, _, line in routed.articles:
                lines_of.setdefault(route.get(doc_id), set()).add(line)
            for name in names:
                mine = lines_of.get(name, ())
                lines = tuple(sorted(mine)) if by_line else (None if mine else ())
                shares[name][str(routed.path)] = FileShare(routed.fingerprint, lines, routed.failures)
        return shares


def read_routes(files: Iterable[tuple[Path, str]], max_bytes: int | None) -> Routing:
    """Parse each (path, fingerprint) once: each article's id, day and line, and what failed."""
    routing = Routing()
    for path, fp in files:
        failures: list[Failure] = []
        articles = []
        try:
            for where, article in located_articles(path, lambda where, reason: failures.append(Failure(where, reason)),
                                                   *([max_bytes] if max_bytes else [])):
                day = berlin_day(article.published) if article.published else None
                articles.append((article.id, day, _line(where)))
        except NotArticlesError as err:
            routing.files.append(RoutedFile(path, fp, skipped=Failure(err.path, err.reason)))
            continue
        except ArticleParseError as err:
            routing.files.append(RoutedFile(path, fp, broken=Failure(err.path, err.reason)))
            continue
        routing.files.append(RoutedFile(path, fp, tuple(articles), tuple(failures)))
    return routing


def _line(where: str) -> int | None:
    """The line of ``path:line`` (a JSON Lines record, indexer/jsonl.py), else ``None``."""
    _, _, line = where.rpartition(":")
    return int(line) if line.isdigit() else None
