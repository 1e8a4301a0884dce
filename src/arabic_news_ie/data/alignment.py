"""The originals of real articles: a ``.ann`` article with an ``ant_id:`` header takes its text, byte for byte,
from the vendored ANT record of that id (``data/external/ant-news/articles.jsonl``).

This module reads those records, checks an article's header against its record, and finds where each of its
lines, markup stripped, lies in the original text; :mod:`arabic_news_ie.data.authoring` compiles the article.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from .schema import Problem

if TYPE_CHECKING:
    from .authoring import _Draft

ANT_ARTICLES = Path("data/external/ant-news/articles.jsonl")  # the vendored originals, from the project root


def read_originals(path: str | Path) -> dict[str, dict] | None:
    """ANT records by id, or None when the file cannot be read."""
    try:
        with open(path, encoding="utf-8") as handle:
            return {record["id"]: record for record in map(json.loads, handle)}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def original_record(
    path: str, draft: _Draft, records: dict[str, dict] | None, originals: str, problems: list[Problem]
) -> dict | None:
    """The ANT record a real article names, when it exists and the header's title and source agree with it."""
    ant_id, where = draft.header["ant_id"], draft.header_lines["ant_id"]
    if not draft.id:
        problems.append(Problem(path, draft.line, "article without an id after '==='"))
        return None
    if records is None:
        problems.append(Problem(path, where, f"cannot read the original texts {originals} (ant_id {ant_id!r})"))
        return None
    if ant_id not in records:
        problems.append(Problem(path, where, f"ant_id {ant_id!r} is not in {originals}"))
        return None
    record = records[ant_id]
    agrees = True
    for key, value in (("title", record["title"]), ("source", ant_source(record))):
        if draft.header.get(key, value) != value:
            problems.append(Problem(path, draft.header_lines[key], f"{key} differs from the ANT record's: {value!r}"))
            agrees = False
    return record if agrees else None


def ant_source(record: dict) -> str:
    return f"ANT {record['source']} {record['id']}"


def align(text: str, cursor: int, line: str) -> tuple[int, int, str | None]:
    """Where ``line`` lies in ``text`` after ``cursor`` when only whitespace may be skipped to reach it.

    Returns ``(start, next_cursor, problem)``; on a mismatch ``problem`` says where and shows both sides,
    and ``next_cursor`` is a best guess that lets the following lines align again.

    >>> align("عنوان\\n\\nزار بوتين طهران", 5, "زار بوتين")
    (7, 16, None)
    >>> align("زار بوتين طهران", 0, "زار بوتن")[2]
    "line differs from the original at its character 7: line has 'ن', original has 'ين طهران'"
    """
    start = cursor
    while start < len(text) and text[start].isspace():
        start += 1
    if text.startswith(line, start):
        return start, start + len(line), None
    later = text.find(line, start) if line else -1
    if later >= 0:
        return later, later + len(line), f"original text skipped before this line: {text[start:later][:30]!r}"
    same = 0
    while same < len(line) and start + same < len(text) and line[same] == text[start + same]:
        same += 1
    tail = line[-20:]
    resume = text.find(tail, start + same)
    message = (
        f"line differs from the original at its character {same}: line has {line[same : same + 25]!r}, "
        f"original has {text[start + same : start + same + 25]!r}"
    )
    return start, (resume + len(tail) if resume >= 0 else start + len(line)), message
