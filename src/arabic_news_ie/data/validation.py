"""Checks on annotated articles: offsets, word boundaries, overlaps, labels, sentence cover, noise, ids."""

from __future__ import annotations

from pathlib import Path

from ..text import words
from .corpus import Loaded, read_conll, read_jsonl
from .schema import SPLITS, Article, Problem, Schema, Span


def check_article(
    article: Article, schema: Schema, where: tuple[str, int], sentence_lines: list[int] | None = None
) -> list[Problem]:
    """All problems of one article, each naming its file and line.

    ``where`` is the article's (file, line); ``sentence_lines`` (authoring files) gives each sentence's
    own line so that a problem points at the sentence that has it.
    """
    path, line = where
    messages = _check_offsets(article) or (
        _check_entities(article, schema) + _check_sentences(article, schema) + _check_noise(article)
    )
    if article.split is not None and article.split not in SPLITS:
        messages.append((0, f"split {article.split!r} is not {'/'.join(SPLITS)}"))
    problems = []
    for offset, message in messages:
        number = line
        if sentence_lines:
            number = next((n for s, n in zip(article.sentences, sentence_lines) if s.start <= offset < s.end + 1), line)
        problems.append(Problem(path, number, f"[{article.id}] {message}"))
    return problems


def _check_offsets(article: Article) -> list[tuple[int, str]]:
    messages = []
    n = len(article.text)
    noise = [Span(start, end, "") for start, end in article.noise]
    for kind, spans in (("entity", article.entities), ("sentence", article.sentences), ("noise span", noise)):
        for span in spans:
            if not (0 <= span.start < span.end <= n):
                messages.append((0, f"{kind} [{span.start}, {span.end}) out of range or empty (text length {n})"))
    return messages


def _check_noise(article: Article) -> list[tuple[int, str]]:
    """Noise spans (boilerplate, repeated headlines) hold no sentence, no entity, and no other noise span."""
    messages = []
    previous_end = 0
    for start, end in sorted(article.noise):
        where = f"noise span [{start}, {end}) {article.text[start:end][:30]!r}"
        if start < previous_end:
            messages.append((start, f"{where} overlaps another noise span"))
        previous_end = max(previous_end, end)
        if any(s.start < end and start < s.end for s in article.sentences):
            messages.append((start, f"{where} overlaps a sentence"))
        if any(e.start < end and start < e.end for e in article.entities):
            messages.append((start, f"{where} holds an entity"))
    return messages


def _check_entities(article: Article, schema: Schema) -> list[tuple[int, str]]:
    messages = []
    text = article.text
    word_spans = words(text)
    starts = {s for s, _ in word_spans}
    ends = {e for _, e in word_spans}
    previous = None
    for span in sorted(article.entities, key=lambda s: (s.start, s.end)):
        surface = text[span.start : span.end]
        if span.label not in schema.entity_labels:
            messages.append((span.start, f"unknown entity label {span.label!r} on {surface!r}"))
        if span.start not in starts or span.end not in ends:
            messages.append(
                (span.start, f"entity {surface!r} [{span.start}, {span.end}) does not start and end on word boundaries")
            )
        if previous and span.start < previous.end:
            messages.append((span.start, f"entities {text[previous.start : previous.end]!r} and {surface!r} overlap"))
        previous = span
        inside = [s for s in article.sentences if s.start <= span.start < s.end]
        if inside and span.end > inside[0].end:
            messages.append((span.start, f"entity {surface!r} crosses a sentence boundary"))
    return messages


def _check_sentences(article: Article, schema: Schema) -> list[tuple[int, str]]:
    messages = []
    covered = [False] * len(article.text)
    previous_end = 0
    for sentence in article.sentences:
        if sentence.start < previous_end:
            messages.append(
                (
                    sentence.start,
                    f"sentence [{sentence.start}, {sentence.end}) overlaps the previous one or is out of order",
                )
            )
        previous_end = max(previous_end, sentence.end)
        covered[sentence.start : sentence.end] = [True] * (sentence.end - sentence.start)
        unknown = [e for e in sentence.events if e not in schema.event_types]
        if unknown:
            messages.append(
                (sentence.start, f"unknown event type(s) {', '.join(unknown)} in sentence at {sentence.start}")
            )
        if len(set(sentence.events)) != len(sentence.events):
            messages.append((sentence.start, f"repeated event type in sentence at {sentence.start}"))
    for start, end in article.noise:
        covered[start:end] = [True] * (end - start)
    if article.sentences:
        gaps = [i for i, c in enumerate(article.text) if not covered[i] and not c.isspace()]
        if gaps:
            messages.append(
                (
                    gaps[0],
                    f"sentences do not cover the text: {len(gaps)} non-space characters outside, first at {gaps[0]}",
                )
            )
    else:
        messages.append((0, "no sentences"))
    if article.label is not None and article.label not in schema.event_types:
        messages.append((0, f"unknown document label {article.label!r}"))
    return messages


def check_loaded(loaded: Loaded, schema: Schema, seen_ids: dict[str, tuple[str, int]] | None = None) -> list[Problem]:
    """Problems of the reader plus those of every article, duplicate ids across calls included."""
    seen_ids = {} if seen_ids is None else seen_ids
    problems = list(loaded.problems)
    for index, (article, where) in enumerate(zip(loaded.articles, loaded.lines)):
        sentence_lines = loaded.sentence_lines[index] if loaded.sentence_lines else None
        problems.extend(check_article(article, schema, where, sentence_lines))
        if article.id in seen_ids:
            first = seen_ids[article.id]
            problems.append(
                Problem(where[0], where[1], f"duplicate article id {article.id!r} (first at {first[0]}:{first[1]})")
            )
        else:
            seen_ids[article.id] = where
    return problems


def load_any(path: str | Path, schema: Schema | None = None) -> Loaded:
    """Read a JSONL, CoNLL or authoring (``.ann``) file by its extension."""
    from .authoring import read_ann

    suffix = Path(path).suffix.lower()
    if suffix == ".ann":
        return read_ann(path)
    if suffix in (".conll", ".bio", ".txt", ".tsv"):
        return read_conll(path)
    return read_jsonl(path)


def validate_paths(paths: list[str], schema: Schema) -> list[Problem]:
    """Validate files (directories are searched for .jsonl/.conll/.ann); problems in file order."""
    problems: list[Problem] = []
    seen: dict[str, tuple[str, int]] = {}
    for path in expand_paths(paths):
        if isinstance(path, Problem):
            problems.append(path)
            continue
        problems.extend(check_loaded(load_any(path, schema), schema, seen))
    return problems


def expand_paths(paths: list[str]) -> list[Path | Problem]:
    """Files named, and the corpus files inside directories named; a missing path is a problem.

    Inside a directory, an ``external/`` folder is skipped: it holds third-party source texts (the ANT
    records that real articles take their text from), not corpus files.
    """
    found: list[Path | Problem] = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in (".jsonl", ".conll") and "external" not in p.relative_to(path).parts
                )
            )
        elif path.exists():
            found.append(path)
        else:
            found.append(Problem(name, 0, "no such file or directory"))
    return found
