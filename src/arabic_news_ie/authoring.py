"""The hand-annotation format (``data/src/*.ann``) and its compiler to corpus JSONL.

An article::

    === conf-001
    title: عنوان الخبر
    split: train

    قال [[فلاديمير بوتين|PER]] في [[موسكو|GPE]] ... || CONTACT
    جملة بلا حدث. || -

One sentence per line, ``|| TYPES`` or ``|| -`` at its end; a blank line starts a paragraph. Sentences
of a paragraph are joined with one space, paragraphs with a newline.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .corpus import Loaded
from .schema import Article, Problem, SentenceSpan, Span

_ENTITY_RE = re.compile(r"\[\[([^\[\]|]+)\|([A-Za-z_-]+)\]\]")
_HEADER_RE = re.compile(r"^([a-z_]+):\s*(.*)$")


@dataclass
class _Draft:
    id: str
    line: int
    header: dict = field(default_factory=dict)
    paragraphs: list = field(default_factory=list)  # list of list[(line_no, sentence_line)]
    in_header: bool = True


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


def read_ann(path: str | Path) -> Loaded:
    """Compile one ``.ann`` file into articles; format problems name the line that has them."""
    path = str(path)
    drafts, problems = _read_drafts(path)
    articles, lines, sentence_lines = [], [], []
    for draft in drafts:
        article = _build(path, draft, problems)
        if article is not None:
            articles.append(article)
            lines.append((path, draft.line))
            sentence_lines.append([number for paragraph in draft.paragraphs for number, _ in paragraph])
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
    if match and match.group(1) in ("title", "source", "split"):
        draft.header[match.group(1)] = match.group(2).strip()
    else:
        problems.append(Problem(path, number, f"bad header line (expected title:/source:/split:): {line[:40]!r}"))


def _build(path: str, draft: _Draft, problems: list[Problem]) -> Article | None:
    if not draft.id:
        problems.append(Problem(path, draft.line, "article without an id after '==='"))
        return None
    text_parts: list[str] = []
    entities: list[Span] = []
    sentences: list[SentenceSpan] = []
    offset = 0
    paragraphs = [p for p in draft.paragraphs if p]
    for p_index, paragraph in enumerate(paragraphs):
        for s_index, (number, line) in enumerate(paragraph):
            if s_index or p_index:
                separator = " " if s_index else "\n"
                text_parts.append(separator)
                offset += 1
            sentence, spans, events = parse_sentence(line)
            _check_line(path, number, line, sentence, events, problems)
            entities.extend(Span(offset + s, offset + e, label) for s, e, label in spans)
            sentences.append(SentenceSpan(offset, offset + len(sentence), tuple(events or ())))
            text_parts.append(sentence)
            offset += len(sentence)
    return Article(
        id=draft.id,
        text="".join(text_parts),
        entities=tuple(entities),
        sentences=tuple(sentences),
        title=draft.header.get("title"),
        source=draft.header.get("source"),
        split=draft.header.get("split"),
    )


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
    for key in ("title", "source", "split"):
        if getattr(article, key):
            header.append(f"{key}: {getattr(article, key)}")
    body: list[str] = []
    previous_end = None
    for sentence in article.sentences:
        if previous_end is not None and "\n" in article.text[previous_end : sentence.start]:
            body.append("")
        body.append(_sentence_markup(article, sentence) + " || " + (" ".join(sentence.events) or "-"))
        previous_end = sentence.end
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
