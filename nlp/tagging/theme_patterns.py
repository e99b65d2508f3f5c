"""A fast matcher for the token patterns of theme cards.

Cards use spaCy Matcher token patterns. spaCy's Matcher builds Python Token objects and evaluates
``IN`` predicates in Python at every token of every doc; with wildcard gaps (``{"OP": "{0,4}"}``) that
costs several times the tokeniser. This module runs the same patterns over plain lists of attribute
hashes, starting only near occurrences of the pattern's first mandatory word ("anchor"), and only in
docs that hold every word set the pattern requires.

Supported (the "fast subset"): token keys LOWER, ORTH, TEXT (a string, or {"IN": [...]}/{"NOT_IN": [...]}),
the boolean flags in ``FLAG_ATTRS``, the empty wildcard ``{}``, and OP absent, "?", "*", "+", "{n}",
"{n,m}", "{n,}", "{,m}". For each start position the longest match is returned; "*", "+" and "{n,}"
reach at most ``UNBOUNDED_WIDTH`` tokens. Other patterns are left to spaCy's Matcher by the caller
(``compile_pattern`` returns None for them).
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple, Sequence

UNBOUNDED_WIDTH = 12
WORD_ATTRS = {"LOWER": "LOWER", "ORTH": "ORTH", "TEXT": "ORTH"}
FLAG_ATTRS = ("LIKE_NUM", "IS_PUNCT", "IS_DIGIT", "IS_ALPHA", "IS_UPPER", "IS_LOWER", "IS_TITLE", "IS_STOP")
FEATURES = ("LOWER", "ORTH") + FLAG_ATTRS  # column order of the feature table


class TokenSpec(NamedTuple):
    """One pattern token: word tests (column, allowed hashes, negated), flag tests, repeat range."""

    words: tuple[tuple[int, frozenset[int], bool], ...]
    flags: tuple[tuple[int, bool], ...]
    low: int
    high: int


class CompiledPattern(NamedTuple):
    specs: tuple[TokenSpec, ...]
    required: tuple[frozenset[int], ...]  # LOWER hashes: one of each set must be in the doc; [0] = anchor's
    anchor: int | None  # index of the anchor token in the pattern
    before: int  # most tokens a match can span before the anchor


def parse_op(op) -> tuple[int, int] | None:
    """(min, max) repeats of a pattern token; None for an operator outside the fast subset."""
    if op is None:
        return 1, 1
    if op == "?":
        return 0, 1
    if op in ("*", "+"):
        return (0 if op == "*" else 1), UNBOUNDED_WIDTH
    if isinstance(op, str) and op.startswith("{") and op.endswith("}"):
        low, comma, high = op[1:-1].partition(",")
        try:
            lo = int(low or 0)
            hi = (int(high) if high else UNBOUNDED_WIDTH) if comma else lo
        except ValueError:
            return None
        return lo, hi
    return None


def _word_test(attr: str, value, to_hash: Callable[[str], int]):
    column = FEATURES.index(WORD_ATTRS[attr])
    fold = str.lower if attr == "LOWER" else str
    if isinstance(value, str):
        return column, frozenset({to_hash(fold(value))}), False
    if isinstance(value, dict) and len(value) == 1:
        (op, words), = value.items()
        if op in ("IN", "NOT_IN") and isinstance(words, list):
            return column, frozenset(to_hash(fold(str(w))) for w in words), op == "NOT_IN"
    return None


def compile_token(token: Mapping, to_hash: Callable[[str], int]) -> TokenSpec | None:
    repeats = parse_op(token.get("OP"))
    if repeats is None:
        return None
    words, flags = [], []
    for key, value in token.items():
        if key == "OP":
            continue
        if key in WORD_ATTRS:
            test = _word_test(key, value, to_hash)
            if test is None:
                return None
            words.append(test)
        elif key in FLAG_ATTRS and isinstance(value, bool):
            flags.append((FEATURES.index(key), value))
        else:
            return None
    return TokenSpec(tuple(words), tuple(flags), *repeats)


def compile_pattern(pattern: Sequence[Mapping], to_hash: Callable[[str], int]) -> CompiledPattern | None:
    """The fast form of a Matcher pattern, or None when it uses anything outside the fast subset.

    The anchor is the mandatory word token whose words look rarest (fewest stop words, then fewest
    words): matching starts only near its occurrences, so a rare anchor means little work.
    """
    specs = [compile_token(tok, to_hash) for tok in pattern]
    if any(spec is None for spec in specs):
        return None
    required, ranked = [], []
    for i, spec in enumerate(specs):
        if spec.low >= 1 and any(not negated for _, _, negated in spec.words):
            words = [w.lower() for w in _strings(pattern[i])]
            required.append(frozenset(to_hash(w) for w in words))
            ranked.append((sum(w in _stop_words() for w in words), len(words), i, required[-1]))
    if not ranked:
        return CompiledPattern(tuple(specs), tuple(required), None, 0)
    _, _, anchor, anchor_words = min(ranked, key=lambda r: r[:3])
    before = sum(spec.high for spec in specs[:anchor])
    ordered = (anchor_words,) + tuple(r for r in required if r is not anchor_words)
    return CompiledPattern(tuple(specs), ordered, anchor, before)


def _stop_words() -> frozenset[str]:
    global _STOP_WORDS
    if _STOP_WORDS is None:
        from spacy.lang.en.stop_words import STOP_WORDS

        _STOP_WORDS = frozenset(STOP_WORDS)
    return _STOP_WORDS


_STOP_WORDS: frozenset[str] | None = None


def _strings(token: Mapping) -> list[str]:
    """The words a pattern token names (LOWER / ORTH / TEXT, a string or an IN list)."""
    for attr in ("LOWER", "ORTH", "TEXT"):
        value = token.get(attr)
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict) and isinstance(value.get("IN"), list):
            return [str(w) for w in value["IN"]]
    return []


class TokenColumns:
    """Per-token feature columns (``FEATURES`` order), each read on first use by ``read(name)``."""

    def __init__(
        self, n_tokens: int, read: Callable[[str], Sequence[int]], lower: Sequence[int] | None = None,
        orth: Sequence[int] | None = None, limit: Callable[[int], int] | None = None,
    ):
        self.n = n_tokens
        # limit(start): the token a match starting there must end by (its sentence's end, a line break)
        self.limit = limit if limit is not None else (lambda start: n_tokens)
        self._read = read
        self._columns: list[Sequence[int] | None] = [None] * len(FEATURES)
        self._columns[0] = lower
        self._columns[1] = orth
        self._vocabulary: set[int] | None = None

    def vocabulary(self) -> set[int]:
        """The set of LOWER hashes in the doc."""
        if self._vocabulary is None:
            self._vocabulary = set(self.column(0))
        return self._vocabulary

    def column(self, index: int) -> Sequence[int]:
        col = self._columns[index]
        if col is None:
            col = self._columns[index] = self._read(FEATURES[index])
        return col


def _token_ok(spec: TokenSpec, table: TokenColumns, pos: int) -> bool:
    for column, words, negated in spec.words:
        if (table.column(column)[pos] in words) == negated:
            return False
    for column, wanted in spec.flags:
        if bool(table.column(column)[pos]) != wanted:
            return False
    return True


def _longest_from(specs: Sequence[TokenSpec], k: int, pos: int, table: TokenColumns, limit: int) -> int:
    """End of the longest match of specs[k:] starting at token ``pos`` and ending by ``limit``; -1 when none."""
    if k == len(specs):
        return pos
    spec = specs[k]
    if not spec.words and not spec.flags:  # a wildcard gap
        run = min(spec.high, limit - pos)
    else:
        run = 0
        while run < spec.high and pos + run < limit and _token_ok(spec, table, pos + run):
            run += 1
    best = -1
    for count in range(run, spec.low - 1, -1):
        best = max(best, _longest_from(specs, k + 1, pos + count, table, limit))
    return best


def find_pattern_matches(pattern: CompiledPattern, table: TokenColumns, anchors: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """(start, end) of the longest match at each possible start position.

    ``anchors``: positions of the pattern's anchor word (None: look for them in the LOWER column);
    a match can only start within ``pattern.before`` tokens before an anchor.
    """
    # Many start positions: first check that every required word set occurs at all.
    vocabulary = table.vocabulary()
    if not has_required_words(pattern, vocabulary):
        return []
    return find_pattern_matches_near(pattern, table, anchors)


def has_required_words(pattern: CompiledPattern, vocabulary: set[int] | frozenset[int]) -> bool:
    """True when `vocabulary` (LOWER hashes) holds a word of each set the pattern requires."""
    return all(not vocabulary.isdisjoint(words) for words in pattern.required)


def find_pattern_matches_near(
    pattern: CompiledPattern, table: TokenColumns, anchors: Sequence[int] | None = None
) -> list[tuple[int, int]]:
    """`find_pattern_matches` without the required-words check (the caller made it)."""
    if pattern.anchor is None:
        starts: Sequence[int] = range(table.n)
    else:
        if anchors is None:
            anchor_words = pattern.required[0]
            anchors = [i for i, word in enumerate(table.column(0)) if word in anchor_words]
        before = pattern.before
        if len(anchors) == 1:
            starts = range(max(0, anchors[0] - before), anchors[0] + 1)
        elif before == 0:
            starts = sorted(set(anchors))
        else:
            starts = sorted({s for i in anchors for s in range(max(0, i - before), i + 1)})
    matches = []
    specs = pattern.specs
    first = specs[0]
    if first.low >= 1 and len(first.words) == 1 and not first.flags:
        # A match must start on a token that passes the first word test: check it inline.
        column, words, negated = first.words[0]
        values = table.column(column)
        n = table.n
        starts = [s for s in starts if s < n and (values[s] in words) != negated]
    limit = table.limit
    for start in starts:
        end = _longest_from(specs, 0, start, table, limit(start))
        if end > start:
            matches.append((start, end))
    return matches
