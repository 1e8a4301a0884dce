"""Start-up checks of a built :class:`~arabic_news_ie.config.Config`: allowed values and combinations of keys,
each problem one line naming the key (``config.load_config`` runs them)."""

from __future__ import annotations

from .config import DECODING_METHODS, Config, ConfigError, ExtraSource

_CHOICES = {
    "data.format": ("jsonl", "conll", "csv"),
    "training.mixed_precision": ("auto", "bf16", "fp16", "no"),
    "events.problem_type": ("auto", "multi_label", "single_label"),
    "events.pooling": ("cls", "mean"),
    "events.pooled_norm": ("none", "layernorm"),
    "events.bias_init": ("zero", "prior"),
    "ner.decoding": DECODING_METHODS,
}


def check(cfg: Config) -> Config:
    for key, allowed in _CHOICES.items():
        section, name = key.split(".")
        value = getattr(getattr(cfg, section), name)
        if value not in allowed:
            raise ConfigError(f"config key '{key}' must be one of {', '.join(allowed)}, got {value!r}")
    for i, source in enumerate(cfg.data.extra):
        _check_extra(f"data.extra[{i}]", source)
    if cfg.model.stride >= cfg.model.max_length - 2:
        raise ConfigError("config key 'model.stride' must be smaller than model.max_length - 2")
    encoders = {"ner": cfg.model.name_or_path, "events": cfg.model.name_or_path or cfg.events.init_from}
    for task, encoder in encoders.items():
        if getattr(cfg, task).freeze_layers < 0 or (getattr(cfg, task).freeze_layers and not encoder):
            raise ConfigError(f"config key '{task}.freeze_layers' needs a pre-trained encoder and a count >= 0")
    if cfg.events.pooled_norm != "none" and cfg.events.pooling != "mean":
        raise ConfigError("config key 'events.pooled_norm' applies to events.pooling: mean only")
    joinable = cfg.model.name_or_path and cfg.events.pooling == "mean" and not cfg.events.init_from
    if cfg.model.shared_encoder and not joinable:
        raise ConfigError(
            "config key 'model.shared_encoder' needs a pre-trained encoder, events.pooling: mean and no events.init_from"
        )
    return cfg


def _check_extra(key: str, source: ExtraSource) -> None:
    if source.format not in ("conll", "jsonl"):
        raise ConfigError(f"config key '{key}.format' must be one of conll, jsonl, got {source.format!r}")
    if not 0.0 <= source.holdout_fraction < 1.0:
        raise ConfigError(f"config key '{key}.holdout_fraction' must be in [0, 1), got {source.holdout_fraction!r}")
    if not 0.0 < source.fraction <= 1.0:
        raise ConfigError(f"config key '{key}.fraction' must be in (0, 1], got {source.fraction!r}")
    for label, target in source.label_map.items():
        targets = target if isinstance(target, list) else [target]
        if not targets or not all(isinstance(t, str) and t for t in targets):
            raise ConfigError(f"config key '{key}.label_map.{label}' must be a label or labels, got {target!r}")
