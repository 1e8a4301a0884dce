"""The one predict path: units of words -> windows -> logits -> merged probabilities -> tags or event types.

:class:`Tagger` (NER) and :class:`EventClassifier` wrap a model, its tokenizer and its
:class:`~arabic_news_ie.inference.model_files.InferenceSettings`. Training-time evaluation, ``evaluate``, the
:class:`~arabic_news_ie.inference.pipeline.Pipeline` and the benchmarks all call them, so a window rule, the tag
prior or the event threshold is applied the same way everywhere.

During training the Trainer's evaluation loop supplies the logits; ``word_probs``/``unit_probs`` take
them through the same merge (``logits=``) as predicted ones.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import numpy as np

from ..data.corpus import bio_to_spans
from ..data.windows import Encoded, Unit, Window, best_window, encode_units, word_spans
from ..models.quantization import save_calibration
from ..results import Entity, Events
from .decoding import WEIGHTS, TagPrior, decode
from .model_files import (
    InferenceSettings,
    ModelLoadError,
    calibration_of,
    load_model,
    quantize_for_cpu,
    save_model,
    write_settings,
)
from .shared_encoder import encoder_digest

THRESHOLDS = tuple(step / 100 for step in range(5, 96, 5))  # event thresholds tried on dev


class Component:
    """A model with its tokenizer and settings: encodes units and runs them in batches."""

    def __init__(self, model, tokenizer, settings: InferenceSettings, device: str | None = None):
        from ..models.tokenizers import word_preprocessor

        self.model = model
        self.tokenizer = tokenizer
        self.settings = settings
        self.device = device or str(next(model.parameters()).device)
        self.labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        arabert = settings.base_model if settings.arabert_preprocess else None
        self.preprocess = word_preprocessor(tokenizer, arabert, settings.split_clitics)

    def with_settings(self, **changes) -> Component:
        """The same model under changed tuned settings (the tag prior, the event threshold); the
        preprocessing chosen at construction is kept."""
        other = copy.copy(self)
        other.settings = dataclasses.replace(self.settings, **changes)
        return other

    calibration: dict | None = None  # int8: max |input| per channel of each Linear layer (quantization.py)

    def save(self, path: Path) -> None:
        """``save_pretrained`` model and tokenizer with this component's settings (tuned values included)."""
        write_settings(self.model, self.settings)
        save_model(self.model, self.tokenizer, path)
        if self.calibration:
            save_calibration(self.calibration, Path(path))

    def encode(self, texts: list[str], units: list[Unit]) -> Encoded:
        """The units' windows as model features (``encoding.encode_units`` with this model's settings)."""
        s = self.settings
        return encode_units(self.tokenizer, texts, units, s.max_length, s.stride, self.preprocess, s.input_prefix)

    def logits(self, features: list[dict], batch_size: int) -> list[np.ndarray]:
        """Per feature, its logits: (seq, labels) for NER, (labels,) for classification.

        Features are run longest first in batches padded to their own longest (dynamic padding).
        """
        return self.run(
            features, batch_size, lambda ids, mask: (self.model(input_ids=ids, attention_mask=mask).logits,)
        )[0]

    def run(self, features: list[dict], batch_size: int, forward, outputs: int = 1) -> list[list[np.ndarray]]:
        """``forward(ids, mask)`` -> ``outputs`` tensors per batch; per output, one array per feature (token
        outputs cut to the feature's length), in the features' order."""
        import torch

        order = sorted(range(len(features)), key=lambda i: -len(features[i]["input_ids"]))
        out: list[list] = [[None] * len(features) for _ in range(outputs)]
        with torch.inference_mode():
            for begin in range(0, len(order), batch_size):
                batch = order[begin : begin + batch_size]
                ids, mask = self._padded([features[i]["input_ids"] for i in batch])
                results = forward(ids.to(self.device), mask.to(self.device))
                for k, tensor in enumerate(results):
                    array = tensor.float().cpu().numpy()  # note: a device->host sync point, once per batch
                    for row, i in enumerate(batch):
                        out[k][i] = array[row, : len(features[i]["input_ids"])] if array.ndim == 3 else array[row]
        return out

    @property
    def encoder_digest(self) -> str | None:
        """sha256 of the encoder's weights, taken at load time before any quantisation (None when unknown)."""
        if getattr(self, "_digest", None) is None and not getattr(self.model, "_is_quantized_dynamic", False):
            self._digest = encoder_digest(self.model)
        return getattr(self, "_digest", None)

    def _padded(self, sequences: list[list[int]]) -> tuple:
        import torch

        width = max(len(seq) for seq in sequences)
        ids = torch.full((len(sequences), width), self.tokenizer.pad_token_id or 0, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, seq in enumerate(sequences):
            ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        return ids, mask  # (batch, seq) each


class Tagger(Component):
    """The NER tagger: per-word label probabilities, decoded into valid IOB2 tags and entities."""

    @property
    def prior(self) -> TagPrior | None:
        return self.settings.iob_prior

    def word_probs(self, encoded: Encoded, batch_size: int = 64, logits=None) -> list[np.ndarray]:
        """Per unit, (words, labels) probabilities, each word read from the window where it is most central."""
        return merge_token_probs(encoded, self.logits(encoded.features, batch_size) if logits is None else logits)

    def predict_probs(self, texts: list[str], units: list[Unit], batch_size: int = 64) -> list[np.ndarray]:
        """Encode the units, run them and merge their windows: per unit, (words, labels) probabilities."""
        return self.word_probs(self.encode(texts, units), batch_size)

    def tags(self, probs: list[np.ndarray], decoding: str = "viterbi") -> list[list[str]]:
        """Tag strings per unit (``decoding.decode`` with this tagger's prior)."""
        return [[self.labels[i] for i in decode(p, self.labels, decoding, self.prior)] for p in probs]

    def tune_prior(self, probs: list[np.ndarray], gold: list[list[str]], prior: TagPrior) -> Tagger:
        """This tagger with ``prior`` at the weight that gives the best F1 against ``gold`` (smallest on ties)."""
        from ..metrics import ner_scores

        best, best_f1 = self.with_settings(iob_prior=prior.with_weight(0.0)), -1.0
        for weight in WEIGHTS:
            candidate = self.with_settings(iob_prior=prior.with_weight(weight))
            f1 = ner_scores(gold, candidate.tags(probs, "viterbi"))["f1"]
            if f1 > best_f1 + 1e-12:
                best, best_f1 = candidate, f1
        return best  # type: ignore[return-value]

    def entities(
        self, texts: list[str], units: list[Unit], batch_size: int = 32, decoding: str = "viterbi", probs=None
    ) -> list[list[Entity]]:
        """Per unit, the entities found in it, with offsets into its text and mean word-label scores
        (``probs``: the units' word probabilities when already computed)."""
        found = []
        probs = self.predict_probs(texts, units, batch_size) if probs is None else probs
        for unit, word_probs in zip(units, probs):
            best = decode(word_probs, self.labels, decoding, self.prior)
            text, tags = texts[unit.article_index], [self.labels[j] for j in best]
            entities = []
            for span in bio_to_spans(unit.spans, tags):
                inside = [k for k, (s, e) in enumerate(unit.spans) if s >= span.start and e <= span.end]
                score = float(np.mean([word_probs[k, best[k]] for k in inside]))
                entities.append(Entity(text[span.start : span.end], span.label, span.start, span.end, score))
            found.append(entities)
        return found


class EventClassifier(Component):
    """Event types per sentence (multi-label, thresholded) or one class per document (single-label)."""

    @property
    def multi_label(self) -> bool:
        return self.settings.multi_label

    @property
    def threshold(self) -> float:
        return self.settings.event_threshold

    def unit_probs(self, encoded: Encoded, batch_size: int = 64, logits=None) -> np.ndarray:
        """(units, labels) probabilities, the windows of a unit merged."""
        if logits is None:
            logits = self.logits(encoded.features, batch_size)
        stacked = np.stack(logits) if len(logits) else np.zeros((0, len(self.labels)))
        return merge_class_probs(encoded, stacked, self.multi_label)

    def predict_probs(self, texts: list[str], units: list[Unit], batch_size: int = 64) -> np.ndarray:
        """Encode the units, run them and merge their windows: (units, labels) probabilities."""
        return self.unit_probs(self.encode(texts, units), batch_size)

    def decide(self, probs: np.ndarray) -> list:
        """Per unit: the set of types at or over the threshold (multi-label), else the best class."""
        if self.multi_label:
            return [{label for label, p in zip(self.labels, row) if p >= self.threshold} for row in probs]
        return [self.labels[int(row.argmax())] for row in probs]

    def ranked(self, probs: np.ndarray) -> list[Events]:
        """Per unit, ``(type, probability)`` best first: those over the threshold, or every class."""
        ranked = []
        for row in probs:
            order = np.argsort(-row, kind="stable")
            keep = [j for j in order if not self.multi_label or row[j] >= self.threshold]
            ranked.append(tuple((self.labels[j], round(float(row[j]), 4)) for j in keep))
        return ranked

    def tune_threshold(self, probs: np.ndarray, gold: list[set[str]]) -> EventClassifier:
        """This classifier at the threshold in [0.05, 0.95] with the best micro-F1 (ties: nearest 0.5)."""
        from ..metrics import multilabel_scores

        best = (-1.0, 0.0, 0.5)
        for threshold in THRESHOLDS:
            predicted = self.with_settings(event_threshold=threshold).decide(probs)
            f1 = multilabel_scores(gold, predicted, self.labels)["micro_f1"]
            best = max(best, (f1, -abs(threshold - 0.5), threshold))
        return self.with_settings(event_threshold=best[2])  # type: ignore[return-value]

    def document_events(self, text: str, batch_size: int = 32) -> Events:
        """A document classifier's classes for a whole text, best first."""
        unit = Unit(0, 0, len(text), word_spans(text))
        return self.ranked(self.predict_probs([text], [unit], batch_size))[0]


def load(directory: str | Path, device: str | None = None, quantize: bool = False) -> Tagger | EventClassifier:
    """The Tagger or EventClassifier saved in one model directory (``device`` None: CUDA when available)."""
    import torch

    directory = Path(directory)
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    model, tokenizer, settings = load_model(directory, device)
    if settings.task not in ("ner", "events"):
        raise ModelLoadError(f"{directory}: unknown task {settings.task!r} in config.json")
    digest = encoder_digest(model) if quantize else None  # before quantising (else computed when asked)
    calibration = calibration_of(directory)  # read once: for int8 now, and kept for save()
    if quantize:
        model = quantize_for_cpu(model, directory, device, calibration)
    component = (Tagger if settings.task == "ner" else EventClassifier)(model, tokenizer, settings, device)
    component._digest, component.calibration = digest, calibration
    return component


# ---------------------------------------------------------------- merging windows


def merge_token_probs(encoded: Encoded, logits: list[np.ndarray]) -> list[np.ndarray]:
    """Per unit, (words, labels) probabilities, each word taken from the window where it is most central.

    ``logits[f]`` is feature f's (seq, labels) logits (padding beyond its length is ignored).
    """
    feature_of = {owner: f for f, owner in enumerate(encoded.owner)}
    merged = []
    for unit_index, windows in enumerate(encoded.windows):
        first_token = [_first_tokens(w) for w in windows]
        rows = []
        for word_index in range(windows[-1].word_end):
            window_index = 0 if len(windows) == 1 else best_window(windows, word_index)
            feature = logits[feature_of[(unit_index, window_index)]]
            rows.append(feature[first_token[window_index][word_index]])
        width = logits[0].shape[-1] if len(logits) else 0
        merged.append(_softmax(np.stack(rows)) if rows else np.zeros((0, width)))
    return merged


def _first_tokens(window: Window) -> dict[int, int]:
    """word_index -> token_index of the word's first sub-word in the window."""
    positions: dict[int, int] = {}
    for token_index, word_index in enumerate(window.word_ids):
        if word_index is not None and word_index not in positions:
            positions[word_index] = token_index
    return positions


def merge_class_probs(encoded: Encoded, logits: np.ndarray, multi_label: bool) -> np.ndarray:
    """Per unit, label probabilities: the max over windows (multi-label) or softmax of mean logits."""
    n_units = len(encoded.windows)
    merged = np.zeros((n_units, logits.shape[-1]))
    if multi_label:
        probs = 1.0 / (1.0 + np.exp(-logits))
        for (unit_index, _), row in zip(encoded.owner, probs):
            merged[unit_index] = np.maximum(merged[unit_index], row)
        return merged
    counts = np.zeros(n_units)
    for (unit_index, _), row in zip(encoded.owner, logits):
        merged[unit_index] += row
        counts[unit_index] += 1
    return _softmax(merged / np.maximum(counts, 1)[:, None])


def _softmax(x: np.ndarray) -> np.ndarray:
    z = np.exp(x - x.max(axis=-1, keepdims=True))
    return z / z.sum(axis=-1, keepdims=True)
