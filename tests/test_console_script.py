"""The ``arabic-news-ie`` console script, run from an empty directory: a config next to its data file is
found from the config's location, never from the package's (benchmarks/standalone_install.sh repeats this
after a non-editable ``pip install .`` in a fresh venv)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import SCRATCH_OVERRIDES


def _console(*args, cwd):
    script = Path(sys.executable).parent / "arabic-news-ie"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    return subprocess.run([str(script), *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def _tiny_config(project: Path) -> Path:
    config: dict = {"data": {"train": "tiny.jsonl"}}
    for item in SCRATCH_OVERRIDES + ["model.name_or_path=null", "model.shared_encoder=false", "events.pooling=cls"]:
        key, value = item.split("=")
        section, name = key.split(".")
        config.setdefault(section, {})[name] = yaml.safe_load(value)
    config["events"].update(pooled_norm="none", input_prefix="")
    path = project / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.mark.slow
def test_train_and_predict_from_an_empty_directory(tmp_path, tiny_corpus):
    project, elsewhere = tmp_path / "project", tmp_path / "empty"
    project.mkdir(), elsewhere.mkdir()
    shutil.copy(tiny_corpus, project / "tiny.jsonl")
    config = _tiny_config(project)
    trained = _console("train", "--config", str(config), "--output-dir", "run", cwd=elsewhere)
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert {"ner", "events"} <= set(json.loads((elsewhere / "run" / "metrics.json").read_text()))
    saved = yaml.safe_load((elsewhere / "run" / "config.yaml").read_text(encoding="utf-8"))
    assert saved["data"]["train"] == str((project / "tiny.jsonl").resolve())  # evaluate finds it from anywhere
    scored = _console("evaluate", str(elsewhere / "run"), "--split", "test", cwd=tmp_path)  # from another directory
    assert scored.returncode == 0 and "micro_f1" in json.loads(scored.stdout)["events"], scored.stderr[-2000:]
    (elsewhere / "article.txt").write_text("وصل وزير الخارجية الإيراني إلى موسكو أمس.", encoding="utf-8")
    predicted = _console("predict", "--model", "run", "--input", "article.txt", "--output", "out.jsonl", cwd=elsewhere)
    assert predicted.returncode == 0, predicted.stderr[-2000:]
    record = json.loads((elsewhere / "out.jsonl").read_text(encoding="utf-8"))
    assert record["id"] == "article" and record["sentences"][0]["start"] == 0 and "entities" in record


def test_a_missing_data_file_names_the_path_it_looked_for(tmp_path):
    (tmp_path / "config.yaml").write_text("data: {train: nowhere.jsonl}\n", encoding="utf-8")
    result = _console("train", "--config", "config.yaml", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.strip() == "error: nowhere.jsonl: data file not found"
