"""Select the ant-news articles we annotate: seeded, stratified over outlet and section, split assigned.

    python data/real/select_articles.py ../shared/corpora/ant-news/articles.jsonl > data/real/selection.tsv
    python data/real/select_articles.py --vendor ../shared/corpora/ant-news/articles.jsonl data/real/selection.tsv \
        > data/external/ant-news/articles.jsonl

Each outlet gets the same number of articles, spread evenly over its sections; within a section the
articles are drawn at random (seed 2026) among those of 80-700 words, so that an article is long enough
to hold names and short enough to annotate whole. Splits are drawn per outlet: 13 test, 7 dev, the rest train; records with identical text share a split.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict

SEED = 2026
PER_OUTLET = 42
TEST_PER_OUTLET, DEV_PER_OUTLET = 13, 7
MIN_WORDS, MAX_WORDS = 80, 700


def select(rows: list[dict]) -> list[tuple[dict, str]]:
    rng = random.Random(SEED)
    by_outlet: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if MIN_WORDS <= len(row["text"].split()) <= MAX_WORDS:
            by_outlet[row["source"]][row["category"]].append(row)
    chosen = []
    for outlet in sorted(by_outlet):
        sections = by_outlet[outlet]
        names = sorted(sections)
        picked: list[dict] = []
        pools = {name: rng.sample(sorted(sections[name], key=lambda r: r["id"]), len(sections[name])) for name in names}
        while len(picked) < PER_OUTLET:  # round-robin over sections
            for name in names:
                if pools[name] and len(picked) < PER_OUTLET:
                    picked.append(pools[name].pop())
        splits = ["test"] * TEST_PER_OUTLET + ["dev"] * DEV_PER_OUTLET
        splits += ["train"] * (len(picked) - len(splits))
        rng.shuffle(splits)
        chosen.extend(zip(picked, splits))
    return _same_text_same_split(chosen)


def _same_text_same_split(chosen: list[tuple[dict, str]]) -> list[tuple[dict, str]]:
    """ANT holds a few records with identical text under two ids: such copies take one split (the
    most held-out one, test before dev before train), so that no test text is seen in training."""
    rank = {"test": 0, "dev": 1, "train": 2}
    best: dict[str, str] = {}
    for row, split in chosen:
        key = row["text"].strip()
        best[key] = min(best.get(key, split), split, key=rank.get)
    return [(row, best[row["text"].strip()]) for row, split in chosen]


def main(path: str) -> None:
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    print("ant_id\toutlet\tsection\tsplit")
    for row, split in select(rows):
        print(f"{row['id']}\t{row['source']}\t{row['category']}\t{split}")


def vendor(path: str, selection: str) -> None:
    """Print the selected ANT records in selection order, each line copied byte for byte."""
    raw = {json.loads(line)["id"]: line for line in open(path, encoding="utf-8", newline="")}
    ids = [line.split("\t")[0] for line in open(selection, encoding="utf-8").read().splitlines()[1:] if line]
    sys.stdout.write("".join(raw[i] if raw[i].endswith("\n") else raw[i] + "\n" for i in ids))


if __name__ == "__main__":
    if sys.argv[1] == "--vendor":
        vendor(sys.argv[2], sys.argv[3])
    else:
        main(sys.argv[1])
