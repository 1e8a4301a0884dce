"""Offset-safe Arabic text handling: words, normalisation, sentences, boilerplate.

Nothing here changes the caller's string. Every function returns character offsets into the
original text; normalisation is applied per word to build model input only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Letters, digits, combining marks, tatweel and joiners form words; every other visible character
# (punctuation, symbols, «») is a word of its own, like ANERcorp's tokenisation.
# Invisible format marks (bidi controls, zero-width space, BOM) inside a word belong to it; at its edges
# or on their own they belong to no word.
_WORD_CHARS = r"\w\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06ED\u0640\u200C\u200D"
_MARKS = r"\u200B\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF"
WORD_RE = re.compile(rf"[{_WORD_CHARS}](?:[{_WORD_CHARS}{_MARKS}]*[{_WORD_CHARS}])?|[^\s{_WORD_CHARS}{_MARKS}]")
# Arabic and Latin sentence ends, followed by a space (so 3.5 is not one), or a newline.
_SENTENCE_END_RE = re.compile(r"[.!?؟…]+[»\"')\]]*(?=\s)|\n")

_CHAR_MAP = {
    "\u06a9": "\u0643",  # Persian keheh ک -> Arabic kaf ك
    "\u06cc": "\u064a",  # Persian yeh ی -> Arabic yeh ي
    "\u06c0": "\u0647",  # heh with yeh above -> heh
    "\u0671": "\u0627",  # alef wasla -> alef
}
_DROP_RE = re.compile(
    "[\u0640\u064b-\u065f\u0670\u0610-\u061a\u06d6-\u06ed\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)

BOILERPLATE_PATTERNS: tuple[str, ...] = (
    "لم تشترك بعد",
    "انشئ حساب",
    "أنشئ حساب",
    "اقرأ أيضا",
    "اقرأ ايضا",
    "شارك هذا الخبر",
    "شارك الخبر",
    "تابعونا على",
    "جميع الحقوق محفوظة",
    "اشترك في النشرة",
    "النشرة البريدية",
)


def words(text: str) -> list[tuple[int, int]]:
    """Word spans ``(start, end)`` of ``text``; punctuation marks are words of their own.

    >>> [("بطهران، أمس"[s:e]) for s, e in words("بطهران، أمس")]
    ['بطهران', '،', 'أمس']
    """
    return [m.span() for m in WORD_RE.finditer(text)]


@lru_cache(maxsize=200_000)  # news repeats its words: caching makes normalisation nearly free
def normalize_word(word: str) -> str:
    """Model-side form of one word: Persian letters mapped, tatweel, diacritics and marks dropped.

    >>> normalize_word("مؤکدا")
    'مؤكدا'
    """
    word = unicodedata.normalize("NFC", word)
    word = "".join(_CHAR_MAP.get(ch, ch) for ch in word)
    normalized = _DROP_RE.sub("", word)
    return normalized or word


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans split at Arabic/Latin end punctuation and newlines, stripped of spaces.

    >>> text = "قال الوزير. وأضاف؟ نعم"
    >>> [text[s:e] for s, e in sentences(text)]
    ['قال الوزير.', 'وأضاف؟', 'نعم']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        spans.append((start, match.end()))
        start = match.end()
    spans.append((start, len(text)))
    return [s for s in (_strip(text, a, b) for a, b in spans) if s[0] < s[1]]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def line_key(line: str) -> str:
    """A comparison key for a line: normalised words only (for repeated-headline detection)."""
    return " ".join(normalize_word(line[s:e]) for s, e in words(line) if line[s:e].isalnum() or len(line[s:e]) > 1)


def is_boilerplate(line: str) -> bool:
    """True for site boilerplate such as «لم تشترك بعد».

    >>> is_boilerplate("لم تشترك بعد")
    True
    """
    key = line_key(line)
    return any(pattern in key for pattern in BOILERPLATE_PATTERNS)


def noise_lines(text: str) -> list[tuple[int, int]]:
    """Spans of lines that are boilerplate or repeat an earlier line (scraped repeated headlines)."""
    seen: set[str] = set()
    noisy: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        start, end = _strip(text, offset, offset + len(line))
        key = line_key(text[start:end])
        if start < end and (key in seen or is_boilerplate(text[start:end])):
            noisy.append((start, end))
        if key:
            seen.add(key)
        offset += len(line) + 1
    return noisy
