"""The floor for the event classifier: a frozen encoder and a linear probe, no fine-tuning at all.

python benchmarks/event_probe.py [--config configs/default.yaml] [--prefix "query: "] [--threads 2]

The config gives the data, the encoder and the prefix (``events.input_prefix``); it must not ask for
per-word preprocessing (AraBERT's), which the probe does not apply.

Each gold sentence is encoded exactly as the event classifier encodes it (same words, windows and
prefix; ``encoding.encode_units``), mean-pooled over the last hidden states of the frozen pre-trained
encoder (windows of one sentence averaged), and fed to one-vs-rest logistic regression with balanced
class weights. C and one decision threshold are chosen on dev; every held-out split is then scored with
the project's own metric (micro-F1 over (sentence, type) pairs) and a 95% bootstrap interval over
articles. Needs scikit-learn (``pip install scikit-learn``; not a dependency of the package).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

C_GRID = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0)


def sentence_embeddings(model, tokenizer, articles, cfg, prefix: str, batch_size: int = 64) -> np.ndarray:
    """(sentences, hidden) mean-pooled embeddings, one row per gold sentence."""
    import torch

    from arabic_news_ie.data.windows import encode_units, sentence_units

    units = sentence_units(articles)
    encoded = encode_units(
        tokenizer, [a.text for a in articles], units, cfg.model.max_length, cfg.model.stride, None, prefix
    )
    order = sorted(range(len(encoded.features)), key=lambda i: -encoded.features[i]["length"])
    pooled = np.zeros((len(encoded.features), model.config.hidden_size), dtype=np.float32)
    with torch.inference_mode():
        for begin in range(0, len(order), batch_size):
            batch = order[begin : begin + batch_size]
            width = max(encoded.features[i]["length"] for i in batch)
            ids = torch.full((len(batch), width), tokenizer.pad_token_id, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for row, i in enumerate(batch):
                seq = encoded.features[i]["input_ids"]
                ids[row, : len(seq)], mask[row, : len(seq)] = torch.tensor(seq), 1
            hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            pooled[batch] = ((hidden * m).sum(1) / m.sum(1)).numpy()
    out = np.zeros((len(units), pooled.shape[1]), dtype=np.float32)
    counts = np.zeros(len(units))
    for row, (unit_index, _) in zip(pooled, encoded.owner):
        out[unit_index] += row
        counts[unit_index] += 1
    return out / counts[:, None]


def fit_probe(x: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    return make_pipeline(StandardScaler(), OneVsRestClassifier(lr)).fit(x, y)


def decide(probs: np.ndarray, labels: list[str], threshold: float) -> list[set[str]]:
    return [{label for label, p in zip(labels, row) if p >= threshold} for row in probs]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/default.yaml")
    parser.add_argument("--prefix", default=None, help="default: the config's events.input_prefix")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()

    import torch
    from transformers import AutoModel

    from arabic_news_ie.config import load_config
    from arabic_news_ie.data.gold import gold_events
    from arabic_news_ie.data.splits import class_labels, load_splits
    from arabic_news_ie.inference.predictor import THRESHOLDS
    from arabic_news_ie.metrics import bootstrap_micro_f1, multilabel_scores
    from arabic_news_ie.models.pretrained import resolve
    from arabic_news_ie.models.tokenizers import load_tokenizer

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.time()
    cfg = load_config(args.config)
    prefix = cfg.events.input_prefix if args.prefix is None else args.prefix
    splits = {name: articles for name, articles in load_splits(cfg.data).items() if articles}
    labels, _ = class_labels(cfg.data, splits["train"])
    tokenizer = load_tokenizer(cfg.model.name_or_path)
    model = AutoModel.from_pretrained(resolve(cfg.model.name_or_path), use_safetensors=True).eval()
    x = {s: sentence_embeddings(model, tokenizer, a, cfg, prefix) for s, a in splits.items()}
    gold = {s: gold_events(a) for s, a in splits.items()}
    y = {s: np.array([[label in g for label in labels] for g in gold[s]], dtype=int) for s in splits}
    print(f"embedded {sum(len(v) for v in x.values())} sentences in {time.time() - started:.0f} s")

    best = (-1.0, None, None, None)
    for c in C_GRID:
        probe = fit_probe(x["train"], y["train"], c)
        dev_probs = probe.predict_proba(x["dev"])
        for t in THRESHOLDS:
            f1 = multilabel_scores(gold["dev"], decide(dev_probs, labels, t), labels)["micro_f1"]
            if f1 > best[0]:
                best = (f1, c, t, probe)
    _, c, threshold, probe = best
    print(f"probe (prefix {prefix!r}): C {c}, threshold {threshold} chosen on dev")
    for split in [s for s in splits if s != "train"]:
        predicted = decide(probe.predict_proba(x[split]), labels, threshold)
        scores = multilabel_scores(gold[split], predicted, labels)
        groups = [i for i, a in enumerate(splits[split]) for _ in a.sentences]
        low, high = bootstrap_micro_f1(gold[split], predicted, labels, groups)
        per_type = ", ".join(f"{k} {v['f1']:.2f} ({v['support']})" for k, v in scores["per_type"].items())
        print(f"{split}: micro-F1 {scores['micro_f1']:.3f} [{low:.3f}, {high:.3f}]  per type (support): {per_type}")
    print(f"total {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
