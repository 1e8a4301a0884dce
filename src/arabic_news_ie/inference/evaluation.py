"""Score a tagger or classifier on labelled articles; ``python -m arabic_news_ie evaluate MODEL [--split test]``.

Training scores its dev and test splits with these same functions, and they run the model as the
:class:`~arabic_news_ie.inference.pipeline.Pipeline` does (same windows, merge, decoding and threshold), on gold
sentences. The data come from a run config (by default the ``config.yaml`` the run wrote next to its
models), so a model is scored on exactly the split it was trained against, or on any other file via ``--set``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..config import Config
from ..data.gold import gold_events, gold_tags
from ..data.schema import Article
from ..data.splits import DataError, load_splits
from ..data.windows import document_units, sentence_units
from ..metrics import bootstrap_micro_f1, multilabel_scores, ner_scores, single_label_scores
from .model_files import find_components
from .predictor import EventClassifier, Tagger, load


def evaluate(
    model: str | Path,
    cfg: Config,
    split: str = "dev",
    decoding: str = "viterbi",
    batch_size: int = 64,
    collapse: dict[str, str] | None = None,
) -> dict:
    """Per component found under ``model``: its scores on ``split`` of the data ``cfg`` describes.

    ``collapse`` renames entity types in predictions and gold before scoring, to score against data with
    a coarser label set (ANERcorp: ``{"GPE": "LOC"}``, with ``data.label_map`` renaming its PERS to PER).
    """
    splits = load_splits(cfg.data)
    if not splits.get(split):
        raise DataError(f"{cfg.data.train}: no {split} records")
    articles = splits[split]
    results: dict = {"split": split, "records": len(articles)}
    for directory in find_components(Path(model)).values():
        component = load(directory, device="cpu")
        if isinstance(component, Tagger):
            results["ner"] = score_tagger(component, articles, decoding, batch_size, collapse)
        else:
            results["events"] = score_classifier(component, articles, batch_size)
    return results


def score_tagger(
    tagger: Tagger,
    articles: list[Article],
    decoding: str = "viterbi",
    batch_size: int = 64,
    collapse: dict[str, str] | None = None,
    probs: list | None = None,
) -> dict:
    """seqeval (strict IOB2) scores of the tagger on the articles' gold sentences.

    ``probs``: the word probabilities :func:`ner_word_probs` already computed for these articles.
    """
    units = sentence_units(articles)
    if probs is None:
        probs = tagger.predict_probs([a.text for a in articles], units, batch_size)
    gold = gold_tags(articles, units)
    return ner_scores(_collapsed(gold, collapse), _collapsed(tagger.tags(probs, decoding), collapse))


def ner_word_probs(tagger: Tagger, articles: list[Article], batch_size: int = 64) -> list:
    """Per gold sentence, the tagger's (words, labels) probabilities."""
    return tagger.predict_probs([a.text for a in articles], sentence_units(articles), batch_size)


def _collapsed(sequences: list[list[str]], collapse: dict[str, str] | None) -> list[list[str]]:
    """Tags with their entity type renamed (``B-GPE`` -> ``B-LOC`` for ``{"GPE": "LOC"}``).

    >>> _collapsed([["B-GPE", "I-GPE", "O"]], {"GPE": "LOC"})
    [['B-LOC', 'I-LOC', 'O']]
    """
    if not collapse:
        return sequences
    return [[t[:2] + collapse.get(t[2:], t[2:]) if t != "O" else t for t in tags] for tags in sequences]


def score_classifier(
    classifier: EventClassifier, articles: list[Article], batch_size: int = 64, probs: np.ndarray | None = None
) -> dict:
    """Sentence event-set scores (multi-label) or accuracy/macro-F1 (single-label documents)."""
    probs = event_unit_probs(classifier, articles, batch_size) if probs is None else probs
    predicted = classifier.decide(probs)
    if classifier.multi_label:
        gold = gold_events(articles)
        scores = multilabel_scores(gold, predicted, classifier.labels)
        articles_of = [i for i, a in enumerate(articles) for _ in a.sentences]
        scores["micro_f1_ci95"] = list(bootstrap_micro_f1(gold, predicted, classifier.labels, articles_of))
        scores["sentences"], scores["articles"] = len(gold), len(articles)
        return scores
    return single_label_scores([a.label for a in articles], predicted, classifier.labels)


def event_unit_probs(classifier: EventClassifier, articles: list[Article], batch_size: int = 64):
    """(units, labels) probabilities: units are gold sentences (multi-label) or whole articles."""
    units = sentence_units(articles) if classifier.multi_label else document_units(articles)
    return classifier.predict_probs([a.text for a in articles], units, batch_size)
