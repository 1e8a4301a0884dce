"""Train the NER tagger and the event classifier.

python train.py                                   # embedded default on data/, writes runs/default
python train.py --config configs/arabert.yaml --output-dir runs/arabert
python train.py --task ner --set training.epochs=3
python train.py --output-dir runs/default --resume  # continues with the run's own config.yaml
"""

import argparse
import sys

from arabic_news_ie.commands import train_arguments, train_command


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    return train_arguments(parser).parse_args(argv)


if __name__ == "__main__":
    sys.exit(train_command(parse_args()))
