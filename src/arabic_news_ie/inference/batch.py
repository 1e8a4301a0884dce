"""Batch inference over files: ordered JSONL output, error records, crash-safe ``--resume``."""

from __future__ import annotations

import ctypes
import json
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Record:
    """One input article, or the reason it could not be read."""

    index: int
    id: str | None
    line: int
    text: str | None = None
    error: str | None = None


class InputError(RuntimeError):
    """The input as a whole can't be read (missing path, empty directory), reported in one line."""


def read_inputs(path: str | Path) -> Iterator[Record]:
    """JSONL (``id``, ``text`` per line), one ``.txt`` article, or a directory of ``.txt`` files."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.txt"))
        if not files:
            raise InputError(f"{path}: directory holds no .txt files")
        for index, file in enumerate(files):
            yield _txt_record(index, file)
    elif not path.is_file():
        raise InputError(f"{path}: no such file or directory")
    elif path.suffix.lower() == ".jsonl":
        yield from _jsonl_records(path)
    else:
        yield _txt_record(0, path)


def _txt_record(index: int, file: Path) -> Record:
    try:
        return Record(index, file.stem, 1, text=file.read_text(encoding="utf-8"))
    except UnicodeDecodeError as err:
        return Record(index, file.stem, 1, error=f"{file}: not UTF-8 (invalid byte at offset {err.start})")
    except OSError as err:
        return Record(index, file.stem, 1, error=f"{file}: cannot read ({err.strerror})")


def _jsonl_records(path: Path) -> Iterator[Record]:
    index = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            yield _parse_line(index, number, raw, path)
            index += 1


def _parse_line(index: int, number: int, raw: bytes, path: Path) -> Record:
    try:
        record = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return Record(index, None, number, error=f"{path}:{number}: not UTF-8")
    except json.JSONDecodeError as err:
        return Record(index, None, number, error=f"{path}:{number}: invalid JSON ({err.msg})")
    if not isinstance(record, dict):
        return Record(index, None, number, error=f"{path}:{number}: expected a JSON object")
    record_id = record.get("id")
    record_id = str(record_id) if record_id is not None else f"{path.stem}-{number}"
    if "text" not in record:
        return Record(index, record_id, number, error=f"{path}:{number}: missing field 'text'")
    if not isinstance(record["text"], str):
        return Record(
            index,
            record_id,
            number,
            error=f"{path}:{number}: field 'text' must be a string, got {type(record['text']).__name__}",
        )
    return Record(index, record_id, number, text=record["text"])


def completed_lines(output: Path) -> int:
    """Complete lines already in ``output``; a partial last line (a killed write) is cut off."""
    if not output.exists():
        return 0
    data = output.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep != len(data):
        with open(output, "r+b") as handle:
            handle.truncate(keep)
    return data[:keep].count(b"\n")


def output_record(record: Record, result, row=None) -> dict:
    """The JSON line for one input: its result (as ``row(id, result)`` builds it, if given), or an error
    record naming its line."""
    if record.error is not None or result is None:
        return {"id": record.id, "line": record.line, "error": record.error}
    return row(record.id, result) if row else {"id": record.id, **result.to_dict()}


def predict_file(
    pipeline,
    input_path: str,
    output_path: str,
    batch_size: int = 32,
    resume: bool = False,
    shard: tuple[int, int] = (0, 1),
    progress: bool = True,
    row=None,
) -> tuple[int, int]:
    """Run ``pipeline`` over inputs, appending ordered JSON lines (``row``: a format's row builder, see
    ``task_formats.formatter``). Returns (records written, errors)."""
    from tqdm import tqdm

    output = Path(output_path)
    output.parent.mkdir(parents=True, exist_ok=True)
    done = completed_lines(output) if resume else 0
    mode = "ab" if resume else "wb"
    written = errors = 0
    shard_index, shard_count = shard
    records = (r for r in read_inputs(input_path) if r.index % shard_count == shard_index)
    bar = tqdm(unit="article", disable=not progress, file=sys.stderr, initial=done)
    with open(output, mode) as handle:
        for batch in _batches(records, batch_size, skip=done):
            rows = predict_records(pipeline, batch, batch_size, row)
            errors += sum("error" in row for row in rows)
            handle.write(b"".join(json_line(row) for row in rows))
            handle.flush()
            os.fsync(handle.fileno())  # everything reported so far survives a kill
            release_free_memory()
            written += len(batch)
            bar.update(len(batch))
    bar.close()
    return written, errors


def release_free_memory() -> None:
    """Hand freed heap pages back to the OS. glibc keeps them after the varied tensor sizes of each batch,
    so without this a long run's resident memory creeps up (~25 MB per 1,000 articles, benchmarks/soak.py)."""
    global _LIBC
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL("libc.so.6")
        except OSError:  # not glibc (macOS, musl): nothing to do
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)


_LIBC = None


def json_line(row: dict) -> bytes:
    """One UTF-8 JSON line; a text holding a lone surrogate (valid JSON input, not encodable as UTF-8)
    is written with ``\\u`` escapes instead, so that one odd article never stops a run."""
    try:
        return json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n"
    except UnicodeEncodeError:
        return json.dumps(row).encode("ascii") + b"\n"


def predict_records(pipeline, batch: list[Record], batch_size: int = 32, row=None) -> list[dict]:
    """The output record of each input in ``batch``, in order; both engines (this file's and Ray's) call it."""
    texts = [r.text for r in batch if r.error is None]
    results = iter(_safe_predict(pipeline, texts, batch_size))
    rows = []
    for record in batch:
        result = next(results) if record.error is None else None
        if isinstance(result, Exception):
            record, result = Record(record.index, record.id, record.line, error=f"prediction failed: {result}"), None
        rows.append(output_record(record, result, row))
    return rows


def _batches(records: Iterator[Record], size: int, skip: int) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for position, record in enumerate(records):
        if position < skip:
            continue
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _safe_predict(pipeline, texts: list[str], batch_size: int) -> list:
    """Predict a batch; if it fails, retry one by one so a single bad article becomes one error record."""
    try:
        return pipeline(texts, batch_size=batch_size)
    except Exception:  # noqa: BLE001 - isolate the failing article, report it, go on
        results = []
        for text in texts:
            try:
                results.append(pipeline([text], batch_size=batch_size)[0])
            except Exception as err:  # noqa: BLE001
                results.append(RuntimeError(str(err).splitlines()[0] if str(err) else type(err).__name__))
        return results


def merge_shards(paths: list[str], output_path: str) -> int:
    """Interleave shard outputs (``--shard i/N``) back into input order; returns lines written."""
    handles = [open(p, "rb") for p in paths]
    count = 0
    try:
        with open(output_path, "wb") as out:
            while True:
                wrote = False
                for handle in handles:
                    line = handle.readline()
                    if line:
                        out.write(line)
                        count += 1
                        wrote = True
                if not wrote:
                    return count
    finally:
        for handle in handles:
            handle.close()


def report_predict(run: Callable[[], tuple[int, int]], output: str, usage_errors: tuple = ()) -> int:
    """Call ``run`` (-> records written, error records) and say how it went, in one line on stderr.

    Exit code: 0 when every record succeeded, 1 if any became an error record, 2 when the run could not
    start (bad input path, model or option; ``usage_errors`` adds exception types, e.g. no Ray cluster).
    """
    from .model_files import ModelLoadError

    try:
        written, errors = run()
    except (InputError, ModelLoadError, ValueError, *usage_errors) as err:
        print(f"error: {(str(err).splitlines() or [type(err).__name__])[0]}", file=sys.stderr)
        return 2
    except OSError as err:
        print(f"error: {err.filename or output}: {err.strerror}", file=sys.stderr)
        return 2
    print(f"{written} article(s) written to {output}, {errors} error record(s)", file=sys.stderr)
    return 1 if errors else 0


def print_results(output: str, limit: int = 20) -> None:
    """Human-readable entities and event types of the first ``limit`` outputs."""
    from itertools import islice

    with open(output, encoding="utf-8") as handle:
        for line in islice(handle, limit):
            row = json.loads(line)
            print(f"== {row['id']}")
            if "error" in row:
                print(f"   error: {row['error']}")
                continue
            for entity in row["entities"]:
                print(
                    f"   {entity['label']:<5} {entity['text']}  [{entity['start']}:{entity['end']}] {entity['score']:.2f}"
                )
            events = ", ".join(f"{label} {score:.2f}" for label, score in row["events"]) or "none"
            print(f"   events: {events}")


def write_html(input_path: str, output: str, html_path: str, shard: tuple[int, int] = (0, 1), limit: int = 500) -> None:
    """Render the first ``limit`` results of an output file next to their input texts."""
    from itertools import islice

    from ..render import render_page
    from ..results import Result

    inputs = (r for r in read_inputs(input_path) if r.index % shard[1] == shard[0])
    results, titles = [], []
    with open(output, encoding="utf-8") as handle:
        for record, line in islice(zip(inputs, handle), limit):
            row = json.loads(line)
            if "error" in row:
                continue
            results.append(Result.from_dict(row, record.text))
            titles.append(str(row["id"]))
    Path(html_path).write_text(render_page(results, titles), encoding="utf-8")
