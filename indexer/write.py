"""Writing articles into the Whoosh index. Knows nothing about HTML or page dumps.

Every article becomes one document of kind ``article`` and every related item one of kind
``related`` linked to the articles that listed it. Documents are keyed by their stable id and
written with ``update_document``, so indexing the same files again replaces instead of doubling.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from indexer import schema as f
from indexer.dates import berlin_day, to_utc
from indexer.errors import ArticleParseError
from indexer.model import ARTICLE, RELATED, Article, Failure, IndexReport, RelatedItem
from indexer.parse import parse_article
from indexer.store import open_for_writing

ARTICLE_SUFFIXES = (".txt",)

Progress = Callable[[str], None]


def find_article_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """The article files under the given files and directories, in a stable order."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES)
        else:
            yield path


def index_files(paths: Iterable[str | Path], index_dir: str | Path, progress: Progress | None = None) -> IndexReport:
    """Parse the article files under ``paths`` and write them into the index at ``index_dir``.

    A file that fails to parse is skipped and reported in ``IndexReport.failures`` with its path and
    reason; the rest of the batch is still committed. ``progress`` is called with each file path.
    """
    articles: list[Article] = []
    failures: list[Failure] = []
    for path in find_article_files(paths):
        if progress:
            progress(str(path))
        try:
            articles.append(parse_article(path))
        except ArticleParseError as err:
            failures.append(Failure(err.path, err.reason))
    report = index_articles(articles, index_dir)
    return replace(report, failures=tuple(failures))


def index_articles(articles: Iterable[Article], index_dir: str | Path) -> IndexReport:
    """Write articles and their related items in one commit; related items seen before keep their links."""
    articles = list(articles)
    ix = open_for_writing(index_dir)
    parents: dict[str, set[str]] = {}
    for article in articles:
        for item in article.related:
            parents.setdefault(item.id, set()).add(article.id)
    with ix.searcher() as searcher:
        for item_id, linked in parents.items():
            stored = searcher.document(**{f.ID: item_id})
            if stored and stored.get(f.PARENTS):
                linked.update(stored[f.PARENTS].split(","))
    related_count = 0
    writer = ix.writer(limitmb=128)
    try:
        written_related = set()
        for article in articles:
            writer.update_document(**article_document(article))
            for item in article.related:
                if item.id in written_related:
                    continue
                written_related.add(item.id)
                writer.update_document(**related_document(item, sorted(parents[item.id])))
                related_count += 1
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    return IndexReport(articles=len(articles), related=related_count, added=len(articles) + related_count)


def article_document(article: Article) -> dict:
    """The Whoosh fields of an article; absent values are left out, as Whoosh wants."""
    doc = {
        f.ID: article.id,
        f.KIND: ARTICLE,
        f.TITLE: article.title,
        f.TOPICS: ", ".join(article.topics),
        f.TOPIC: ",".join(article.topics),
        f.LEAD: article.lead,
        f.BODY: "\n\n".join(article.body),
        f.SUBHEADINGS: "\n".join(article.subheadings),
        f.CAPTIONS: "\n".join(c.text for c in article.captions),
        f.CREDITS: [c.credit for c in article.captions],
        f.SECTION: article.section,
        f.AGENCY: article.agency,
        f.SOURCE: article.source_path,
        f.URL: article.url,
        f.RELATED_IDS: [item.id for item in article.related],
    }
    doc.update(_date_fields(article.published))
    return doc


def related_document(item: RelatedItem, parents: list[str]) -> dict:
    """A related item as a document of its own: its teaser is searched like an article's lead."""
    doc = {
        f.ID: item.id,
        f.KIND: RELATED,
        f.TITLE: item.title,
        f.LEAD: item.teaser,
        f.SECTION: item.section,
        f.PARENTS: ",".join(parents),
        f.URL: item.url,
    }
    doc.update(_date_fields(item.published))
    return doc


def _date_fields(published) -> dict:
    if published is None:
        return {}
    return {f.PUBLISHED: to_utc(published), f.DAY: berlin_day(published)}
