"""predict.py --engine ray: the default engine's records, byte for byte, from a local 2-CPU Ray instance."""

import json
import os
import subprocess
import sys

import pytest
from conftest import DATA, ROOT

ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")
pq = pytest.importorskip("pyarrow.parquet")

from arabic_news_ie.data.authoring import read_ann  # noqa: E402
from arabic_news_ie.inference.batch import predict_file  # noqa: E402
from arabic_news_ie.inference.ray_engine import ray_command, record_from_row  # noqa: E402
from predict import parse_args  # noqa: E402

BAD_LINES = [
    b"not json",
    b'{"id": "no-text"}',
    b'{"id": "number", "text": 5}',
    b"",
    b'{"id": "latin-1", "text": "\xe9"}',
]


@pytest.fixture(scope="module")
def cluster():
    """One local Ray instance for the module (starting one takes seconds); its address for other drivers."""
    ray.init(num_cpus=2, include_dashboard=False)
    yield ray.get_runtime_context().gcs_address
    ray.shutdown()


def _articles(n: int = 32) -> list[dict]:
    """``n`` distinct articles of one to three sentences of tiny.ann, and one of all of it (many windows)."""
    texts = [a.text for a in read_ann(DATA / "tiny.ann").articles]
    rows = [{"id": f"a{i}", "text": "\n".join(texts[(i + k) % len(texts)] for k in range(1 + i % 3))} for i in range(n)]
    return rows + [{"id": "all", "text": "\n".join(texts)}]


def _default_engine(pipeline, lines: list[bytes], tmp_path, name: str) -> bytes:
    (tmp_path / f"{name}.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    predict_file(pipeline, tmp_path / f"{name}.jsonl", tmp_path / f"{name}.default.jsonl", 4, progress=False)
    return (tmp_path / f"{name}.default.jsonl").read_bytes()


def _predictions(output: bytes) -> list[dict]:
    return [row for row in map(json.loads, output.splitlines()) if "error" not in row]


@pytest.mark.slow
def test_jsonl_from_a_driver_joining_the_cluster_equals_the_default_engine(cluster, tiny_run, tiny_pipeline, tmp_path):
    lines = [json.dumps(a, ensure_ascii=False).encode() for a in _articles()]
    for position, bad in enumerate(BAD_LINES):
        lines.insert(3 + 7 * position, bad)
    expected = _default_engine(tiny_pipeline, lines, tmp_path, "in")
    result = subprocess.run(
        [sys.executable, str(ROOT / "predict.py"), "--engine", "ray", "--address", cluster, "--actors", "2"]
        + ["--batch-size", "4", "--model", str(tiny_run), "--input", str(tmp_path / "in.jsonl")]
        + ["--output", str(tmp_path / "in.ray.jsonl")],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=600,
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert "ray: 2 actor(s) × (1 CPU, 0 GPU) on a cluster of 2 CPU" in result.stderr
    assert "37 article(s) written to" in result.stderr and "4 error record(s)" in result.stderr
    assert (tmp_path / "in.ray.jsonl").read_bytes() == expected
    rows = [json.loads(line) for line in expected.splitlines()]
    assert len(rows) == 37 and [r["id"] for r in rows if "error" in r] == [None, "no-text", "number", None]


@pytest.mark.slow
def test_parquet_in_and_out_equals_the_default_engine_quantized_argmax(cluster, tiny_run, tiny_pipeline, tmp_path):
    import pyarrow as pa

    from arabic_news_ie import Pipeline

    articles = _articles(30)
    articles[4] = {"id": "no-text", "text": None}
    articles[9] = {"id": None, "text": articles[9]["text"]}
    pq.write_table(pa.Table.from_pylist(articles), tmp_path / "in.parquet", row_group_size=7)
    same_in_jsonl = [json.dumps({k: v for k, v in a.items() if v is not None}, ensure_ascii=False) for a in articles]
    pipeline = Pipeline.from_pretrained(tiny_run, device="cpu", quantize=True, decoding="argmax")
    lines = [line.encode() for line in same_in_jsonl]
    expected = _default_engine(pipeline, lines, tmp_path, "in")
    (tmp_path / "plain").mkdir()
    plain = _default_engine(tiny_pipeline, lines, tmp_path / "plain", "in")
    assert _predictions(plain) != _predictions(expected)  # so the actors must honour both options
    args = ["--engine", "ray", "--batch-size", "4", "--quantize", "--decoding", "argmax", "--model", str(tiny_run)]
    args += ["--input", str(tmp_path / "in.parquet")]
    assert ray_command(parse_args(args + ["--output", str(tmp_path / "out.parquet")])) == 1

    table = pq.read_table(tmp_path / "out.parquet")
    assert table.column_names == ["id", "line", "error", "entities", "sentences", "events"]
    lines = [json.dumps(record_from_row(row), ensure_ascii=False) for row in table.to_pylist()]
    assert "\n".join(lines) + "\n" == expected.decode().replace("in.jsonl:", "in.parquet:")
    assert table["id"][9].as_py() == "in-10" and "missing field 'text'" in table["error"][4].as_py()


def test_default_engine_options_are_one_line_usage_errors(tiny_run, tmp_path, capsys):
    (tmp_path / "in.jsonl").write_text('{"id": "a", "text": "زار بوتين طهران."}\n', encoding="utf-8")
    base = ["--engine", "ray", "--model", str(tiny_run), "--input", str(tmp_path / "in.jsonl"), "--output"]
    assert ray_command(parse_args(base + [str(tmp_path / "o.jsonl"), "--shard", "0/2"])) == 2
    assert ray_command(parse_args(base + [str(tmp_path / "o.parquet"), "--html", str(tmp_path / "o.html")])) == 2
    assert ray_command(parse_args(base[:2] + ["--model", str(tmp_path / "nope")] + base[4:] + ["o.jsonl"])) == 2
    errors = capsys.readouterr().err.splitlines()
    assert errors[0].startswith("error: --shard is for the default engine") and len(errors) == 3
    assert "--html and --print need" in errors[1] and "nope: no such model directory" in errors[2]
