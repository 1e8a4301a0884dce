"""The model's side of the annotation loop: predictions as Label Studio / doccano tasks, and ``select``."""

import json

from conftest import DATA

from arabic_news_ie.cli import main
from arabic_news_ie.data.authoring import read_ann
from arabic_news_ie.data.corpus import read_jsonl
from arabic_news_ie.inference.selection import rank

TEXTS = [a.text for a in read_ann(DATA / "tiny.ann").articles]


def _pool(tmp_path, texts):
    path = tmp_path / "pool.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"a{i}", "text": t}, ensure_ascii=False) + "\n" for i, t in enumerate(texts))
    )
    return path


def _lines(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_label_studio_tasks_carry_the_pipelines_entities_and_events(tiny_run, tiny_pipeline, tmp_path):
    from commands_helper import predict

    out = tmp_path / "tasks.jsonl"
    assert (
        predict("--model", tiny_run, "--input", _pool(tmp_path, TEXTS), "--output", out, "--format", "label-studio")
        == 0
    )
    tasks, results = _lines(out), tiny_pipeline(TEXTS)
    for task, result in zip(tasks, results):
        prediction = task["predictions"][0]
        assert task["data"]["text"] == result.text and prediction["model_version"] == f"arabic_news_ie:{tiny_run.name}"
        regions = prediction["result"]
        assert all(r["value"]["text"] == result.text[r["value"]["start"] : r["value"]["end"]] for r in regions)
        entities = [
            (r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
            for r in regions
            if r["from_name"] == "entities"
        ]
        assert entities == [(e.start, e.end, e.label) for e in result.entities]
        events = [r["value"]["labels"] for r in regions if r["from_name"] == "events"]
        assert events == [[t for t, _ in s.events] for s in result.sentences if s.events and not s.skipped]


def test_accepted_label_studio_predictions_import_back_unchanged(tiny_run, tiny_pipeline, tmp_path):
    """A task whose prediction the annotator accepts imports as exactly what the model predicted."""
    from commands_helper import predict

    out = tmp_path / "tasks.jsonl"
    predict("--model", tiny_run, "--input", _pool(tmp_path, TEXTS), "--output", out, "--format", "label-studio")
    tasks = [
        dict(t, id=i, annotations=[{"id": i, "result": t["predictions"][0]["result"]}])
        for i, t in enumerate(_lines(out))
    ]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    assert main(["import-annotations", "--from", "label-studio", str(export), "-o", str(tmp_path / "back.jsonl")]) == 0
    back = read_jsonl(tmp_path / "back.jsonl").articles
    for article, result in zip(back, tiny_pipeline(TEXTS)):
        assert [(e.start, e.end, e.label) for e in article.entities] == [
            (e.start, e.end, e.label) for e in result.entities
        ]


def test_doccano_examples_carry_the_entities(tiny_run, tiny_pipeline, tmp_path):
    from commands_helper import predict

    out = tmp_path / "doccano.jsonl"
    assert (
        predict("--model", tiny_run, "--input", _pool(tmp_path, TEXTS[:2]), "--output", out, "--format", "doccano") == 0
    )
    for example, result in zip(_lines(out), tiny_pipeline(TEXTS[:2])):
        assert example["text"] == result.text
        assert example["label"] == [[e.start, e.end, e.label] for e in result.entities]


def test_select_picks_n_uncertain_articles_without_near_duplicates(tiny_run, tmp_path, capsys):
    pool = TEXTS + [TEXTS[0] + " وأضاف المصدر."]  # a near-duplicate of the first article
    out = tmp_path / "next.jsonl"
    assert (
        main(["select", "--model", str(tiny_run), "--input", str(_pool(tmp_path, pool)), "-n", "4", "-o", str(out)])
        == 0
    )
    picked = _lines(out)
    ids = [t["data"]["id"] for t in picked]
    assert len(ids) == 4 and not {"a0", f"a{len(pool) - 1}"} <= set(ids)
    scores = [t["data"]["uncertainty"] for t in picked]
    assert all(0 <= s <= 1 for s in scores) and "predictions" in picked[0]


def test_rank_orders_by_uncertainty_and_pushes_near_duplicates_last():
    texts = ["زار بوتين طهران أمس", "زار بوتين طهران اليوم", "قتل جنديان في هجوم", "اجتمع الوزراء في الرياض"]
    ranked = rank(texts, [0.9, 0.8, 0.5, 0.2], 3)
    assert [r.index for r in ranked] == [0, 2, 3]  # the second repeats the first (Jaccard 3/5)
    assert [r.index for r in rank(texts, [0.9, 0.8, 0.5, 0.2], 4)] == [0, 2, 3, 1]  # used only when the pool runs out
