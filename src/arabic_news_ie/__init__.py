"""arabic_news_ie: named entities and event types from Arabic news, on AraBERT or an embedded pre-trained encoder."""

from .pipeline import Pipeline
from .results import Entity, Result, Sentence

__all__ = ["Entity", "Pipeline", "Result", "Sentence"]
__version__ = "0.1.0"
