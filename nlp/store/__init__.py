"""The store: the one package that owns SQL. Everything else calls these functions."""

from nlp.store.db import open_db, write_transaction

__all__ = ["open_db", "write_transaction"]
