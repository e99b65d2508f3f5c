"""A company's own forecast changed, as a sentiment cue: "cut its full-year outlook", "raised its
2026 revenue guidance".

The annotation guidelines (corpora/eval/README.md) read sentiment as "what happened to the business
(results, guidance, ...)", and the model under-reads a guidance change next to a beat ("tops
estimates but trims cloud outlook"): it reads the beat. The words are language data:
``corpora/sentiment/guidance_moves.yaml``.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from nlp.classify.cue_files import build_alternation, load_cue_yaml
from nlp.errors import NarrativeError


class GuidancePatterns(NamedTuple):
    moves: re.Pattern  # group "raise" or "cut", then the gap, then a forecast noun
    costs: re.Pattern  # a cost word inside the gap cancels the match


@functools.lru_cache(maxsize=4)
def load_guidance_patterns(path: str | None = None) -> GuidancePatterns:
    """The compiled patterns of a lexicon file (default: the bundled one), cached per path."""
    return build_guidance_patterns(load_cue_yaml(path, "guidance_moves.yaml", "guidance lexicon"))


def build_guidance_patterns(lexicon: dict) -> GuidancePatterns:
    try:
        # The gap stays in one clause: words, hyphens, digits and % ("its 2026-27 sales"); a period
        # inside a word or ending an abbreviation before a lower-case word ("U.S. sales"), never one
        # that ends a sentence. (?-i:): the pattern ignores case, this test must not.
        word = r"(?:[\w'%$&-]|\.(?!\s)|(?-i:(?<=[A-Z])\.(?=\s+[a-z])))+"
        gap = r"(?:\s+" + word + r"){0," + str(int(lexicon.get("max_gap_words", 5))) + r"}?\s+"
        moves = (
            r"\b(?:(?P<raise>" + build_alternation(lexicon["raise"]) + r")|(?P<cut>"
            + build_alternation(lexicon["cut"]) + r"))\b(?P<gap>" + gap + r")(?:"
            + build_alternation(lexicon["nouns"]) + r")\b"
        )
        costs = r"\b(?:" + build_alternation(lexicon["cost_words"]) + r")\b"
        return GuidancePatterns(re.compile(moves, re.IGNORECASE), re.compile(costs, re.IGNORECASE))
    except (KeyError, TypeError, ValueError) as exc:
        raise NarrativeError(f"guidance lexicon: missing or malformed field {exc}") from exc


def extract_guidance_moves(text: str, patterns: GuidancePatterns) -> list[tuple[int, int, int]]:
    """(start, end, direction) of each forecast change, +1 raised and -1 cut, in text order."""
    moves = []
    for match in patterns.moves.finditer(text):
        if patterns.costs.search(match.group("gap")):
            continue  # "lifted its expense growth forecast": a forecast of costs
        moves.append((match.start(), match.end(), 1 if match.group("raise") else -1))
    return moves
