"""Corpus statistics, as printed by ``python -m arabic_news_ie stats``."""

from __future__ import annotations

from collections import Counter

from ..text import words
from .schema import Article


def corpus_stats(articles: list[Article]) -> dict:
    """Counts over articles, overall and per split; real articles are those with an ANT source.

    >>> corpus_stats([])["articles"]
    0
    """
    stats = _counts(articles)
    splits = sorted({a.split for a in articles if a.split})
    stats["splits"] = {split: _counts([a for a in articles if a.split == split]) for split in splits}
    return stats


def _counts(articles: list[Article]) -> dict:
    entities = Counter(e.label for a in articles for e in a.entities)
    events = Counter(t for a in articles for s in a.sentences for t in s.events)
    sentences = [s for a in articles for s in a.sentences]
    real = sum(1 for a in articles if a.ant_id)
    return {
        "articles": len(articles),
        "real_articles": real,
        "original_articles": len(articles) - real,
        "sentences": len(sentences),
        "words": sum(len(words(a.text)) for a in articles),
        "entities": dict(sorted(entities.items())) | {"total": sum(entities.values())},
        "events": dict(sorted(events.items())),
        "no_event_sentences": sum(1 for s in sentences if not s.events),
    }


def unseen_share(train: list[Article], test: list[Article]) -> float:
    """Share of test entity mentions whose surface form never appears as a train entity."""
    seen = {a.text[e.start : e.end] for a in train for e in a.entities}
    mentions = [a.text[e.start : e.end] for a in test for e in a.entities]
    return sum(m not in seen for m in mentions) / max(len(mentions), 1)
