"""Frozen data types shared by every module. No torch here."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ENTITY_LABELS: tuple[str, ...] = ("PER", "ORG", "GPE", "LOC", "MISC")
EVENT_TYPES: tuple[str, ...] = (
    "LIFE",
    "MOVEMENT",
    "TRANSACTION",
    "BUSINESS",
    "CONFLICT",
    "CONTACT",
    "PERSONNEL",
    "JUSTICE",
)
# test: the real (ANT) test articles; test-original: the test articles of our own 160 written ones
SPLITS: tuple[str, ...] = ("train", "dev", "test", "test-original")


@dataclass(frozen=True)
class Span:
    """An annotated entity span: character offsets into the article text, ``end`` exclusive."""

    start: int
    end: int
    label: str


@dataclass(frozen=True)
class SentenceSpan:
    """A sentence span with its (possibly empty) set of event types."""

    start: int
    end: int
    events: tuple[str, ...] = ()


@dataclass(frozen=True)
class Article:
    """One annotated document: the unit the corpus, the readers and the trainer share.

    >>> a = Article("x", "زار بوتين طهران", (Span(4, 9, "PER"),), (SentenceSpan(0, 15, ("MOVEMENT",)),))
    >>> a.text[a.entities[0].start:a.entities[0].end]
    'بوتين'

    ``noise`` holds the ``(start, end)`` spans of text that is not prose (boilerplate, a repeated headline):
    no sentence and no entity lies in them.
    """

    id: str
    text: str
    entities: tuple[Span, ...] = ()
    sentences: tuple[SentenceSpan, ...] = ()
    title: str | None = None
    source: str | None = None
    split: str | None = None
    label: str | None = None  # single-label document class (e.g. ASND topics)
    noise: tuple[tuple[int, int], ...] = ()

    @property
    def ant_id(self) -> str | None:
        """The ANT corpus id of a real article (``source: ANT <outlet> <id>``), else None.

        >>> Article("x", "", source="ANT CNN CN-sport-162-20180327").ant_id
        'CN-sport-162-20180327'
        """
        if self.source and self.source.startswith("ANT "):
            return self.source.split()[-1]
        return None

    def to_dict(self) -> dict:
        record: dict = {"id": self.id, "text": self.text}
        record["entities"] = [asdict(s) for s in self.entities]
        record["sentences"] = [{"start": s.start, "end": s.end, "events": list(s.events)} for s in self.sentences]
        if self.noise:
            record["noise"] = [[start, end] for start, end in self.noise]
        for key in ("title", "source", "split", "label"):
            if getattr(self, key) is not None:
                record[key] = getattr(self, key)
        return record


@dataclass(frozen=True)
class Problem:
    """A problem found in an input file, printed as ``path:line: message``."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True)
class Schema:
    """The label sets in use: entity labels and event types (or document classes)."""

    entity_labels: tuple[str, ...] = ENTITY_LABELS
    event_types: tuple[str, ...] = EVENT_TYPES
