"""narrative: news and narrative NLP for finance.

The Python API mirrors the CLI with the same nouns; nothing heavy is imported here.
"""

__version__ = "0.1.0"

from nlp.errors import NarrativeError  # noqa: E402
from nlp.store import open_db  # noqa: E402

__all__ = ["NarrativeError", "open_db", "__version__"]
