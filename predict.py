"""Batch inference: JSONL / .txt / directory in, one JSON line per article out, in input order.

python predict.py --model runs/default --input articles.jsonl --output out.jsonl [--resume] [--html out.html]
python predict.py --engine ray --model runs/default --input articles.parquet --output out.parquet [--address auto]
"""

import argparse
import sys

from arabic_news_ie.cli import predict_command
from arabic_news_ie.decoding import METHODS


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default", help="run or model directory (default: %(default)s)")
    parser.add_argument("--input", help="JSONL with id and text, a .txt article, or a directory of .txt files")
    parser.add_argument("--output", help="output JSONL (optional with --print)")
    parser.add_argument("--print", dest="print_results", action="store_true", help="print entities and event types")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--resume", action="store_true", help="complete an interrupted run's output")
    parser.add_argument(
        "--quantize", action="store_true", help="int8 inference (CPU; per-token activations, calibrated)"
    )
    parser.add_argument("--device", default=None, help="cpu, cuda, cuda:1 … (default: CUDA when available)")
    parser.add_argument("--no-skip-noise", action="store_true", help="analyse boilerplate and repeated headlines too")
    parser.add_argument("--html", default=None, help="also write a right-to-left HTML page of the results")
    parser.add_argument(
        "--decoding",
        default="viterbi",
        choices=METHODS,
        help="NER tags: best valid sequence under the trained tag prior (default), without it, or per word",
    )
    parser.add_argument("--engine", default="default", choices=("default", "ray"), help="ray: a Ray Data actor pool")
    parser.add_argument("--address", default=None, help="ray: cluster to join, e.g. auto (default: a local instance)")
    parser.add_argument("--actors", type=int, default=None, help="ray: model copies (default: one per CPU or GPU)")
    parser.add_argument("--gpus-per-actor", type=float, default=0, help="ray: GPUs per actor, e.g. 1 or 0.5")
    parser.add_argument("--shard", default=None, metavar="I/N", help="process every N-th input starting at I")
    parser.add_argument(
        "--merge",
        nargs="+",
        default=None,
        metavar="SHARD",
        help="merge shard outputs (in shard order) into --output and exit",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    args = parse_args()
    if args.engine == "ray" and not args.merge:
        from arabic_news_ie.ray_engine import ray_command

        sys.exit(ray_command(args))
    sys.exit(predict_command(args))
