"""Reading the sentiment cue files in ``corpora/sentiment/`` (price moves, source roles): YAML word
lists that become regular expressions."""

from __future__ import annotations

import re
from pathlib import Path

from nlp.errors import NarrativeError


def load_cue_yaml(path: str | None, default_name: str, what: str) -> dict:
    """The mapping in a cue file (default: the bundled ``corpora/sentiment/<default_name>``); an
    unreadable or malformed file is a NarrativeError naming ``what`` and the path."""
    import yaml

    from nlp.settings import CORPORA_DIR

    source = Path(path) if path else CORPORA_DIR / "sentiment" / default_name
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise NarrativeError(f"{what} {source}: {exc}") from exc
    if not isinstance(data, dict):
        raise NarrativeError(f"{what} {source}: expected a mapping of word lists")
    return data


def build_alternation(words) -> str:
    """A regex alternation of literal words, longest first (so "raised its price target" wins over "raised")."""
    return "|".join(re.escape(str(w)) for w in sorted(words, key=len, reverse=True))
