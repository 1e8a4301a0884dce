#!/usr/bin/env bash
# The one H200 session of 2026-11-30 (docs/benchmarks.md, "GPU"): speed benchmark, then recipe runs.
# Prepared on the CPU machine, in the repository root, because the GPU box has no network:
#   python benchmarks/pack_image.py .device/e5-news.bin           # the encoder, still 4-bit, 23 MB
#   cp -r src .device/src; cp data/corpus.jsonl .device/corpus.jsonl
#   head -150 ../shared/corpora/ant-news/articles.jsonl > .device/ant150.jsonl
#   cp ../shared/corpora/anercorp-train/train.conll .device/anercorp.conll
#   pip download (py3.12 wheels) transformers==5.24.0 datasets==5.2.0 dill multiprocess fsspec into .whl/,
#   and `pip wheel seqeval` (the box's own huggingface_hub must be kept: carrying 2.x breaks its imports)
# then run with .device and .whl carried: bash benchmarks/gpu_session.sh
cd "$(dirname "$0")/.."
rm -rf /tmp/site /tmp/runs $OUT/sweep.jsonl; python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl || exit 1
export PYTHONPATH=/tmp/site:$PWD/.device/src PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader
python3 -c "from arabic_news_ie.models import pretrained as E; E.convert(E.read_image('.device/e5-news.bin'), '/tmp/e5', 'full')" 2>&1 | tail -2
timeout 150 python3 benchmarks/gpu_speed.py --encoder /tmp/e5 --articles .device/ant150.jsonl 2>&1 | grep -v -i warn | tee $OUT/speed.txt
run() {  # name, seconds, train.py args...
  local name=$1 limit=$2; shift 2
  local start=$(date +%s)
  timeout $limit python3 train.py --output-dir /tmp/runs/$name --set model.name_or_path=/tmp/e5 "$@" > /tmp/$name.log 2>&1
  local rc=$? secs=$(( $(date +%s) - start ))
  python3 - "$name" "$rc" "$secs" "$*" <<'PY' >> $OUT/sweep.jsonl
import json, sys
name, rc, secs, args = sys.argv[1:]
try:
    m = json.load(open(f"/tmp/runs/{name}/metrics.json"))
    out = {t: {s: {k: v for k, v in m[t][s].items() if k in ("f1", "micro_f1", "macro_f1", "precision", "recall")} | {"per_type": {k: round(v["f1"], 3) for k, v in m[t][s]["per_type"].items()}} for s in ("dev", "test") if s in m[t]} for t in ("ner", "events") if t in m}
except Exception as err:
    out = {"error": repr(err)}
print(json.dumps({"name": name, "rc": int(rc), "seconds": int(secs), "args": args, **out}))
PY
  tail -3 /tmp/$name.log | cut -c1-300
  echo "$name rc=$rc ${secs}s"
}
A="--config configs/anercorp.yaml --task ner --set data.train=.device/anercorp.conll"
run D1 100 --set data.train=.device/corpus.jsonl
cp /tmp/D1.log $OUT/D1.log
run A1 140 $A
run D6 110 --set data.train=.device/corpus.jsonl --set events.pooling=mean --task events
run D2 100 --set data.train=.device/corpus.jsonl --set training.learning_rate=2e-4
run A2 140 $A --set training.learning_rate=2e-4
run D3 100 --set data.train=.device/corpus.jsonl --set model.freeze_word_embeddings=false
run D4 110 --set data.train=.device/corpus.jsonl --set ner.augment_copies=1 --set ner.augment_name_swap=0.5 --task ner
run D5 120 --set data.train=.device/corpus.jsonl --set training.epochs=12 --set events.epochs=10
