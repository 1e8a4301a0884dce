"""The hand-annotation format (``data/src/*.ann``) and its compiler to corpus JSONL.

An article::

    === conf-001
    title: عنوان الخبر
    split: train

    قال [[فلاديمير بوتين|PER]] في [[موسكو|GPE]] ... || CONTACT
    جملة بلا حدث. || -

One sentence per line, ``|| TYPES`` or ``|| -`` at its end; a blank line starts a paragraph. Sentences
of a paragraph are joined with one space, paragraphs with a newline. A line ending ``|| NOISE`` is not
prose (boilerplate, a repeated headline): it stays in the text as a noise span, not a sentence.

A real article names its original with an ``ant_id:`` header line and takes its text, byte for byte,
from the vendored ANT file (``data/external/ant-news/articles.jsonl``). Its lines, markup stripped, must
read through that text in order (:mod:`arabic_news_ie.data.alignment`); between two lines only the original's
whitespace may be skipped::

    === ant-CN-sport-162-20180327
    title: ...
    source: ANT CNN CN-sport-162-20180327
    ant_id: CN-sport-162-20180327
    split: test
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .alignment import ANT_ARTICLES, align, ant_source, original_record, read_originals
from .corpus import Loaded
from .schema import Article, Problem, SentenceSpan, Span

_ENTITY_RE = re.compile(r"\[\[([^\[\]|]+)\|([A-Za-z_-]+)\]\]")
_HEADER_RE = re.compile(r"^([a-z_]+):\s*(.*)$")
_HEADER_KEYS = ("title", "source", "ant_id", "split")


@dataclass
class _Draft:
    id: str
    line: int
    header: dict = field(default_factory=dict)
    header_lines: dict = field(default_factory=dict)  # key -> its line number
    paragraphs: list = field(default_factory=list)  # list of list[(line_no, sentence_line)]
    in_header: bool = True

    def body(self) -> list[tuple[int, str]]:
        return [item for paragraph in self.paragraphs for item in paragraph]


def parse_sentence(line: str) -> tuple[str, list[tuple[int, int, str]], list[str] | None]:
    """Split one annotated sentence line into plain text, entity spans and event types.

    >>> parse_sentence("زار [[بوتين|PER]] [[طهران|GPE]]. || MOVEMENT")
    ('زار بوتين طهران.', [(4, 9, 'PER'), (10, 15, 'GPE')], ['MOVEMENT'])
    """
    body, sep, events = line.rpartition("||")
    if not sep:
        return _strip_markup(line) + (None,)
    event_list = [e for e in events.split() if e != "-"]
    return _strip_markup(body.strip()) + (event_list,)


def _strip_markup(body: str) -> tuple[str, list[tuple[int, int, str]]]:
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    cursor = length = 0
    for match in _ENTITY_RE.finditer(body):
        parts.append(body[cursor : match.start()])
        length += match.start() - cursor
        surface = match.group(1)
        spans.append((length, length + len(surface), match.group(2)))
        parts.append(surface)
        length += len(surface)
        cursor = match.end()
    parts.append(body[cursor:])
    return "".join(parts), spans


def read_ann(path: str | Path, originals: str | Path = ANT_ARTICLES) -> Loaded:
    """Compile one ``.ann`` file into articles; format problems name the line that has them.

    ``originals`` is the JSONL (ANT records) that articles with an ``ant_id:`` header take their text from.
    """
    path = str(path)
    drafts, problems = _read_drafts(path)
    records = read_originals(originals) if any("ant_id" in d.header for d in drafts) else {}
    articles, lines, sentence_lines = [], [], []
    for draft in drafts:
        if "ant_id" in draft.header:
            built = _build_real(path, draft, records, str(originals), problems)
        else:
            built = _build(path, draft, problems)
        if built is not None:
            articles.append(built[0])
            lines.append((path, draft.line))
            sentence_lines.append(built[1])
    return Loaded(articles, lines, problems, sentence_lines)


def _read_drafts(path: str) -> tuple[list[_Draft], list[Problem]]:
    problems: list[Problem] = []
    drafts: list[_Draft] = []
    try:
        lines = Path(path).read_text(encoding="utf-8").split("\n")
    except UnicodeDecodeError as err:
        return [], [Problem(path, 1, f"not UTF-8 ({err.reason} at byte {err.start})")]
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line.startswith("==="):
            drafts.append(_Draft(id=line[3:].strip(), line=number))
        elif not drafts:
            if line:
                problems.append(Problem(path, number, "text before the first '=== ID' line"))
        elif drafts[-1].in_header:
            _header_line(path, number, line, drafts[-1], problems)
        elif not line:
            drafts[-1].paragraphs.append([])
        else:
            if not drafts[-1].paragraphs:
                drafts[-1].paragraphs.append([])
            drafts[-1].paragraphs[-1].append((number, line))
    return drafts, problems


def _header_line(path: str, number: int, line: str, draft: _Draft, problems: list[Problem]) -> None:
    if not line:
        draft.in_header = False
        return
    match = _HEADER_RE.match(line)
    if match and match.group(1) in _HEADER_KEYS:
        draft.header[match.group(1)] = match.group(2).strip()
        draft.header_lines[match.group(1)] = number
    else:
        expected = "/".join(f"{key}:" for key in _HEADER_KEYS)
        problems.append(Problem(path, number, f"bad header line (expected {expected}): {line[:40]!r}"))


class _Body:
    """The entities, sentences (with their lines) and noise spans of an article, added line by line."""

    def __init__(self) -> None:
        self.entities: list[Span] = []
        self.sentences: list[SentenceSpan] = []
        self.sentence_lines: list[int] = []
        self.noise: list[tuple[int, int]] = []

    def add(self, number: int, start: int, parsed: tuple) -> None:
        sentence, spans, events, is_noise = parsed
        end = start + len(sentence)
        if is_noise:
            self.noise.append((start, end))
            return
        self.entities.extend(Span(start + s, start + e, label) for s, e, label in spans)
        self.sentences.append(SentenceSpan(start, end, tuple(events or ())))
        self.sentence_lines.append(number)

    def article(self, draft: _Draft, text: str, **header: str | None) -> tuple[Article, list[int]]:
        fields = {key: draft.header.get(key) for key in ("title", "source", "split")} | header
        article = Article(
            draft.id, text, tuple(self.entities), tuple(self.sentences), noise=tuple(self.noise), **fields
        )
        return article, self.sentence_lines


def _build(path: str, draft: _Draft, problems: list[Problem]) -> tuple[Article, list[int]] | None:
    if not draft.id:
        problems.append(Problem(path, draft.line, "article without an id after '==='"))
        return None
    body, text_parts = _Body(), []
    offset = 0
    paragraphs = [p for p in draft.paragraphs if p]
    for p_index, paragraph in enumerate(paragraphs):
        for s_index, (number, line) in enumerate(paragraph):
            if s_index or p_index:
                separator = " " if s_index else "\n"
                text_parts.append(separator)
                offset += 1
            parsed = _parse_line(path, number, line, problems)
            body.add(number, offset, parsed)
            text_parts.append(parsed[0])
            offset += len(parsed[0])
    return body.article(draft, "".join(text_parts))


def _build_real(
    path: str, draft: _Draft, records: dict[str, dict] | None, originals: str, problems: list[Problem]
) -> tuple[Article, list[int]] | None:
    """A real article: its text is the ANT record's, and its lines must read through it in order."""
    record = original_record(path, draft, records, originals, problems)
    body, cursor, last, aligned = _Body(), 0, draft.line, record is not None
    text = record["text"] if record else ""
    for number, line in draft.body():
        parsed = _parse_line(path, number, line, problems)
        if record is None:
            continue
        start, cursor, message = align(text, cursor, parsed[0])
        if message:
            problems.append(Problem(path, number, message))
            aligned = False
        body.add(number, start, parsed)
        last = number
    if record is not None and text[cursor:].strip():
        problems.append(Problem(path, last, f"original text left after the last line: {text[cursor:].strip()[:30]!r}"))
        aligned = False
    if not aligned:  # offsets into a text the lines do not follow would be wrong: no article
        return None
    return body.article(draft, text, title=record["title"], source=ant_source(record))


def _parse_line(path: str, number: int, line: str, problems: list[Problem]) -> tuple:
    """``(sentence, entity spans, event types, is_noise)`` of one body line; problems are recorded."""
    sentence, spans, events = parse_sentence(line)
    is_noise = events == ["NOISE"]
    if is_noise and spans:
        problems.append(Problem(path, number, "a '|| NOISE' line carries no entity markup"))
    _check_line(path, number, line, sentence, events, problems)
    return sentence, spans, events, is_noise


def _check_line(path, number, line, sentence, events, problems) -> None:
    if events is None:
        problems.append(Problem(path, number, "sentence line does not end with '|| TYPES' or '|| -'"))
    if "[[" in sentence or "]]" in sentence:
        problems.append(Problem(path, number, "unbalanced or malformed [[surface|LABEL]] markup"))
    if "|" in sentence:
        problems.append(Problem(path, number, "stray '|' in sentence (malformed markup?)"))
    if not sentence.strip():
        problems.append(Problem(path, number, "empty sentence"))


def to_ann(article: Article) -> str:
    """Write an article back in the authoring format (inverse of :func:`read_ann`)."""
    header = [f"=== {article.id}"]
    for key in _HEADER_KEYS:
        if getattr(article, key):
            header.append(f"{key}: {getattr(article, key)}")
    lines = [
        (s.start, s.end, _sentence_markup(article, s) + " || " + (" ".join(s.events) or "-")) for s in article.sentences
    ]
    lines += [(start, end, article.text[start:end] + " || NOISE") for start, end in article.noise]
    body: list[str] = []
    previous_end = None
    for start, end, line in sorted(lines):
        if previous_end is not None and "\n" in article.text[previous_end:start]:
            body.append("")
        body.append(line)
        previous_end = end
    return "\n".join(header) + "\n\n" + "\n".join(body) + "\n"


def _sentence_markup(article: Article, sentence: SentenceSpan) -> str:
    out: list[str] = []
    cursor = sentence.start
    for span in article.entities:
        if sentence.start <= span.start and span.end <= sentence.end:
            out.append(article.text[cursor : span.start])
            out.append(f"[[{article.text[span.start : span.end]}|{span.label}]]")
            cursor = span.end
    out.append(article.text[cursor : sentence.end])
    return "".join(out)
