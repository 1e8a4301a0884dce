"""Saved model directories: what inference needs besides the weights, safety checks, loading.

Safetensors only, no remote code, and one-line errors naming the directory and the problem.
"""

from __future__ import annotations

import dataclasses
import json
import warnings
from dataclasses import dataclass
from pathlib import Path

from .decoding import TagPrior

SETTINGS_KEY = "arabic_news_ie"  # where InferenceSettings live inside a model's config.json


class ModelLoadError(RuntimeError):
    """A model directory that can't be used, reported as one line naming the path and the problem."""


@dataclass(frozen=True)
class InferenceSettings:
    """How a model is run: windows, per-word preprocessing, and what training tuned on dev.

    Training writes it into ``config.json`` (under ``arabic_news_ie``); loading reads it back, so the
    Pipeline windows, preprocesses and decodes exactly as the training metrics did.

    >>> s = InferenceSettings("events", max_length=128, event_threshold=0.35)
    >>> InferenceSettings.from_dict(s.to_dict(), num_labels=8) == s
    True
    """

    task: str  # "ner" or "events"
    max_length: int = 128  # window size in sub-word tokens, [CLS] and [SEP] included
    stride: int = 32  # sub-word tokens shared by consecutive windows
    arabert_preprocess: bool = False
    split_clitics: bool = False
    base_model: str = "embedded-small-bert"
    iob_prior: TagPrior | None = None  # NER: the tag prior at the weight tuned on dev
    event_threshold: float = 0.5  # events (multi-label): the probability tuned on dev
    multi_label: bool = True  # events: sentence event sets, or one class per document
    input_prefix: str = ""  # words every window starts with after [CLS] (e5's "query: "; NER too with a shared encoder)

    def to_dict(self) -> dict:
        data = dataclasses.asdict(self) | {"iob_prior": self.iob_prior.to_dict() if self.iob_prior else None}
        unused = ("event_threshold", "multi_label") if self.task == "ner" else ("iob_prior",)
        return {key: value for key, value in data.items() if key not in unused}

    @classmethod
    def from_dict(cls, data: dict, num_labels: int) -> InferenceSettings:
        """Settings from a config.json section; a malformed tag prior raises ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {key: value for key, value in data.items() if key in known}
        prior = values.pop("iob_prior", None)
        return cls(**values, iob_prior=TagPrior.from_dict(prior, num_labels) if prior else None)


def read_settings(directory: Path, config: dict, tokenizer_max_length: int) -> InferenceSettings:
    """The directory's settings; a model we did not train gets defaults from its config and tokenizer."""
    stored = dict(config.get(SETTINGS_KEY) or {})
    stored["task"] = _task(config)
    stored.setdefault("max_length", min(tokenizer_max_length, 512))
    stored.setdefault("multi_label", config.get("problem_type") != "single_label_classification")
    try:
        return InferenceSettings.from_dict(stored, len(config.get("id2label") or {}))
    except (KeyError, TypeError, ValueError) as err:
        raise ModelLoadError(f"{directory / 'config.json'}: bad {SETTINGS_KEY} settings ({err})") from None


def write_settings(model, settings: InferenceSettings) -> None:
    """Store ``settings`` in the model's config, written with it by ``save_pretrained``."""
    setattr(model.config, SETTINGS_KEY, settings.to_dict())


def find_components(path: Path) -> dict[str, Path]:
    """``{"ner": dir, "events": dir}`` for a run directory, or the one task of a single model directory."""
    if not path.exists():
        raise ModelLoadError(f"{path}: no such model directory")
    found = {task: path / task for task in ("ner", "events") if (path / task).is_dir()}
    if not found and (path / "config.json").exists():
        config = _read_config(path)
        found[_task(config)] = path
    return found


def _task(config: dict) -> str:
    """ "ner" or "events": as stored by training, else from the architecture (a model we did not train)."""
    stored = (config.get(SETTINGS_KEY) or {}).get("task")
    if stored:
        return stored
    architectures = " ".join(config.get("architectures") or [])
    return "ner" if "TokenClassification" in architectures else "events"


def _read_config(directory: Path) -> dict:
    try:
        return json.loads((directory / "config.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelLoadError(f"{directory}: config.json is missing") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ModelLoadError(f"{directory}/config.json: not valid JSON ({err})") from None


def check_directory(directory: Path) -> dict:
    """Refuse directories that would need unpickling or hold a damaged or inconsistent model."""
    config = _read_config(directory)
    weights = directory / "model.safetensors"
    if not weights.exists() and not (directory / "model.safetensors.index.json").exists():
        if list(directory.glob("*.bin")) or list(directory.glob("*.pt")) or list(directory.glob("*.pth")):
            raise ModelLoadError(
                f"{directory}: only pickle weights (pytorch_model.bin) found; convert them to safetensors (pickle is never loaded)"
            )
        raise ModelLoadError(f"{directory}: model.safetensors is missing")
    if weights.exists():
        _check_safetensors(weights, config)
    if not (directory / "tokenizer.json").exists() and not (directory / "vocab.txt").exists():
        raise ModelLoadError(f"{directory}: tokenizer files (tokenizer.json or vocab.txt) are missing")
    return config


def _check_safetensors(weights: Path, config: dict) -> None:
    from safetensors import safe_open

    try:
        with safe_open(str(weights), framework="pt") as handle:
            names = list(handle.keys())
            head = next((n for n in names if n.endswith("classifier.weight")), None)
            rows = handle.get_slice(head).get_shape()[0] if head else None
            for name in names:  # reading each tensor's slice header catches truncated files cheaply
                handle.get_slice(name)
    except Exception as err:  # safetensors raises several types for damaged files
        raise ModelLoadError(
            f"{weights}: damaged or truncated safetensors file ({str(err).splitlines()[0][:120]})"
        ) from None
    labels = config.get("id2label") or {}
    if rows is not None and labels and rows != len(labels):
        raise ModelLoadError(
            f"{weights.parent}: config.json lists {len(labels)} labels but the classifier head has {rows} outputs"
        )


def load_model(directory: Path, device: str, quantize: bool = False) -> tuple:
    """(model, tokenizer, settings) of one checked model directory, in eval mode on ``device``."""
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

    config = check_directory(directory)
    auto = AutoModelForTokenClassification if _task(config) == "ner" else AutoModelForSequenceClassification
    if "MeanPooledBertForSequenceClassification" in (config.get("architectures") or []):
        from ..models.heads import mean_pooled_class

        auto = mean_pooled_class()
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, trust_remote_code=False)
        model = auto.from_pretrained(directory, use_safetensors=True, trust_remote_code=False)
    except (OSError, ValueError, RuntimeError) as err:
        raise ModelLoadError(f"{directory}: cannot load model ({str(err).splitlines()[0][:160]})") from None
    _check_tokenizer(directory, tokenizer, model)
    model.eval().to(device)
    if quantize:
        model = quantize_for_cpu(model, directory, device)
    settings = read_settings(directory, config, getattr(tokenizer, "model_max_length", 512))
    return model, tokenizer, settings


def save_model(model, tokenizer, path: Path) -> None:
    """``save_pretrained`` model and tokenizer (a quantised model can't be saved)."""
    if getattr(model, "_is_quantized_dynamic", False):
        raise ModelLoadError(f"{path}: a quantised pipeline can't be saved; load it with quantize=False")
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)


def _check_tokenizer(directory: Path, tokenizer, model) -> None:
    vocab = model.config.vocab_size
    if len(tokenizer) > vocab:
        raise ModelLoadError(
            f"{directory}: tokenizer has {len(tokenizer)} tokens but the model's embeddings only {vocab}: tokenizer from another model?"
        )


def calibration_of(directory: Path) -> dict | None:
    """The directory's int8 calibration (``quantization.py``), or None; a damaged file is a ModelLoadError."""
    from ..models.quantization import read_calibration

    try:
        return read_calibration(directory)
    except ValueError as err:
        raise ModelLoadError(str(err)) from None


def quantize_for_cpu(model, directory: Path, device: str, calibration: dict | None = None):
    """int8 for CPU inference (``quantization.quantize_int8``), smoothed with the directory's calibration
    (``calibration``, when the caller has already read it)."""
    from ..models.quantization import quantize_int8

    if device != "cpu":
        raise ModelLoadError("quantize=True is for CPU inference; use device='cpu'")
    calibration = calibration if calibration is not None else calibration_of(directory)
    if calibration is None:
        warnings.warn(
            f"{directory}: no int8 calibration (a run trained before it): int8 runs unsmoothed, agreeing less "
            f"with fp32; add it with: python -m arabic_news_ie calibrate RUN",
            stacklevel=2,
        )
    return quantize_int8(model, calibration, inplace=True)
