"""``python -m arabic_news_ie {validate,stats,compile}``: corpus tools with one-line errors."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .corpus import write_jsonl
from .schema import ENTITY_LABELS, EVENT_TYPES, Schema
from .stats import corpus_stats
from .validation import check_loaded, expand_paths, load_any, validate_paths


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 clean, 1 problems found, 2 usage error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a traceback
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m arabic_news_ie", description=__doc__)
    sub = parser.add_subparsers(required=True)
    validate = sub.add_parser("validate", help="check JSONL/CoNLL/.ann files; exit 1 on problems")
    validate.add_argument("paths", nargs="+")
    _schema_args(validate)
    validate.set_defaults(func=_validate)
    stats = sub.add_parser("stats", help="print corpus statistics as JSON")
    stats.add_argument("paths", nargs="+")
    stats.set_defaults(func=_stats)
    compile_ = sub.add_parser("compile", help="compile authoring .ann files to corpus JSONL")
    compile_.add_argument("paths", nargs="+")
    compile_.add_argument("-o", "--output", default="data/corpus.jsonl")
    compile_.add_argument("--check", action="store_true", help="only check and print a summary")
    _schema_args(compile_)
    compile_.set_defaults(func=_compile)
    return parser


def _schema_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--entity-labels", default=",".join(ENTITY_LABELS), help="comma-separated")
    parser.add_argument("--event-types", default=",".join(EVENT_TYPES), help="comma-separated")


def _schema(args: argparse.Namespace) -> Schema:
    return Schema(tuple(args.entity_labels.split(",")), tuple(args.event_types.split(",")))


def _validate(args: argparse.Namespace) -> int:
    problems = validate_paths(args.paths, _schema(args))
    for problem in problems:
        print(problem)
    files = [p for p in expand_paths(args.paths) if isinstance(p, Path)]
    print(f"{len(problems)} problem(s) in {len(files)} file(s)", file=sys.stderr)
    return 1 if problems else 0


def _load_all(paths: list[str]) -> tuple[list, list]:
    articles, problems = [], []
    for path in expand_paths(paths):
        if not isinstance(path, Path):
            problems.append(path)
            continue
        loaded = load_any(path)
        articles.extend(loaded.articles)
        problems.extend(loaded.problems)
    return articles, problems


def _stats(args: argparse.Namespace) -> int:
    articles, problems = _load_all(args.paths)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(json.dumps(corpus_stats(articles), ensure_ascii=False, indent=2))
    return 1 if problems else 0


def _compile(args: argparse.Namespace) -> int:
    schema = _schema(args)
    articles, problems, seen = [], [], {}
    for path in sorted(p for p in expand_ann(args.paths)):
        loaded = load_any(path)
        problems.extend(check_loaded(loaded, schema, seen))
        articles.extend(loaded.articles)
    for problem in problems:
        print(problem)
    stats = corpus_stats(articles)
    print(
        f"{stats['articles']} articles, {stats['sentences']} sentences ({stats['no_event_sentences']} without event), "
        f"{stats['words']} words; entities {stats['entities']}; events {stats['events']}; {len(problems)} problem(s)"
    )
    if not args.check and not problems:
        write_jsonl(articles, args.output)
        print(f"wrote {args.output}")
    return 1 if problems else 0


def expand_ann(paths: list[str]) -> list[Path]:
    """The ``.ann`` files named or inside the directories named."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        found.extend(sorted(path.glob("*.ann")) if path.is_dir() else [path])
    return found




def train_command(args: argparse.Namespace) -> int:
    """Run ``train.py``: bad config or data gives one line on stderr and exit code 2, never a traceback."""
    from .config import ConfigError, load_config
    from .data import DataError
    from .reporting import report_run
    from .training import RunError, run

    try:
        cfg = load_config(args.config, args.overrides)
        output = Path(args.output_dir or f"runs/{Path(args.config).stem}")
        metrics = run(cfg, output, task=args.task, resume=args.resume)
        report_run(cfg, output, metrics, push_to_hub=args.push_to_hub)
    except (ConfigError, DataError, RunError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: continue with --resume", file=sys.stderr)
        return 130
    return 0
