"""From text to model input: units of words, per-word sub-word ids, overlapping windows, aligned labels.

A *unit* is the word sequence the model labels as a whole: a sentence for NER and events, a document
for single-label classification. Words are cut from the original text (``text.words``) and normalised
one by one for the model, so a word's character span in the caller's string never moves. Units longer
than a window are cut into overlapping windows of at most ``max_length`` sub-word tokens; no word is
ever dropped (``predictor.py`` merges the windows' predictions back).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..text import normalize_word, words
from .corpus import spans_to_bio
from .schema import Article

_SURROGATE_RE = re.compile("[\ud800-\udfff]")  # lone surrogates can't be encoded for the tokenizer
MAX_WORD_CHARS = 64  # a longer "word" (a URL, a 1 MB run of letters) is shortened for the model only


@dataclass(frozen=True)
class Window:
    """A slice ``[word_start, word_end)`` of a word sequence, encoded with [CLS] ... [SEP]."""

    word_start: int
    word_end: int
    input_ids: list[int]
    word_ids: list[int | None]  # (seq,) word index of each token, None for specials


def word_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Word spans of ``text[start:end]`` as offsets into ``text``."""
    end = len(text) if end is None else end
    return [(start + s, start + e) for s, e in words(text[start:end])]


def model_forms(text: str, spans: list[tuple[int, int]], preprocess: Callable[[str], str] | None = None) -> list[str]:
    """The string the model sees for each word: normalised, optionally preprocessed, length-capped."""
    forms = []
    for start, end in spans:
        form = _SURROGATE_RE.sub("\ufffd", normalize_word(text[start:end])[:MAX_WORD_CHARS])
        if preprocess is not None:
            form = preprocess(form).strip() or form
        forms.append(form)
    return forms


def word_token_ids(tokenizer, forms: list[str], budget: int) -> list[list[int]]:
    """Sub-word ids per word (no specials), each capped at ``budget`` tokens; empty words get [UNK]."""
    if not forms:
        return []
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:  # the Rust tokenizer directly: the Python wrapper costs ~20 µs per word
        encoded = [e.ids for e in backend.encode_batch(forms, add_special_tokens=False)]
    else:
        encoded = tokenizer(forms, add_special_tokens=False)["input_ids"]
    return [ids[:budget] or [tokenizer.unk_token_id] for ids in encoded]


def plan_windows(token_counts: list[int], max_tokens: int, stride: int) -> list[tuple[int, int]]:
    """Word ranges whose token counts fit ``max_tokens``; consecutive ranges overlap by ~``stride`` tokens.

    >>> plan_windows([1] * 10, max_tokens=4, stride=2)
    [(0, 4), (2, 6), (4, 8), (6, 10)]
    >>> plan_windows([], 4, 2)
    [(0, 0)]
    """
    n = len(token_counts)
    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end, used = start, 0
        while end < n and (used + token_counts[end] <= max_tokens or end == start):
            used += token_counts[end]
            end += 1
        windows.append((start, end))
        if end >= n:
            return windows
        next_start, overlap = end, 0
        while next_start - 1 > start and overlap + token_counts[next_start - 1] <= stride:
            next_start -= 1
            overlap += token_counts[next_start]
        start = next_start


def encode_windows(
    tokenizer, ids_per_word: list[list[int]], max_length: int, stride: int, prefix_ids: tuple[int, ...] = ()
) -> list[Window]:
    """Windows of [CLS] + prefix + sub-words + [SEP] covering every word at least once.

    ``prefix_ids`` (e.g. e5's ``"query: "``) open every window and belong to no word, so they change
    neither word indices nor character offsets; they take their share of the window's budget.
    """
    budget = max_length - 2 - len(prefix_ids)
    counts = [len(ids) for ids in ids_per_word]
    windows = []
    for word_start, word_end in plan_windows(counts, budget, stride):
        input_ids, word_ids = [tokenizer.cls_token_id, *prefix_ids], [None] * (1 + len(prefix_ids))
        for index in range(word_start, word_end):
            input_ids.extend(ids_per_word[index])
            word_ids.extend([index] * len(ids_per_word[index]))
        input_ids.append(tokenizer.sep_token_id)
        word_ids.append(None)
        windows.append(Window(word_start, word_end, input_ids, word_ids))
    return windows


def token_labels(window: Window, word_labels: list[int]) -> list[int]:
    """Label the first sub-word of each word; -100 for the rest and for specials (ignored by the loss)."""
    labels, previous = [], None
    for word_index in window.word_ids:
        labels.append(-100 if word_index is None or word_index == previous else word_labels[word_index])
        previous = word_index
    return labels


def best_window(windows: list[Window], word_index: int) -> int:
    """The window in which a word has the most context on both sides (used to merge predictions)."""

    def margin(w: Window) -> int:
        return min(word_index - w.word_start, w.word_end - 1 - word_index)

    candidates = [i for i, w in enumerate(windows) if w.word_start <= word_index < w.word_end]
    return max(candidates, key=lambda i: margin(windows[i]))


@dataclass(frozen=True)
class Unit:
    """Words of one sentence or document: spans into ``text`` of article ``article_index``."""

    article_index: int
    start: int
    end: int
    spans: list[tuple[int, int]]


@dataclass
class Encoded:
    """Windows of every unit flattened into model features, with the way back to units."""

    features: list[dict] = field(default_factory=list)
    windows: list[list[Window]] = field(default_factory=list)  # per unit
    owner: list[tuple[int, int]] = field(default_factory=list)  # per feature: (unit, window number)


def sentence_units(articles: list[Article]) -> list[Unit]:
    """One unit per annotated sentence."""
    return [
        Unit(i, s.start, s.end, word_spans(a.text, s.start, s.end)) for i, a in enumerate(articles) for s in a.sentences
    ]


def document_units(articles: list[Article]) -> list[Unit]:
    """One unit per article (single-label document classification)."""
    return [Unit(i, 0, len(a.text), word_spans(a.text)) for i, a in enumerate(articles)]


def prefix_token_ids(tokenizer, prefix: str) -> tuple[int, ...]:
    """The sub-word ids of an input prefix, tokenised word by word like the text it precedes."""
    return tuple(i for ids in word_token_ids(tokenizer, prefix.split(), 64) for i in ids) if prefix.strip() else ()


def encode_units(
    tokenizer, texts: list[str], units: list[Unit], max_length: int, stride: int, preprocess=None, prefix: str = ""
) -> Encoded:
    """Tokenise every unit's words and cut them into windows of at most ``max_length`` tokens, each
    opening with ``prefix``'s tokens after [CLS] (e5's ``"query: "``; none by default)."""
    encoded = Encoded()
    prefix_ids = prefix_token_ids(tokenizer, prefix)
    if len(prefix_ids) > (max_length - 2) // 2:
        raise ValueError(f"input prefix {prefix!r} takes {len(prefix_ids)} of the window's {max_length} tokens")
    forms = [model_forms(texts[unit.article_index], unit.spans, preprocess) for unit in units]
    # one tokenizer call for all words of all units: per-call overhead dominates on short sentences
    budget = max_length - 2 - len(prefix_ids)
    flat_ids = word_token_ids(tokenizer, [form for unit_forms in forms for form in unit_forms], budget)
    offset = 0
    for unit_index, unit_forms in enumerate(forms):
        ids_per_word = flat_ids[offset : offset + len(unit_forms)]
        offset += len(unit_forms)
        windows = encode_windows(tokenizer, ids_per_word, max_length, stride, prefix_ids)
        encoded.windows.append(windows)
        for window_index, window in enumerate(windows):
            encoded.features.append({"input_ids": window.input_ids, "length": len(window.input_ids)})
            encoded.owner.append((unit_index, window_index))
    return encoded


def add_ner_labels(encoded: Encoded, articles: list[Article], units: list[Unit], label2id: dict[str, int]) -> None:
    """Attach first-sub-word IOB2 label ids to every NER feature."""
    word_labels = [
        [label2id[tag] for tag in spans_to_bio(unit.spans, articles[unit.article_index].entities)] for unit in units
    ]
    for feature, (unit_index, window_index) in zip(encoded.features, encoded.owner):
        feature["labels"] = token_labels(encoded.windows[unit_index][window_index], word_labels[unit_index])


def add_class_labels(encoded: Encoded, targets: list, num_labels: int, multi_label: bool) -> None:
    """Attach a multi-hot float vector (multi-label) or a class id (single-label) to every feature."""
    for feature, (unit_index, _) in zip(encoded.features, encoded.owner):
        target = targets[unit_index]
        if multi_label:
            vector = [0.0] * num_labels
            for label_id in target:
                vector[label_id] = 1.0
            feature["labels"] = vector
        else:
            feature["labels"] = target
