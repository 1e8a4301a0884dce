"""Load trained model directories safely (safetensors only, no remote code) with one-line errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .decoding import TagPrior


class ModelLoadError(RuntimeError):
    """A model directory that can't be used, reported as one line naming the path and the problem."""


@dataclass
class Component:
    """One loaded model (NER tagger or event classifier) with its tokenizer and inference settings."""

    task: str
    model: object
    tokenizer: object
    labels: list[str]
    max_length: int
    stride: int
    preprocess: Callable[[str], str] | None
    threshold: float = 0.5
    multi_label: bool = True
    prior: TagPrior | None = None  # NER: the tag prior tuned on dev (decoding.py)
    device: str = "cpu"

    def logits(self, features: list[dict], batch_size: int) -> list[np.ndarray]:
        """Per feature, its logits: (seq, labels) for NER, (labels,) for classification.

        Features are run longest first in batches padded to their own longest (dynamic padding).
        """
        import torch

        order = sorted(range(len(features)), key=lambda i: -len(features[i]["input_ids"]))
        out: list[np.ndarray | None] = [None] * len(features)
        pad = self.tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for begin in range(0, len(order), batch_size):
                batch = order[begin : begin + batch_size]
                width = max(len(features[i]["input_ids"]) for i in batch)
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    seq = features[i]["input_ids"]
                    ids[row, : len(seq)] = torch.tensor(seq)
                    mask[row, : len(seq)] = 1
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
                logits = logits.float().cpu().numpy()  # note: a device->host sync point, once per batch
                for row, i in enumerate(batch):
                    n = len(features[i]["input_ids"])
                    out[i] = logits[row, :n] if logits.ndim == 3 else logits[row]
        return out  # type: ignore[return-value]

    def class_probs(self, encoded, batch_size: int) -> np.ndarray:
        """(units, labels) probabilities of a classifier over ``encoded`` units, windows merged."""
        from .examples import merge_class_probs

        logits = self.logits(encoded.features, batch_size)
        stacked = np.stack(logits) if logits else np.zeros((0, len(self.labels)))
        return merge_class_probs(encoded, stacked, self.multi_label)

    def save(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        model = self.model
        if getattr(model, "_is_quantized_dynamic", False):
            raise ModelLoadError(
                f"{path}: a dynamically quantised pipeline can't be saved; load it with quantize=False"
            )
        model.save_pretrained(path)
        self.tokenizer.save_pretrained(path)


def find_components(path: Path) -> dict[str, Path]:
    """``{"ner": dir, "events": dir}`` for a run directory, or the one task of a single model directory."""
    if not path.exists():
        raise ModelLoadError(f"{path}: no such model directory")
    found = {task: path / task for task in ("ner", "events") if (path / task).is_dir()}
    if not found and (path / "config.json").exists():
        config = _read_config(path)
        task = config.get("arabic_news_ie", {}).get("task") or _task_from_architecture(config)
        found[task] = path
    return found


def _task_from_architecture(config: dict) -> str:
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


def load_component(directory: Path, device: str | None = None, quantize: bool = False) -> Component:
    """Load one model directory for inference."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer

    config = check_directory(directory)
    settings = config.get("arabic_news_ie", {})
    task = settings.get("task") or _task_from_architecture(config)
    auto = AutoModelForTokenClassification if task == "ner" else AutoModelForSequenceClassification
    if "MeanPooledBertForSequenceClassification" in (config.get("architectures") or []):
        from .modeling import mean_pooled_class

        auto = mean_pooled_class()
    device = device or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        tokenizer = AutoTokenizer.from_pretrained(directory, trust_remote_code=False)
        model = auto.from_pretrained(directory, use_safetensors=True, trust_remote_code=False)
    except (OSError, ValueError, RuntimeError) as err:
        raise ModelLoadError(f"{directory}: cannot load model ({str(err).splitlines()[0][:160]})") from None
    _check_tokenizer(directory, tokenizer, model)
    model.eval().to(device)
    if quantize:
        model = quantize_dynamic(model, device)
    from .modeling import word_preprocessor

    arabert = settings.get("base_model", "") if settings.get("arabert_preprocess") else None
    preprocess = word_preprocessor(tokenizer, arabert, bool(settings.get("split_clitics")))
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    prior = None
    if settings.get("iob_prior"):
        try:
            prior = TagPrior.from_dict(settings["iob_prior"], len(labels))
        except (KeyError, TypeError, ValueError) as err:
            raise ModelLoadError(f"{directory / 'config.json'}: bad iob_prior ({err})") from None
    return Component(
        task=task,
        model=model,
        tokenizer=tokenizer,
        labels=labels,
        max_length=int(settings.get("max_length", min(getattr(tokenizer, "model_max_length", 512), 512))),
        stride=int(settings.get("stride", 32)),
        preprocess=preprocess,
        threshold=float(settings.get("event_threshold", 0.5)),
        multi_label=bool(settings.get("multi_label", model.config.problem_type != "single_label_classification")),
        prior=prior,
        device=device,
    )


def _check_tokenizer(directory: Path, tokenizer, model) -> None:
    vocab = model.config.vocab_size
    if len(tokenizer) > vocab:
        raise ModelLoadError(
            f"{directory}: tokenizer has {len(tokenizer)} tokens but the model's embeddings only {vocab}: tokenizer from another model?"
        )


def quantize_dynamic(model, device: str):
    """int8 dynamic quantisation of Linear layers (CPU inference)."""
    import torch

    if device != "cpu":
        raise ModelLoadError("quantize=True is for CPU inference; use device='cpu'")
    quantized = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    quantized._is_quantized_dynamic = True
    return quantized
