"""Ray engine (an actor pool) against the single-process default engine: words/s on the same real articles.

    python benchmarks/inference_ray.py --model runs/default [--articles 150] [--actors 2] [--batch-size 32]

Both engines run predict.py's code on the same JSONL file (the first 150 articles of
../shared/corpora/ant-news, else our test split): ``batch.predict_file`` in this process (torch's default
threads) and ``ray_engine.predict_path`` on a local Ray instance (each actor 1 CPU, 1 torch thread).
Ray's start-up is reported apart: ``ray.init`` of the local instance, and the fixed cost of each run
(actors start, import torch and load the model) measured as a run over 2 articles. Prints a Markdown
table and whether both engines wrote identical records.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from inference import load_texts  # benchmarks/inference.py: the same articles as the other benchmarks


def seconds(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def write_articles(texts: list[str], path: Path) -> Path:
    lines = (json.dumps({"id": f"ant-{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(texts))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--actors", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    import ray
    import torch

    from arabic_news_ie import Pipeline
    from arabic_news_ie.inference.batch import predict_file
    from arabic_news_ie.inference.ray_engine import predict_path
    from arabic_news_ie.text import words

    texts, source = load_texts(args.articles)
    n_words = sum(len(words(t)) for t in texts)
    work = Path(tempfile.mkdtemp(prefix="inference-ray-"))
    full, two = write_articles(texts, work / "in.jsonl"), write_articles(texts[:2], work / "two.jsonl")

    load_s, pipeline = seconds(lambda: Pipeline.from_pretrained(args.model, device="cpu"))
    predict_file(pipeline, two, work / "warm.jsonl", args.batch_size, progress=False)  # warm-up
    default_s, _ = seconds(
        lambda: predict_file(pipeline, full, work / "default.jsonl", args.batch_size, progress=False)
    )

    init_s, _ = seconds(lambda: ray.init(include_dashboard=False))
    ray.data.DataContext.get_current().enable_progress_bars = False
    options = {"actors": args.actors, "batch_size": args.batch_size}
    fixed_s, _ = seconds(lambda: predict_path(args.model, two, work / "ray-two.jsonl", **options))
    ray_s, _ = seconds(lambda: predict_path(args.model, full, work / "ray.jsonl", **options))
    cpus = ray.cluster_resources().get("CPU", 0)
    ray.shutdown()

    same = (work / "default.jsonl").read_bytes() == (work / "ray.jsonl").read_bytes()
    print(f"{len(texts)} articles, {n_words} words, {source}; model {args.model}; batch size {args.batch_size}; "
          f"{os.cpu_count()} cores; default engine torch threads {torch.get_num_threads()}\n")  # fmt: skip
    print("| engine | start-up (s) | per-run fixed cost (s) | run (s) | words/s | words/s net of fixed cost |")
    print("|---|---|---|---|---|---|")
    print(f"| default, 1 process | {load_s:.1f} (load model) | — | {default_s:.1f} | {n_words / default_s:,.0f} | — |")
    print(
        f"| ray, {args.actors} actors × 1 CPU (local instance, {cpus:g} CPU) | {init_s:.1f} (ray.init) "
        f"| {fixed_s:.1f} (2-article run) | {ray_s:.1f} | {n_words / ray_s:,.0f} "
        f"| {n_words / max(ray_s - fixed_s, 1e-9):,.0f} |"
    )
    print(f"\nidentical records from both engines: {'yes' if same else 'NO'} ({work})")


if __name__ == "__main__":
    main()
