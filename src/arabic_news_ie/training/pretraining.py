"""Masked-LM pre-training of the small encoder on unlabelled Arabic text (``train.py --task mlm``).

The result, ``OUTPUT/mlm``, is a stock ``BertForMaskedLM`` + tokenizer directory: fine-tune it with
``--set model.name_or_path=OUTPUT/mlm`` like any pre-trained BERT.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..config import Config
from ..data.splits import DataError, resolve
from ..data.windows import model_forms, word_spans


def read_unlabelled(path: str) -> list[str]:
    """Texts from a ``.jsonl`` (``text`` field per line), a ``.txt`` file or a directory of ``.txt`` files."""
    source = Path(resolve(path))
    if source.is_dir():
        return [p.read_text(encoding="utf-8") for p in sorted(source.glob("*.txt"))]
    if not source.is_file():
        raise DataError(f"{path}: data file not found")
    if source.suffix == ".jsonl":
        texts = []
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip():
                try:
                    texts.append(json.loads(line)["text"])
                except (json.JSONDecodeError, KeyError, TypeError):
                    raise DataError(f"{path}:{number}: expected a JSON object with a 'text' field") from None
        return texts
    return [source.read_text(encoding="utf-8")]


def chunks(tokenizer, texts: list[str], max_length: int) -> list[dict]:
    """Token sequences of at most ``max_length`` (with [CLS]/[SEP]) cut from the texts' model forms."""
    body = max_length - 2
    features = []
    for text in texts:
        forms = model_forms(text, word_spans(text))
        ids = [i for form_ids in tokenizer(forms, add_special_tokens=False)["input_ids"] for i in form_ids[:body]]
        for start in range(0, len(ids), body):
            piece = ids[start : start + body]
            if len(piece) > 8:
                features.append({"input_ids": [tokenizer.cls_token_id, *piece, tokenizer.sep_token_id]})
    return features


def pretrain(cfg: Config, output: Path, tokenizer, texts: list[str], resume: bool) -> tuple[dict, list]:
    """Train a BertForMaskedLM from scratch; hold out 5% of chunks to report the dev loss.

    Returns the metrics and the Trainer's log history."""
    from datasets import Dataset
    from transformers import BertForMaskedLM, DataCollatorForLanguageModeling, Trainer

    from .building import small_bert_config
    from .trainer import training_arguments

    features = chunks(tokenizer, texts, cfg.model.max_length)
    cut = max(1, len(features) // 20)
    train, dev = Dataset.from_list(features[cut:]), Dataset.from_list(features[:cut])
    model = BertForMaskedLM(small_bert_config(cfg.model, len(tokenizer)))
    args = training_arguments(cfg, cfg.mlm, output / "checkpoints" / "mlm", metric="loss")
    args.greater_is_better = False
    trainer = Trainer(
        model=model,
        args=args,
        data_collator=DataCollatorForLanguageModeling(tokenizer, mlm_probability=cfg.mlm.mlm_probability),
        train_dataset=train,
        eval_dataset=dev,
        processing_class=tokenizer,
    )
    trainer.train(resume_from_checkpoint=resume or None)
    trainer.save_model(str(output / "mlm"))
    (output / "mlm" / "training_args.bin").unlink(missing_ok=True)
    metrics = trainer.evaluate()
    return {"chunks": len(features), "dev_loss": metrics["eval_loss"]}, trainer.state.log_history
