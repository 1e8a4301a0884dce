"""Clitic-aware model input: a word's stem first, its proclitics after, when the vocabulary knows the stem.

Arabic glues conjunctions, prepositions and the article to names (بطهران، وللأمم، والسعودية). A small
vocabulary learnt from a few hundred articles knows طهران but not بطهران, so the tagger sees an unknown
word. Splitting is vocabulary-driven (a prefix is split off only when the rest is a whole-word token
and the word itself is not), so بوتين is never cut into ب + وتين. Offsets are untouched: this only
changes the string the model sees for one word.
"""

from __future__ import annotations

from collections.abc import Callable

_CONJUNCTIONS = ("و", "ف")
_PREPOSITIONS = ("ب", "ل", "ك")
_ARTICLE = "ال"


def _candidates(word: str) -> list[tuple[str, list[str]]]:
    """(stem, clitics) readings, longest clitic chain first."""
    readings: list[tuple[str, list[str]]] = []
    heads = [(word, [])]
    if word[:1] in _CONJUNCTIONS:
        heads.append((word[1:], [word[0]]))
    for rest, clitics in list(heads):
        if rest.startswith("لل") and len(rest) > 3:  # ل + ال contracts to لل: للأمم = ل + الأمم
            heads.append((_ARTICLE + rest[2:], clitics + ["ل"]))
        elif rest[:1] in _PREPOSITIONS:
            heads.append((rest[1:], clitics + [rest[0]]))
    for rest, clitics in heads:
        if rest.startswith(_ARTICLE) and len(rest) > 3:
            readings.append((rest[2:], clitics + [_ARTICLE]))
        readings.append((rest, clitics))
    return sorted((r for r in readings if r[1]), key=lambda r: len(r[0]))[::-1]


def clitic_splitter(vocab: set[str] | dict, min_stem: int = 3) -> Callable[[str], str]:
    """A per-word preprocess: ``"بطهران" -> "طهران +ب"`` when ``طهران`` is a vocabulary word.

    >>> split = clitic_splitter({"طهران", "الأمم", "بوتين"})
    >>> split("بطهران"), split("وللأمم"), split("بوتين"), split("بيروت")
    ('طهران +ب', 'الأمم +و +ل', 'بوتين', 'بيروت')
    """

    def split(word: str) -> str:
        if word in vocab or len(word) < min_stem + 1:
            return word
        for stem, clitics in _candidates(word):
            if len(stem) >= min_stem and stem in vocab:
                return " ".join([stem] + ["+" + c for c in clitics])
        return word

    return split
