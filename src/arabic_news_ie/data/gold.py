"""The gold answers of labelled articles, in the units the models predict: IOB2 tags per sentence's words,
event-type sets per sentence."""

from __future__ import annotations

from .corpus import spans_to_bio
from .schema import Article
from .windows import Unit


def gold_tags(articles: list[Article], units: list[Unit]) -> list[list[str]]:
    """The gold IOB2 tags of each unit's words."""
    return [spans_to_bio(u.spans, articles[u.article_index].entities) for u in units]


def gold_events(articles: list[Article]) -> list[set[str]]:
    """The gold event-type set of every sentence, in order."""
    return [set(s.events) for a in articles for s in a.sentences]
