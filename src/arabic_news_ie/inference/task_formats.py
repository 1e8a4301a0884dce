"""Predictions as pre-annotations: Label Studio tasks and doccano examples (``predict.py --format``).

A Label Studio task carries the article (``data.text``, ``data.id``) and one prediction: each entity as a
region of the ``entities`` control, each analysed sentence with event types as a region of the ``events``
control (``configs/label-studio.xml``), with scores and the model version. A doccano example carries the
article with its entities pre-filled (``label: [[start, end, type], ...]``). Offsets are in characters
(code points) of the text; ``import-annotations`` checks each span against its text on the way back.

>>> from arabic_news_ie.results import Entity, Result, Sentence
>>> r = Result("زار بوتين طهران.", (Entity("بوتين", "PER", 4, 9, 0.9),), (Sentence("زار بوتين طهران.", 0, 16, (("MOVEMENT", 0.8),)),))
>>> [region["value"]["labels"] for region in label_studio_task("a1", r, "m1")["predictions"][0]["result"]]
[['PER'], ['MOVEMENT']]
>>> doccano_example("a1", r)["label"]
[[4, 9, 'PER']]
"""

from __future__ import annotations

from collections.abc import Callable

from ..results import Result

FORMATS = ("jsonl", "label-studio", "doccano")


def formatter(name: str, model_version: str) -> Callable[[str, Result], dict] | None:
    """The row builder of an output format (None: our own JSONL rows)."""
    if name == "label-studio":
        return lambda article_id, result: label_studio_task(article_id, result, model_version)
    if name == "doccano":
        return doccano_example
    return None


def label_studio_task(article_id: str, result: Result, model_version: str) -> dict:
    """One task with the model's entities and sentence events as a prediction."""
    regions = [
        _region(f"e{i}", "entities", e.start, e.end, e.text, [e.label], e.score) for i, e in enumerate(result.entities)
    ]
    for i, sentence in enumerate(result.sentences):
        if sentence.events and not sentence.skipped:
            types = [label for label, _ in sentence.events]
            score = max(p for _, p in sentence.events)
            regions.append(_region(f"s{i}", "events", sentence.start, sentence.end, sentence.text, types, score))
    scores = [r["score"] for r in regions]
    prediction = {"model_version": model_version, "score": round(min(scores), 4) if scores else 1.0, "result": regions}
    return {"data": {"id": article_id, "text": result.text}, "predictions": [prediction]}


def _region(region_id: str, control: str, start: int, end: int, text: str, labels: list[str], score: float) -> dict:
    value = {"start": start, "end": end, "text": text, "labels": labels}
    return {
        "id": region_id,
        "from_name": control,
        "to_name": "text",
        "type": "labels",
        "value": value,
        "score": round(score, 4),
    }


def doccano_example(article_id: str, result: Result) -> dict:
    """One sequence-labelling example with the model's entities."""
    return {
        "article_id": article_id,
        "text": result.text,
        "label": [[e.start, e.end, e.label] for e in result.entities],
    }
