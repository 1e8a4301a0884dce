"""Evaluation metrics as pure functions (no network: seqeval is used directly, not via evaluate.load)."""

from __future__ import annotations

import numpy as np
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2


def ner_scores(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """Strict IOB2 entity-level micro P/R/F1 and per-type scores (seqeval, mode="strict").

    >>> ner_scores([["B-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])["f1"]
    1.0
    """
    report = classification_report(gold, predicted, mode="strict", scheme=IOB2, output_dict=True, zero_division=0)
    micro = report.get("micro avg", {"precision": 0.0, "recall": 0.0, "f1-score": 0.0})
    per_type = {label: _prf(values) for label, values in report.items() if not label.endswith(" avg")}
    return {
        "precision": float(micro["precision"]),
        "recall": float(micro["recall"]),
        "f1": float(micro["f1-score"]),
        "per_type": per_type,
    }


def _prf(values: dict) -> dict:
    return {
        "precision": float(values["precision"]),
        "recall": float(values["recall"]),
        "f1": float(values["f1-score"]),
        "support": int(values["support"]),
    }


def multilabel_scores(gold: list[set[str]], predicted: list[set[str]], labels: list[str]) -> dict:
    """Micro and macro P/R/F1 over label sets, with per-label scores.

    >>> multilabel_scores([{"LIFE"}, set()], [{"LIFE"}, {"LIFE"}], ["LIFE"])["micro_f1"]
    0.6666666666666666
    """
    per_type = {}
    total_tp = total_fp = total_fn = 0
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if label in g and label in p)
        fp = sum(1 for g, p in zip(gold, predicted) if label not in g and label in p)
        fn = sum(1 for g, p in zip(gold, predicted) if label in g and label not in p)
        per_type[label] = _from_counts(tp, fp, fn)
        total_tp, total_fp, total_fn = total_tp + tp, total_fp + fp, total_fn + fn
    micro = _from_counts(total_tp, total_fp, total_fn)
    return {
        "micro_precision": micro["precision"],
        "micro_recall": micro["recall"],
        "micro_f1": micro["f1"],
        "macro_f1": sum(s["f1"] for s in per_type.values()) / max(len(per_type), 1),
        "per_type": per_type,
    }


def bootstrap_micro_f1(
    gold: list[set[str]],
    predicted: list[set[str]],
    labels: list[str],
    groups: list[int],
    samples: int = 1000,
    seed: int = 0,
) -> tuple[float, float]:
    """95% percentile interval of micro-F1 when whole groups (articles) are resampled with replacement.

    Sentences of one article are not independent (one story, one annotator, one topic), so the interval
    resamples articles, not sentences. Deterministic for a given ``seed``.

    Only ``labels`` are counted, as in :func:`multilabel_scores`.

    >>> gold = [{"LIFE"}, {"LIFE"}, set(), {"MOVEMENT"}]
    >>> bootstrap_micro_f1(gold, gold, ["LIFE", "MOVEMENT"], [0, 0, 1, 2])
    (1.0, 1.0)
    """
    if not groups:
        return (0.0, 0.0)
    known = set(labels)
    _, group_index = np.unique(np.asarray(groups), return_inverse=True)  # (sentences,) in 0..n_groups-1
    counts = np.zeros((group_index.max() + 1, 3))  # per group: tp, fp, fn
    for g, p, group in zip(gold, predicted, group_index, strict=True):
        g, p = g & known, p & known
        counts[group] += (len(g & p), len(p - g), len(g - p))
    n_groups = len(counts)
    rng = np.random.default_rng(seed)
    drawn = counts[rng.integers(0, n_groups, size=(samples, n_groups))].sum(axis=1)  # (samples, 3)
    tp, fp, fn = drawn.T
    # a draw with nothing to find and nothing predicted has no F1; it is left out, not counted as 0
    f1 = np.divide(2 * tp, 2 * tp + fp + fn, out=np.full_like(tp, np.nan), where=(2 * tp + fp + fn) > 0)
    if np.isnan(f1).all():
        return (0.0, 0.0)
    low, high = np.nanpercentile(f1, [2.5, 97.5])
    return (round(float(low), 4), round(float(high), 4))


def single_label_scores(gold: list[str], predicted: list[str], labels: list[str]) -> dict:
    """Accuracy, macro-F1 and per-class scores for single-label classification.

    >>> single_label_scores(["a", "b"], ["a", "a"], ["a", "b"])["accuracy"]
    0.5
    """
    scores = multilabel_scores([{g} for g in gold], [{p} for p in predicted], labels)
    scores["accuracy"] = sum(g == p for g, p in zip(gold, predicted)) / max(len(gold), 1)
    return scores


def _from_counts(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
