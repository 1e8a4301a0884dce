"""ASND topic classification scored on dev.csv, all posts and with exact duplicates of train removed.

    python benchmarks/asnd_dedup.py --model runs/asnd

ASND's train and dev share cross-posted texts; the de-duplicated score is the honest one.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
ASND = ROOT.parent / "shared" / "corpora" / "asnd"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="runs/asnd")
    args = parser.parse_args()

    from arabic_news_ie import Pipeline
    from arabic_news_ie.data.corpus import read_csv
    from arabic_news_ie.metrics import single_label_scores

    train = read_csv(ASND / "train.csv", "Content", "Class", "ID").articles
    dev = read_csv(ASND / "dev.csv", "Content", "Class", "ID").articles
    seen = {" ".join(a.text.split()) for a in train}
    nlp = Pipeline.from_pretrained(args.model, device="cpu")
    predicted = [r.events[0][0] for r in nlp([a.text for a in dev], batch_size=64)]
    labels = sorted({a.label for a in train})
    unique = [i for i, a in enumerate(dev) if " ".join(a.text.split()) not in seen]
    for name, index in (("all dev posts", range(len(dev))), ("dev without exact train duplicates", unique)):
        scores = single_label_scores([dev[i].label for i in index], [predicted[i] for i in index], labels)
        print(f"{name}: n={len(index)} accuracy {scores['accuracy']:.3f} macro-F1 {scores['macro_f1']:.3f}")


if __name__ == "__main__":
    main()
