"""Soak run of ``predict.py`` (both tasks): throughput and memory per 1,000 articles, then kill and resume.

    python benchmarks/soak.py --model runs/default [--articles 10000] [--quantize] [--kill-at 5000]

The real ANT articles (../shared/corpora/ant-news) are repeated, each copy with its own id, into a pool of
``--articles``. ``predict.py`` runs over it as a user would run it; this script watches the output file
and the process: per 1,000 articles written, words/s of that block, the process's resident memory (RSS)
and its peak so far (VmHWM). Then the same command is killed (SIGKILL) once ``--kill-at`` articles are
written, rerun with ``--resume``, and its output compared byte for byte with the uninterrupted run's.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ANT = ROOT.parent / "shared" / "corpora" / "ant-news" / "articles.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--block", type=int, default=1_000)
    parser.add_argument("--kill-at", type=int, default=None, help="default: half of --articles; 0 skips the kill")
    parser.add_argument("--quantize", action="store_true")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="soak-"))
    pool, words = write_pool(work / "pool.jsonl", args.articles)
    command = [sys.executable, "predict.py", "--model", args.model, "--input", str(pool)]
    command += ["--quantize"] * args.quantize
    print(f"{args.articles} articles ({sum(words):,} words), {' '.join(command[1:])}\n")
    print("| articles | block words/s | RSS (MB) | peak RSS (MB) |")
    print("|---|---|---|---|")
    started = time.perf_counter()
    watch(command + ["--output", str(work / "full.jsonl")], work / "full.jsonl", words, args.block)
    print(
        f"\nuninterrupted: {time.perf_counter() - started:.0f} s, {sum(words) / (time.perf_counter() - started):,.0f} words/s"
    )
    kill_at = args.articles // 2 if args.kill_at is None else args.kill_at
    if kill_at:
        resumed = work / "resumed.jsonl"
        watch(command + ["--output", str(resumed)], resumed, words, args.block, kill_at=kill_at, quiet=True)
        written = LineCounter(resumed).count()
        subprocess.run(command + ["--output", str(resumed), "--resume"], cwd=ROOT, check=True, capture_output=True)
        same = filecmp.cmp(work / "full.jsonl", resumed, shallow=False)
        print(
            f"killed (SIGKILL) with {written} lines written, resumed: output byte-equal to the uninterrupted run: {same}"
        )


def write_pool(path: Path, count: int) -> tuple[Path, list[int]]:
    """``count`` records cycling through the ANT articles, ids ``<id>#<copy>``; the words of each."""
    sys.path.insert(0, str(ROOT / "src"))
    from arabic_news_ie.text import words

    rows = [json.loads(line) for line in ANT.open(encoding="utf-8")]
    sizes = []
    with open(path, "w", encoding="utf-8") as handle:
        for n in range(count):
            row = rows[n % len(rows)]
            handle.write(
                json.dumps({"id": f"{row['id']}#{n // len(rows)}", "text": row["text"]}, ensure_ascii=False) + "\n"
            )
            sizes.append(len(words(row["text"])))
    return path, sizes


def watch(
    command: list[str], output: Path, words: list[int], block: int, kill_at: int = 0, quiet: bool = False
) -> None:
    """Run ``command``; print one row per ``block`` articles written; SIGKILL it at ``kill_at`` articles."""
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lines = LineCounter(output)
    next_row, last_time, done = block, time.perf_counter(), 0
    while process.poll() is None:
        time.sleep(0.25)
        written = lines.count()
        if kill_at and written >= kill_at:
            process.send_signal(signal.SIGKILL)
            process.wait()
            return
        while written >= next_row and not quiet:
            now = time.perf_counter()
            rss, peak = memory_mb(process.pid)
            print(f"| {next_row:,} | {sum(words[done:next_row]) / (now - last_time):,.0f} | {rss:,.0f} | {peak:,.0f} |")
            done, next_row, last_time = next_row, next_row + block, now
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} exited with {process.returncode}")


class LineCounter:
    """Lines in a file that only grows, reading only what was appended since the last count."""

    def __init__(self, path: Path):
        self.path, self.offset, self.lines = path, 0, 0

    def count(self) -> int:
        if self.path.exists():
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
            self.offset += len(chunk)
            self.lines += chunk.count(b"\n")
        return self.lines


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process in MB, from /proc."""
    fields = {}
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:  # it has just exited
        return float("nan"), float("nan")
    for line in status.splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


if __name__ == "__main__":
    main()
