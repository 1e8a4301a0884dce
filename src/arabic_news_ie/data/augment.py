"""Training-time augmentation of the train split (switchable, deterministic by seed).

Name swap replaces an entity mention with another train mention of the same type, so that the tagger
must rely on context (الرئيس، وزير، قال، في) rather than on memorised names.
"""

from __future__ import annotations

import random

from ..config import NerConfig
from .schema import Article, SentenceSpan, Span

_LETTERS = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"


def pseudo_name(surface: str, rng: random.Random) -> str:
    """Random Arabic letter strings, one per word of ``surface``: a name the model has never seen.

    >>> len(pseudo_name("محمد جواد ظريف", random.Random(1)).split())
    3
    """
    return " ".join("".join(rng.choice(_LETTERS) for _ in range(rng.randint(3, 7))) for _ in surface.split())


def augmented(articles: list[Article], cfg: NerConfig, seed: int) -> list[Article]:
    """``cfg.augment_copies`` name-swapped copies of ``articles`` (none when disabled)."""
    if cfg.augment_copies <= 0 or (cfg.augment_name_swap <= 0 and cfg.augment_pseudo_names <= 0):
        return []
    rng = random.Random(seed)
    pool: dict[str, list[str]] = {}
    for article in articles:
        for entity in article.entities:
            pool.setdefault(entity.label, []).append(article.text[entity.start : entity.end])
    return [
        swap_names(article, pool, cfg.augment_name_swap, rng, suffix=f"aug{copy}", pseudo=cfg.augment_pseudo_names)
        for copy in range(cfg.augment_copies)
        for article in articles
    ]


def swap_names(
    article: Article, pool: dict[str, list[str]], rate: float, rng: random.Random, suffix: str, pseudo: float = 0.0
) -> Article:
    """A copy of ``article`` with some entity surfaces replaced; offsets of everything are rebuilt.

    Each entity is swapped for another train mention of its type with probability ``rate``, else
    replaced by a pseudo-name (random letters) with probability ``pseudo``.

    >>> a = Article("a", "زار بوتين طهران", (Span(4, 9, "PER"),), (SentenceSpan(0, 15),))
    >>> swap_names(a, {"PER": ["ماكرون"]}, 1.0, random.Random(0), "x").text
    'زار ماكرون طهران'
    """
    shift = 0
    pieces: list[str] = []
    cursor = 0
    moved: dict[int, int] = {}  # old offset -> new offset at entity boundaries
    entities = []
    for entity in sorted(article.entities, key=lambda e: e.start):
        surface = article.text[entity.start : entity.end]
        draw = rng.random()
        if draw < rate and pool.get(entity.label):
            surface = rng.choice(pool[entity.label])
        elif draw < rate + pseudo:
            surface = pseudo_name(surface, rng)
        pieces.append(article.text[cursor : entity.start])
        start = entity.start + shift
        pieces.append(surface)
        shift += len(surface) - (entity.end - entity.start)
        moved[entity.end] = entity.end + shift
        entities.append(Span(start, start + len(surface), entity.label))
        cursor = entity.end
    pieces.append(article.text[cursor:])
    text = "".join(pieces)
    sentences = tuple(
        SentenceSpan(_new_offset(s.start, article, moved), _new_offset(s.end, article, moved), s.events)
        for s in article.sentences
    )
    return Article(f"{article.id}-{suffix}", text, tuple(entities), sentences, split=article.split)


def _new_offset(offset: int, article: Article, moved: dict[int, int]) -> int:
    """Sentence boundaries never fall inside an entity, so the shift is that of the last entity before."""
    before = [end for end in moved if end <= offset]
    return offset + (moved[max(before)] - max(before)) if before else offset
