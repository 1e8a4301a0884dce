"""Select the ant-news articles we annotate: seeded, stratified over outlet and section, split assigned.

    python data/real/select_articles.py ../shared/corpora/ant-news/articles.jsonl > data/real/selection.tsv
    python data/real/select_articles.py --vendor ../shared/corpora/ant-news/articles.jsonl data/real/selection.tsv \
        > data/external/ant-news/articles.jsonl

Each outlet gets the same number of articles, spread evenly over its sections; within a section the
articles are drawn at random (seed 2026) among those of 80-700 words, so that an article is long enough
to hold names and short enough to annotate whole. Splits are drawn per outlet: 13 test, 7 dev, the rest train; records with identical text share a split.

    python data/real/select_articles.py --extra 12 ../shared/corpora/ant-news/articles.jsonl data/real/selection.tsv \
        >> data/real/selection.tsv

adds a second draw (seed 2027), all train: 12 more articles per outlet, chosen the same way among the records not
selected yet, leaving out any whose text or title equals a selected dev or test record's.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict

SEED = 2026
EXTRA_SEED = 2027
PER_OUTLET = 42
TEST_PER_OUTLET, DEV_PER_OUTLET = 13, 7
MIN_WORDS, MAX_WORDS = 80, 700


def _by_outlet(rows: list[dict]) -> dict[str, dict[str, list[dict]]]:
    """Records of 80-700 words, by outlet and section."""
    by_outlet: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if MIN_WORDS <= len(row["text"].split()) <= MAX_WORDS:
            by_outlet[row["source"]][row["category"]].append(row)
    return by_outlet


def _round_robin(sections: dict[str, list[dict]], rng: random.Random, count: int) -> list[dict]:
    """``count`` records drawn at random, taken in turn from each section (sorted by name)."""
    names = sorted(sections)
    picked: list[dict] = []
    pools = {name: rng.sample(sorted(sections[name], key=lambda r: r["id"]), len(sections[name])) for name in names}
    while len(picked) < count:
        for name in names:
            if pools[name] and len(picked) < count:
                picked.append(pools[name].pop())
    return picked


def select(rows: list[dict]) -> list[tuple[dict, str]]:
    rng = random.Random(SEED)
    by_outlet = _by_outlet(rows)
    chosen = []
    for outlet in sorted(by_outlet):
        picked = _round_robin(by_outlet[outlet], rng, PER_OUTLET)
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


def select_extra(rows: list[dict], selection: str, per_outlet: int) -> list[tuple[dict, str]]:
    """A second draw, all train, among the records not selected yet; a record whose text or title equals a
    selected dev or test record's is left out, so that no held-out story is seen in training."""
    selected = {line.split("\t")[0]: line.split("\t")[3] for line in _rows(selection)}
    held_out = [row for row in rows if selected.get(row["id"]) in ("dev", "test")]
    texts = {row["text"].strip() for row in held_out}
    titles = {row["title"].strip() for row in held_out}
    pool = [
        r
        for r in rows
        if r["id"] not in selected and r["text"].strip() not in texts and r["title"].strip() not in titles
    ]
    rng, by_outlet = random.Random(EXTRA_SEED), _by_outlet(pool)
    return [(row, "train") for outlet in sorted(by_outlet) for row in _round_robin(by_outlet[outlet], rng, per_outlet)]


def _rows(selection: str) -> list[str]:
    return [line for line in open(selection, encoding="utf-8").read().splitlines()[1:] if line]


def _read(path: str) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def _print(chosen: list[tuple[dict, str]]) -> None:
    for row, split in chosen:
        print(f"{row['id']}\t{row['source']}\t{row['category']}\t{split}")


def main(path: str) -> None:
    print("ant_id\toutlet\tsection\tsplit")
    _print(select(_read(path)))


def vendor(path: str, selection: str) -> None:
    """Print the selected ANT records in selection order, each line copied byte for byte."""
    raw = {json.loads(line)["id"]: line for line in open(path, encoding="utf-8", newline="")}
    ids = [line.split("\t")[0] for line in _rows(selection)]
    sys.stdout.write("".join(raw[i] if raw[i].endswith("\n") else raw[i] + "\n" for i in ids))


if __name__ == "__main__":
    if sys.argv[1] == "--vendor":
        vendor(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "--extra":
        _print(select_extra(_read(sys.argv[3]), sys.argv[4], int(sys.argv[2])))
    else:
        main(sys.argv[1])
