"""Readers and writers for the project's JSONL, CoNLL BIO and CSV, and span<->BIO conversion.

Every reader returns ``(articles, problems)``: a bad record becomes a :class:`Problem` naming its file
and line, and reading goes on. Character offsets are the stored truth; BIO tags are derived.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..text import words
from .schema import Article, Problem, SentenceSpan, Span

TAG_RE = re.compile(r"^(O|([BI])-([A-Za-z][\w-]*))$")


@dataclass(frozen=True)
class Loaded:
    """Articles read from files, the line each starts on, and the problems met on the way."""

    articles: list[Article]
    lines: list[tuple[str, int]]
    problems: list[Problem]
    sentence_lines: list[list[int]] | None = None  # authoring files: each sentence's own line


def read_text_file(path: str | Path) -> tuple[str | None, Problem | None]:
    """Read a UTF-8 file; return a problem instead of raising when it is missing, empty or not UTF-8."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        return None, Problem(str(path), 0, f"cannot read file: {err.strerror}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        return None, Problem(str(path), line, f"not UTF-8 (invalid byte at offset {err.start})")
    if not text.strip():
        return None, Problem(str(path), 1, "file is empty")
    return text, None


# ---------------------------------------------------------------- JSONL

_FIELD_TYPES = {"id": str, "text": str, "entities": list, "sentences": list}
_OPTIONAL_TYPES = {"title": str, "source": str, "split": str, "label": str}


def read_jsonl(path: str | Path) -> Loaded:
    """Read corpus JSONL (one article per line). Malformed records become problems, not exceptions."""
    text, problem = read_text_file(path)
    if problem:
        return Loaded([], [], [problem])
    articles, lines, problems = [], [], []
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            problems.append(Problem(str(path), number, f"invalid JSON: {err.msg} (column {err.colno})"))
            continue
        article, message = article_from_dict(record)
        if message:
            problems.append(Problem(str(path), number, message))
        else:
            articles.append(article)
            lines.append((str(path), number))
    return Loaded(articles, lines, problems)


def article_from_dict(record: object) -> tuple[Article | None, str | None]:
    """Build an :class:`Article` from a JSON record, or return a one-line reason it is malformed."""
    if not isinstance(record, dict):
        return None, f"record is a {type(record).__name__}, expected an object"
    for key, kind in _FIELD_TYPES.items():
        if key not in record:
            return None, f"missing field '{key}'"
        if not isinstance(record[key], kind) or isinstance(record[key], bool):
            return None, f"field '{key}' must be {kind.__name__}, got {type(record[key]).__name__}"
    for key, kind in _OPTIONAL_TYPES.items():
        if record.get(key) is not None and not isinstance(record[key], kind):
            return None, f"field '{key}' must be {kind.__name__}, got {type(record[key]).__name__}"
    try:
        entities = tuple(_entity(e) for e in record["entities"])
        sentences = tuple(_sentence(s) for s in record["sentences"])
        noise = _noise(record.get("noise", []))
    except ValueError as err:
        return None, str(err)
    optional = {key: record.get(key) for key in _OPTIONAL_TYPES}
    return Article(record["id"], record["text"], entities, sentences, **optional, noise=noise), None


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _entity(item: object) -> Span:
    if not isinstance(item, dict) or not all(k in item for k in ("start", "end", "label")):
        raise ValueError(f"entity {item!r:.60} must be an object with start, end, label")
    if not (_is_int(item["start"]) and _is_int(item["end"]) and isinstance(item["label"], str)):
        raise ValueError(f"entity {item!r:.60}: start/end must be integers and label a string")
    return Span(item["start"], item["end"], item["label"])


def _sentence(item: object) -> SentenceSpan:
    if not isinstance(item, dict) or not all(k in item for k in ("start", "end", "events")):
        raise ValueError(f"sentence {item!r:.60} must be an object with start, end, events")
    if not (_is_int(item["start"]) and _is_int(item["end"]) and isinstance(item["events"], list)):
        raise ValueError(f"sentence {item!r:.60}: start/end must be integers and events a list")
    if not all(isinstance(e, str) for e in item["events"]):
        raise ValueError(f"sentence {item!r:.60}: events must be strings")
    return SentenceSpan(item["start"], item["end"], tuple(item["events"]))


def _noise(items: object) -> tuple[tuple[int, int], ...]:
    if not isinstance(items, list):
        raise ValueError(f"field 'noise' must be list, got {type(items).__name__}")
    for item in items:
        if not (isinstance(item, list) and len(item) == 2 and all(_is_int(v) for v in item)):
            raise ValueError(f"noise span {item!r:.60} must be a list [start, end] of two integers")
    return tuple((start, end) for start, end in items)


def write_jsonl(articles: list[Article], path: str | Path) -> None:
    """Write articles as corpus JSONL, one per line, UTF-8, Arabic unescaped."""
    with open(path, "w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article.to_dict(), ensure_ascii=False) + "\n")


# ---------------------------------------------------------------- CoNLL BIO


def read_conll(path: str | Path, label_map: dict[str, str] | None = None) -> Loaded:
    """Read CoNLL BIO (``token label`` per line, blank line between sentences) into articles.

    Each sentence becomes one article whose text is its tokens joined by spaces; tags are turned into
    character spans (an ``I-`` without a preceding ``B-`` starts an entity, as seqeval does).
    """
    text, problem = read_text_file(path)
    if problem:
        return Loaded([], [], [problem])
    articles, lines, problems = [], [], []
    tokens: list[str] = []
    tags: list[str] = []
    first = 0
    for number, line in enumerate(text.split("\n") + [""], start=1):
        fields = line.split()
        if not fields:
            if tokens:
                articles.append(_conll_article(f"{Path(path).stem}-{first}", tokens, tags, label_map))
                lines.append((str(path), first))
            tokens, tags = [], []
            continue
        if len(fields) != 2:
            problems.append(Problem(str(path), number, f"expected 'token label', got {len(fields)} fields"))
            continue
        if not TAG_RE.match(fields[1]):
            problems.append(Problem(str(path), number, f"malformed tag {fields[1]!r} (expected O, B-X or I-X)"))
            continue
        first = first if tokens else number
        tokens.append(fields[0])
        tags.append(fields[1])
    return Loaded(articles, lines, problems)


def _conll_article(article_id, tokens, tags, label_map) -> Article:
    text = " ".join(tokens)
    offsets, cursor = [], 0
    for token in tokens:
        offsets.append((cursor, cursor + len(token)))
        cursor += len(token) + 1
    spans = bio_to_spans(offsets, tags)
    if label_map:
        spans = [Span(s.start, s.end, label_map.get(s.label, s.label)) for s in spans]
    return Article(article_id, text, tuple(spans), (SentenceSpan(0, len(text), ()),))


def write_conll(articles: list[Article], path: str | Path) -> None:
    """Write articles as CoNLL BIO, one word per line (words as :func:`text.words` splits them)."""
    with open(path, "w", encoding="utf-8") as handle:
        for article in articles:
            for sentence in article.sentences or (SentenceSpan(0, len(article.text)),):
                spans = [
                    (s + sentence.start, e + sentence.start)
                    for s, e in words(article.text[sentence.start : sentence.end])
                ]
                tags = spans_to_bio(spans, article.entities)
                for (start, end), tag in zip(spans, tags):
                    handle.write(f"{article.text[start:end]} {tag}\n")
                handle.write("\n")


# ---------------------------------------------------------------- span <-> BIO


def spans_to_bio(word_spans: list[tuple[int, int]], entities: tuple[Span, ...] | list[Span]) -> list[str]:
    """IOB2 tags for words given character-level entity spans.

    >>> spans_to_bio([(0, 3), (4, 9), (10, 15)], [Span(4, 15, "PER")])
    ['O', 'B-PER', 'I-PER']
    """
    tags = ["O"] * len(word_spans)
    for entity in entities:
        inside = [i for i, (s, e) in enumerate(word_spans) if s >= entity.start and e <= entity.end]
        for rank, index in enumerate(inside):
            tags[index] = ("B-" if rank == 0 else "I-") + entity.label
    return tags


def bio_to_spans(word_spans: list[tuple[int, int]], tags: list[str]) -> list[Span]:
    """Character spans from word-level IOB tags; a stray ``I-X`` starts a new entity.

    >>> bio_to_spans([(0, 3), (4, 9), (10, 15)], ["O", "I-PER", "I-PER"])
    [Span(start=4, end=15, label='PER')]
    """
    spans: list[Span] = []
    current: list = []  # [start, end, label]
    for (start, end), tag in zip(word_spans, tags):
        prefix, _, label = tag.partition("-")
        if prefix == "I" and current and current[2] == label:
            current[1] = end
            continue
        if current:
            spans.append(Span(*current))
        current = [start, end, label] if prefix in ("B", "I") else []
    if current:
        spans.append(Span(*current))
    return spans


# ---------------------------------------------------------------- CSV (document classes)


def read_csv(path: str | Path, text_column: str, label_column: str, id_column: str | None = None) -> Loaded:
    """Read a CSV of labelled documents (fields may hold newlines) into single-label articles."""
    text, problem = read_text_file(path)
    if problem:
        return Loaded([], [], [problem])
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in (text_column, label_column, id_column) if c and c not in (reader.fieldnames or [])]
    if missing:
        return Loaded([], [], [Problem(str(path), 1, f"missing CSV column(s): {', '.join(missing)}")])
    articles, lines, problems = [], [], []
    for index, row in enumerate(reader):
        number = reader.line_num
        body, label = (row.get(text_column) or "").strip(), (row.get(label_column) or "").strip()
        if not body or not label:
            problems.append(Problem(str(path), number, "row without text or label"))
            continue
        article_id = (row.get(id_column) if id_column else None) or f"{Path(path).stem}-{index}"
        articles.append(Article(article_id, body, (), (SentenceSpan(0, len(body)),), label=label))
        lines.append((str(path), number))
    return Loaded(articles, lines, problems)
