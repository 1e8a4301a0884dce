"""Run predict.py as users do (a subprocess from the repository root); returns its exit code."""

import os
import subprocess
import sys

from conftest import ROOT


def predict(*args) -> int:
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "predict.py"), *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
    return done.returncode
