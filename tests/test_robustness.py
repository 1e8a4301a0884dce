"""Faults: damaged model directories, killed training runs, unwritable outputs."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import ROOT, TINY_OVERRIDES, same_weights

from arabic_news_ie import Pipeline
from arabic_news_ie.inference.model_files import ModelLoadError


@pytest.fixture
def model_copy(tiny_run, tmp_path):
    target = tmp_path / "model"
    shutil.copytree(tiny_run / "ner", target)
    return target


def _load_error(path) -> str:
    with pytest.raises(ModelLoadError) as err:
        Pipeline.from_pretrained(path, device="cpu")
    message = str(err.value)
    assert "\n" not in message and str(path) in message
    return message


def test_missing_directory_and_missing_files(model_copy, tmp_path):
    assert "no such model directory" in _load_error(tmp_path / "absent")
    (model_copy / "model.safetensors").unlink()
    assert "model.safetensors is missing" in _load_error(model_copy)


def test_missing_config(model_copy):
    (model_copy / "config.json").unlink()
    empty = model_copy.parent / "empty"
    empty.mkdir()
    assert "no model found" in _load_error(empty)


def test_truncated_safetensors(model_copy):
    weights = model_copy / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    assert "damaged or truncated safetensors" in _load_error(model_copy)


def test_labels_that_do_not_match_the_head(model_copy):
    config = json.loads((model_copy / "config.json").read_text())
    config["id2label"] = {"0": "O", "1": "B-PER", "2": "I-PER"}
    config["label2id"] = {"O": 0, "B-PER": 1, "I-PER": 2}
    (model_copy / "config.json").write_text(json.dumps(config))
    assert "lists 3 labels but the classifier head has" in _load_error(model_copy)


def test_tokenizer_from_another_model(model_copy):
    from arabic_news_ie.models.tokenizers import train_tokenizer

    other = train_tokenizer([" ".join(f"كلمة{i}" for i in range(3000))] * 2, vocab_size=5000, min_frequency=1)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (model_copy / name).unlink()
    other.save_pretrained(model_copy)
    assert "tokenizer from another model" in _load_error(model_copy)


def test_pickle_only_directory_is_refused_without_unpickling(model_copy):
    (model_copy / "model.safetensors").unlink()
    marker = model_copy.parent / "unpickled"
    # a pickle that would create a file if it were ever loaded
    payload = b"cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR."
    (model_copy / "pytorch_model.bin").write_bytes(payload)
    assert "only pickle weights" in _load_error(model_copy)
    assert not marker.exists()


def test_predict_reports_a_damaged_model_in_one_line(model_copy, tmp_path):
    (model_copy / "model.safetensors").write_bytes(b"garbage")
    (tmp_path / "in.txt").write_text("زار بوتين طهران.", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "predict.py",
            "--model",
            str(model_copy),
            "--input",
            str(tmp_path / "in.txt"),
            "--output",
            str(tmp_path / "o.jsonl"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=300,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "damaged or truncated safetensors" in result.stderr.strip().splitlines()[-1]


def test_unwritable_output_fails_before_any_work(tmp_path, tiny_corpus):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = subprocess.run(
        [sys.executable, "train.py", "--output-dir", str(blocker / "run"), "--set", f"data.train={tiny_corpus}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert (
        result.returncode == 2
        and "output directory is not writable" in result.stderr
        and "Traceback" not in result.stderr
    )


def _train_command(output, corpus, epochs, task="ner", *extra):
    command = [sys.executable, "train.py", "--task", task, "--output-dir", str(output)]
    overrides = [o for o in TINY_OVERRIDES if not o.startswith("training.epochs")]
    for item in overrides + [
        f"data.train={corpus}",
        f"training.epochs={epochs}",
        "training.early_stopping_patience=100",
        *extra,
    ]:
        command += ["--set", item]
    return command


SHARED = ("model.shared_encoder=true", "events.epochs=null")
SEPARATE = ("model.shared_encoder=false", "ner.head_learning_rate=null", "ner.epochs=3")


@pytest.mark.slow
@pytest.mark.parametrize(
    "task, extra, checkpoint_dir, components",
    [
        ("ner", (), "ner", ("ner",)),
        ("both", SHARED, "joint", ("ner", "events")),
        ("both", SEPARATE, "events", ("ner", "events")),  # killed during events: NER is done and kept
    ],
    ids=["ner", "both-tasks-shared-encoder", "both-tasks-killed-during-events"],
)
def test_training_killed_mid_run_resumes_to_the_same_metrics(
    tmp_path, tiny_corpus, task, extra, checkpoint_dir, components
):
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    full = subprocess.run(
        _train_command(tmp_path / "full", tiny_corpus, 8, task, *extra),
        cwd=ROOT,
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert full.returncode == 0, full.stderr[-2000:]
    killed = tmp_path / "killed"
    process = subprocess.Popen(
        _train_command(killed, tiny_corpus, 8, task, *extra),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    checkpoints = killed / "checkpoints" / checkpoint_dir
    deadline = time.time() + 300
    while time.time() < deadline and len(list(checkpoints.glob("checkpoint-*/trainer_state.json"))) < 2:
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = json.loads((killed / "metrics.json").read_text()) if (killed / "metrics.json").exists() else {}
    expected = {"ner"} if checkpoint_dir == "events" else set()  # each task's metrics land when it finishes
    assert set(finished) == expected, "the run finished before it could be killed"
    kept = {c: (killed / c / "model.safetensors").stat().st_mtime_ns for c in finished}
    resumed = subprocess.run(
        _train_command(killed, tiny_corpus, 8, task, *extra) + ["--resume"],
        cwd=ROOT,
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert all((killed / c / "model.safetensors").stat().st_mtime_ns == t for c, t in kept.items()), "retrained"
    assert json.loads((killed / "metrics.json").read_text()) == json.loads(
        (tmp_path / "full" / "metrics.json").read_text()
    )
    for component in components:
        a = json.loads((tmp_path / "full" / "metrics.json").read_text())[component]
        b = json.loads((killed / "metrics.json").read_text())[component]
        assert (a["dev"], a["test"]) == (b["dev"], b["test"])
        assert same_weights(tmp_path / "full" / component, killed / component)


def test_resume_refuses_a_changed_config_naming_the_key(tmp_path):
    from arabic_news_ie.config import load_config
    from arabic_news_ie.training.reporting import write_config
    from arabic_news_ie.training.run import RunError, same_config

    started = load_config(None, ["training.epochs=3"])
    write_config(started, tmp_path)
    same_config(started, tmp_path)  # the same settings resume
    with pytest.raises(RunError, match=r"config.yaml: --resume with a different config: training.epochs was 3, now 4"):
        same_config(load_config(None, ["training.epochs=4"]), tmp_path)
    with pytest.raises(RunError, match=r"events.input_prefix was 'query: ', now ''"):
        same_config(load_config(None, ["training.epochs=3", "events.input_prefix="]), tmp_path)


def test_resume_without_config_continues_with_the_runs_own(tmp_path, tiny_corpus):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text(f"data: {{train: {tiny_corpus}}}\ntraining: {{epochs: 3}}\n", encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "train.py", "--output-dir", str(run), "--resume", "--set", "training.epochs=5"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().endswith(
        "training.epochs was 3, now 5 (resume with the run's own settings, or start a new run in another --output-dir)"
    )
