"""Inference throughput on real articles: Pipeline (both tasks, fp32 and int8) vs one bare forward of the
encoder vs transformers.pipeline (NER only).

    python benchmarks/inference.py --model runs/default [--articles 120] [--threads 2]

Same model, same articles (../shared/corpora/ant-news when present, else our test split). Prints a
Markdown table: articles/s, words/s, and each row's share of the bare-forward throughput (the encoder
once over the sentence windows: the compute limit of one pass), the int8/fp32 agreement (word labels,
entity sets, sentence event sets), and where the fp32 NER path's time goes: tokenising and windowing, the
forward over sentence windows, merging and decoding, against a forward over the same tokens packed into
full windows (no padding, no sentence boundaries).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

ROOT = Path(__file__).resolve().parents[1]
ANT = ROOT.parent / "shared" / "corpora" / "ant-news" / "articles.jsonl"


def load_texts(limit: int) -> tuple[list[str], str]:
    if ANT.exists():
        rows = [json.loads(line) for line in ANT.open(encoding="utf-8")]
        return [r["text"] for r in rows[:limit]], f"ANT news ({ANT.name}, first {limit})"
    from arabic_news_ie.data.corpus import read_jsonl

    rows = [a for a in read_jsonl(ROOT / "data" / "corpus.jsonl").articles if a.split == "test"]
    return [a.text for a in rows[:limit]], "our test split"


def timed(fn, repeat: int = 2) -> tuple[float, object]:
    fn()  # warm-up
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def main() -> None:
    args = _parse_args()

    import torch

    from arabic_news_ie import Pipeline
    from arabic_news_ie.inference.model_files import find_components
    from arabic_news_ie.inference.predictor import load
    from arabic_news_ie.text import words

    if args.threads:
        torch.set_num_threads(args.threads)
    texts, source = load_texts(args.articles)
    n_words = sum(len(words(t)) for t in texts)
    parts = {task: load(d, "cpu") for task, d in find_components(Path(args.model)).items()}
    fp32 = Pipeline(parts["ner"], parts.get("events"), skip_noise=False)
    int8 = Pipeline.from_pretrained(args.model, device="cpu", quantize=True, skip_noise=False)
    tasks = "NER + events" if fp32.events else "NER"
    rows = []
    fp32_results = _pipeline_row(rows, f"Pipeline fp32, {tasks}", fp32, texts)
    int8_results = _pipeline_row(rows, f"Pipeline int8, {tasks}", int8, texts)
    if fp32.events:
        _pipeline_row(rows, "Pipeline fp32, NER only", Pipeline(parts["ner"], None, skip_noise=False), texts)
    rows.append(_hf_pipeline_row(Path(args.model) / "ner", texts))

    # the compute limit: the encoder's bare forward over the same windows, length-sorted, no tokenising
    component = fp32.ner
    units, features = _bare_inputs(component, texts)
    seconds, _ = timed(lambda: _bare_forward(component, features))
    rows.append(("bare forward of the encoder, once (compute limit)", 64, seconds))

    print(f"{len(texts)} articles, {n_words} words, {source}; model {args.model}; "
          f"shared encoder: {fp32.shared_encoder}; torch threads {torch.get_num_threads()}\n")  # fmt: skip
    _print_rows(rows, len(texts), n_words, bare_rate=len(texts) / seconds)
    same_words, jaccard, same_events = agreement(fp32_results, int8_results)
    print(f"\nint8 vs fp32: word labels {same_words:.2%} equal, entity sets Jaccard {jaccard:.3f}, "
          f"sentence event sets {same_events:.2%} equal")  # fmt: skip
    stage_breakdown(component, texts, units, features, n_words)


def agreement(expected, results) -> tuple[float, float, float]:
    """(word-label agreement, entity-set Jaccard over (article, start, end, label), share of sentences
    with the same event set) of ``results`` against ``expected``."""
    from arabic_news_ie.text import words

    same_words = total_words = same_sentences = total_sentences = 0
    ours, theirs = set(), set()
    for i, (a, b) in enumerate(zip(expected, results)):
        labels_a, labels_b = _word_labels(a.text, a.entities, words), _word_labels(b.text, b.entities, words)
        same_words += sum(x == y for x, y in zip(labels_a, labels_b))
        total_words += len(labels_a)
        ours |= {(i, e.start, e.end, e.label) for e in a.entities}
        theirs |= {(i, e.start, e.end, e.label) for e in b.entities}
        for s, t in zip(a.sentences, b.sentences):
            if not s.skipped:
                same_sentences += {x for x, _ in s.events} == {x for x, _ in t.events}
                total_sentences += 1
    jaccard = len(ours & theirs) / max(len(ours | theirs), 1)
    return same_words / max(total_words, 1), jaccard, same_sentences / max(total_sentences, 1)


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="runs/default")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--threads", type=int, default=0)
    return parser.parse_args()


def _pipeline_row(rows: list, name: str, nlp, texts: list[str]) -> list:
    """Time ``nlp`` at its best batch size, add its row to ``rows`` and return its results."""
    best = None
    for batch_size in (16, 64):
        seconds, results = timed(lambda b=batch_size: nlp(texts, batch_size=b))
        if best is None or seconds < best[0]:
            best = (seconds, batch_size, results)
    rows.append((name, best[1], best[0]))
    return best[2]


def _hf_pipeline_row(ner_dir: Path, texts: list[str]) -> tuple[str, int, float]:
    """transformers.pipeline over the same sentences (it has no sentence splitting or windowing of its own)."""
    from transformers import pipeline as hf_pipeline

    from arabic_news_ie.text import sentences

    sentence_texts = [t[s:e] for t in texts for s, e in sentences(t)]
    tagger = hf_pipeline("token-classification", model=str(ner_dir), aggregation_strategy="first", device="cpu")
    best = None
    for batch_size in (1, 8, 32):
        seconds, _ = timed(lambda b=batch_size: tagger(sentence_texts, batch_size=b), repeat=1)
        if best is None or seconds < best[0]:
            best = (seconds, batch_size)
    return ("transformers.pipeline, NER only", best[1], best[0])


def _bare_inputs(component, texts: list[str]) -> tuple[list, list[list[int]]]:
    """The sentence units of ``texts`` and their windows' input ids, longest first."""
    from arabic_news_ie.data.windows import Unit, word_spans
    from arabic_news_ie.text import sentences

    units = [Unit(i, s, e, word_spans(t, s, e)) for i, t in enumerate(texts) for s, e in sentences(t)]
    encoded = component.encode(texts, units)
    features = sorted((f["input_ids"] for f in encoded.features), key=len, reverse=True)
    return units, features


def _bare_forward(component, features: list[list[int]], batch_size: int = 64) -> None:
    import torch

    with torch.inference_mode():
        for begin in range(0, len(features), batch_size):
            batch = features[begin : begin + batch_size]
            width = len(batch[0])
            ids = torch.zeros((len(batch), width), dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, seq in enumerate(batch):
                ids[row, : len(seq)] = torch.tensor(seq)
                mask[row, : len(seq)] = 1
            component.model(input_ids=ids, attention_mask=mask)


def _print_rows(rows: list, n_texts: int, n_words: int, bare_rate: float) -> None:
    hf_rate = n_texts / next(secs for name, _, secs in rows if name.startswith("transformers"))
    print("| runner | batch size | articles/s | words/s | × transformers.pipeline | % of bare forward |")
    print("|---|---|---|---|---|---|")
    for name, batch_size, secs in rows:
        rate = n_texts / secs
        print(
            f"| {name} | {batch_size} | {rate:.1f} | {n_words / secs:,.0f} | {rate / hf_rate:.2f} | {100 * rate / bare_rate:.0f}% |"
        )


def stage_breakdown(component, texts, units, features, n_words: int, batch_size: int = 64) -> None:
    """Seconds per stage of the fp32 Pipeline's NER path, and the packed-window forward."""
    stages, encoded = _stage_seconds(component, texts, units, batch_size)
    width = component.settings.max_length
    packed, packed_seconds = _packed_forward_seconds(component, features, batch_size)
    real = sum(len(f) for f in features)
    lengths = sorted((len(f["input_ids"]) for f in encoded.features), reverse=True)  # as Component.logits runs them
    padded = sum(lengths[i] * len(lengths[i : i + batch_size]) for i in range(0, len(lengths), batch_size))
    total = sum(stages.values())
    print(f"\nWhere the fp32 Pipeline's time goes (batch {batch_size}; {len(features)} sentence windows, "
          f"{real} tokens; {len(packed)} packed {width}-token windows):\n")  # fmt: skip
    print("| stage | seconds | share | words/s if alone |")
    print("|---|---|---|---|")
    for name, seconds in stages.items():
        print(f"| {name} | {seconds:.2f} | {100 * seconds / total:.0f}% | {n_words / seconds:,.0f} |")
    print(
        f"| forward, packed {width}-token windows (compute limit) | {packed_seconds:.2f} | — | {n_words / packed_seconds:,.0f} |"
    )
    print(f"\nsentence windows: {real} tokens with [CLS]/[SEP], {padded} after padding each sorted batch "
          f"(+{100 * (padded - real) / real:.0f}%); packed: {len(packed) * width} tokens")  # fmt: skip


def _stage_seconds(component, texts, units, batch_size: int) -> tuple[dict[str, float], object]:
    """Seconds of tokenising + windowing, the forward over sentence windows, and merging + decoding."""
    stages = {}
    stages["tokenise + windows"], encoded = timed(lambda: component.encode(texts, units))
    stages["forward, sentence windows (sorted, padded per batch)"], logits = timed(
        lambda: component.logits(encoded.features, batch_size)
    )

    def merge_and_decode():
        component.tags(component.word_probs(encoded, logits=logits), "viterbi")

    stages["merge + Viterbi decode"], _ = timed(merge_and_decode)
    return stages, encoded


def _packed_forward_seconds(component, features, batch_size: int) -> tuple[list[list[int]], float]:
    """The same content tokens packed into full windows, and the seconds of a forward over them."""
    import torch

    width = component.settings.max_length
    tokens = [t for f in features for t in f[1:-1]]  # content tokens only
    inner = width - 2
    packed = [tokens[i : i + inner] for i in range(0, len(tokens), inner)]
    cls, sep = component.tokenizer.cls_token_id, component.tokenizer.sep_token_id

    def packed_forward():
        with torch.inference_mode():
            for begin in range(0, len(packed), batch_size):
                batch = [[cls, *seq, sep] for seq in packed[begin : begin + batch_size]]
                ids = torch.full((len(batch), max(map(len, batch))), component.tokenizer.pad_token_id)
                mask = torch.zeros_like(ids)
                for row, seq in enumerate(batch):
                    ids[row, : len(seq)], mask[row, : len(seq)] = torch.tensor(seq), 1
                component.model(input_ids=ids, attention_mask=mask)

    packed_seconds, _ = timed(packed_forward)
    return packed, packed_seconds


def _word_labels(text, entities, words) -> list[str]:
    labels = {}
    for entity in entities:
        for s, _ in words(text[entity.start : entity.end]):
            labels[entity.start + s] = entity.label
    return [labels.get(s, "O") for s, _ in words(text)]


if __name__ == "__main__":
    main()
