"""Annotations from Label Studio and doccano exports, as our JSONL articles with exact character offsets.

``python -m arabic_news_ie import-annotations --from label-studio|doccano EXPORT -o OUT.jsonl``

- **Label Studio** (JSON export, or JSONL of tasks) of a project made with ``configs/label-studio.xml``:
  entity spans labelled PER/ORG/GPE/LOC/MISC (control ``entities``) and sentence spans labelled with their
  event types (control ``events``). An event region gives its types to every sentence it covers (most of the
  sentence) or, when it lies inside one sentence, to that sentence.
- **doccano** (JSONL): sequence labelling (``label: [[start, end, type], ...]`` or ``entities`` as lists or
  ``{start_offset, end_offset, label}``), and the intent-and-slot form whose ``cats`` are the event types of
  a one-sentence example. Each example becomes one article.

Offsets are checked by :func:`~arabic_news_ie.data.anchoring.anchor` (UTF-16 offsets converted, spans whose
offsets disagree with their text re-anchored, each counted). Rules: a cancelled annotation is ignored; of
several submitted annotations on one task the most recent (``updated_at``) is kept, and counted; a task with
none is skipped, and counted. Every other problem (a span off the text or without text, a label outside the
schema, overlapping entities, a damaged record) leaves its task out with a one-line error naming it.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..text import sentences as sentence_spans
from ..text import words
from .anchoring import anchor, utf16_to_index
from .schema import Article, Schema, SentenceSpan, Span
from .validation import check_article

TOOLS = ("label-studio", "doccano")


@dataclass
class Imported:
    """What an import produced: articles, one-line errors (each a task left out), and counts of what was fixed."""

    articles: list[Article] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def summary(self, export: str) -> str:
        """One line: imported, fixed and left out."""
        c = self.counts
        fixed = [f"{c[k]} {k}" for k in ("utf-16", "re-anchored", "trimmed") if c[k]]
        notes = [f"fixed spans: {', '.join(fixed)}"] if fixed else []
        if c["several annotations"]:
            notes.append(f"{c['several annotations']} task(s) with several annotations: the most recent kept")
        if c["not annotated"]:
            notes.append(f"{c['not annotated']} task(s) without a submitted annotation skipped")
        entities = sum(len(a.entities) for a in self.articles)
        with_events = sum(1 for a in self.articles for s in a.sentences if s.events)
        head = f"{export}: imported {len(self.articles)} article(s), {entities} entities, {with_events} sentence(s) with events"
        return "; ".join([head, *notes, f"{len(self.errors)} task(s) not imported"])


def import_annotations(
    path: str | Path, tool: str, schema: Schema | None = None, split: str | None = "train"
) -> Imported:
    """Read an export of ``tool`` ("label-studio" or "doccano"); an unreadable file is one error."""
    imported, schema = Imported(), schema or Schema()
    try:
        raw = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        imported.errors.append(f"{path}: cannot read the export ({getattr(err, 'strerror', None) or err})")
        return imported
    records = _records(raw, str(path), imported)
    for where, record in records:
        if tool == "label-studio":
            _label_studio_task(record, where, schema, split, imported)
        else:
            _doccano_example(record, where, schema, split, imported)
    return imported


def _records(raw: str, path: str, imported: Imported) -> list[tuple[str, object]]:
    """(where, record) pairs from a JSON list or JSON lines; a line that is not JSON is an error."""
    if raw.lstrip().startswith("["):
        try:
            return [(f"{path}: task #{i + 1}", r) for i, r in enumerate(json.loads(raw))]
        except json.JSONDecodeError as err:
            imported.errors.append(f"{path}:{err.lineno}: not valid JSON ({err.msg})")
            return []
    records = []
    for number, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((f"{path}:{number}", json.loads(line)))
        except json.JSONDecodeError as err:
            imported.errors.append(f"{path}:{number}: not valid JSON ({err.msg})")
    return records


def _label_studio_task(task: object, where: str, schema: Schema, split: str | None, imported: Imported) -> None:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        imported.errors.append(f"{where}: not a Label Studio task (no data object)")
        return
    where = f"{where.split(': task #')[0]}: task {task.get('id', where.rsplit('#', 1)[-1])}"
    text = task["data"].get("text")
    if not isinstance(text, str) or not text.strip():
        imported.errors.append(f"{where}: no text in data.text")
        return
    submitted = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    if not submitted:
        imported.counts["not annotated"] += 1
        return
    if len(submitted) > 1:
        imported.counts["several annotations"] += 1
    latest = max(submitted, key=lambda a: (str(a.get("updated_at") or a.get("created_at") or ""), str(a.get("id"))))
    entities, regions, problems = [], [], []
    for region in latest.get("result") or []:
        _ls_region(text, region, schema, entities, regions, problems, imported.counts)
    article_id = str(task["data"].get("id") or f"label-studio-{task.get('id')}")
    _add(article_id, text, entities, regions, problems, where, schema, split, imported, task["data"].get("title"))


def _ls_region(text, region, schema, entities, regions, problems, counts) -> None:
    """One result region: an entity span (one entity label) or an event region (event types)."""
    value = region.get("value") if isinstance(region, dict) else None
    if not isinstance(value, dict) or region.get("type") != "labels":
        kind = region.get("type") if isinstance(region, dict) else type(region).__name__
        problems.append(f"result of type {kind!r} is not a labelled text span")
        return
    labels = value.get("labels") or []
    placed = anchor(text, value.get("start"), value.get("end"), value.get("text") if "text" in value else "")
    if placed.error:
        problems.append(placed.error)
        return
    counts[placed.how] += placed.how != "exact"
    unknown = [label for label in labels if label not in schema.entity_labels + schema.event_types]
    if unknown or not labels:
        problems.append(f"label {unknown[0] if unknown else None!r} is not in the schema")
    elif all(label in schema.event_types for label in labels):
        regions.append((placed.start, placed.end, tuple(labels)))
    elif len(labels) == 1:
        entities.append(Span(placed.start, placed.end, labels[0]))
    else:
        problems.append(f"span {text[placed.start : placed.end]!r} has several labels {labels}")


def _doccano_example(record: object, where: str, schema: Schema, split: str | None, imported: Imported) -> None:
    if not isinstance(record, dict) or not isinstance(record.get("text"), str) or not record["text"].strip():
        imported.errors.append(f"{where}: not a doccano example (no text)")
        return
    text, problems, entities = record["text"], [], []
    claimed = _doccano_spans(record.get("label", record.get("entities")) or [], problems)
    for start, end, label in _doccano_units(text, claimed, imported.counts):
        placed = anchor(text, start, end, None)
        if placed.error:
            problems.append(placed.error)
        elif label not in schema.entity_labels:
            problems.append(f"label {label!r} is not in the schema")
        else:
            entities.append(Span(placed.start, placed.end, label))
    cats = record.get("cats") or []
    regions = [(0, len(text), tuple(cats))] if cats else []
    count = len(sentence_spans(text)) if cats else 0
    if count > 1:
        problems.append(f"event types {cats} on a text of {count} sentences: one example per sentence")
    unknown = [c for c in cats if c not in schema.event_types]
    if unknown:
        problems.append(f"event type {unknown[0]!r} is not in the schema")
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    article_id = str(record.get("article_id") or meta.get("article_id") or record.get("id") or where.rsplit(":", 1)[-1])
    _add(article_id, text, entities, regions, problems, where, schema, split, imported, None)


def _doccano_spans(items: object, problems: list[str]) -> list[tuple]:
    """(start, end, label) from ``[[s, e, label], ...]`` or ``[{start_offset, end_offset, label}, ...]``."""
    spans = []
    for item in items if isinstance(items, list) else [items]:
        if isinstance(item, dict):
            spans.append((item.get("start_offset"), item.get("end_offset"), item.get("label")))
        elif isinstance(item, list) and len(item) == 3:
            spans.append(tuple(item))
        elif isinstance(item, str):
            problems.append(f"label {item!r} is a document class, not a span (a text-classification project?)")
        else:
            problems.append(f"span {item!r} is not [start, end, label]")
    return spans


def _doccano_units(text: str, spans: list[tuple], counts: Counter) -> list[tuple]:
    """The spans in code points: UTF-16 offsets (from a tool that counts them) are converted when the text has
    characters outside the BMP and that reading puts more spans on word boundaries."""
    if all(ord(c) <= 0xFFFF for c in text) or not spans:
        return spans
    units = utf16_to_index(text)
    as_units = [
        (units[s], units[e], label) if _ints(s, e) and 0 <= s < e < len(units) else (s, e, label)
        for s, e, label in spans
    ]
    if _on_words(text, as_units) > _on_words(text, spans):
        counts["utf-16"] += len(spans)
        return as_units
    return spans


def _ints(*values: object) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _on_words(text: str, spans: list[tuple]) -> int:
    bounds = words(text)
    starts, ends = {s for s, _ in bounds}, {e for _, e in bounds}
    return sum(1 for s, e, _ in spans if _ints(s, e) and s in starts and e in ends)


def _add(article_id, text, entities, regions, problems, where, schema, split, imported, title) -> None:
    """Build the article (sentences, events) and keep it, or leave the task out naming its problems."""
    ordered = tuple(sorted(entities, key=lambda s: (s.start, s.end)))
    article = Article(article_id, text, ordered, _sentences(text, ordered, regions), title, None, split)
    problems += [p.message.split("] ", 1)[-1] for p in check_article(article, schema, (where, 0))]
    if problems:
        imported.errors.append(
            f"{where}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else "")
        )
        return
    imported.articles.append(article)


def _sentences(text: str, entities: tuple[Span, ...], regions: list[tuple]) -> tuple[SentenceSpan, ...]:
    """Our sentence split (joined where an entity would cross it), each with the event types of the regions
    that cover most of it or lie inside it."""
    spans: list[list[int]] = []
    for start, end in sentence_spans(text):
        if spans and any(e.start < spans[-1][1] < e.end for e in entities):
            spans[-1][1] = end  # an entity crosses the boundary: one sentence
        else:
            spans.append([start, end])
    sentences = []
    for start, end in spans:
        events: list[str] = []
        for r_start, r_end, types in regions:
            overlap = min(end, r_end) - max(start, r_start)
            inside = r_start >= start and r_end <= end
            if overlap > 0 and (inside or overlap * 2 > end - start):
                events += [t for t in types if t not in events]
        sentences.append(SentenceSpan(start, end, tuple(events)))
    return tuple(sentences)
