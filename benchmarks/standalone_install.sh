#!/usr/bin/env bash
# A non-editable install in a fresh venv, then train a tiny config and predict with it through the console
# script, from an empty directory outside the source tree (issue #22). Prints each step's seconds.
#   bash benchmarks/standalone_install.sh [WORKDIR]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${1:-$(mktemp -d)}"
mkdir -p "$work/project" "$work/empty"
start=$SECONDS
python3 -m venv "$work/venv"
. "$work/venv/bin/activate"
pip install -q torch==2.13.0
pip install -q "$repo"            # not -e: the package is copied into site-packages
echo "install: $((SECONDS - start)) s"
python - "$repo" "$work/project" <<'PY'
import shutil, sys, yaml
from pathlib import Path
repo, project = Path(sys.argv[1]), Path(sys.argv[2])
from arabic_news_ie.data.authoring import read_ann
from arabic_news_ie.data.corpus import write_jsonl
write_jsonl(read_ann(repo / "tests" / "data" / "tiny.ann").articles, project / "tiny.jsonl")
config = {  # the scratch recipe at tiny sizes: no pre-trained encoder needed
    "data": {"train": "tiny.jsonl"},
    "model": {"name_or_path": None, "shared_encoder": False, "freeze_word_embeddings": False, "vocab_size": 300,
              "vocab_min_frequency": 1, "hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
              "intermediate_size": 64, "max_length": 32, "stride": 8},
    "training": {"epochs": 2, "batch_size": 4, "learning_rate": 1e-3, "num_threads": 1},
    "ner": {"head_learning_rate": None},
    "events": {"pooling": "cls", "pooled_norm": "none", "bias_init": "zero", "head_learning_rate": None, "input_prefix": ""},
}
(project / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
print("package at", Path(__import__("arabic_news_ie").__file__).parent)
PY
cd "$work/empty"
step=$SECONDS
HF_HUB_OFFLINE=1 arabic-news-ie train --config "$work/project/config.yaml" --output-dir run | tail -3
echo "train: $((SECONDS - step)) s"
printf 'وصل وزير الخارجية الإيراني محمد جواد ظريف إلى موسكو أمس في زيارة رسمية.\n' > article.txt
step=$SECONDS
arabic-news-ie predict --model run --input article.txt --output out.jsonl
echo "predict: $((SECONDS - step)) s"
python -c "import json; r = json.loads(open('out.jsonl').readline()); print(len(r['sentences']), 'sentence(s),', len(r['entities']), 'entities')"
arabic-news-ie evaluate run --split test | head -3
echo "ok: $work"
