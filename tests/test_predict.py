"""predict.py: ordered output, error records, resume after a kill, shards, HTML."""

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT


def _predict(*args, timeout=600):
    return subprocess.run(
        [sys.executable, str(ROOT / "predict.py"), *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=timeout,
    )


def _articles(tmp_path, n=12):
    path = tmp_path / "in.jsonl"
    lines = []
    for i in range(n):
        lines.append(
            json.dumps(
                {"id": f"a{i}", "text": f"وصل الوزير {i} إلى موسكو أمس. والتقى لافروف في الكرملين.\nلم تشترك بعد"},
                ensure_ascii=False,
            )
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_bad_records_become_error_records_in_order(tiny_run, tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"id": "ok1", "text": "زار بوتين طهران."}\nnot json\n{"id": "no-text"}\n{"id": "num", "text": 5}\n\n{"id": "ok2", "text": ""}\n',
        encoding="utf-8",
    )
    result = _predict("--model", tiny_run, "--input", path, "--output", tmp_path / "out.jsonl")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == ["ok1", None, "no-text", "num", "ok2"]
    assert [r.get("line") for r in rows] == [None, 2, 3, 4, None]
    assert (
        "invalid JSON" in rows[1]["error"]
        and "missing field 'text'" in rows[2]["error"]
        and "must be a string" in rows[3]["error"]
    )
    assert set(rows[0]) == {"id", "entities", "sentences", "events"}


@pytest.mark.slow
def test_txt_file_and_directory_inputs(tiny_run, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "b.txt").write_text("زار بوتين طهران.", encoding="utf-8")
    (folder / "a.txt").write_text("وصل ظريف إلى موسكو.", encoding="utf-8")
    assert _predict("--model", tiny_run, "--input", folder, "--output", tmp_path / "d.jsonl").returncode == 0
    assert [json.loads(l)["id"] for l in (tmp_path / "d.jsonl").read_text().splitlines()] == ["a", "b"]
    result = _predict("--model", tiny_run, "--input", folder / "a.txt", "--print")
    assert result.returncode == 0 and "== a" in result.stdout and "events:" in result.stdout


def test_missing_model_or_input_is_one_line(tiny_run, tmp_path):
    result = _predict("--model", tmp_path / "nope", "--input", tmp_path / "x.jsonl", "--output", tmp_path / "o.jsonl")
    assert result.returncode == 2 and "no such model directory" in result.stderr and "Traceback" not in result.stderr
    result = _predict("--model", tiny_run, "--input", tmp_path / "x.jsonl", "--output", tmp_path / "o.jsonl")
    assert result.returncode == 2 and "no such file or directory" in result.stderr


@pytest.mark.slow
def test_resume_after_kill_gives_the_uninterrupted_output(tiny_run, tmp_path):
    inputs = _articles(tmp_path, n=40)
    full = tmp_path / "full.jsonl"
    assert _predict("--model", tiny_run, "--input", inputs, "--output", full, "--batch-size", "1").returncode == 0
    partial = tmp_path / "partial.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "predict.py"),
            "--model",
            str(tiny_run),
            "--input",
            str(inputs),
            "--output",
            str(partial),
            "--batch-size",
            "1",
        ],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    deadline = time.time() + 300
    while time.time() < deadline and (not partial.exists() or partial.read_bytes().count(b"\n") < 3):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done = partial.read_bytes().count(b"\n")
    assert 3 <= done < 40, done
    with open(partial, "ab") as handle:  # a write cut off mid-line, as a kill can leave it
        handle.write(b'{"id": "a9", "entit')
    assert (
        _predict(
            "--model", tiny_run, "--input", inputs, "--output", partial, "--batch-size", "1", "--resume"
        ).returncode
        == 0
    )
    assert partial.read_bytes() == full.read_bytes()


@pytest.mark.slow
def test_shards_merge_back_to_the_unsharded_output(tiny_run, tmp_path):
    inputs = _articles(tmp_path, n=7)
    assert _predict("--model", tiny_run, "--input", inputs, "--output", tmp_path / "all.jsonl").returncode == 0
    for i in range(3):
        assert (
            _predict(
                "--model", tiny_run, "--input", inputs, "--output", tmp_path / f"s{i}.jsonl", "--shard", f"{i}/3"
            ).returncode
            == 0
        )
    merged = _predict("--merge", *[tmp_path / f"s{i}.jsonl" for i in range(3)], "--output", tmp_path / "merged.jsonl")
    assert merged.returncode == 0
    assert (tmp_path / "merged.jsonl").read_bytes() == (tmp_path / "all.jsonl").read_bytes()
    assert (
        _predict("--model", tiny_run, "--input", inputs, "--output", tmp_path / "x.jsonl", "--shard", "3/3").returncode
        == 2
    )


def test_html_output_is_self_contained_rtl(tiny_run, tmp_path):
    inputs = _articles(tmp_path, n=2)
    result = _predict(
        "--model", tiny_run, "--input", inputs, "--output", tmp_path / "o.jsonl", "--html", tmp_path / "o.html"
    )
    assert result.returncode == 0
    page = (tmp_path / "o.html").read_text(encoding="utf-8")
    assert '<html lang="ar" dir="rtl">' in page and "http" not in page.split("</style>")[0]
    assert page.count("<article") == 2 and "<h2>a0</h2>" in page and "<h2>a1</h2>" in page
    assert "لافروف" in re.sub("<[^>]+>", "", page)


def test_a_lone_surrogate_in_a_result_is_escaped_not_fatal():
    """JSON input may hold "\\ud800" (valid JSON, not encodable as UTF-8); its line is written with escapes."""
    from arabic_news_ie.inference.batch import json_line

    row = {"id": "x", "entities": [{"text": "طهران\ud800", "start": 0, "end": 6}]}
    line = json_line(row)
    assert line.endswith(b"\n") and b"\\ud800" in line and json.loads(line.decode("utf-8")) == row
    assert json_line({"id": "طهران"}) == '{"id": "طهران"}\n'.encode()  # ordinary lines stay readable UTF-8
