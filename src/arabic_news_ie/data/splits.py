"""Load the configured data into train/dev/test (and other) article lists, with one-line errors for bad data."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..config import DataConfig
from .corpus import Loaded, read_conll, read_csv, read_jsonl
from .schema import ENTITY_LABELS, EVENT_TYPES, Article


class DataError(ValueError):
    """Bad or missing training data, reported as one line naming the file and line."""


def resolve(path: str, config_dir: str | None = None) -> str:
    """A relative data path from the working directory, else from the config file's directory or its parent
    (``configs/default.yaml`` names ``data/corpus.jsonl`` from the project root); never from the package's
    own location, so an installed package reads the user's data wherever it runs.

    >>> resolve("no/such.jsonl", "/tmp")
    'no/such.jsonl'
    """
    if Path(path).is_absolute() or Path(path).exists() or config_dir is None:
        return path
    for base in (Path(config_dir), Path(config_dir).parent):
        if (base / path).exists():
            return str(base / path)
    return path


def located(cfg: DataConfig) -> DataConfig:
    """``cfg`` with each data path that is found only from the config's directory made absolute, so the run's
    config.yaml names files that ``evaluate`` and ``--resume`` find from anywhere (paths found from the working
    directory stay as written)."""

    def where(path: str | None) -> str | None:
        if path is None or Path(path).exists():
            return path
        found = resolve(path, cfg.config_dir)
        return str(Path(found).resolve()) if Path(found).exists() else path

    extra = [dataclasses.replace(source, path=where(source.path)) for source in cfg.extra]
    return dataclasses.replace(cfg, train=where(cfg.train), dev=where(cfg.dev), test=where(cfg.test), extra=extra)


def read_file(path: str, cfg: DataConfig) -> list[Article]:
    """Read one data file in the configured format; any problem raises :class:`DataError`."""
    path = resolve(path, cfg.config_dir)
    if not Path(path).is_file():
        raise DataError(f"{path}: data file not found")
    if cfg.format == "conll":
        loaded: Loaded = read_conll(path, cfg.label_map or None)
    elif cfg.format == "csv":
        loaded = read_csv(path, cfg.csv_text_column, cfg.csv_label_column, cfg.csv_id_column)
    else:
        loaded = read_jsonl(path)
    if loaded.problems:
        more = f" (and {len(loaded.problems) - 1} more problem(s))" if len(loaded.problems) > 1 else ""
        raise DataError(f"{loaded.problems[0]}{more}")
    if not loaded.articles:
        raise DataError(f"{path}: no records")
    return loaded.articles


def load_splits(cfg: DataConfig) -> dict[str, list[Article]]:
    """train/dev/test lists, and one more per other ``split`` value present (e.g. ``test-original``).

    A JSONL ``split`` field is honoured; without dev, the tail of train is held out.
    """
    articles = read_file(cfg.train, cfg)
    has_splits = any(a.split for a in articles)
    splits = {
        "train": [a for a in articles if a.split in (None, "train")] if has_splits else articles,
        "dev": [a for a in articles if a.split == "dev"],
        "test": [a for a in articles if a.split == "test"],
    }
    for name in sorted({a.split for a in articles} - {None, *splits}):
        splits[name] = [a for a in articles if a.split == name]
    for name in ("dev", "test"):
        path = getattr(cfg, name)
        if path:
            splits[name] = read_file(path, cfg)
    if not splits["dev"] and cfg.dev_fraction > 0:
        cut = tail_cut(len(splits["train"]), cfg.dev_fraction)
        splits["train"], splits["dev"] = splits["train"][:cut], splits["train"][cut:]
    if not splits["train"]:
        raise DataError(f"{cfg.train}: no training records")
    if not splits["dev"]:
        raise DataError(f"{cfg.train}: no dev data (add split=dev records, set data.dev, or data.dev_fraction > 0)")
    return splits


def tail_cut(count: int, fraction: float) -> int:
    """Where a held-out tail of ``fraction`` of ``count`` records starts (at least one record held out).

    >>> tail_cut(3997, 0.1)
    3598
    """
    return count - max(1, int(count * fraction))


PARTIAL = "|"  # joins the labels of a partial (set-valued) label: "GPE|LOC"


def load_extra(cfg: DataConfig, seed: int) -> list[Article]:
    """The extra NER sources' articles, labels mapped to ours (a set of ours joined by ``PARTIAL``)."""
    import random

    from .schema import Span

    articles: list[Article] = []
    for source in cfg.extra:
        loaded = read_file(source.path, DataConfig(format=source.format, config_dir=cfg.config_dir))
        found = {e.label for a in loaded for e in a.entities}
        unmapped = sorted(found - set(source.label_map))
        if unmapped:
            raise DataError(f"{source.path}: label {unmapped[0]!r} has no entry in its data.extra label_map")
        mapping = {label: _target(target) for label, target in source.label_map.items()}
        chosen = loaded
        if source.holdout_fraction > 0:  # the same cut as load_splits' dev_fraction
            chosen = chosen[: tail_cut(len(chosen), source.holdout_fraction)]
        if source.fraction < 1.0:
            chosen = random.Random(seed).sample(chosen, max(1, round(len(chosen) * source.fraction)))
        for article in chosen:
            spans = tuple(Span(e.start, e.end, mapping[e.label]) for e in article.entities)
            articles.append(Article(f"extra{len(articles)}-{article.id}", article.text, spans, article.sentences))
    return articles


def _target(target: str | list[str]) -> str:
    return PARTIAL.join(sorted(set(target))) if isinstance(target, list) else target


def entity_labels(cfg: DataConfig, articles: list[Article]) -> list[str]:
    """The entity label set: from the config, else the data's (schema order first)."""
    found = {e.label for a in articles for e in a.entities}
    return list(cfg.entity_labels) if cfg.entity_labels else _ordered(found, ENTITY_LABELS)


def class_labels(cfg: DataConfig, articles: list[Article]) -> tuple[list[str], bool]:
    """Event types (multi-label, per sentence) or document classes (single-label), and which it is."""
    single = any(a.label for a in articles)
    found = (
        {a.label for a in articles if a.label}
        if single
        else {t for a in articles for s in a.sentences for t in s.events}
    )
    labels = list(cfg.event_types) if cfg.event_types else _ordered(found, EVENT_TYPES)
    return labels, not single


def bio_labels(types: list[str]) -> list[str]:
    """``O`` then ``B-``/``I-`` for each type, the label list a token classifier predicts.

    >>> bio_labels(["PER"])
    ['O', 'B-PER', 'I-PER']
    """
    return ["O"] + [f"{prefix}-{t}" for t in types for prefix in ("B", "I")]


def _ordered(found: set[str], preferred: tuple[str, ...]) -> list[str]:
    return [l for l in preferred if l in found] + sorted(found - set(preferred))
