"""Stage 3, inference: model directories, the predictor (windows -> logits -> merge -> decode), the shared
encoder pass, the Pipeline, batch files and engines, and scoring a run on labelled data. Never imports training."""
