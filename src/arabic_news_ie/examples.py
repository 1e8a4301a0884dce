"""Model examples from articles: units (sentences or documents), windows, labels, and the merge back.

A *unit* is the word sequence the model labels as a whole: a sentence for NER and events, a document
for single-label classification. Units longer than the window are split into overlapping windows; the
predictions of the windows are merged back per word (NER) or per unit (classification).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .corpus import spans_to_bio
from .encoding import Window, best_window, encode_windows, model_forms, token_labels, word_spans, word_token_ids
from .schema import Article


@dataclass(frozen=True)
class Unit:
    """Words of one sentence or document: spans into ``text`` of article ``article_index``."""

    article_index: int
    start: int
    end: int
    spans: list[tuple[int, int]]


@dataclass
class Encoded:
    """Windows of every unit flattened into model features, with the way back to units."""

    features: list[dict] = field(default_factory=list)
    windows: list[list[Window]] = field(default_factory=list)  # per unit
    owner: list[tuple[int, int]] = field(default_factory=list)  # per feature: (unit, window number)


def sentence_units(articles: list[Article]) -> list[Unit]:
    """One unit per annotated sentence."""
    return [
        Unit(i, s.start, s.end, word_spans(a.text, s.start, s.end)) for i, a in enumerate(articles) for s in a.sentences
    ]


def document_units(articles: list[Article]) -> list[Unit]:
    """One unit per article (single-label document classification)."""
    return [Unit(i, 0, len(a.text), word_spans(a.text)) for i, a in enumerate(articles)]


def encode_units(
    tokenizer, texts: list[str], units: list[Unit], max_length: int, stride: int, preprocess=None
) -> Encoded:
    """Tokenise every unit's words and cut them into windows of at most ``max_length`` tokens."""
    encoded = Encoded()
    forms = [model_forms(texts[unit.article_index], unit.spans, preprocess) for unit in units]
    # one tokenizer call for all words of all units: per-call overhead dominates on short sentences
    flat_ids = word_token_ids(tokenizer, [form for unit_forms in forms for form in unit_forms], max_length - 2)
    offset = 0
    for unit_index, unit_forms in enumerate(forms):
        ids_per_word = flat_ids[offset : offset + len(unit_forms)]
        offset += len(unit_forms)
        windows = encode_windows(tokenizer, ids_per_word, max_length, stride)
        encoded.windows.append(windows)
        for window_index, window in enumerate(windows):
            encoded.features.append({"input_ids": window.input_ids, "length": len(window.input_ids)})
            encoded.owner.append((unit_index, window_index))
    return encoded


def add_ner_labels(encoded: Encoded, articles: list[Article], units: list[Unit], label2id: dict[str, int]) -> None:
    """Attach first-sub-word IOB2 label ids to every NER feature."""
    word_labels = [
        [label2id[tag] for tag in spans_to_bio(unit.spans, articles[unit.article_index].entities)] for unit in units
    ]
    for feature, (unit_index, window_index) in zip(encoded.features, encoded.owner):
        feature["labels"] = token_labels(encoded.windows[unit_index][window_index], word_labels[unit_index])


def add_class_labels(encoded: Encoded, targets: list, num_labels: int, multi_label: bool) -> None:
    """Attach a multi-hot float vector (multi-label) or a class id (single-label) to every feature."""
    for feature, (unit_index, _) in zip(encoded.features, encoded.owner):
        target = targets[unit_index]
        if multi_label:
            vector = [0.0] * num_labels
            for label_id in target:
                vector[label_id] = 1.0
            feature["labels"] = vector
        else:
            feature["labels"] = target


def merge_token_probs(encoded: Encoded, logits: list[np.ndarray]) -> list[np.ndarray]:
    """Per unit, (words, labels) probabilities, each word taken from the window where it is most central.

    ``logits[f]`` is feature f's (seq, labels) logits (padding beyond its length is ignored).
    """
    first_token = [_first_tokens(w) for w in encoded.windows]
    feature_of = {owner: f for f, owner in enumerate(encoded.owner)}
    merged = []
    for unit_index, windows in enumerate(encoded.windows):
        n_words = windows[-1].word_end
        if n_words == 0:
            merged.append(np.zeros((0, logits[0].shape[-1]) if logits else (0, 0)))
            continue
        if len(windows) == 1:  # the common case: one window holds the whole unit
            positions = [first_token[unit_index][0][w] for w in range(n_words)]
            merged.append(_softmax(logits[feature_of[(unit_index, 0)]][positions]))
            continue
        rows = []
        for word_index in range(n_words):
            window_index = best_window(windows, word_index)
            token_index = first_token[unit_index][window_index][word_index]
            rows.append(logits[feature_of[(unit_index, window_index)]][token_index])
        merged.append(_softmax(np.stack(rows)))
    return merged


def _first_tokens(windows: list[Window]) -> list[dict[int, int]]:
    firsts = []
    for window in windows:
        positions: dict[int, int] = {}
        for token_index, word_index in enumerate(window.word_ids):
            if word_index is not None and word_index not in positions:
                positions[word_index] = token_index
        firsts.append(positions)
    return firsts


def merge_class_probs(encoded: Encoded, logits: np.ndarray, multi_label: bool) -> np.ndarray:
    """Per unit, label probabilities: the max over windows (multi-label) or softmax of mean logits."""
    n_units = len(encoded.windows)
    merged = np.zeros((n_units, logits.shape[-1]))
    if multi_label:
        probs = 1.0 / (1.0 + np.exp(-logits))
        for (unit_index, _), row in zip(encoded.owner, probs):
            merged[unit_index] = np.maximum(merged[unit_index], row)
        return merged
    counts = np.zeros(n_units)
    for (unit_index, _), row in zip(encoded.owner, logits):
        merged[unit_index] += row
        counts[unit_index] += 1
    return _softmax(merged / np.maximum(counts, 1)[:, None])


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)
