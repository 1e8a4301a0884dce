"""Time `python train.py` (the embedded default, both tasks) and print its test scores.

python benchmarks/train_default.py [--output-dir runs/default] [--set key=value ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--output-dir", default="runs/default")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()
    command = [sys.executable, "train.py", "--output-dir", args.output_dir]
    for item in args.overrides:
        command += ["--set", item]
    started = time.time()
    subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    minutes = (time.time() - started) / 60
    metrics = json.loads((ROOT / args.output_dir / "metrics.json").read_text())
    ner, events = metrics["ner"], metrics["events"]
    print(f"python train.py: {minutes:.1f} min wall on this machine")
    print(
        f"NER    dev F1 {ner['dev']['f1']:.3f}  test P {ner['test']['precision']:.3f} R {ner['test']['recall']:.3f} F1 {ner['test']['f1']:.3f}"
    )
    print("NER    test per type: " + ", ".join(f"{k} {v['f1']:.3f}" for k, v in ner["test"]["per_type"].items()))
    for split in [s for s in events if s in ("dev", "test") or s.startswith("test-")]:
        e = events[split]
        low, high = e.get("micro_f1_ci95", (float("nan"), float("nan")))
        print(
            f"events {split}: micro-F1 {e['micro_f1']:.3f} [95% over articles {low:.3f}, {high:.3f}]"
            f" P {e['micro_precision']:.3f} R {e['micro_recall']:.3f} macro-F1 {e['macro_f1']:.3f}"
        )
        print(
            "  per type F1 (support): "
            + ", ".join(f"{k} {v['f1']:.3f} ({v['support']})" for k, v in e["per_type"].items())
        )
    print(f"events threshold {events['threshold']}, dev micro-F1 by epoch: {_dev_curve(args.output_dir)}")
    for split in sorted(s for s in ner if s.startswith("test-")):  # e.g. test-original
        print(f"{split}: NER F1 {ner[split]['f1']:.3f}")


def _dev_curve(output_dir: str) -> str:
    history = json.loads((ROOT / output_dir / "history.json").read_text())["events"]
    return " ".join(f"{h['eval_micro_f1']:.3f}" for h in history if "eval_micro_f1" in h)


if __name__ == "__main__":
    main()
