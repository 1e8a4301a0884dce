"""Where int8's disagreement with fp32 comes from, and what the fp32 recheck buys.

    python benchmarks/int8_sources.py --model runs/default [--articles 120] [--part sources|grid|recheck]

On the first 120 real ANT articles, against the fp32 Pipeline (both tasks): word-label agreement, entity
Jaccard, the share of sentences with the same event set, and the mean / 99th percentile / largest change
of an event probability, for
- sources: int8 in one kind of layer only (attention q/k/v, attention output, FFN input, FFN output), and
  simulated int8 of the weights only or the activations only (rounded, then multiplied in fp32), smoothed
  or not;
- grid: the smoothing strength (alpha; none = no smoothing) crossed with 0-32 calibrated outlier input
  channels a layer kept in fp32 (``quantize_int8(outliers=...)``);
- recheck: the share of sentences rerun in fp32 and the agreement reached when every sentence with an int8
  event probability within a margin of the threshold takes its fp32 probabilities (computed here from the
  two runs' probabilities; the Pipeline's own recheck is ``benchmarks/int8.py``'s last row).
"""

from __future__ import annotations

import argparse
import copy
import os
import re
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from inference import agreement, load_texts  # noqa: E402

SOURCES = {  # name: (layers matched, how)
    "every layer (quantize=True without the recheck)": (r".", (0.5, 0)),
    "attention q/k/v only": (r"attention\.self\.", (0.5, 0)),
    "attention output only": (r"attention\.output\.dense", (0.5, 0)),
    "FFN input only": (r"intermediate\.dense", (0.5, 0)),
    "FFN output only": (r"layer\.\d+\.output\.dense", (0.5, 0)),
    "weights only, smoothed (simulated)": (r".", "weights"),
    "activations only, smoothed (simulated)": (r".", "activations"),
    "weights only, unsmoothed (simulated)": (r".", "weights unsmoothed"),
    "activations only, unsmoothed (simulated)": (r".", "activations unsmoothed"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--part", choices=("sources", "grid", "recheck"), action="append")
    args = parser.parse_args()
    from arabic_news_ie.inference.model_files import find_components
    from arabic_news_ie.inference.predictor import load

    texts, source = load_texts(args.articles)
    parts = {task: load(directory, "cpu") for task, directory in find_components(Path(args.model)).items()}
    expected, probs = _run(_pipeline(parts), texts)
    print(f"{len(texts)} articles ({source}); {len(probs)} sentences; model {args.model}\n")
    for part in args.part or ["sources", "grid", "recheck"]:
        globals()[f"_{part}"](parts, texts, expected, probs)


def _sources(parts, texts, expected, probs) -> None:
    _header("int8 in")
    for name, (pattern, how) in SOURCES.items():
        _row(name, _pipeline(parts, pattern, how), texts, expected, probs)


def _grid(parts, texts, expected, probs) -> None:
    _header("smoothing alpha, outlier channels in fp32")
    for alpha in (None, 0.25, 0.5):
        for outliers in (0, 4, 8, 16, 32):
            _row(
                f"alpha {alpha}, {outliers} outliers", _pipeline(parts, r".", (alpha, outliers)), texts, expected, probs
            )


def _recheck(parts, texts, expected, probs) -> None:
    threshold = parts["events"].threshold
    print("| int8 | margin | sentences rerun in fp32 | sentence events = fp32 |\n|---|---|---|---|")
    for alpha, outliers in ((0.5, 0), (0.5, 16), (None, 8)):
        _, approx = _run(_pipeline(parts, r".", (alpha, outliers)), texts)
        for margin in (0.02, 0.03, 0.05, 0.08):
            near = (np.abs(approx - threshold) < margin).any(1)
            mixed = np.where(near[:, None], probs, approx)
            same = ((mixed >= threshold) == (probs >= threshold)).all(1).mean()
            print(f"| alpha {alpha}, {outliers} outliers | {margin} | {near.mean():.1%} | {same:.2%} |")


def _header(first: str) -> None:
    print(
        f"| {first} | word labels = fp32 | entity Jaccard | sentence events = fp32 | mean / p99 / max change of an event probability |"
    )
    print("|---|---|---|---|---|")


def _row(name: str, nlp, texts, expected, probs) -> None:
    results, approx = _run(nlp, texts)
    words, jaccard, events = agreement(expected, results)
    change = np.abs(approx - probs)
    print(
        f"| {name} | {words:.2%} | {jaccard:.3f} | {events:.2%} | "
        f"{change.mean():.4f} / {np.quantile(change, 0.99):.3f} / {change.max():.3f} |",
        flush=True,
    )


def _run(nlp, texts) -> tuple:
    """The results and the event probabilities of every analysed sentence, (sentences, types)."""
    results, probs = nlp.results_and_probs(texts, batch_size=16)
    return results, np.array([p[1] for article in probs for _, p in sorted(article.items())])


def _pipeline(parts: dict, pattern: str | None = None, how=None):
    """The Pipeline with the encoder's Linear layers matching ``pattern`` replaced (no fp32 recheck)."""
    from arabic_news_ie import Pipeline

    if pattern is None:
        return Pipeline(parts.get("ner"), parts.get("events"), recheck_margin=0)
    changed = {}
    for task, component in parts.items():
        other = copy.copy(component)
        other.model = copy.deepcopy(component.model)
        _replace(other.model, pattern, how, component.calibration)
        changed[task] = other
    return Pipeline(changed.get("ner"), changed.get("events"), recheck_margin=0)


def _replace(model, pattern: str, how, calibration: dict) -> None:
    import torch

    from arabic_news_ie.models.quantization import int8_linear_class

    int8_linear = int8_linear_class()
    for parent_name, parent in list(model.named_modules()):
        for name, child in list(parent.named_children()):
            full = f"{parent_name}.{name}" if parent_name else name
            if isinstance(child, torch.nn.Linear) and full.startswith("bert.") and re.search(pattern, full):
                peak = calibration.get(full)
                layer = int8_linear(child, peak, *how) if isinstance(how, tuple) else _simulated(child, peak, how)
                setattr(parent, name, layer)


def _simulated(linear, activation_max, how: str):
    """A Linear whose smoothed (or not) weights or per-token activations are rounded to int8, then multiplied in fp32."""
    import torch

    from arabic_news_ie.models.quantization import ALPHA, _smoothing

    weight = linear.weight.detach().float().clone()
    smooth = _smoothing(weight, activation_max, None if "unsmoothed" in how else ALPHA)
    weight = weight * smooth[None, :]
    if how.startswith("weights"):
        scale = weight.abs().amax(1, keepdim=True).clamp(min=1e-8) / 127
        weight = torch.round(weight / scale).clamp(-127, 127) * scale
    bias = linear.bias.detach().float()

    class Simulated(torch.nn.Module):
        def forward(self, x):
            rows = x.float() / smooth
            if how.startswith("activations"):
                scale = rows.abs().amax(-1, keepdim=True).clamp(min=1e-8) / 127
                rows = torch.round(rows / scale).clamp(-127, 127) * scale
            return rows @ weight.t() + bias

    return Simulated()


if __name__ == "__main__":
    main()
