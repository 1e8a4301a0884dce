"""Score a trained model on a labelled split: ``python -m arabic_news_ie evaluate MODEL [--split test]``.

The data come from a run config (by default the ``config.yaml`` the run wrote next to its models), so a
model is scored on exactly the split it was trained against, or on any other file via ``--set``. The
model runs as the :class:`Pipeline` runs it (same windows, merge and decoding), on gold sentences.
"""

from __future__ import annotations

from pathlib import Path

from .config import Config
from .corpus import spans_to_bio
from .data import DataError, load_splits
from .decoding import decode_tags
from .examples import Encoded, document_units, encode_units, merge_token_probs, sentence_units
from .loading import Component, find_components, load_component
from .metrics import multilabel_scores, ner_scores, single_label_scores
from .schema import Article


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
    for task, directory in find_components(Path(model)).items():
        component = load_component(directory, device="cpu")
        if task == "ner":
            results["ner"] = ner_evaluation(component, articles, decoding, batch_size, collapse or {})
        else:
            results["events"] = event_evaluation(component, articles, batch_size)
    return results


def ner_evaluation(
    component: Component, articles: list[Article], decoding: str, batch_size: int, collapse: dict[str, str]
) -> dict:
    """seqeval (strict IOB2) scores of the tagger on the articles' gold sentences."""
    units = sentence_units(articles)
    encoded = encode_articles(component, articles, units)
    probs = merge_token_probs(encoded, component.logits(encoded.features, batch_size))
    gold = [spans_to_bio(u.spans, articles[u.article_index].entities) for u in units]
    predicted = decode_tags(probs, component.labels, decoding, component.prior)
    return ner_scores(_collapsed(gold, collapse), _collapsed(predicted, collapse))


def _collapsed(sequences: list[list[str]], collapse: dict[str, str]) -> list[list[str]]:
    """Tags with their entity type renamed (``B-GPE`` -> ``B-LOC`` for ``{"GPE": "LOC"}``).

    >>> _collapsed([["B-GPE", "I-GPE", "O"]], {"GPE": "LOC"})
    [['B-LOC', 'I-LOC', 'O']]
    """
    if not collapse:
        return sequences
    return [[t[:2] + collapse.get(t[2:], t[2:]) if t != "O" else t for t in tags] for tags in sequences]


def event_evaluation(component: Component, articles: list[Article], batch_size: int) -> dict:
    """Sentence event-set scores (multi-label) or accuracy/macro-F1 (single-label documents)."""
    units = sentence_units(articles) if component.multi_label else document_units(articles)
    probs = component.class_probs(encode_articles(component, articles, units), batch_size)
    labels = component.labels
    if component.multi_label:
        gold = [set(s.events) for a in articles for s in a.sentences]
        predicted = [{labels[j] for j, p in enumerate(row) if p >= component.threshold} for row in probs]
        return multilabel_scores(gold, predicted, labels)
    return single_label_scores([a.label for a in articles], [labels[int(row.argmax())] for row in probs], labels)


def encode_articles(component: Component, articles: list[Article], units: list) -> Encoded:
    """The component's model features for these units of these articles."""
    texts = [a.text for a in articles]
    return encode_units(component.tokenizer, texts, units, component.max_length, component.stride, component.preprocess)
