"""Inter-annotator agreement between two annotations of the same articles (entity F1, event agreement).

Articles are matched by id and sentences by position, so the two files may differ in paragraph layout.
"""

from __future__ import annotations

from collections import Counter

from ..metrics import multilabel_scores
from .schema import EVENT_TYPES, Article


def _sentence_entities(article: Article) -> set[tuple[int, int, int, str]]:
    found = set()
    for index, sentence in enumerate(article.sentences):
        for entity in article.entities:
            if sentence.start <= entity.start < sentence.end:
                found.add((index, entity.start - sentence.start, entity.end - sentence.start, entity.label))
    return found


def agreement(first: list[Article], second: list[Article]) -> dict:
    """Entity P/R/F1 of ``second`` against ``first`` (overall and per type) and event agreement.

    >>> from .schema import SentenceSpan, Span
    >>> a = Article("x", "زار بوتين", (Span(4, 9, "PER"),), (SentenceSpan(0, 9, ("MOVEMENT",)),))
    >>> agreement([a], [a])["entities"]["f1"]
    1.0
    """
    by_id = {a.id: a for a in first}
    pairs = [(by_id[b.id], b) for b in second if b.id in by_id]
    counts: Counter = Counter()
    for a, b in pairs:
        ea, eb = _sentence_entities(a), _sentence_entities(b)
        for label in {e[3] for e in ea | eb}:
            counts[(label, "tp")] += len({e for e in ea & eb if e[3] == label})
            counts[(label, "ref")] += len({e for e in ea if e[3] == label})
            counts[(label, "hyp")] += len({e for e in eb if e[3] == label})
    labels = sorted({label for label, _ in counts})
    per_type = {label: _f1(counts[(label, "tp")], counts[(label, "ref")], counts[(label, "hyp")]) for label in labels}
    total = _f1(*(sum(counts[(l, k)] for l in labels) for k in ("tp", "ref", "hyp")))
    gold = [set(s.events) for a, b in pairs for s in a.sentences[: len(b.sentences)]]
    other = [set(s.events) for a, b in pairs for s in b.sentences[: len(a.sentences)]]
    events = multilabel_scores(gold, other, list(EVENT_TYPES))
    return {
        "articles": len(pairs),
        "sentences": len(gold),
        "entities": {**total, "per_type": per_type},
        "events": {
            "exact_set_agreement": sum(g == o for g, o in zip(gold, other)) / max(len(gold), 1),
            "micro_f1": events["micro_f1"],
            "per_type_f1": {k: round(v["f1"], 3) for k, v in events["per_type"].items()},
        },
    }


def _f1(tp: int, ref: int, hyp: int) -> dict:
    precision = tp / hyp if hyp else 0.0
    recall = tp / ref if ref else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "reference": ref,
        "second": hyp,
    }


def disagreements(first: list[Article], second: list[Article]) -> list[str]:
    """Human-readable list of differing entities and event sets, for adjudication."""
    by_id = {a.id: a for a in first}
    lines = []
    for b in second:
        a = by_id.get(b.id)
        if a is None:
            continue
        ea, eb = _sentence_entities(a), _sentence_entities(b)
        for index, (sa, sb) in enumerate(zip(a.sentences, b.sentences)):
            text = a.text[sa.start : sa.end]
            only_a = sorted(e for e in ea - eb if e[0] == index)
            only_b = sorted(e for e in eb - ea if e[0] == index)
            for tag, items in (("first only", only_a), ("second only", only_b)):
                for _, s, e, label in items:
                    lines.append(f"{a.id}#{index}\t{tag}\t{text[s:e]}\t{label}")
            if set(sa.events) != set(sb.events):
                lines.append(
                    f"{a.id}#{index}\tevents\t{' '.join(sa.events) or '-'} vs {' '.join(sb.events) or '-'}\t{text[:80]}"
                )
    return lines
