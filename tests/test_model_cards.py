"""Each saved component loads the way its model card says, in stock transformers, and gives the scores our
own loader gives; the mean-pooled event model is refused, not mis-loaded, without its registered class."""

import json
import os
import re
import subprocess
import sys

import pytest

from arabic_news_ie.training.model_card import EXAMPLE


def _card_code(card: str) -> str:
    return re.search(r"## How to use\n```python\n(.*?)```", card, re.S).group(1)


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_VERBOSITY": "error"}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def _dump(variable: str, text: str) -> str:
    return f"\nimport json\nprint('RESULT', json.dumps({variable}({text!r}), default=float))\n"


def _result(done: subprocess.CompletedProcess):
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.split("RESULT ", 1)[1])


def _own_event_scores(directory, text: str) -> dict:
    import torch

    from arabic_news_ie.inference.model_files import load_model

    model, tokenizer, _ = load_model(directory, "cpu")
    with torch.no_grad():
        logits = model(**tokenizer(text, return_tensors="pt")).logits[0]
    return {model.config.id2label[i]: p for i, p in enumerate(torch.sigmoid(logits).tolist())}


def test_each_component_card_has_its_pipeline_tag(tiny_run):
    tags = {
        part: re.search(r"pipeline_tag: (\S+)", (tiny_run / part / "README.md").read_text(encoding="utf-8")).group(1)
        for part in ("ner", "events")
    }
    assert tags == {"ner": "token-classification", "events": "text-classification"}


def test_the_event_card_snippet_loads_the_mean_pooled_model_correctly(tiny_run):
    card = (tiny_run / "events" / "README.md").read_text(encoding="utf-8")
    code = _card_code(card).replace("RUN_DIR", str(tiny_run))
    prefix = json.loads((tiny_run / "events" / "config.json").read_text())["arabic_news_ie"]["input_prefix"]
    result = _result(_run(code + _dump("events", prefix + EXAMPLE)))
    scores = {item["label"]: item["score"] for item in (result[0] if isinstance(result[0], list) else result)}
    own = _own_event_scores(tiny_run / "events", prefix + EXAMPLE)
    assert scores.keys() == own.keys()
    assert all(abs(scores[t] - own[t]) < 1e-5 for t in own), (scores, own)  # a random pooler would differ


def test_stock_transformers_refuses_the_mean_pooled_model_without_its_class(tiny_run):
    code = (
        "from transformers import AutoModelForSequenceClassification\n"
        f"AutoModelForSequenceClassification.from_pretrained({str(tiny_run / 'events')!r})\n"
    )
    done = _run(code)
    assert done.returncode != 0 and "mean_pooled_bert" in done.stderr


def test_the_ner_card_snippet_runs_in_stock_transformers(tiny_run):
    card = (tiny_run / "ner" / "README.md").read_text(encoding="utf-8")
    code = _card_code(card).replace("RUN_DIR", str(tiny_run))
    assert "arabic_news_ie" not in code  # the NER model is a stock BertForTokenClassification
    entities = _result(_run(code + _dump("ner", EXAMPLE)))
    assert isinstance(entities, list)
    assert all(EXAMPLE[e["start"] : e["end"]].strip() == e["word"].strip() for e in entities)


@pytest.mark.parametrize("part", ["run", "ner", "events"])
def test_every_card_shows_the_pipeline(tiny_run, part):
    card = (tiny_run / (part if part != "run" else "") / "README.md").read_text(encoding="utf-8")
    assert 'Pipeline.from_pretrained("RUN_DIR")' in card
