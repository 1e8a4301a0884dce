"""Stage 1, data: the article schema, readers and writers (JSONL, CoNLL, CSV, ``.ann``), splits, validation,
augmentation, gold answers and the windows of sub-word tokens every model reads. Imports the base modules only."""
