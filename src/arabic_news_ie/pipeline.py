"""The public predict API: a list of texts in, a list of typed results out, offsets into the input.

>>> from arabic_news_ie import Pipeline                      # doctest: +SKIP
>>> nlp = Pipeline.from_pretrained("runs/default")           # doctest: +SKIP
>>> nlp(["زار بوتين طهران أمس."])[0].entities                # doctest: +SKIP
[Entity('بوتين'/PER 4:9 0.97), Entity('طهران'/GPE 10:15 0.95)]
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from . import text as textlib
from .corpus import bio_to_spans
from .decoding import METHODS, decode
from .encoding import word_spans
from .examples import Unit, encode_units, merge_token_probs
from .loading import Component, load_component


@dataclass(frozen=True)
class Entity:
    """A named entity: ``text == input[start:end]``; ``score`` is the mean probability of its word labels."""

    text: str
    label: str
    start: int
    end: int
    score: float

    def __repr__(self) -> str:
        return f"Entity({self.text!r}/{self.label} {self.start}:{self.end} {self.score:.2f})"


@dataclass(frozen=True)
class Sentence:
    """A sentence span with the probability of each event type over the threshold."""

    start: int
    end: int
    events: dict[str, float] = field(default_factory=dict)
    skipped: bool = False  # boilerplate or repeated headline: not analysed

    def __repr__(self) -> str:
        events = ", ".join(f"{k} {v:.2f}" for k, v in self.events.items())
        return f"Sentence({self.start}:{self.end}{' skipped' if self.skipped else ''} {{{events}}})"


@dataclass(frozen=True)
class Result:
    """Everything found in one article."""

    text: str
    entities: list[Entity]
    sentences: list[Sentence]
    events: list[tuple[str, float]]  # article-level event types, best first

    def to_dict(self) -> dict:
        """JSON-ready: entities, sentences and events (the input text is not repeated)."""
        return {
            "entities": [asdict(e) for e in self.entities],
            "sentences": [asdict(s) for s in self.sentences],
            "events": [[label, score] for label, score in self.events],
        }

    def _repr_html_(self) -> str:
        """Notebooks show a result as right-to-left HTML with highlighted entities."""
        from .render import STYLE, legend, render_article

        return f"<style>{STYLE}</style>{legend(sorted({e.label for e in self.entities}))}{render_article(self)}"

    def __repr__(self) -> str:
        head = self.text[:40].replace("\n", " ")
        entities = ", ".join(f"{e.text!r}/{e.label}" for e in self.entities[:8])
        more = f", … {len(self.entities) - 8} more" if len(self.entities) > 8 else ""
        events = ", ".join(label for label, _ in self.events)
        return f'Result: "{head}…" → [{entities}{more}] events [{events}]'


class Pipeline:
    """Named entities and event types for Arabic news articles.

    Either component may be absent (a run trained with ``--task ner`` has no event classifier).
    """

    def __init__(
        self,
        ner: Component | None = None,
        events: Component | None = None,
        skip_noise: bool = True,
        decoding: str = "viterbi",
    ):
        if ner is None and events is None:
            raise ValueError("a Pipeline needs at least one of the ner and events models")
        if decoding not in METHODS:
            raise ValueError(f"unknown decoding {decoding!r}: use one of {', '.join(METHODS)}")
        self.ner = ner
        self.events = events
        self.skip_noise = skip_noise
        self.decoding = decoding

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        device: str | None = None,
        quantize: bool = False,
        skip_noise: bool = True,
        decoding: str = "viterbi",
    ) -> Pipeline:
        """Load ``path/ner`` and/or ``path/events`` (or a single model directory).

        ``device``: None picks CUDA when available; ``quantize``: dynamic int8 Linear layers (CPU only);
        ``decoding``: "viterbi" (best valid IOB2 sequence under the tag prior tuned in training),
        "constrained" (valid IOB2, no prior) or "argmax" (each word on its own).
        """
        from .loading import ModelLoadError, find_components

        parts = find_components(Path(path))
        loaded = {task: load_component(directory, device, quantize) for task, directory in parts.items()}
        if not loaded:
            raise ModelLoadError(f"{path}: no model found (expected ner/ or events/ with config.json)")
        return cls(loaded.get("ner"), loaded.get("events"), skip_noise=skip_noise, decoding=decoding)

    def save_pretrained(self, path: str | Path) -> None:
        """Write ``path/ner`` and ``path/events`` so that :meth:`from_pretrained` reloads this pipeline."""
        for name, component in (("ner", self.ner), ("events", self.events)):
            if component is not None:
                component.save(Path(path) / name)

    def __call__(self, texts: list[str], batch_size: int = 32) -> list[Result]:
        """Analyse each text; always a list in and a list of :class:`Result` out, in order."""
        if isinstance(texts, str):
            raise TypeError("Pipeline expects a list of texts; wrap a single text as [text]")
        results = []
        chunk = max(1, batch_size * 4)  # bounds memory on long inputs: a few batches of articles at a time
        for begin in range(0, len(texts), chunk):
            results.extend(self._analyse(list(texts[begin : begin + chunk]), batch_size))
        return results

    # ------------------------------------------------------------ internals

    def _analyse(self, texts: list[str], batch_size: int) -> list[Result]:
        texts = [_clean(t) for t in texts]
        sentence_spans = [self._sentences(t) for t in texts]
        entities: list[list[Entity]] = [[] for _ in texts]
        scored: dict[tuple[int, int], dict[str, float]] = {}
        # Sentences are encoded and run a bounded number at a time, so memory follows the batch size,
        # not the length of the longest article.
        pending = ((i, s) for i, spans in enumerate(sentence_spans) for s in spans if not s.skipped)
        while chunk := list(islice(pending, batch_size * 16)):
            units = [Unit(i, s.start, s.end, word_spans(texts[i], s.start, s.end)) for i, s in chunk]
            if self.ner:
                for i, found in self._entities(texts, units, batch_size):
                    entities[i].extend(found)
            if self.events:
                scored.update(self._sentence_events(texts, units, batch_size))
        results = []
        for i, text in enumerate(texts):
            sentences = [Sentence(s.start, s.end, scored.get((i, s.start), {}), s.skipped) for s in sentence_spans[i]]
            results.append(Result(text, entities[i], sentences, self._article_events(sentences, texts[i], batch_size)))
        return results

    def _sentences(self, text: str) -> list[Sentence]:
        noisy = textlib.noise_lines(text) if self.skip_noise else []
        spans = []
        for start, end in textlib.sentences(text):
            skipped = any(a <= start and end <= b for a, b in noisy)
            spans.append(Sentence(start, end, {}, skipped))
        return spans

    def _entities(self, texts: list[str], units: list[Unit], batch_size: int) -> list[tuple[int, list[Entity]]]:
        """Per unit: (article index, entities found in it)."""
        encoded = encode_units(
            self.ner.tokenizer, texts, units, self.ner.max_length, self.ner.stride, self.ner.preprocess
        )
        logits = self.ner.logits(encoded.features, batch_size)
        found: list[tuple[int, list[Entity]]] = []
        id2label = self.ner.labels
        for unit, probs in zip(units, merge_token_probs(encoded, logits)):
            if not len(probs):
                continue
            best = decode(probs, id2label, self.decoding, self.ner.prior)
            tags = [id2label[j] for j in best]
            text = texts[unit.article_index]
            entities = []
            for span in bio_to_spans(unit.spans, tags):
                inside = [k for k, (s, e) in enumerate(unit.spans) if s >= span.start and e <= span.end]
                score = float(np.mean([probs[k, best[k]] for k in inside]))
                entities.append(Entity(text[span.start : span.end], span.label, span.start, span.end, score))
            found.append((unit.article_index, entities))
        return found

    def _sentence_events(
        self, texts: list[str], units: list[Unit], batch_size: int
    ) -> dict[tuple[int, int], dict[str, float]]:
        if not self.events.multi_label:
            return {}
        probs = self._class_probs(texts, units, batch_size)
        threshold = self.events.threshold
        return {
            (unit.article_index, unit.start): {
                label: round(float(p), 4)
                for label, p in sorted(zip(self.events.labels, row), key=lambda x: -x[1])
                if p >= threshold
            }
            for unit, row in zip(units, probs)
        }

    def _class_probs(self, texts: list[str], units: list[Unit], batch_size: int) -> np.ndarray:
        c = self.events
        encoded = encode_units(c.tokenizer, texts, units, c.max_length, c.stride, c.preprocess)
        return c.class_probs(encoded, batch_size)

    def _article_events(self, sentences: list[Sentence], text: str, batch_size: int) -> list[tuple[str, float]]:
        if self.events is None:
            return []
        if not self.events.multi_label:  # a document classifier: rank classes for the whole text
            probs = self._class_probs([text], [Unit(0, 0, len(text), word_spans(text))], batch_size)[0]
            return sorted(((l, round(float(p), 4)) for l, p in zip(self.events.labels, probs)), key=lambda x: -x[1])
        best: dict[str, float] = {}
        for sentence in sentences:
            for label, p in sentence.events.items():
                best[label] = max(best.get(label, 0.0), p)
        return sorted(best.items(), key=lambda x: -x[1])


def _clean(text: object) -> str:
    """Inputs must be strings, returned unchanged (model-side cleaning is per word, in ``encoding``)."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return text
