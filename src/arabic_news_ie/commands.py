"""The ``train`` and ``predict`` commands: their arguments and what they run. ``train.py``, ``predict.py`` and
the ``arabic-news-ie`` console script (``arabic-news-ie train …``, ``arabic-news-ie predict …``) share them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .config import DECODING_METHODS as METHODS


def train_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``train.py``'s options."""
    parser.add_argument(
        "--config",
        default=None,
        help="YAML config (default: the embedded default recipe, configs/default.yaml; with --resume, the run's own)",
    )
    parser.add_argument("--output-dir", default=None, help="run directory (default: runs/<config name>)")
    parser.add_argument("--task", choices=["ner", "events", "both", "mlm"], default="both")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. --set training.epochs=3 (repeatable)",
    )
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoint")
    parser.add_argument("--push-to-hub", default=None, metavar="REPO", help="push the trained models to this hub repo")
    return parser


def predict_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``predict.py``'s options."""
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
    parser.add_argument(
        "--format",
        default="jsonl",
        choices=("jsonl", "label-studio", "doccano"),
        help="jsonl: our records (default); label-studio: tasks with predictions; doccano: examples with entities",
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
    return parser


def predict_main(args: argparse.Namespace) -> int:
    """``predict.py``: the Ray engine when asked for (not to merge shards), else the batch predictor."""
    if args.engine == "ray" and not args.merge and args.format == "jsonl":
        from .inference.ray_engine import ray_command

        return ray_command(args)
    return predict_command(args)


def train_command(args: argparse.Namespace) -> int:
    """Run ``train.py``: bad config or data gives one line on stderr and exit code 2, never a traceback."""
    from .config import ConfigError, load_config
    from .data.splits import DataError
    from .training.reporting import summary_table
    from .training.run import RunError, is_main_process, train

    try:
        output = Path(args.output_dir or f"runs/{Path(args.config or 'default').stem}")
        own = output / "config.yaml"  # --resume without --config continues with the run's own settings
        if args.resume and args.config is None and own.exists():
            cfg = load_config(own, args.overrides, written_by_run=True)
        else:
            cfg = load_config(args.config, args.overrides)
        metrics = train(cfg, output, task=args.task, resume=args.resume, push_to_hub=args.push_to_hub)
    except (ConfigError, DataError, RunError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: continue with --resume", file=sys.stderr)
        return 130
    if is_main_process():
        mlm = metrics.get("mlm")
        print(
            f"masked-LM encoder in {output / 'mlm'}: dev loss {mlm['dev_loss']:.3f}" if mlm else summary_table(metrics)
        )
    return 0


def predict_command(args: argparse.Namespace) -> int:
    """Run ``predict.py``: exit 0 when every record succeeded, 1 if any failed, 2 on a usage problem."""
    from .inference.batch import merge_shards, report_predict

    if args.format != "jsonl" and (args.html or args.print_results or args.engine == "ray"):
        print(
            f"error: --format {args.format} writes tasks for annotation tools: not with --html, --print or --engine ray",
            file=sys.stderr,
        )
        return 2
    if not args.output and not args.print_results:
        print("error: --output is required (or --print to show results)", file=sys.stderr)
        return 2
    if not args.output:
        args.output = str(Path(args.model) / "predictions.jsonl")
    if args.merge:
        missing = [p for p in args.merge if not Path(p).is_file()]
        if missing:
            print(f"error: {missing[0]}: no such shard output", file=sys.stderr)
            return 2
        print(f"merged {merge_shards(args.merge, args.output)} lines into {args.output}", file=sys.stderr)
        return 0
    return report_predict(lambda: _predict(args), args.output)


def _predict(args: argparse.Namespace) -> tuple[int, int]:
    from .inference.batch import InputError, predict_file, print_results, write_html
    from .inference.pipeline import Pipeline
    from .inference.task_formats import formatter

    shard = _parse_shard(args.shard)
    if not args.input:
        raise InputError("--input is required")
    pipeline = Pipeline.from_pretrained(
        args.model,
        device=args.device,
        quantize=args.quantize,
        skip_noise=not args.no_skip_noise,
        decoding=args.decoding,
    )
    row = formatter(args.format, f"arabic_news_ie:{Path(args.model).resolve().name}")
    written, errors = predict_file(pipeline, args.input, args.output, args.batch_size, args.resume, shard, row=row)
    if args.html:
        write_html(args.input, args.output, args.html, shard)
    if args.print_results:
        print_results(args.output)
    return written, errors


def _parse_shard(value: str | None) -> tuple[int, int]:
    if value is None:
        return 0, 1
    index, _, count = value.partition("/")
    if not (index.isdigit() and count.isdigit() and 0 <= int(index) < int(count)):
        raise ValueError(f"--shard {value!r}: expected I/N with 0 <= I < N, e.g. 0/4")
    return int(index), int(count)


def select_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """``select``'s options."""
    parser.add_argument("--model", required=True, help="run directory (ner/ and/or events/)")
    parser.add_argument(
        "--input", required=True, help="unlabelled articles: JSONL with id and text, .txt, or a directory"
    )
    parser.add_argument("-n", type=int, default=50, help="how many articles to pick (default: %(default)s)")
    parser.add_argument("-o", "--output", required=True, help="the picked articles as tasks, most informative first")
    parser.add_argument("--format", default="label-studio", choices=("label-studio", "doccano", "jsonl"))
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default=None)
    return parser


def select_command(args: argparse.Namespace) -> int:
    """Rank the pool by uncertainty with diversity and write the top ``-n`` as pre-annotated tasks; exit 1 if
    an input record was bad (each named on stderr), 2 on a usage problem."""
    from .inference.batch import InputError, json_line, read_inputs
    from .inference.model_files import ModelLoadError
    from .inference.pipeline import Pipeline
    from .inference.selection import rank, score_articles
    from .inference.task_formats import formatter

    try:
        records = list(read_inputs(args.input))
        pipeline = Pipeline.from_pretrained(args.model, device=args.device)
    except (InputError, ModelLoadError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    bad = [r for r in records if r.error is not None]
    for record in bad:
        print(f"{args.input}:{record.line}: {record.error}", file=sys.stderr)
    good = [r for r in records if r.error is None]
    results, scores = score_articles(pipeline, [r.text for r in good], args.batch_size)
    row = formatter(args.format, f"arabic_news_ie:{Path(args.model).resolve().name}")
    with open(args.output, "wb") as handle:
        for picked in rank([r.text for r in good], scores, args.n):
            record, result = good[picked.index], results[picked.index]
            out = row(record.id, result) if row else {"id": record.id, **result.to_dict()}
            (out["data"] if "data" in out else out)["uncertainty"] = round(picked.score, 4)
            handle.write(json_line(out))
    print(f"picked {min(args.n, len(good))} of {len(good)} articles into {args.output}", file=sys.stderr)
    return 1 if bad else 0
