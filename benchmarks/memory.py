"""Peak memory of the Pipeline on one very long article (default 5 MB), by batch size.

    python benchmarks/memory.py --model runs/default [--megabytes 5] [--batch-size 32]

Runs in a child process per setting and reports its peak RSS (ru_maxrss), so settings don't mix.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(model: str, megabytes: float, batch_size: int, ner_only: bool) -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from arabic_news_ie import Pipeline

    nlp = Pipeline.from_pretrained(model, device="cpu", skip_noise=False)  # repeated lines must not be skipped
    if ner_only:
        nlp.events = None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    article = (ROOT / "examples" / "article.txt").read_text(encoding="utf-8")
    text = (article + "\n") * int(megabytes * 1_000_000 / len(article.encode("utf-8")) + 1)
    started = time.perf_counter()
    result = nlp([text], batch_size=batch_size)[0]
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "mb": round(len(text.encode("utf-8")) / 1e6, 2),
                "batch_size": batch_size,
                "seconds": round(seconds, 1),
                "entities": len(result.entities),
                "rss_after_load_mb": before // 1024,
                "peak_rss_mb": peak // 1024,
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--megabytes", type=float, default=5.0)
    parser.add_argument("--batch-size", type=int, nargs="+", default=[8, 32])
    parser.add_argument("--ner-only", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.model, args.megabytes, args.batch_size[0], args.ner_only)
        return
    for batch_size in args.batch_size:
        command = [
            sys.executable,
            __file__,
            "--child",
            "--model",
            args.model,
            "--megabytes",
            str(args.megabytes),
            "--batch-size",
            str(batch_size),
        ]
        if args.ner_only:
            command.append("--ner-only")
        print(subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip())


if __name__ == "__main__":
    main()
