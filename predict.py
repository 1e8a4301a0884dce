"""Batch inference: JSONL / .txt / directory in, one JSON line per article out, in input order.

python predict.py --model runs/default --input articles.jsonl --output out.jsonl [--resume] [--html out.html]
python predict.py --engine ray --model runs/default --input articles.parquet --output out.parquet [--address auto]
"""

import argparse
import sys

from arabic_news_ie.commands import predict_arguments, predict_main


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    return predict_arguments(parser).parse_args(argv)


if __name__ == "__main__":
    sys.exit(predict_main(parse_args()))
