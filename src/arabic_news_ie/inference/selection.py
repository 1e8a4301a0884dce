"""Which unlabelled articles to annotate next: those whose corrections would teach the model most.

``python -m arabic_news_ie select --model RUN --input pool.jsonl -n 50 -o next.jsonl [--format label-studio]``

Each analysed sentence gets an uncertainty in [0, 1]: for NER, the largest ``1 - p(best tag)`` over its words
(one doubtful word is one correction); for events, the largest closeness of a type's probability to the
model's threshold (``1 - |p - t| / max(t, 1 - t)``: 1 at the threshold, 0 when sure either way). A sentence
scores the larger of the two; an article the mean of its three most uncertain sentences (one doubtful
sentence in a long article still counts, a single outlier does not decide). Articles are then taken by score,
skipping one whose words overlap a chosen article's by half or more (Jaccard of word sets): fifty rewrites of
one wire story teach what one does. Skipped near-duplicates fill the list only if the pool runs out.

>>> sentence_uncertainty(np.array([[0.9, 0.1], [0.6, 0.4]]), np.array([0.5, 0.02]), 0.5)
1.0
>>> round(sentence_uncertainty(np.array([[0.9, 0.1]]), np.array([0.1]), 0.5), 2)
0.2
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..text import normalize_word, words

NEAR_DUPLICATE = 0.5  # Jaccard of word sets at or over which a candidate repeats a chosen article
TOP_SENTENCES = 3


@dataclass(frozen=True)
class Ranked:
    index: int  # position in the pool
    score: float


def sentence_uncertainty(word_probs: np.ndarray | None, event_probs: np.ndarray | None, threshold: float) -> float:
    """The larger of the NER and event uncertainties of one sentence (see the module docstring)."""
    ner = float(1.0 - word_probs.max(axis=1).min()) if word_probs is not None and len(word_probs) else 0.0
    events = 0.0
    if event_probs is not None and len(event_probs):
        distance = np.abs(event_probs - threshold) / max(threshold, 1.0 - threshold)
        events = float(1.0 - distance.min())
    return max(ner, events)


def article_uncertainty(sentence_scores: list[float]) -> float:
    """Mean of the article's most uncertain sentences (0 for an article with none analysed)."""
    top = sorted(sentence_scores, reverse=True)[:TOP_SENTENCES]
    return float(np.mean(top)) if top else 0.0


def score_articles(pipeline, texts: list[str], batch_size: int = 32) -> tuple[list, list[float]]:
    """(results, uncertainty) of every article, a few batches at a time (probabilities are not kept)."""
    threshold = pipeline.events.threshold if pipeline.events is not None and pipeline.events.multi_label else 0.5
    results, scores = [], []
    for begin in range(0, len(texts), batch_size * 4):
        found, probs = pipeline.results_and_probs(texts[begin : begin + batch_size * 4], batch_size)
        results += found
        scores += [
            article_uncertainty([sentence_uncertainty(w, e, threshold) for w, e in by_sentence.values()])
            for by_sentence in probs
        ]
    return results, scores


def rank(texts: list[str], scores: list[float], n: int) -> list[Ranked]:
    """The ``n`` articles to annotate next, most informative first, near-duplicates pushed to the end."""
    order = sorted(range(len(texts)), key=lambda i: (-scores[i], i))
    vocab = [{normalize_word(texts[i][s:e]) for s, e in words(texts[i])} for i in range(len(texts))]
    chosen, repeats = [], []
    for i in order:
        if len(chosen) == n:
            break
        similar = any(_jaccard(vocab[i], vocab[j]) >= NEAR_DUPLICATE for j in chosen)
        (repeats if similar else chosen).append(i)
    chosen += repeats[: n - len(chosen)]
    return [Ranked(i, scores[i]) for i in chosen]


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0
