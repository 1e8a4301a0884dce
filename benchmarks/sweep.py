"""Run a list of training variants one after another and print each one's dev/test scores.

    python benchmarks/sweep.py --task ner --name vocab4k --set model.vocab_size=4000 -- --name lr1e-3 --set training.learning_rate=1e-3

Each variant trains from configs/default.yaml (or --config) into runs/sweep/NAME; results are appended
to runs/sweep/results.tsv (variant, task, dev and test scores, minutes, the dev score after each epoch).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> None:
    groups, current = [], []
    for arg in argv:
        if arg == "--":
            groups.append(current)
            current = []
        else:
            current.append(arg)
    groups.append(current)
    out = ROOT / "runs" / "sweep"
    out.mkdir(parents=True, exist_ok=True)
    for group in groups:
        parser = argparse.ArgumentParser()
        parser.add_argument("--name", required=True)
        parser.add_argument("--task", default="ner")
        parser.add_argument("--config", default="configs/default.yaml")
        parser.add_argument("--set", dest="overrides", action="append", default=[])
        args = parser.parse_args(group)
        started = time.time()
        command = [
            sys.executable,
            "train.py",
            "--config",
            args.config,
            "--task",
            args.task,
            "--output-dir",
            str(out / args.name),
        ]
        for item in args.overrides:
            command += ["--set", item]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        minutes = (time.time() - started) / 60
        if result.returncode != 0:
            print(
                f"{args.name}\tFAILED\t{result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ''}",
                flush=True,
            )
            continue
        metrics = json.loads((out / args.name / "metrics.json").read_text())
        key = "f1" if args.task == "ner" else "micro_f1"
        task = "ner" if args.task == "ner" else "events"
        history = json.loads((out / args.name / "history.json").read_text())[task]
        curve = " ".join(f"{h[f'eval_{key}']:.3f}" for h in history if f"eval_{key}" in h)
        row = f"{args.name}\t{task}\tdev {metrics[task]['dev'][key]:.4f}\ttest {metrics[task]['test'][key]:.4f}\t{minutes:.1f} min\tdev by epoch {curve}\t{' '.join(args.overrides)}"
        print(row, flush=True)
        with open(out / "results.tsv", "a", encoding="utf-8") as handle:
            handle.write(row + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
