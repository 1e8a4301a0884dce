"""What the predict API returns: frozen, hashable results with character offsets into the caller's text.

Every collection is a tuple and every event list has one shape, ``((event_type, score), ...)`` best
first, on a sentence and on an article alike. ``to_dict`` gives JSON-ready data (the article's text is
not repeated); ``from_dict`` reads it back.

>>> text = "زار بوتين طهران أمس."
>>> result = Result.from_dict(
...     {
...         "entities": [{"text": "بوتين", "label": "PER", "start": 4, "end": 9, "score": 0.97}],
...         "sentences": [{"start": 0, "end": 20, "events": [["MOVEMENT", 0.91]], "skipped": False}],
...         "events": [["MOVEMENT", 0.91]],
...     },
...     text,
... )
>>> result
Result: "زار بوتين طهران أمس." → ['بوتين'/PER] events [MOVEMENT 0.91]
>>> result.sentences[0]
Sentence: "زار بوتين طهران أمس." → [MOVEMENT 0.91]
>>> Result.from_dict(result.to_dict(), text) == result
True
"""

from __future__ import annotations

from dataclasses import dataclass

Events = tuple[tuple[str, float], ...]  # (event_type, score) pairs, best first


@dataclass(frozen=True)
class Entity:
    """A named entity: ``text == input[start:end]``; ``score`` is the mean probability of its word labels.

    >>> Entity("طهران", "GPE", 10, 15, 0.954)
    Entity('طهران'/GPE 10:15 0.95)
    """

    text: str
    label: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict:
        return {"text": self.text, "label": self.label, "start": self.start, "end": self.end, "score": self.score}

    @classmethod
    def from_dict(cls, data: dict) -> Entity:
        return cls(str(data["text"]), str(data["label"]), int(data["start"]), int(data["end"]), float(data["score"]))

    def __repr__(self) -> str:
        return f"Entity({self.text!r}/{self.label} {self.start}:{self.end} {self.score:.2f})"


@dataclass(frozen=True)
class Sentence:
    """A sentence of the input with the event types scored over the model's threshold, best first.

    ``skipped`` sentences (boilerplate, a repeated headline) were not analysed.
    """

    text: str
    start: int
    end: int
    events: Events = ()
    skipped: bool = False

    def to_dict(self) -> dict:
        """Offsets, events and status; the text is not repeated (``from_dict`` cuts it from the article)."""
        return {"start": self.start, "end": self.end, "events": _events_out(self.events), "skipped": self.skipped}

    @classmethod
    def from_dict(cls, data: dict, article_text: str | None = None) -> Sentence:
        """Read :meth:`to_dict`'s output: the text is ``data["text"]`` if given, else cut from ``article_text``."""
        start, end = int(data["start"]), int(data["end"])
        text = data["text"] if "text" in data else (article_text or "")[start:end]
        return cls(str(text), start, end, _events_in(data.get("events", ())), bool(data.get("skipped", False)))

    def __repr__(self) -> str:
        status = " skipped" if self.skipped else ""
        return f'Sentence: "{_head(self.text)}"{status} → [{_events_repr(self.events)}]'


@dataclass(frozen=True)
class Result:
    """Everything found in one article: its entities, its sentences and its event types."""

    text: str
    entities: tuple[Entity, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    events: Events = ()  # article level: each type at its best sentence score, best first

    def to_dict(self) -> dict:
        """JSON-ready entities, sentences and events (neither the input text nor its sentences' is repeated)."""
        return {
            "entities": [e.to_dict() for e in self.entities],
            "sentences": [s.to_dict() for s in self.sentences],
            "events": _events_out(self.events),
        }

    @classmethod
    def from_dict(cls, data: dict, text: str) -> Result:
        """The result :meth:`to_dict` wrote for ``text`` (e.g. a line of ``predict.py``'s output).

        A malformed record raises ``ValueError`` naming what is wrong.
        """
        try:
            return cls(
                text,
                tuple(Entity.from_dict(e) for e in data["entities"]),
                tuple(Sentence.from_dict(s, text) for s in data["sentences"]),
                _events_in(data["events"]),
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ValueError(f"not a result record ({type(err).__name__}: {err})") from None

    def _repr_html_(self) -> str:
        """Notebooks show a result as right-to-left HTML with highlighted entities."""
        from .render import STYLE, legend, render_article

        return f"<style>{STYLE}</style>{legend(sorted({e.label for e in self.entities}))}{render_article(self)}"

    def __repr__(self) -> str:
        entities = ", ".join(f"{e.text!r}/{e.label}" for e in self.entities[:8])
        more = f", … {len(self.entities) - 8} more" if len(self.entities) > 8 else ""
        return f'Result: "{_head(self.text)}" → [{entities}{more}] events [{_events_repr(self.events)}]'


def _events_out(events: Events) -> list[list]:
    return [[label, score] for label, score in events]


def _events_in(rows) -> Events:
    return tuple((str(label), float(score)) for label, score in rows)


def _events_repr(events: Events) -> str:
    return ", ".join(f"{label} {score:.2f}" for label, score in events)


def _head(text: str, width: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[:width] + "…"
