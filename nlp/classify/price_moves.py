"""Share-price reactions reported in a text, as a sentiment cue: "shares fell 11%", "the stock
jumped", "$TSLA up 4%".

The annotation guidelines of the hand-labelled sets (corpora/eval/README.md) read sentiment as the
news for investors, "with the share-price reaction as a strong cue", and the model under-reads it in
paragraphs: on the dev set most of its document errors were polar paragraphs called neutral. A
reported move is information the text itself gives at publication time (no price data is read).
The words are language data: ``corpora/sentiment/price_moves.yaml``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import NamedTuple

from nlp.errors import NarrativeError


class PriceMovePatterns(NamedTuple):
    up: re.Pattern
    down: re.Pattern


def default_lexicon_path() -> Path:
    from nlp.settings import CORPORA_DIR

    return CORPORA_DIR / "sentiment" / "price_moves.yaml"


@functools.lru_cache(maxsize=4)
def load_price_move_patterns(path: str | None = None) -> PriceMovePatterns:
    """The compiled patterns of a lexicon file (default: the bundled one), cached per path."""
    import yaml

    source = Path(path) if path else default_lexicon_path()
    try:
        lexicon = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise NarrativeError(f"price-move lexicon {source}: {exc}") from exc
    return build_price_move_patterns(lexicon)


def build_price_move_patterns(lexicon: dict) -> PriceMovePatterns:
    """Two regexes (up, down): a subject word or cashtag, a short gap, a verb of that direction."""
    try:
        subject = r"(?:\$[A-Za-z]{1,5}(?:\.[A-Za-z])?|\b(?:" + _alternation(lexicon["subjects"]) + r"))"
        gap = r"\W+(?:[\w'%.,-]+\W+){0," + str(int(lexicon.get("max_gap_words", 4))) + "}?"

        def direction(verbs: str, figure: str) -> re.Pattern:
            verb = r"(?:(?:" + _alternation(lexicon[verbs]) + r")\b|(?:" + _alternation(lexicon[figure]) + r")\W+(?:by\W+)?[$\d])"
            return re.compile(subject + gap + verb, re.IGNORECASE)

        return PriceMovePatterns(direction("up", "up_figure"), direction("down", "down_figure"))
    except (KeyError, TypeError, ValueError) as exc:
        raise NarrativeError(f"price-move lexicon: missing or malformed field {exc}") from exc


def _alternation(words) -> str:
    return "|".join(re.escape(str(w)) for w in sorted(words, key=len, reverse=True))


def extract_price_moves(text: str, patterns: PriceMovePatterns) -> list[tuple[int, int, int]]:
    """(start, end, direction) of each reported move, +1 up and -1 down, in text order."""
    moves = [(m.start(), m.end(), 1) for m in patterns.up.finditer(text)]
    moves += [(m.start(), m.end(), -1) for m in patterns.down.finditer(text)]
    return sorted(moves)


def compute_price_direction(moves: list[tuple[int, int, int]]) -> int:
    """+1 when the text reports only rises, -1 only falls, 0 for none or both ("X rose, Y fell")."""
    directions = {d for _, _, d in moves}
    return directions.pop() if len(directions) == 1 else 0
