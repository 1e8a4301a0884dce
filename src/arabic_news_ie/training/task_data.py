"""The training data of each task: every split encoded into labelled windows, with its gold answers.

NER labels each word's first sub-word with its IOB2 tag (train also gets its augmented copies and the
``data.extra`` sources, whose set-valued labels become partial-label targets). Events label each
sentence with its multi-hot event types, or each document with its class (single-label data).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import Config
from ..data.gold import gold_events, gold_tags
from ..data.schema import Article
from ..data.splits import PARTIAL, DataError, bio_labels, class_labels, entity_labels, load_extra
from ..data.windows import Encoded, add_class_labels, add_ner_labels, document_units, encode_units, sentence_units
from ..inference.decoding import TagPrior, estimate_prior


@dataclass
class TaskData:
    """Everything a task needs: encoded splits and the gold answers to score them against."""

    labels: list[str]
    encoded: dict[str, Encoded]
    gold: dict[str, list]
    multi_label: bool = True
    prior: TagPrior | None = None  # NER: tag-bigram log-probabilities of the (unaugmented) train split
    label_sets: np.ndarray | None = None  # NER with partial labels: (targets, labels) allowed tags per target

    def train_frequencies(self) -> list[float]:
        """Each label's share of the train units: sentences with the event type, or documents of the class."""
        gold = self.gold["train"]
        if self.multi_label:
            return [sum(label in unit for unit in gold) / max(len(gold), 1) for label in self.labels]
        return [sum(label == unit for unit in gold) / max(len(gold), 1) for label in self.labels]


def ner_data(cfg: Config, splits: dict[str, list[Article]], tokenizer, preprocess, prefix: str = "") -> TaskData:
    """Encode every split's sentences into windows labelled with IOB2 tag ids (``prefix``: see ``encode_units``)."""
    from ..data.augment import augmented

    labels = bio_labels(entity_labels(cfg.data, splits["train"]))
    label2id = {l: i for i, l in enumerate(labels)}
    extra = load_extra(cfg.data, cfg.training.seed)
    partial, label_sets = partial_targets(extra, labels)
    encoded, gold = {}, {}
    prior = estimate_prior(gold_tags(splits["train"], sentence_units(splits["train"])), labels)
    for name, articles in splits.items():
        if name == "train":
            articles = articles + augmented(articles, cfg.ner, cfg.training.seed) + extra
        units = sentence_units(articles)
        enc = encode_units(
            tokenizer, [a.text for a in articles], units, cfg.model.max_length, cfg.model.stride, preprocess, prefix
        )
        _check_labels(articles, set(label2id) | set(partial), name)
        add_ner_labels(enc, articles, units, {**label2id, **partial})
        encoded[name] = enc
        gold[name] = gold_tags(articles, units)
    return TaskData(labels, encoded, gold, prior=prior, label_sets=label_sets)


def partial_targets(articles: list[Article], labels: list[str]) -> tuple[dict[str, int], np.ndarray | None]:
    """Target ids for set-valued tags ("B-GPE|LOC" -> len(labels) + k) and the (targets, labels) boolean
    table of the tags each target allows (identity rows first); None when every tag is a single label.

    >>> from arabic_news_ie.data.schema import Span
    >>> labels = ["O", "B-GPE", "I-GPE", "B-LOC", "I-LOC"]
    >>> ids, sets = partial_targets([Article("a", "x", (Span(0, 1, "GPE|LOC"),))], labels)
    >>> ids, sets[ids["B-GPE|LOC"]].nonzero()[0].tolist()
    ({'B-GPE|LOC': 5, 'I-GPE|LOC': 6}, [1, 3])
    """
    sets = sorted({e.label for a in articles for e in a.entities if PARTIAL in e.label})
    if not sets:
        return {}, None
    ids, rows = {}, [np.eye(len(labels), dtype=bool)]
    for label_set in sets:
        for prefix in ("B", "I"):
            members = [f"{prefix}-{member}" for member in label_set.split(PARTIAL)]
            unknown = [m for m in members if m not in labels]
            if unknown:
                raise DataError(f"data.extra: label {unknown[0][2:]!r} (in {label_set}) is not among {labels[1::2]}")
            ids[f"{prefix}-{label_set}"] = len(labels) + len(ids)
            rows.append(np.array([[label in members for label in labels]]))
    return ids, np.concatenate(rows)


def _check_labels(articles: list[Article], known: set[str], split: str) -> None:
    for article in articles:
        for entity in article.entities:
            if f"B-{entity.label}" not in known:
                raise DataError(f"{article.id}: entity label {entity.label!r} in {split} is not among {sorted(known)}")


def event_data(cfg: Config, splits: dict[str, list[Article]], tokenizer, preprocess) -> TaskData:
    """Encode sentences (multi-label events) or documents (single-label classes) into windows."""
    labels, multi_label = class_labels(cfg.data, splits["train"])
    if cfg.events.problem_type != "auto":
        multi_label = cfg.events.problem_type == "multi_label"
    label2id = {l: i for i, l in enumerate(labels)}
    encoded, gold = {}, {}
    for name, articles in splits.items():
        units = sentence_units(articles) if multi_label else document_units(articles)
        texts = [a.text for a in articles]
        m = cfg.model
        enc = encode_units(tokenizer, texts, units, m.max_length, m.stride, preprocess, cfg.events.input_prefix)
        if multi_label:
            gold[name] = gold_events(articles)
            add_class_labels(enc, [[label2id[t] for t in ts if t in label2id] for ts in gold[name]], len(labels), True)
        else:
            _check_classes(articles, label2id, name)
            add_class_labels(enc, [label2id[a.label] for a in articles], len(labels), False)
            gold[name] = [a.label for a in articles]
        encoded[name] = enc
    return TaskData(labels, encoded, gold, multi_label)


def _check_classes(articles: list[Article], label2id: dict[str, int], split: str) -> None:
    for article in articles:
        if article.label not in label2id:
            raise DataError(f"{article.id}: class {article.label!r} in {split} is not among {sorted(label2id)}")
