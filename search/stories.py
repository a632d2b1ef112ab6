"""A near-duplicate story split across time shards, folded once when the shards' answers merge.

Copies of a story appear within three days (indexer/duplicates.py), so now and then on either side
of a shard boundary; the indexer gives them the group of the first copy, in whichever shard it
lives. Each shard folds its own matches (search/whoosh/folding.py) and answers the group key of
every story that passed and, for its best stories, the members it holds. Here the stories of all
shards are folded by key, as one index would fold them:

- the total counts distinct keys;
- a story ranks by its best member over all shards (a story of the best ``depth`` has its best
  part among the best ``depth`` of that part's shard, so no story of the page is missed);
- it shows its fullest member over all shards (longest lead and body, then the earliest, undated
  last; then the earlier shard and the lower document number), the others listed under it, fullest
  first. A shard that matched the story but did not rank it among its best is asked for its part
  (``ask``), so the list is complete.

Sorted by date a story keys on the date of the member it shows, as in one index; that member may
come from another shard than the part that brought the story, so all stories of the shards' best
are folded and sorted again before the cut. A story none of whose parts is among its shard's best
by its own member's date, while the fullest member's date would put it on the page, is missed
there (never seen in tests; by relevance this cannot happen).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

ALONE = 1 << 63  # a key with this bit: a document without a group (search/whoosh/folding.py), never folded


@dataclass(slots=True)
class _Story:
    score: float
    members: list[tuple[int, int, int, int]] = field(default_factory=list)  # (shard, doc, chars, published)
    shards: set[int] = field(default_factory=set)


def distinct_stories(keys: list[np.ndarray]) -> int:
    """How many stories the shards' answers hold together: a key shared by shards is one story."""
    parts = [np.asarray(k, dtype=np.uint64) for k in keys if k is not None and len(k)]
    if not parts:
        return 0
    joined = np.concatenate(parts)
    alone = (joined & np.uint64(ALONE)) != 0
    return int(np.count_nonzero(alone)) + len(np.unique(joined[~alone]))


def fold_across(answers: dict, entries: list, depth: int, key_of, ask) -> tuple[list, dict]:
    """The best ``depth`` stories over all shards as (shard, doc shown, score) in order, and each
    one's other members as (shard, doc) pairs, fullest first.

    ``answers``: each shard's ``ShardMatch`` by shard number; ``entries``: every shard's best as
    (-sort key, shard, doc, score), sorted; ``key_of(score, published)``: a story's sort key from
    its best score and its shown member's publication time; ``ask(shard, keys)``: that shard's
    ``story_members`` for the group ``keys``.
    """
    stories: dict[object, _Story] = {}
    for _, number, doc, score in entries:
        key, members = answers[number].stories[doc]
        key = (number, key) if key & ALONE else key
        story = stories.setdefault(key, _Story(score))
        story.score = max(story.score, score)
        story.shards.add(number)
        story.members += [(number, *member) for member in members]
    _add_missing_parts(stories, answers, ask)
    ranked = []
    for story in stories.values():
        shown, *others = sorted(story.members, key=_fullest)
        ranked.append((-key_of(story.score, shown[3]), shown[0], shown[1], story.score,
                       tuple((n, d) for n, d, _, _ in others)))
    ranked.sort(key=lambda r: r[:3])
    top = [(number, doc, score) for _, number, doc, score, _ in ranked[:depth]]
    return top, {(number, doc): others for _, number, doc, _, others in ranked[:depth] if others}


def _add_missing_parts(stories: dict, answers: dict, ask) -> None:
    """Each shard that passed a story of ``stories`` without ranking it among its best: its part."""
    keys = np.array([k for k in stories if not isinstance(k, tuple)], dtype=np.uint64)
    for number, answer in answers.items():
        if answer.keys is None or not len(keys):
            continue
        held = keys[np.isin(keys, answer.keys)]
        wanted = [int(k) for k in held.tolist() if number not in stories[int(k)].shards]
        for key, (score, members) in (ask(number, wanted).items() if wanted else ()):
            story = stories[key]
            story.score = max(story.score, score)
            story.shards.add(number)
            story.members += [(number, *member) for member in members]


def _fullest(member: tuple[int, int, int, int]) -> tuple:
    number, doc, chars, published = member
    return -chars, published if published > 0 else np.iinfo(np.int64).max, number, doc
