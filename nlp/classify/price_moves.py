"""Share-price reactions reported in a text, as a sentiment cue: "shares fell 11%", "the stock
jumped", "$TSLA up 4%", "$HPE +4.8%".

The annotation guidelines of the hand-labelled sets (corpora/eval/README.md) read sentiment as the
news for investors, "with the share-price reaction as a strong cue", and the model under-reads it in
paragraphs: on the dev set most of its document errors were polar paragraphs called neutral. A
reported move is information the text itself gives at publication time (no price data is read).
The words are language data: ``corpora/sentiment/price_moves.yaml``.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple

from nlp.classify.cue_files import build_alternation, load_cue_yaml
from nlp.errors import NarrativeError


class PriceMovePatterns(NamedTuple):
    up: re.Pattern
    down: re.Pattern
    hints: tuple[str, ...]  # lower-case strings a text must hold for a match to be possible
    subject: re.Pattern  # where a match can start: the two patterns are tried only there
    named: re.Pattern  # right after a company's name: a verb and a percentage ("Lowe's rose 3.4%")


@functools.lru_cache(maxsize=4)
def load_price_move_patterns(path: str | None = None) -> PriceMovePatterns:
    """The compiled patterns of a lexicon file (default: the bundled one), cached per path."""
    return build_price_move_patterns(load_cue_yaml(path, "price_moves.yaml", "price-move lexicon"))


def build_price_move_patterns(lexicon: dict) -> PriceMovePatterns:
    """Two regexes (up, down): a subject word or cashtag, a short gap, a verb of that direction."""
    try:
        subject = r"(?:\$[A-Za-z]{1,5}(?:\.[A-Za-z])?|\b(?:" + build_alternation(lexicon["subjects"]) + r"))"
        # Words between subject and verb stay in one clause: separators are spaces, commas and
        # brackets, and a period only inside a word or an abbreviation ("Corp. were"), never one that
        # ends a sentence ("program. The stock"); a URL slug ("stocks-rally") has no separator.
        word = r"(?:[\w'%$&-]|\.(?!\s+(?-i:[A-Z])))+"  # (?-i:): the patterns ignore case, this test must not
        gap = r"[\s,()]+(?:" + word + r"[\s,()]+){0," + str(int(lexicon.get("max_gap_words", 4))) + "}?"

        def direction(verbs: str, figure: str, sign: str) -> re.Pattern:
            verb = (r"(?:(?:" + build_alternation(lexicon[verbs]) + r")\b|(?:" + build_alternation(lexicon[figure])
                    + r")\W+(?:by\W+)?\$?\d[\d.,]*%?|" + sign + r"\d[\d.,]*%)")
            return re.compile(subject + gap + verb, re.IGNORECASE)

        hints = ("$",) + tuple(sorted({str(w).lower() for w in lexicon["subjects"]}))
        # After a name only a percentage makes the verb a share-price move ("Apple rose to the top" is
        # none); no gap words, so "Apple's revenue rose 3%" stays a business figure.
        named = re.compile(
            r"\s+(?:(?P<up>" + build_alternation(lexicon["up"] + lexicon["up_figure"]) + r")|(?P<down>"
            + build_alternation(lexicon["down"] + lexicon["down_figure"]) + r"))\s+(?:by\s+)?\d[\d.,]*%",
            re.IGNORECASE,
        )
        # A signed percentage is a move too, as market-mover lists and posts write it: "$HPE +4.8%",
        # "$GOOGL -3.2%: the cloud giant slipped", "shares (-2%)".
        return PriceMovePatterns(direction("up", "up_figure", r"\+"), direction("down", "down_figure", "[-\u2212\u2013]"), hints,
                                 re.compile(subject, re.IGNORECASE), named)
    except (KeyError, TypeError, ValueError) as exc:
        raise NarrativeError(f"price-move lexicon: missing or malformed field {exc}") from exc


def extract_price_moves(text: str, patterns: PriceMovePatterns) -> list[tuple[int, int, int]]:
    """(start, end, direction) of each reported move, +1 up and -1 down, in text order."""
    lower = text.lower()
    if not any(hint in lower for hint in patterns.hints):
        return []  # no share, stock or cashtag: nothing can match
    # Try the two patterns only where a subject starts (what finditer would find, without scanning
    # every position), skipping starts inside the last match of the same direction.
    moves, reach = [], {1: -1, -1: -1}
    for found in patterns.subject.finditer(text):
        start = found.start()
        for direction, pattern in ((1, patterns.up), (-1, patterns.down)):
            if start >= reach[direction]:
                match = pattern.match(text, start)
                if match:
                    moves.append((start, match.end(), direction))
                    reach[direction] = match.end()
    return sorted(moves)


def extract_named_price_moves(text: str, mentions: list[tuple[str, int, int]], patterns: PriceMovePatterns,
                              moves: list[tuple[int, int, int]] = ()) -> list[tuple[int, int, int]]:
    """`moves` plus the moves reported right after a company's name ("Home Depot rose 2.9%", "MetLife
    fell 2.8%"), each from the name's start; a name already inside one of `moves` adds nothing."""
    found = list(moves)
    for _, start, end in mentions:
        if any(a <= start < b for a, b, _ in moves):
            continue
        match = patterns.named.match(text, end)
        if match:
            found.append((start, match.end(), 1 if match.group("up") else -1))
    return sorted(set(found))


def compute_price_direction(moves: list[tuple[int, int, int]]) -> int:
    """+1 when the text reports only rises, -1 only falls, 0 for none or both ("X rose, Y fell")."""
    directions = {d for _, _, d in moves}
    return directions.pop() if len(directions) == 1 else 0


ATTRIBUTION_CHARS = 40  # how far before a move its company may be named ("Apple said its shares rose")
_CLAUSE_BREAKS = ".;!?\n"


def assign_price_moves(text: str, moves: list[tuple[int, int, int]],
                       mentions: list[tuple[str, int, int]]) -> dict[str, int]:
    """Symbol -> direction of the moves reported for it: a move belongs to a mention inside it
    ("shares of CAT rose", "$TSLA up 4%"), else to the nearest mention before it in the same clause,
    at most ``ATTRIBUTION_CHARS`` away ("AMD shares soared"). A symbol given both directions gets 0."""
    found: dict[str, set[int]] = {}
    for start, end, direction in moves:
        symbol = _owner(text, start, end, mentions)
        if symbol is not None:
            found.setdefault(symbol, set()).add(direction)
    return {symbol: dirs.pop() if len(dirs) == 1 else 0 for symbol, dirs in found.items()}


def _owner(text: str, start: int, end: int, mentions: list[tuple[str, int, int]]) -> str | None:
    inside = [m for m in mentions if start <= m[1] and m[2] <= end]
    if inside:
        return inside[0][0]
    before = [m for m in mentions if m[2] <= start and start - m[2] <= ATTRIBUTION_CHARS]
    if not before:
        return None
    symbol, _, mention_end = max(before, key=lambda m: m[2])
    gap = text[mention_end:start]
    return None if any(ch in gap for ch in _CLAUSE_BREAKS) else symbol


def build_price_move_evidence(text: str, moves: list[tuple[int, int, int]], label: str,
                              method: str = "price_move") -> list[dict]:
    """Evidence records (the tag format's) for the moves that agree with a document sentiment label."""
    direction = {"positive": 1, "negative": -1}.get(label)
    return [
        {"label": label, "kind": "sentiment", "start": a, "end": b, "text": text[a:b], "method": method}
        for a, b, d in moves if d == direction
    ]
