"""int8 against fp32: agreement, speed and real-test scores of each int8 choice.

    python benchmarks/int8.py --model runs/default [--articles 120] [--threads 2]

For the first 120 real articles of ../shared/corpora/ant-news, the Pipeline with both tasks is run in
fp32 and under each int8 choice: torch's dynamic quantisation (one activation scale per batch; weights per
tensor or per output channel; all Linear layers or all but the FFN output layers) and ours
(``quantization.quantize_int8``: activations per token, weights per channel, with and without the
smoothing calibrated on train windows). Printed per choice: word-label agreement with fp32, the Jaccard
overlap of the entity sets (start, end, label), the share of sentences whose event set is unchanged,
words/s, and NER F1 / event micro-F1 on the run's own test split (the real articles).
"""

from __future__ import annotations

import argparse
import copy
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from inference import agreement, load_texts  # noqa: E402

CHOICES = {  # name: (function, keyword arguments); "recheck": the Pipeline's fp32 recheck margin
    "torch dynamic, per tensor, every Linear (the former quantize=True)": (
        "dynamic",
        {"per_channel": False, "keep_fp32": None},
    ),
    "torch dynamic, per channel, FFN output layers fp32": ("dynamic", {"per_channel": True}),
    "per-token int8, no smoothing": ("int8", {"calibrated": False, "recheck": 0}),
    "per-token int8, smoothed (quantize=True before the recheck)": ("int8", {"calibrated": True, "recheck": 0}),
    "per-token int8, smoothed, 16 outlier channels a layer in fp32": (
        "int8",
        {"calibrated": True, "outliers": 16, "recheck": 0},
    ),
    "per-token int8, smoothed, sentences within 0.05 of the threshold rerun in fp32 (quantize=True)": (
        "int8",
        {"calibrated": True, "recheck": 0.05},
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--only", default="", help="run only the choices whose name contains this text")
    args = parser.parse_args()

    import torch

    from arabic_news_ie import Pipeline
    from arabic_news_ie.inference.model_files import find_components
    from arabic_news_ie.inference.predictor import load

    if args.threads:
        torch.set_num_threads(args.threads)
    texts, source = load_texts(args.articles)
    parts = {task: load(directory, "cpu") for task, directory in find_components(Path(args.model)).items()}
    reference = Pipeline(parts.get("ner"), parts.get("events"), recheck_margin=0)
    test = _split(Path(args.model), "test")
    calibration = _calibration(parts, Path(args.model))
    seconds, expected = _timed(reference, texts)
    words = sum(len(_words(t)) for t in texts)
    print(
        f"{len(texts)} articles ({words} words, {source}); model {args.model}; shared encoder: {reference.shared_encoder}\n"
    )
    print(
        "| int8 choice | word labels = fp32 | entity Jaccard | sentence events = fp32 | words/s | NER F1 test | events micro-F1 test |"
    )
    print("|---|---|---|---|---|---|---|")
    print(f"| fp32 | — | — | — | {words / seconds:,.0f} | {_scores(reference, test)} |")
    for name, choice in ((n, c) for n, c in CHOICES.items() if args.only in n):
        recheck = choice[1].get("recheck", 0)
        nlp = Pipeline(
            *(_quantized(parts.get(task), choice, calibration) for task in ("ner", "events")), recheck_margin=recheck
        )
        seconds, results = _timed(nlp, texts)
        agree = agreement(expected, results)
        print(
            f"| {name} | {agree[0]:.2%} | {agree[1]:.3f} | {agree[2]:.2%} | {words / seconds:,.0f} | {_scores(nlp, test)} |"
        )


def _quantized(component, choice: tuple, calibration: dict):
    from arabic_news_ie.models.quantization import quantize_dynamic, quantize_int8

    if component is None:
        return None
    kind, options = choice
    other = copy.copy(component)
    if kind == "dynamic":
        other.model = quantize_dynamic(copy.deepcopy(component.model), **options)
    else:
        other.model = quantize_int8(
            component.model,
            calibration[component.settings.task] if options["calibrated"] else None,
            heads=options.get("heads", False),
            outliers=options.get("outliers", 0),
        )
    return other


def _calibration(parts: dict, run: Path) -> dict:
    """Each component's saved calibration, or one measured now on its first 256 train windows."""
    from arabic_news_ie.data.windows import sentence_units
    from arabic_news_ie.models.quantization import calibrate

    train = _split(run, "train")
    found = {}
    for task, component in parts.items():
        if component.calibration is None:
            features = component.encode([a.text for a in train], sentence_units(train)).features
            component.calibration = calibrate(component, features[:256])
        found[task] = component.calibration
    return found


def _timed(nlp, texts: list[str], batch_size: int = 16):
    nlp(texts[:8], batch_size=batch_size)  # warm-up
    start = time.perf_counter()
    results = nlp(texts, batch_size=batch_size)
    return time.perf_counter() - start, results


def _words(text: str) -> list:
    from arabic_news_ie.text import words

    return words(text)


def _split(run: Path, name: str):
    from arabic_news_ie.config import load_config
    from arabic_news_ie.data.splits import load_splits

    return load_splits(load_config(run / "config.yaml", written_by_run=True).data)[name]


def _scores(nlp, articles) -> str:
    """Test F1s from the Pipeline's own probabilities of the gold sentences (so the int8 recheck counts)."""
    from arabic_news_ie.data.windows import sentence_units
    from arabic_news_ie.inference.evaluation import score_classifier, score_tagger

    word_probs, event_probs = nlp.unit_probs([a.text for a in articles], sentence_units(articles), 64)
    ner = score_tagger(nlp.ner, articles, probs=word_probs)["f1"] if nlp.ner else float("nan")
    events = score_classifier(nlp.events, articles, probs=event_probs)["micro_f1"] if nlp.events else float("nan")
    return f"{ner:.3f} | {events:.3f}"


if __name__ == "__main__":
    main()
