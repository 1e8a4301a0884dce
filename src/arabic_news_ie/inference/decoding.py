"""Word tags from per-word label probabilities: the best *valid* IOB2 sequence (constrained Viterbi).

Per-word argmax can produce ``O I-PER`` or ``B-ORG I-LOC``: strict IOB2 scoring drops such entities and
lenient readers guess. Decoding the most probable sequence in which ``I-X`` only follows ``B-X`` or
``I-X`` repairs them with the model's own probabilities.

A tagger trained from scratch also splits unseen names (``B-PER B-PER`` for a two-word name it has never
seen) and over-predicts entities. A *tag prior* (the train split's tag-bigram log-probabilities, weighted
by a factor tuned on dev) adds what a CRF layer would learn: a sentence's tags are chosen by
``sum log p(tag_i | words) + weight * (log P(tag_1) + sum log P(tag_i | tag_i-1))``. The prior is stored
in the model's ``config.json`` (``iob_prior``), so the Pipeline decodes exactly as the metrics did.
Training and inference decode through ``predictor.Tagger``, which calls these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..config import DECODING_METHODS

_FLOOR = 1e-12
METHODS = DECODING_METHODS
WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0)  # prior weights tried on dev


@dataclass(frozen=True)
class TagPrior:
    """Log-probabilities of the first tag and of each tag given the previous one, and their weight."""

    start: np.ndarray  # (labels,)
    transitions: np.ndarray  # (previous, next)
    weight: float = 0.0

    def to_dict(self) -> dict:
        return {
            "start": [round(float(x), 6) for x in self.start],
            "transitions": [[round(float(x), 6) for x in row] for row in self.transitions],
            "weight": self.weight,
        }

    @classmethod
    def from_dict(cls, data: dict, n_labels: int) -> TagPrior:
        """The prior saved in a model config; a malformed one raises ValueError."""
        start = np.asarray(data["start"], dtype=np.float64)
        transitions = np.asarray(data["transitions"], dtype=np.float64)
        if start.shape != (n_labels,) or transitions.shape != (n_labels, n_labels):
            raise ValueError(f"iob_prior does not match the model's {n_labels} labels")
        return cls(start, transitions, float(data.get("weight", 0.0)))

    def with_weight(self, weight: float) -> TagPrior:
        return TagPrior(self.start, self.transitions, weight)


def estimate_prior(tag_sequences: list[list[str]], labels: list[str]) -> TagPrior:
    """Add-one smoothed tag-bigram log-probabilities of gold sequences (weight 0 until tuned).

    >>> prior = estimate_prior([["B-PER", "I-PER", "O"]] * 9, ["O", "B-PER", "I-PER"])
    >>> int(prior.transitions[1].argmax()), int(prior.start.argmax())
    (2, 1)
    """
    index = {label: i for i, label in enumerate(labels)}
    start = np.ones(len(labels))
    transitions = np.ones((len(labels), len(labels)))
    for tags in tag_sequences:
        ids = [index[t] for t in tags]
        if ids:
            start[ids[0]] += 1
        for previous, current in zip(ids, ids[1:]):
            transitions[previous, current] += 1
    return TagPrior(np.log(start / start.sum()), np.log(transitions / transitions.sum(1, keepdims=True)))


def allowed_transitions(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(start, transition) masks: which labels may open a sentence and which may follow which.

    >>> start, move = allowed_transitions(("O", "B-PER", "I-PER"))
    >>> start.tolist(), move[0].tolist(), move[1].tolist()
    ([True, True, False], [True, True, False], [True, True, True])
    """
    prefixes = [label.partition("-") for label in labels]
    start = np.array([prefix != "I" for prefix, _, _ in prefixes])
    move = np.ones((len(labels), len(labels)), dtype=bool)
    for j, (prefix, _, kind) in enumerate(prefixes):
        if prefix == "I":
            move[:, j] = [p in ("B", "I") and k == kind for p, _, k in prefixes]
    return start, move


@lru_cache(maxsize=32)
def _constraints(labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Additive (start, transition) scores: 0 where IOB2 allows it, -inf where it does not."""
    start, move = allowed_transitions(list(labels))
    return np.where(start, 0.0, -np.inf), np.where(move, 0.0, -np.inf)


def viterbi_tags(probs: np.ndarray, labels: list[str], prior: TagPrior | None = None) -> list[int]:
    """Label ids of the most probable IOB2-valid sequence for (words, labels) probabilities.

    >>> labels = ["O", "B-PER", "I-PER"]
    >>> viterbi_tags(np.array([[0.9, 0.05, 0.05], [0.2, 0.3, 0.5], [0.1, 0.1, 0.8]]), labels)
    [0, 1, 2]
    >>> viterbi_tags(np.zeros((0, 3)), labels)
    []
    """
    n_words = len(probs)
    if n_words == 0:
        return []
    opening, barrier = _constraints(tuple(labels))
    if prior is not None and prior.weight:
        opening = opening + prior.weight * prior.start
        barrier = barrier + prior.weight * prior.transitions
    scores = np.log(np.maximum(probs, _FLOOR))
    best = scores[0] + opening
    back = np.zeros((n_words, len(labels)), dtype=np.int64)
    columns = np.arange(len(labels))
    for i in range(1, n_words):
        candidates = best[:, None] + barrier  # (previous, current)
        back[i] = candidates.argmax(0)
        best = candidates[back[i], columns] + scores[i]
    path = [int(best.argmax())]
    for i in range(n_words - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def decode(probs: np.ndarray, labels: list[str], method: str = "viterbi", prior: TagPrior | None = None) -> list[int]:
    """Label ids per word.

    ``"viterbi"``: valid IOB2 with the tag prior when there is one (the default); ``"constrained"``: valid
    IOB2 from the word probabilities alone; ``"argmax"``: each word on its own.
    """
    if method == "argmax":
        return [int(i) for i in probs.argmax(-1)] if len(probs) else []
    if method == "viterbi":
        return viterbi_tags(probs, labels, prior)
    if method == "constrained":
        return viterbi_tags(probs, labels)
    raise ValueError(f"unknown decoding {method!r}: use one of {', '.join(METHODS)}")
