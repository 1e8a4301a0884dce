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
    print(
        f"events dev micro-F1 {events['dev']['micro_f1']:.3f}  test micro-F1 {events['test']['micro_f1']:.3f} macro-F1 {events['test']['macro_f1']:.3f} (threshold {events['threshold']})"
    )
    print("events test per type: " + ", ".join(f"{k} {v['f1']:.3f}" for k, v in events["test"]["per_type"].items()))
    for split in sorted(s for s in ner if s.startswith("test-")):  # e.g. test-original
        print(f"{split}: NER F1 {ner[split]['f1']:.3f}, events micro-F1 {events.get(split, {}).get('micro_f1', 0):.3f}")


if __name__ == "__main__":
    main()
