"""Decision rules on a trained event classifier's probabilities, chosen on dev: one threshold (the default),
one threshold per type, and context smoothing (each sentence's probabilities mixed with its article's mean or
its neighbours'). No retraining; dev CV (5 folds over articles) says whether a rule generalises.

    python benchmarks/event_decisions.py --model runs/default [--real-dev-only]

Printed per rule: dev micro-F1 by 5-fold CV over dev articles (tuned on 4 folds, scored on the fifth), dev
micro-F1 tuned on all of dev, and the test / test-original micro-F1 at the rule tuned on dev.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from arabic_news_ie.inference.predictor import THRESHOLDS  # noqa: E402  (the ones training tries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--real-dev-only", action="store_true", help="dev = its real (ANT) articles only")
    args = parser.parse_args()
    classifier, splits = _load(Path(args.model))
    if args.real_dev_only:
        splits["dev"] = [a for a in splits["dev"] if (a.source or "").startswith("ANT")]
    data = {name: _probs(classifier, splits[name]) for name in ("dev", "test", "test-original")}
    labels = classifier.labels
    rules = {
        "one threshold": lambda p, g: _tune_one(p, g, labels),
        "a threshold per type": lambda p, g: _tune_per_type(p, g, labels, 0.0),
        "per type, halfway to the one threshold": lambda p, g: _tune_per_type(p, g, labels, 0.5),
    }
    print("| rule | dev CV | dev (tuned on dev) | test | test-original |\n|---|---|---|---|---|")
    for context, beta in [(None, 0.0)] + [(c, b) for c in ("article", "neighbours") for b in (0.1, 0.2, 0.3)]:
        smoothed = {name: (_smooth(p, art, beta, context), g, art) for name, (p, g, art) in data.items()}
        for name, rule in rules.items():
            if beta and name != "one threshold":
                continue
            dev_p, dev_g, dev_art = smoothed["dev"]
            threshold = rule(dev_p, dev_g)
            scores = [_f1(smoothed[s][0], smoothed[s][1], threshold, labels) for s in ("dev", "test", "test-original")]
            label = name if context is None else f"{context} context, weight {beta}, {name}"
            cv = _cross_validated(dev_p, dev_g, dev_art, rule, labels)
            print(f"| {label} | {cv:.3f} | " + " | ".join(f"{x:.3f}" for x in scores) + " |")


def _load(run: Path):
    from arabic_news_ie.config import load_config
    from arabic_news_ie.data.splits import load_splits
    from arabic_news_ie.inference.predictor import load

    return load(run / "events", "cpu"), load_splits(load_config(run / "config.yaml", written_by_run=True).data)


def _probs(classifier, articles) -> tuple:
    """(probabilities (sentences, types), gold sets, the article index of each gold sentence)."""
    from arabic_news_ie.data.gold import gold_events
    from arabic_news_ie.inference.evaluation import event_unit_probs

    articles_of = np.array([i for i, a in enumerate(articles) for _ in a.sentences])
    return event_unit_probs(classifier, articles), gold_events(articles), articles_of


def _decide(probs, thresholds, labels) -> list[set[str]]:
    thresholds = np.broadcast_to(thresholds, (probs.shape[1],))
    return [{labels[j] for j in range(probs.shape[1]) if row[j] >= thresholds[j]} for row in probs]


def _f1(probs, gold, thresholds, labels) -> float:
    from arabic_news_ie.metrics import multilabel_scores

    return multilabel_scores(gold, _decide(probs, thresholds, labels), labels)["micro_f1"]


def _tune_one(probs, gold, labels) -> float:
    return max(THRESHOLDS, key=lambda t: (_f1(probs, gold, t, labels), -abs(t - 0.5)))


def _tune_per_type(probs, gold, labels, shrink: float) -> np.ndarray:
    """Each type's threshold tuned in turn (the others held), moved ``shrink`` of the way back to the one."""
    one = _tune_one(probs, gold, labels)
    thresholds = np.full(probs.shape[1], one)
    for j in range(probs.shape[1]):
        trial = lambda t, j=j: np.where(np.arange(probs.shape[1]) == j, t, thresholds)  # noqa: E731
        best = max(THRESHOLDS, key=lambda t: (_f1(probs, gold, trial(t), labels), -abs(t - one)))
        thresholds[j] = (1 - shrink) * best + shrink * one
    return thresholds


def _smooth(probs, articles_of, beta: float, context: str | None) -> np.ndarray:
    """``(1 - beta) p + beta c``: c the article's mean probabilities, or the mean of the sentences before and after."""
    if not beta:
        return probs
    out = probs.copy()
    for article in np.unique(articles_of):
        rows = np.where(articles_of == article)[0]
        own = probs[rows]
        if context == "article":
            around = np.repeat(own.mean(0, keepdims=True), len(rows), 0)
        else:
            around = (np.vstack([own[:1], own[:-1]]) + np.vstack([own[1:], own[-1:]])) / 2
        out[rows] = (1 - beta) * own + beta * around
    return out


def _cross_validated(probs, gold, articles_of, rule, labels, folds: int = 5) -> float:
    from arabic_news_ie.metrics import multilabel_scores

    order = np.unique(articles_of)
    np.random.RandomState(0).shuffle(order)
    predicted: list = [None] * len(gold)
    for k in range(folds):
        held = np.isin(articles_of, order[k::folds])
        thresholds = rule(probs[~held], [g for g, h in zip(gold, held) if not h])
        for i, row in zip(np.where(held)[0], _decide(probs[held], thresholds, labels)):
            predicted[i] = row
    return multilabel_scores(gold, predicted, labels)["micro_f1"]


if __name__ == "__main__":
    main()
