"""Where a tagger's entities of one type go wrong, split by mentions seen / unseen in train.

    python benchmarks/ner_errors.py --model runs/anercorp --label PERS [--split dev] [--decoding viterbi]

Each gold mention is counted once: found exactly, found with other boundaries (a predicted mention of the
same type overlaps it), found as another type, or missed. A few boundary errors are printed as examples.
The data come from the run's config.yaml, as for `python -m arabic_news_ie evaluate`.
"""

from __future__ import annotations

import argparse
import os
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from arabic_news_ie.inference.decoding import METHODS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="runs/anercorp")
    parser.add_argument("--label", default="PERS")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--decoding", default="viterbi", choices=METHODS)
    parser.add_argument("--examples", type=int, default=10)
    args = parser.parse_args()

    from arabic_news_ie.config import load_config
    from arabic_news_ie.data.corpus import bio_to_spans
    from arabic_news_ie.data.splits import load_splits
    from arabic_news_ie.data.windows import sentence_units
    from arabic_news_ie.inference.evaluation import ner_word_probs
    from arabic_news_ie.inference.predictor import load

    run = Path(args.model)
    splits = load_splits(load_config(run / "config.yaml", written_by_run=True).data)
    seen = {a.text[e.start : e.end] for a in splits["train"] for e in a.entities if e.label == args.label}
    articles = splits[args.split]
    tagger = load(run / "ner", device="cpu")
    units = sentence_units(articles)
    probs = ner_word_probs(tagger, articles)
    outcomes: Counter = Counter()
    examples = []
    for unit, tags in zip(units, tagger.tags(probs, args.decoding)):
        article = articles[unit.article_index]
        predicted = bio_to_spans(unit.spans, tags)
        for gold in (e for e in article.entities if e.label == args.label and unit.start <= e.start < unit.end):
            surface = article.text[gold.start : gold.end]
            overlapping = [p for p in predicted if p.start < gold.end and gold.start < p.end]
            same_type = [p for p in overlapping if p.label == args.label]
            if any((p.start, p.end) == (gold.start, gold.end) for p in same_type):
                outcome = "exact"
            elif same_type:
                outcome = "other boundaries"
                if len(examples) < args.examples:
                    examples.append((surface, [article.text[p.start : p.end] for p in same_type]))
            elif overlapping:
                outcome = f"as {overlapping[0].label}"
            else:
                outcome = "missed"
            outcomes["seen" if surface in seen else "unseen", outcome] += 1
    for group in ("seen", "unseen"):
        counts = {o: n for (g, o), n in sorted(outcomes.items()) if g == group}
        print(f"{args.label} {group} in train: {sum(counts.values())} mentions: {counts}")
    for surface, found in examples:
        print(f"  gold {surface!r} -> predicted {found}")


if __name__ == "__main__":
    main()
