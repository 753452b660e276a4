"""litbase: a PubMed literature and citation knowledge base in SQLite."""

__version__ = "0.1.0"
