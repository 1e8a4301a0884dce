"""arabic_news_ie: named entities and event types from Arabic news, on AraBERT or an embedded small BERT."""

__version__ = "0.1.0"
