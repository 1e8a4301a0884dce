"""Word tags from per-word label probabilities: the best *valid* IOB2 sequence (constrained Viterbi).

Per-word argmax can produce ``O I-PER`` or ``B-ORG I-LOC``: strict IOB2 scoring drops such entities and
lenient readers guess. Decoding the most probable sequence in which ``I-X`` only follows ``B-X`` or
``I-X`` repairs them with the model's own probabilities, at no training cost. Training and inference
use this same function, so the scores reported are those of what users get.
"""

from __future__ import annotations

import numpy as np

_FLOOR = 1e-12


def allowed_transitions(labels: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(start, transition) masks: which labels may open a sentence and which may follow which.

    >>> start, move = allowed_transitions(["O", "B-PER", "I-PER"])
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


def viterbi_tags(probs: np.ndarray, labels: list[str]) -> list[int]:
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
    start, move = allowed_transitions(labels)
    scores = np.log(np.maximum(probs, _FLOOR))
    barrier = np.where(move, 0.0, -np.inf)
    best = np.where(start, scores[0], -np.inf)
    back = np.zeros((n_words, len(labels)), dtype=np.int64)
    for i in range(1, n_words):
        candidates = best[:, None] + barrier  # (previous, current)
        back[i] = candidates.argmax(0)
        best = candidates.max(0) + scores[i]
    path = [int(best.argmax())]
    for i in range(n_words - 1, 0, -1):
        path.append(int(back[i, path[-1]]))
    return path[::-1]


def decode(probs: np.ndarray, labels: list[str], method: str = "viterbi") -> list[int]:
    """Label ids per word: ``"viterbi"`` (valid IOB2, the default) or ``"argmax"`` (per word)."""
    if method == "argmax":
        return [int(i) for i in probs.argmax(-1)] if len(probs) else []
    if method == "viterbi":
        return viterbi_tags(probs, labels)
    raise ValueError(f"unknown decoding {method!r}: use 'viterbi' or 'argmax'")
