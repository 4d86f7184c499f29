"""presse: extraction, French analysis, indexing and querying of press articles."""

__version__ = "0.1.0"
