"""Agreement between two annotations of the same real (ANT) articles, and the list of their disagreements.

    python data/real/agreement.py FIRST[,FIRST...] SECOND[,SECOND...] [--list] [--tsv OUT.tsv]

FIRST and SECOND are comma-separated lists of `.ann` files in the real-news format (data/README.md, section 3.3);
only the articles present in both are compared. The figures are those of the project's agree.py: exact span + label
entity F1 (overall and per type), sentences with identical event sets and event micro-F1 over (sentence, type) pairs
on the sentences both passes split alike, and NOISE lines. `--list` also prints every disagreement: entity spans the
passes mark differently (overlapping spans form one row), aligned sentences whose event sets differ, lines only one
pass marks NOISE, and lines the passes split differently. `--tsv` writes the same list as a tab-separated file
(article, kind, snippet, first, second).
"""

from __future__ import annotations

import argparse
import collections
import json
import re

ENT = re.compile(r"\[\[([^\[\]|]+)\|([A-Za-z_-]+)\]\]")
ARTICLES = "/work/shared/corpora/ant-news/articles.jsonl"
LABELS = ("PER", "ORG", "GPE", "LOC", "MISC")


def parse(paths: list[str], rows: dict[str, str]) -> dict[str, dict]:
    """Per article: entity spans (start, end, label), event sets per prose line, NOISE lines (by offsets)."""
    arts: dict[str, dict] = {}
    for path in paths:
        aid = None
        for line in open(path, encoding="utf-8"):
            line = line.rstrip("\n")
            if line.startswith("ant_id: "):
                aid = line[8:].strip()
                text = rows[aid]
                cur = 0
                arts[aid] = {"ents": set(), "lines": {}, "noise": set(), "text": text}
                continue
            if aid is None or not line.strip() or re.match(r"^(===|[a-z_]+: )", line):
                continue
            body, _, tags = line.rpartition("||")
            body = body.strip()
            plain, spans, pos = "", [], 0
            for m in ENT.finditer(body):
                plain += body[pos : m.start()]
                s = len(plain)
                plain += m.group(1)
                spans.append((s, len(plain), m.group(2)))
                pos = m.end()
            plain += body[pos:]
            while text[cur].isspace():
                cur += 1
            assert text.startswith(plain, cur), (path, line[:50])
            for s, e, lab in spans:
                arts[aid]["ents"].add((cur + s, cur + e, lab))
            t = tags.split()
            if t == ["NOISE"]:
                arts[aid]["noise"].add((cur, cur + len(plain)))
            else:
                arts[aid]["lines"][(cur, cur + len(plain))] = set(x for x in t if x != "-")
            cur += len(plain)
    return arts


def figures(A: dict, B: dict, ids: list[str]) -> dict:
    tp = fa = fb = 0
    per: collections.Counter = collections.Counter()
    for i in ids:
        a, b = A[i]["ents"], B[i]["ents"]
        tp += len(a & b)
        fa += len(a - b)
        fb += len(b - a)
        for x in a & b:
            per[(x[2], "tp")] += 1
        for x in a - b:
            per[(x[2], "a_only")] += 1
        for x in b - a:
            per[(x[2], "b_only")] += 1
    p, r = tp / (tp + fb), tp / (tp + fa)
    out = {
        "articles": len(ids),
        "entity_f1": 2 * p * r / (p + r),
        "tp": tp,
        "only_first": fa,
        "only_second": fb,
        "per_label": {},
    }
    for lab in LABELS:
        t, x, y = per[(lab, "tp")], per[(lab, "a_only")], per[(lab, "b_only")]
        out["per_label"][lab] = (2 * t / (2 * t + x + y) if t + x + y else 1.0, t, x, y)
    same = etp = efa = efb = common = noise_same = noise_tot = 0
    for i in ids:
        la, lb = A[i]["lines"], B[i]["lines"]
        for k in set(la) & set(lb):
            common += 1
            same += la[k] == lb[k]
            etp += len(la[k] & lb[k])
            efa += len(la[k] - lb[k])
            efb += len(lb[k] - la[k])
        na, nb = A[i]["noise"], B[i]["noise"]
        noise_tot += len(na | nb)
        noise_same += len(na & nb)
    out.update(
        common_lines=common,
        identical_events=same / common,
        event_f1=2 * etp / (2 * etp + efa + efb),
        noise_both=noise_same,
        noise_either=noise_tot,
    )
    return out


def snippet(text: str, s: int, e: int, width: int = 60) -> str:
    t = text[s:e].replace("\n", " ")
    return t if len(t) <= width else t[: width - 1] + "…"


def context(text: str, s: int, e: int, width: int = 25) -> str:
    left = text[max(0, s - width) : s].split("\n")[-1]
    right = text[e : e + width].split("\n")[0]
    return f"{left}[{text[s:e]}]{right}".strip()


def show(text: str, spans: list[tuple]) -> str:
    return " + ".join(f"{text[x[0] : x[1]]}|{x[2]}" for x in spans) or "none"


def disagreements(A: dict, B: dict, ids: list[str]) -> list[tuple[str, str, str, str, str]]:
    out = []
    for i in ids:
        text = A[i]["text"]
        ea, eb = A[i]["ents"], B[i]["ents"]
        groups: list[list[tuple]] = []  # overlapping spans of either pass form one disagreement
        for x in sorted(ea ^ eb):
            if groups and x[0] < max(y[1] for y in groups[-1]):
                groups[-1].append(x)
            else:
                groups.append([x])
        for g in groups:
            s, e = min(x[0] for x in g), max(x[1] for x in g)
            out.append(
                (
                    i,
                    "entity",
                    context(text, s, e),
                    show(text, [x for x in g if x in ea]),
                    show(text, [x for x in g if x in eb]),
                )
            )
        la, lb = A[i]["lines"], B[i]["lines"]
        for k in sorted(set(la) & set(lb)):
            if la[k] != lb[k]:
                out.append(
                    (i, "events", snippet(text, *k), " ".join(sorted(la[k])) or "-", " ".join(sorted(lb[k])) or "-")
                )
        na, nb = A[i]["noise"], B[i]["noise"]
        for k in sorted(na ^ nb):
            other = lb if k in na else la
            ev = (" ".join(sorted(other[k])) or "-") if k in other else "prose (split differently)"
            out.append((i, "noise", snippet(text, *k), "NOISE" if k in na else ev, "NOISE" if k in nb else ev))
        a_keys, b_keys = set(la) | na, set(lb) | nb
        for k in sorted(a_keys - b_keys):
            out.append((i, "split", snippet(text, *k), "one line", "split differently"))
        for k in sorted(b_keys - a_keys):
            out.append((i, "split", snippet(text, *k), "split differently", "one line"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("first", help="comma-separated .ann files (the first pass)")
    ap.add_argument("second", help="comma-separated .ann files (the second pass)")
    ap.add_argument("--list", action="store_true", help="print every disagreement")
    ap.add_argument("--tsv", help="write the disagreements to this TSV file")
    ap.add_argument("--articles", default=ARTICLES, help="the ANT articles.jsonl the texts come from")
    args = ap.parse_args()
    rows = {}
    for line in open(args.articles, encoding="utf-8"):
        r = json.loads(line)
        rows[r["id"]] = r["text"]
    A, B = parse(args.first.split(","), rows), parse(args.second.split(","), rows)
    ids = sorted(set(A) & set(B))
    f = figures(A, B, ids)
    print(f"{len(ids)} articles in common")
    print(
        f"entity F1 {f['entity_f1']:.3f} (tp {f['tp']}, only first {f['only_first']}, only second {f['only_second']})"
    )
    for lab, (f1, t, x, y) in f["per_label"].items():
        print(lab, f"F1 {f1:.3f}", t, x, y)
    print(
        f"sentences aligned in both: {f['common_lines']}; identical event sets {f['identical_events']:.3f}; "
        f"event micro-F1 {f['event_f1']:.3f}"
    )
    print(f"NOISE lines: {f['noise_both']} marked by both of {f['noise_either']} marked by either")
    found = disagreements(A, B, ids)
    if args.list:
        print(f"\n{len(found)} disagreements (article | kind | snippet | first | second)")
        for r in found:
            print(" | ".join(r))
    if args.tsv:
        with open(args.tsv, "w", encoding="utf-8") as fh:
            fh.write("article\tkind\tsnippet\tfirst\tsecond\n")
            for r in found:
                fh.write("\t".join(x.replace("\t", " ") for x in r) + "\n")


if __name__ == "__main__":
    main()
