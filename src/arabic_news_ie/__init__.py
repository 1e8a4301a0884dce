"""arabic_news_ie: named entities and event types from Arabic news, on AraBERT or an embedded pre-trained encoder."""

from .inference.pipeline import Pipeline
from .results import Entity, Result, Sentence

__all__ = ["Entity", "MeanPooledBertForSequenceClassification", "Pipeline", "Result", "Sentence"]
__version__ = "0.1.0"


def __getattr__(name: str):
    """``MeanPooledBertForSequenceClassification``, the mean-pooled event classifier, built on first use (it
    imports torch) and registered then with transformers' Auto classes under model type ``mean_pooled_bert``."""
    if name == "MeanPooledBertForSequenceClassification":
        from .models.heads import mean_pooled_class

        return mean_pooled_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
