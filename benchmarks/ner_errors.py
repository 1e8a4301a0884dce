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

from arabic_news_ie.decoding import METHODS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="runs/anercorp")
    parser.add_argument("--label", default="PERS")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--decoding", default="viterbi", choices=METHODS)
    parser.add_argument("--examples", type=int, default=10)
    args = parser.parse_args()

    from arabic_news_ie.config import load_config
    from arabic_news_ie.corpus import bio_to_spans
    from arabic_news_ie.data import load_splits
    from arabic_news_ie.decoding import decode_tags
    from arabic_news_ie.evaluation import encode_articles
    from arabic_news_ie.examples import merge_token_probs, sentence_units
    from arabic_news_ie.loading import load_component

    run = Path(args.model)
    splits = load_splits(load_config(run / "config.yaml").data)
    seen = {a.text[e.start : e.end] for a in splits["train"] for e in a.entities if e.label == args.label}
    articles = splits[args.split]
    tagger = load_component(run / "ner", device="cpu")
    units = sentence_units(articles)
    encoded = encode_articles(tagger, articles, units)
    probs = merge_token_probs(encoded, tagger.logits(encoded.features, 64))
    outcomes: Counter = Counter()
    examples = []
    for unit, tags in zip(units, decode_tags(probs, tagger.labels, args.decoding, tagger.prior)):
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
