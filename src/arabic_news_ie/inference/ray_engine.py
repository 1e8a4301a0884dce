"""Batch inference on Ray Data: an actor pool, one loaded Pipeline per actor, the records of ``predict.py``.

The same code runs on a laptop (a local Ray instance) and on a cluster (``ray.init(address="auto")``).
Each row becomes the record the default engine writes (``batch.predict_records`` builds both), held as
typed columns: ``id``, ``line``, ``error``, ``entities``, ``sentences``, ``events`` (null where the JSON
record has no such key; a sentence's and the article's events are lists of ``{label, score}``).

>>> import ray                                                                       # doctest: +SKIP
>>> from arabic_news_ie.inference.ray_engine import predict_dataset, record_from_row           # doctest: +SKIP
>>> ds = ray.data.from_items([{"id": "a1", "text": "زار بوتين طهران."}])            # doctest: +SKIP
>>> record_from_row(predict_dataset(ds, "runs/default", actors=2).take(1)[0])       # doctest: +SKIP
{'id': 'a1', 'entities': [{'text': 'بوتين', 'label': 'PER', 'start': 4, 'end': 9, 'score': 0.97}, ...], ...}
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import pyarrow as pa

from .batch import InputError, Record, json_line, predict_records, read_inputs

_SCORE = pa.struct([("label", pa.string()), ("score", pa.float64())])
_ENTITY = pa.struct(
    [("text", pa.string()), ("label", pa.string()), ("start", pa.int64()), ("end", pa.int64()), ("score", pa.float64())]
)
_SENTENCE = pa.struct(  # fields in Sentence.to_dict's order: rows convert back to identical JSON lines
    [("start", pa.int64()), ("end", pa.int64()), ("events", pa.list_(_SCORE)), ("skipped", pa.bool_())]
)
INPUT_SCHEMA = pa.schema([("id", pa.string()), ("line", pa.int64()), ("text", pa.string()), ("error", pa.string())])
RECORD_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("line", pa.int64()),
        ("error", pa.string()),
        ("entities", pa.list_(_ENTITY)),
        ("sentences", pa.list_(_SENTENCE)),
        ("events", pa.list_(_SCORE)),
    ]
)


class Predictor:
    """The ``map_batches`` actor: loads the Pipeline once, then turns Arrow batches of rows into records."""

    def __init__(self, model: str, device: str, quantize: bool, decoding: str, skip_noise: bool, batch_size: int):
        from transformers.utils import logging

        from .pipeline import Pipeline

        logging.disable_progress_bar()  # one "Loading weights" bar per actor is noise in the driver's log
        self.pipeline = Pipeline.from_pretrained(
            model, device=device, quantize=quantize, skip_noise=skip_noise, decoding=decoding
        )
        self.batch_size = batch_size

    def __call__(self, table: pa.Table) -> pa.Table:
        own = [name for name in INPUT_SCHEMA.names if name in table.column_names]
        records = [_input_record(i, row) for i, row in enumerate(table.select(own).to_pylist())]
        rows = [_row(record) for record in predict_records(self.pipeline, records, self.batch_size)]
        out = table.drop_columns(own)  # any other input columns pass through
        for position, field in enumerate(RECORD_SCHEMA):
            out = out.add_column(position, field, pa.array([row[field.name] for row in rows], field.type))
        return out


def predict_dataset(
    ds,
    model: str | Path,
    actors: int = 2,
    gpus_per_actor: float = 0,
    batch_size: int = 32,
    quantize: bool = False,
    decoding: str = "viterbi",
    skip_noise: bool = True,
):
    """A ``ray.data.Dataset`` of ``id``/``text`` rows → the same rows with the record columns, ``text`` dropped.

    ``actors`` each hold one Pipeline (1 CPU, ``gpus_per_actor`` GPUs: CUDA when > 0). Row order follows
    the input only when the DataContext's ``execution_options.preserve_order`` is set (``predict_path`` sets it).

    >>> out = predict_dataset(ray.data.read_parquet("s3://bucket/articles/"), "runs/default", actors=8)  # doctest: +SKIP
    >>> out.write_parquet("s3://bucket/predictions/")                                                    # doctest: +SKIP
    """
    from ray.data import ActorPoolStrategy

    model = Path(model).resolve() if Path(model).exists() else model  # actors run in another directory
    return ds.map_batches(
        Predictor,
        fn_constructor_kwargs=dict(
            model=str(model),
            device="cuda" if gpus_per_actor else "cpu",
            quantize=quantize,
            decoding=decoding,
            skip_noise=skip_noise,
            batch_size=batch_size,
        ),
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=ActorPoolStrategy(size=actors),
        num_cpus=1,
        num_gpus=gpus_per_actor or None,
    )


def record_from_row(row: dict) -> dict:
    """The JSON record of one output row: exactly the line the default engine writes for that input."""
    if row["error"] is not None:
        return {"id": row["id"], "line": row["line"], "error": row["error"]}
    sentences = [{**s, "events": _pairs(s["events"])} for s in row["sentences"]]
    return {"id": row["id"], "entities": row["entities"], "sentences": sentences, "events": _pairs(row["events"])}


def _row(record: dict) -> dict:
    """The inverse of :func:`record_from_row`."""
    if "error" in record:
        return {**record, "entities": None, "sentences": None, "events": None}
    sentences = [{**s, "events": _scores(s["events"])} for s in record["sentences"]]
    return {**record, "line": None, "error": None, "sentences": sentences, "events": _scores(record["events"])}


def _pairs(scores: list[dict]) -> list[list]:
    return [[e["label"], e["score"]] for e in scores]


def _scores(pairs: list[list]) -> list[dict]:
    return [{"label": label, "score": score} for label, score in pairs]


def _input_record(index: int, row: dict) -> Record:
    """A row of a Dataset as the default engine's reader would have made it (its error if it has one)."""
    record_id = None if row.get("id") is None else str(row["id"])
    line, text = row.get("line"), row.get("text")
    if row.get("error") is not None:
        return Record(index, record_id, line, error=row["error"])
    if text is None:
        return Record(index, record_id, line, error="missing field 'text'")
    if not isinstance(text, str):
        return Record(index, record_id, line, error=f"field 'text' must be a string, got {type(text).__name__}")
    return Record(index, record_id, line, text=text)


# ------------------------------------------------------------------ files in, files out


def read_records(path: str | Path) -> Iterator[Record]:
    """What ``predict.py`` reads (JSONL, ``.txt``, a directory of ``.txt``), plus Parquet files or directories."""
    path = Path(path)
    parquet = path.suffix.lower() == ".parquet" or (
        path.is_dir() and any(path.glob("*.parquet")) and not any(path.glob("*.txt"))
    )
    return _parquet_records(path) if parquet else read_inputs(path)


def _parquet_records(path: Path) -> Iterator[Record]:
    """Rows of ``id`` (optional) and ``text``; ``line`` is the row number in its file, from 1."""
    import pyarrow.parquet as pq

    files = sorted(path.glob("*.parquet")) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise InputError(f"{path}: no such file or directory")
    index = 0
    for file in files:
        names = pq.read_schema(file).names
        if "text" not in names:
            raise InputError(f"{file}: no 'text' column (columns: {', '.join(names)})")
        batches = pq.ParquetFile(file).iter_batches(columns=[c for c in ("id", "text") if c in names])
        for number, row in enumerate((row for batch in batches for row in batch.to_pylist()), start=1):
            row_id = f"{file.stem}-{number}" if row.get("id") is None else row["id"]
            record = _input_record(index, {"id": row_id, "line": number, "text": row["text"]})
            if record.error is not None:
                record = Record(index, record.id, number, error=f"{file}:{number}: {record.error}")
            yield record
            index += 1


def read_dataset(path: str | Path, block_rows: int = 32):
    """The input as a ``ray.data.Dataset`` (``id``, ``line``, ``text``, ``error``), read here, one block per batch.

    Only this process reads the file; blocks go to the object store, so cluster nodes need no copy of it.
    Blocks of one batch keep both engines' batches identical and spread the work over every actor.
    """
    import ray

    refs = []
    records = read_records(path)
    while chunk := list(islice(records, block_rows)):
        rows = [{"id": r.id, "line": r.line, "text": r.text, "error": r.error} for r in chunk]
        refs.append(ray.put(pa.Table.from_pylist(rows, schema=INPUT_SCHEMA)))
    return ray.data.from_arrow_refs(refs or [ray.put(INPUT_SCHEMA.empty_table())])


def write_records(ds, output_path: str | Path, row_group_rows: int = 8192) -> tuple[int, int]:
    """Run ``ds`` in order into JSONL, or Parquet when the name ends in ``.parquet``. Returns (written, errors)."""
    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    ds.context.execution_options.preserve_order = True
    written = errors = 0
    parquet = output.suffix.lower() == ".parquet"
    writer, pending = _open_writer(output, parquet), []
    with writer:
        for table in ds.iter_batches(batch_format="pyarrow", batch_size=None):
            table = table.select(RECORD_SCHEMA.names).cast(RECORD_SCHEMA)
            written, errors = written + len(table), errors + len(table) - table["error"].null_count
            if not parquet:
                writer.write(b"".join(json_line(record_from_row(row)) for row in table.to_pylist()))
                writer.flush()
                continue
            pending.append(table)
            if sum(map(len, pending)) >= row_group_rows:  # few large row groups, not one per batch
                writer.write_table(pa.concat_tables(pending))
                pending = []
        if parquet and pending:
            writer.write_table(pa.concat_tables(pending))
    return written, errors


def _open_writer(output: Path, parquet: bool):
    import pyarrow.parquet as pq

    return pq.ParquetWriter(output, RECORD_SCHEMA) if parquet else open(output, "wb")


def predict_path(model: str | Path, input_path: str | Path, output_path: str | Path, **options) -> tuple[int, int]:
    """Files in, files out on the connected Ray cluster; ``options`` as :func:`predict_dataset`."""
    ds = read_dataset(input_path, options.get("batch_size", 32))
    print(f"ray: {ds.count()} input record(s) in {ds.num_blocks()} block(s) read from {input_path}", file=sys.stderr)
    return write_records(predict_dataset(ds, model, **options), output_path)


# ------------------------------------------------------------------ predict.py --engine ray


def ray_command(args: argparse.Namespace) -> int:
    """``predict.py --engine ray``: exit 0 when every record succeeded, 1 if any failed, 2 on a usage problem."""
    from .batch import print_results, report_predict, write_html
    from .model_files import find_components

    problem = _unsupported(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        import ray
    except ImportError:
        print('error: --engine ray needs Ray: pip install -e ".[ray]"', file=sys.stderr)
        return 2
    output = args.output or str(Path(args.model) / "predictions.jsonl")

    def run() -> tuple[int, int]:
        if not args.input or not Path(args.input).exists():
            raise InputError(f"{args.input}: no such file or directory" if args.input else "--input is required")
        find_components(Path(args.model))
        written, errors = _run_on_ray(ray, args, output)
        if args.html:
            write_html(args.input, output, args.html)
        if args.print_results:
            print_results(output)
        return written, errors

    return report_predict(run, output, usage_errors=(ConnectionError,))  # ConnectionError: no cluster there


def _run_on_ray(ray, args: argparse.Namespace, output: str) -> tuple[int, int]:
    started = not ray.is_initialized()  # a caller (a notebook, the tests) may have connected already
    if started:
        ray.init(address=args.address)
    try:
        resources = ray.cluster_resources()
        gpus = args.gpus_per_actor
        actors = args.actors or max(1, int(resources.get("GPU", 0) // gpus if gpus else resources.get("CPU", 1)))
        print(
            f"ray: {actors} actor(s) × (1 CPU, {gpus:g} GPU) on a cluster of {resources.get('CPU', 0):g} CPU, "
            f"{resources.get('GPU', 0):g} GPU, {sum(n['Alive'] for n in ray.nodes())} node(s)",
            file=sys.stderr,
        )
        options = dict(quantize=args.quantize, decoding=args.decoding, skip_noise=not args.no_skip_noise)
        return predict_path(
            args.model, args.input, output, actors=actors, gpus_per_actor=gpus, batch_size=args.batch_size, **options
        )
    finally:
        if started:
            ray.shutdown()


def _unsupported(args: argparse.Namespace) -> str | None:
    """The default engine's options that have no meaning here, in one line."""
    for flag, value in (("--resume", args.resume), ("--shard", args.shard)):
        if value:
            return f"{flag} is for the default engine (Ray retries failed tasks itself)"
    if args.device:
        return "--device is for the default engine: give actors GPUs with --gpus-per-actor"
    parquet = any(str(p or "").lower().endswith(".parquet") for p in (args.input, args.output))
    if parquet and (args.html or args.print_results):
        return "--html and --print need JSONL/.txt input and JSONL output"
    return None
