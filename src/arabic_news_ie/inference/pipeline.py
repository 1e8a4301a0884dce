"""The public predict API: a list of texts in, a list of typed results out, offsets into the input.

Usage (a trained run directory; ``results.py`` has examples that run without one)::

    from arabic_news_ie import Pipeline
    nlp = Pipeline.from_pretrained("runs/default")
    nlp(["زار بوتين طهران أمس."])[0].entities   # (Entity('بوتين'/PER 4:9 0.97), Entity('طهران'/GPE 10:15 0.95))
"""

from __future__ import annotations

from dataclasses import replace
from itertools import islice
from pathlib import Path

from .. import text as textlib
from ..data.windows import Unit, word_spans
from ..models.quantization import RECHECK_MARGIN, exact_layers, is_quantized
from ..results import Entity, Events, Result, Sentence
from .decoding import METHODS
from .predictor import EventClassifier, Tagger, load
from .shared_encoder import shared_logits, shares_encoder


class Pipeline:
    """Named entities and event types for Arabic news articles.

    Either component may be absent (a run trained with ``--task ner`` has no event classifier).
    """

    def __init__(
        self,
        ner: Tagger | None = None,
        events: EventClassifier | None = None,
        skip_noise: bool = True,
        decoding: str = "viterbi",
        recheck_margin: float = RECHECK_MARGIN,
    ):
        if ner is None and events is None:
            raise ValueError("a Pipeline needs at least one of the ner and events models")
        if decoding not in METHODS:
            raise ValueError(f"unknown decoding {decoding!r}: use one of {', '.join(METHODS)}")
        self.ner = ner
        self.events = events
        self.skip_noise = skip_noise
        self.decoding = decoding
        self.recheck_margin = recheck_margin
        # one encoder pass for both tasks when both hold the same encoder (a model.shared_encoder run)
        self.shared_encoder = shares_encoder(ner, events)
        if self.shared_encoder:  # keep one copy of it in memory: the event model now uses the NER model's
            setattr(events.model, events.model.base_model_prefix, ner.model.base_model)

    @classmethod
    def from_pretrained(
        cls,
        path: str | Path,
        device: str | None = None,
        quantize: bool = False,
        skip_noise: bool = True,
        decoding: str = "viterbi",
        recheck_margin: float = RECHECK_MARGIN,
    ) -> Pipeline:
        """Load ``path/ner`` and/or ``path/events`` (or a single model directory).

        ``device``: None picks CUDA when available; ``quantize``: int8 Linear layers (CPU only; ``quantization.py``),
        a sentence with an event probability within ``recheck_margin`` (0.05) of the threshold run again in fp32;
        ``decoding``: "viterbi" (best valid IOB2 sequence under the tag prior tuned in training),
        "constrained" (valid IOB2, no prior) or "argmax" (each word on its own).
        """
        from .model_files import ModelLoadError, find_components

        parts = find_components(Path(path))
        loaded = {task: load(directory, device, quantize) for task, directory in parts.items()}
        if not loaded:
            raise ModelLoadError(f"{path}: no model found (expected ner/ or events/ with config.json)")
        return cls(loaded.get("ner"), loaded.get("events"), skip_noise, decoding, recheck_margin)

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

    def results_and_probs(self, texts: list[str], batch_size: int = 32) -> tuple[list[Result], list[dict]]:
        """Like calling the pipeline, plus per article ``{sentence start: (word probabilities (words, tags) or
        None, event probabilities (types,) or None)}`` of its analysed sentences (``selection.py`` ranks by them)."""
        probs: list[dict] = [{} for _ in texts]
        return self._analyse([_clean(t) for t in texts], batch_size, probs), probs

    def unit_probs(self, texts: list[str], units: list[Unit], batch_size: int = 32) -> tuple:
        """(word probabilities, event probabilities) of given units (gold sentences, for scoring) as the
        pipeline computes them: one encoder pass when shared, and the int8 recheck."""
        return self._all_probs(texts, units, batch_size, *self._rechecked(texts, units, batch_size))

    # ------------------------------------------------------------ internals

    def _analyse(self, texts: list[str], batch_size: int, probs_out: list[dict] | None = None) -> list[Result]:
        texts = [_clean(t) for t in texts]
        sentence_spans = [self._sentences(t) for t in texts]
        entities: list[list[Entity]] = [[] for _ in texts]
        scored: dict[tuple[int, int], Events] = {}
        # Sentences are encoded and run a bounded number at a time, so memory follows the batch size,
        # not the length of the longest article.
        pending = ((i, s) for i, spans in enumerate(sentence_spans) for s in spans if not s.skipped)
        while chunk := list(islice(pending, batch_size * 16)):
            units = [Unit(i, s.start, s.end, word_spans(texts[i], s.start, s.end)) for i, s in chunk]
            word_probs, event_probs = self._rechecked(texts, units, batch_size)
            if probs_out is not None:
                word_probs, event_probs = self._all_probs(texts, units, batch_size, word_probs, event_probs)
                for k, unit in enumerate(units):
                    probs_out[unit.article_index][unit.start] = (
                        word_probs[k] if word_probs is not None else None,
                        event_probs[k] if event_probs is not None else None,
                    )
            if self.ner:
                for unit, found in zip(units, self.ner.entities(texts, units, batch_size, self.decoding, word_probs)):
                    entities[unit.article_index].extend(found)
            if self.events and self.events.multi_label:
                probs = self.events.predict_probs(texts, units, batch_size) if event_probs is None else event_probs
                scored.update(zip(((u.article_index, u.start) for u in units), self.events.ranked(probs)))
        results = []
        for i, text in enumerate(texts):
            sentences = tuple(replace(s, events=scored.get((i, s.start), ())) for s in sentence_spans[i])
            results.append(
                Result(text, tuple(entities[i]), sentences, self._article_events(sentences, text, batch_size))
            )
        return results

    def _probs(self, texts: list[str], units: list[Unit], batch_size: int) -> tuple:
        """(word probabilities, event probabilities) of the units from one encoder pass when the encoder is
        shared; (None, None) otherwise (each component then runs its own)."""
        if not self.shared_encoder:
            return None, None
        encoded = self.ner.encode(texts, units)
        token_logits, event_logits = shared_logits(self.ner, self.events, encoded.features, batch_size)
        return self.ner.word_probs(encoded, logits=token_logits), self.events.unit_probs(encoded, logits=event_logits)

    def _rechecked(self, texts: list[str], units: list[Unit], batch_size: int) -> tuple:
        """:meth:`_probs`, and with int8 the units with an event probability within ``recheck_margin`` of the
        threshold get the probabilities (words and events) of the same model in fp32, so int8 decides only
        where it is clear."""
        word_probs, event_probs = self._probs(texts, units, batch_size)
        if not (self.recheck_margin and self.events and self.events.multi_label and is_quantized(self.events.model)):
            return word_probs, event_probs
        word_probs, event_probs = self._all_probs(texts, units, batch_size, word_probs, event_probs)
        near = [
            k for k, row in enumerate(event_probs) if (abs(row - self.events.threshold) < self.recheck_margin).any()
        ]
        if near:
            subset = [units[k] for k in near]
            with exact_layers(self.ner and self.ner.model, self.events.model):
                exact = self._all_probs(texts, subset, batch_size, *self._probs(texts, subset, batch_size))
            for j, k in enumerate(near):
                if word_probs is not None:
                    word_probs[k] = exact[0][j]
                event_probs[k] = exact[1][j]
        return word_probs, event_probs

    def _all_probs(self, texts, units, batch_size, word_probs, event_probs) -> tuple:
        """Both components' probabilities of the units, computing those the shared pass did not give."""
        if self.ner and word_probs is None:
            word_probs = self.ner.predict_probs(texts, units, batch_size)
        if self.events and self.events.multi_label and event_probs is None:
            event_probs = self.events.predict_probs(texts, units, batch_size)
        return word_probs, event_probs

    def _sentences(self, text: str) -> list[Sentence]:
        noisy = textlib.noise_lines(text) if self.skip_noise else []
        spans = []
        for start, end in textlib.sentences(text):
            skipped = any(a <= start and end <= b for a, b in noisy)
            spans.append(Sentence(text[start:end], start, end, (), skipped))
        return spans

    def _article_events(self, sentences: tuple[Sentence, ...], text: str, batch_size: int) -> Events:
        """Each event type at its best sentence score; a document classifier ranks classes for the text."""
        if self.events is None:
            return ()
        if not self.events.multi_label:
            return self.events.document_events(text, batch_size)
        best: dict[str, float] = {}
        for sentence in sentences:
            for label, p in sentence.events:
                best[label] = max(best.get(label, 0.0), p)
        return tuple(sorted(best.items(), key=lambda x: -x[1]))


def _clean(text: object) -> str:
    """Inputs must be strings, returned unchanged (model-side cleaning is per word, in ``encoding``)."""
    if not isinstance(text, str):
        raise TypeError(f"expected str, got {type(text).__name__}")
    return text
