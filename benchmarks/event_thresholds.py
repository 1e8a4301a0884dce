"""One threshold for every event type (what training tunes) vs a threshold per type, on a trained run.

python benchmarks/event_thresholds.py [--model runs/default]

Per-type thresholds are tuned on dev by coordinate ascent over the same grid as the global one (two
passes, ties kept nearest the current value); both are then scored on every held-out split.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="runs/default")
    args = parser.parse_args()

    from arabic_news_ie.config import load_config
    from arabic_news_ie.data.gold import gold_events
    from arabic_news_ie.data.splits import load_splits
    from arabic_news_ie.inference.evaluation import event_unit_probs
    from arabic_news_ie.inference.predictor import THRESHOLDS, load
    from arabic_news_ie.metrics import multilabel_scores

    splits = load_splits(load_config(Path(args.model) / "config.yaml", written_by_run=True).data)
    classifier = load(Path(args.model) / "events", "cpu")
    held_out = [s for s in splits if s != "train" and splits[s]]
    probs = {s: event_unit_probs(classifier, splits[s]) for s in held_out}
    gold = {s: gold_events(splits[s]) for s in held_out}
    labels = classifier.labels

    def micro_f1(split: str, thresholds: list[float]) -> float:
        predicted = [{l for j, l in enumerate(labels) if row[j] >= thresholds[j]} for row in probs[split]]
        return multilabel_scores(gold[split], predicted, labels)["micro_f1"]

    single = [classifier.threshold] * len(labels)
    per_type = list(single)
    for _ in range(2):
        for j in range(len(labels)):
            per_type[j] = max(
                THRESHOLDS,
                key=lambda t: (micro_f1("dev", per_type[:j] + [t] + per_type[j + 1 :]), -abs(t - per_type[j])),
            )
    print(f"one threshold {classifier.threshold}: " + ", ".join(f"{s} {micro_f1(s, single):.4f}" for s in held_out))
    print(
        "per type "
        + str(dict(zip(labels, per_type)))
        + ": "
        + ", ".join(f"{s} {micro_f1(s, per_type):.4f}" for s in held_out)
    )


if __name__ == "__main__":
    main()
