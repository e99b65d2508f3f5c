"""Brokers named as the source of a view, for ticker sentiment: "Piper Sandler raised its target on
Vistra", "analysts at Morgan Stanley", "Citi downgraded Target". Such a broker is neutral (the
guidelines: brokers and underwriters named only as sources or tools are neutral), and it is not the
story's main subject. The words are language data: ``corpora/sentiment/source_roles.yaml``.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from nlp.classify.cue_files import build_alternation, load_cue_yaml
from nlp.errors import NarrativeError


class SourceRoles(NamedTuple):
    brokers: frozenset[str]
    after: re.Pattern  # matched at a mention's end
    before: re.Pattern  # matched against the text before a mention


@functools.lru_cache(maxsize=4)
def load_source_roles(path: str | None = None) -> SourceRoles:
    """The compiled roles of a file (default: the bundled one), cached per path."""
    return build_source_roles(load_cue_yaml(path, "source_roles.yaml", "source-role file"))


def build_source_roles(data: dict) -> SourceRoles:
    try:
        gap = r"(?:'s|\u2019s)?(?:[\s,]+(?:[\w'&.-]+[\s,]+){0," + str(int(data.get("max_gap_words", 3))) + r"}?|[\s,]+)"
        after = re.compile(gap + "(?:" + build_alternation(data["after"]) + r")\b", re.IGNORECASE)
        before = re.compile(r"\b(?:" + build_alternation(data["before"]) + r")\s+(?:the\s+)?$", re.IGNORECASE)
        return SourceRoles(frozenset(map(str, data["brokers"])), after, before)
    except (KeyError, TypeError, ValueError) as exc:
        raise NarrativeError(f"source-role file: missing or malformed field {exc}") from exc


def find_source_symbols(text: str, mentions: list[tuple[str, int, int]], roles: SourceRoles) -> set[str]:
    """The brokers among ``mentions`` (symbol, start, end) that some mention names as a source."""
    found = set()
    for symbol, start, end in mentions:
        if symbol in roles.brokers and symbol not in found:
            if roles.after.match(text, end) or roles.before.search(text[max(0, start - 40):start]):
                found.add(symbol)
    return found
