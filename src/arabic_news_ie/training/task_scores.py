"""A task's scores from the Trainer's logits: on dev after each epoch, then tuned on dev and on every held-out
split at the end. The logits go through the predict path the Pipeline runs (``predictor.py``: window merge,
decoding, threshold; ``evaluation.py``: scoring), so ``evaluate`` on the saved model reproduces them.
Separate training (``training.py``) and the shared encoder (``joint.py``) both call these.
"""

from __future__ import annotations

import numpy as np

from ..data.windows import Encoded
from ..inference.evaluation import score_classifier, score_tagger
from ..inference.predictor import EventClassifier, Tagger
from ..metrics import ner_scores
from .task_data import TaskData


def ner_epoch_scores(tagger: Tagger, data: TaskData, split: str, logits, decoding: str) -> dict:
    """NER scores of one split for model selection, each epoch at its own best prior weight on dev."""
    probs = tagger.word_probs(data.encoded[split], logits=unpad(logits, data.encoded[split]))
    tuned = tagger.tune_prior(probs, data.gold[split], data.prior) if decoding == "viterbi" else tagger
    return flat(ner_scores(data.gold[split], tuned.tags(probs, decoding)))


def ner_final_scores(tagger: Tagger, data: TaskData, splits: dict, logits: dict, decoding: str) -> tuple[dict, Tagger]:
    """The tag prior's weight tuned on dev, then every scored split; returns (results, the tuned tagger)."""
    probs = {s: tagger.word_probs(data.encoded[s], logits=unpad(l, data.encoded[s])) for s, l in logits.items()}
    results: dict = {"labels": data.labels, "decoding": decoding}
    if decoding == "viterbi":
        tagger = tagger.tune_prior(probs["dev"], data.gold["dev"], data.prior)
        results["prior_weight"] = tagger.prior.weight
    else:
        tagger = tagger.with_settings(iob_prior=None)
    for split, split_probs in probs.items():
        results[split] = score_tagger(tagger, splits[split], decoding, probs=split_probs)
    return results, tagger


def event_epoch_scores(classifier: EventClassifier, data: TaskData, articles, split: str, logits) -> dict:
    """Event scores of one split for model selection.

    note: each epoch is scored at its own best dev threshold; at a fixed 0.5 an imbalanced multi-label
    head predicts nothing for the first epochs and early stopping fires.
    """
    probs = classifier.unit_probs(data.encoded[split], logits=logits)
    tuned = classifier.tune_threshold(probs, data.gold[split]) if data.multi_label else classifier
    return flat(score_classifier(tuned, articles, probs=probs))


def event_final_scores(
    classifier: EventClassifier, data: TaskData, splits: dict, logits: dict
) -> tuple[dict, EventClassifier]:
    """The threshold tuned on dev (multi-label), then every scored split; returns (results, the tuned classifier)."""
    probs = {s: classifier.unit_probs(data.encoded[s], logits=l) for s, l in logits.items()}
    if data.multi_label:
        classifier = classifier.tune_threshold(probs["dev"], data.gold["dev"])
    results: dict = {"labels": data.labels, "multi_label": data.multi_label, "threshold": classifier.threshold}
    for split, split_probs in probs.items():
        results[split] = score_classifier(classifier, splits[split], probs=split_probs)
    return results, classifier


def scored_splits(data: TaskData) -> list[str]:
    """dev, test and any other held-out split with something to score (e.g. test-original), in that order."""
    held_out = [s for s in data.encoded if s not in ("train", "dev", "test")]
    return [s for s in ("dev", "test", *held_out) if data.encoded.get(s) and data.encoded[s].features]


def unpad(logits: np.ndarray, encoded: Encoded) -> list[np.ndarray]:
    """Trainer pads token logits across batches; cut each feature back to its own length."""
    return [row[: f["length"]] for row, f in zip(logits, encoded.features)]


def flat(scores: dict) -> dict:
    return {k: v for k, v in scores.items() if isinstance(v, float)}
