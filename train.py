"""Train the NER tagger and the event classifier.

python train.py                                   # embedded default on data/, writes runs/default
python train.py --config configs/arabert.yaml --output-dir runs/arabert
python train.py --task ner --set training.epochs=3
python train.py --output-dir runs/default --resume  # continues with the run's own config.yaml
"""

import argparse
import sys

from arabic_news_ie.cli import train_command


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--config",
        default=None,
        help="YAML config (default: the embedded default recipe, configs/default.yaml; with --resume, the run's own)",
    )
    parser.add_argument("--output-dir", default=None, help="run directory (default: runs/<config name>)")
    parser.add_argument("--task", choices=["ner", "events", "both", "mlm"], default="both")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a config key, e.g. --set training.epochs=3 (repeatable)",
    )
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run from its last checkpoint")
    parser.add_argument("--push-to-hub", default=None, metavar="REPO", help="push the trained models to this hub repo")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(train_command(parse_args()))
