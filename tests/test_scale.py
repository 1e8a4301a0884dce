"""Scale-out with the stock engines: torchrun DDP on CPU (gloo)."""

import os
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, TINY_OVERRIDES


@pytest.mark.slow
@pytest.mark.skipif(
    shutil.which("torchrun", path=os.path.dirname(sys.executable)) is None, reason="torchrun not installed"
)
def test_torchrun_two_processes_on_cpu_train_a_loadable_model(tmp_path, tiny_corpus):
    overrides = [o for o in TINY_OVERRIDES if not o.startswith("training.epochs")]
    overrides += [f"data.train={tiny_corpus}", "training.max_steps=4", "training.batch_size=2", "training.use_cpu=true"]
    command = [
        os.path.join(os.path.dirname(sys.executable), "torchrun"),
        "--nproc_per_node",
        "2",
        "--master_port",
        "29533",
        str(ROOT / "train.py"),
        "--output-dir",
        str(tmp_path / "ddp"),
    ]
    for item in overrides:
        command += ["--set", item]
    result = subprocess.run(
        command,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    from arabic_news_ie import Pipeline

    text = "وصل ظريف إلى موسكو."
    out = Pipeline.from_pretrained(tmp_path / "ddp", device="cpu")([text])[0]
    assert [s.text for s in out.sentences] == [text]
    assert (tmp_path / "ddp" / "metrics.json").exists()
