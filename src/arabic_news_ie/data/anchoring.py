"""Exact character offsets for spans exported by annotation tools, whose offsets are only a claim.

Label Studio's and doccano's exports give ``start``/``end`` for each span; Label Studio also gives the span's
``text``, what the annotator saw. Offsets go wrong in known ways: JavaScript counts UTF-16 code units (an
emoji or any character outside the Basic Multilingual Plane counts 2), ``\\r\\n`` may count as one character,
and escaped characters shift everything after them. :func:`anchor` checks a claimed span against the text
and against its own ``text``, converts UTF-16 offsets, and otherwise re-anchors the span to the nearest exact
occurrence of its text, saying which of these it did.

>>> text = "🙂 زار بوتين طهران"
>>> anchor(text, 7, 12, "بوتين").how, anchor(text, 7, 12, "بوتين").start  # UTF-16 units: the emoji counts 2
('utf-16', 6)
>>> anchor(text, 6, 11, "بوتين").how
'exact'
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Anchored:
    """A span placed on the text: ``how`` is exact | utf-16 | trimmed | re-anchored, or ``error`` says why not."""

    start: int = 0
    end: int = 0
    how: str = "exact"
    error: str | None = None


def utf16_to_index(text: str) -> list[int]:
    """For each UTF-16 code unit offset 0..n16, the code point index it falls on (astral characters take 2).

    >>> utf16_to_index("a🙂b")
    [0, 1, 1, 2, 3]
    """
    index = []
    for i, c in enumerate(text):
        index.extend([i] * (2 if ord(c) > 0xFFFF else 1))
    index.append(len(text))
    return index


def anchor(text: str, start: object, end: object, surface: str | None) -> Anchored:
    """Place a span claimed at [start, end) whose annotator-visible text is ``surface`` (None: not given).

    With ``surface``: offsets that give it exactly are kept; else UTF-16 offsets that give it are converted;
    else the span moves to the occurrence of ``surface`` nearest ``start``. Surrounding spaces in a selection
    are trimmed. Without ``surface`` (doccano) the offsets must lie on the text.
    """
    if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
        return Anchored(error=f"offsets {start!r}, {end!r} are not integers")
    if surface is not None:
        if not surface.strip():
            return Anchored(error=f"span [{start}, {end}) has no text")
        return _with_surface(text, start, end, surface)
    if not 0 <= start < end <= len(text):
        return Anchored(error=f"span [{start}, {end}) is off the text ({len(text)} characters)")
    return _trimmed(text, start, end, "exact")


def _with_surface(text: str, start: int, end: int, surface: str) -> Anchored:
    if 0 <= start < end <= len(text) and text[start:end] == surface:
        return _trimmed(text, start, end, "exact")
    units = utf16_to_index(text)
    if 0 <= start < end < len(units):
        s, e = units[start], units[end]
        if text[s:e] == surface:
            return _trimmed(text, s, e, "utf-16")
    found = _occurrences(text, surface)
    if not found:
        shown = surface if len(surface) <= 40 else surface[:40] + "…"
        return Anchored(error=f"span text {shown!r} does not occur in the task's text")
    nearest = min(found, key=lambda s: (abs(s - start), s))
    return _trimmed(text, nearest, nearest + len(surface), "re-anchored")


def _occurrences(text: str, surface: str) -> list[int]:
    found, at = [], text.find(surface)
    while at != -1:
        found.append(at)
        at = text.find(surface, at + 1)
    return found


def _trimmed(text: str, start: int, end: int, how: str) -> Anchored:
    """The span without the spaces an annotator's selection may include at either end."""
    s, e = start, end
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if s == e:
        return Anchored(error=f"span [{start}, {end}) holds only spaces")
    return Anchored(s, e, how if (s, e) == (start, end) or how != "exact" else "trimmed")
