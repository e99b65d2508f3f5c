"""A read-only view of a Doc for the ticker linker: token arrays, sentence-like segments
(split at . ! ? tokens and at line breaks, so a headline is its own segment) and the
shape of each segment (all-caps headline, Title Case headline or plain prose).

Per-token work is left to C (the shared `DocTokens` table, list scans); Python touches
only the tokens around candidates, through a string cache shared across docs. Creating a
spaCy Token for every token (or `doc.text`) would cost as much as the tokeniser itself,
and the linker must stay cheap next to tokenisation.
"""

from __future__ import annotations

from bisect import bisect_right

from spacy.tokens import Doc

from nlp.tagging.doc_tokens import DocTokens, WordCodes

STOPS = (".", "!", "?")
HEADLINE_TOKENS = 40


class Strings:
    """Token hashes -> text, cached across docs."""

    def __init__(self, store):
        self._store = store
        self._cache: dict[int, str] = {}
        self.shape_kinds: dict[int, int] = {}

    def __call__(self, key: int) -> str:
        text = self._cache.get(key)
        if text is None:
            text = self._cache[key] = self._store[key]
        return text

    def shape_kind(self, key: int) -> int:
        """`build_shape_kind` of the word with this hash, cached in `shape_kinds`."""
        kind = self.shape_kinds[key] = build_shape_kind(self(key))
        return kind

    def is_line_break(self, key: int) -> bool:
        """True for a whitespace token holding a newline."""
        text = self(key)
        return "\n" in text and text.isspace()


class DocView:
    """Token-level access without creating spaCy Token objects for every token.

    `boundaries`: sorted indices of the tokens a segment ends with (. ! ? and line breaks),
    when the caller has them; else they are looked up on first use."""

    def __init__(self, doc: Doc, strings: Strings, stops: frozenset[int], tokens: DocTokens | None = None,
                 boundaries: list[int] | None = None):
        self.doc = doc
        self.tokens = tokens if tokens is not None else DocTokens(doc, WordCodes(doc.vocab))
        self.orth: list[int] = self.tokens.orth
        self.n = self.tokens.n
        self._strings = strings
        self._stops = stops
        self._boundaries = boundaries
        self._starts: list[int] | None = None
        self._shapes: dict[int, str] = {}
        self._lowercase: bool | None = None

    # --- tokens -----------------------------------------------------------------------

    def word(self, i: int) -> str:
        return self._strings(self.orth[i])

    def words(self, lo: int, hi: int) -> list[str]:
        return [self._strings(h) for h in self.orth[lo:hi]]

    def lower(self, i: int) -> str:
        return self.word(i).lower()

    def glued(self, i: int) -> bool:
        """True when token i is followed by no whitespace."""
        return self.tokens.glued(i)

    def char_span(self, start: int, end: int) -> tuple[int, int, str]:
        """Character offsets and text of tokens [start, end)."""
        return self.tokens.char_span(self.words(start, end), start)

    # --- segments ---------------------------------------------------------------------

    @property
    def starts(self) -> list[int]:
        """Token indices where segments start: after . ! ? and after line breaks."""
        if self._starts is None:
            ends = self._boundaries
            if ends is None:
                stops, is_break = self._stops, self._strings.is_line_break
                ends = [i for i, h in enumerate(self.orth) if h in stops or is_break(h)]
            self._starts = [0] + [i + 1 for i in ends]
        return self._starts

    def segment_id(self, i: int) -> int:
        return bisect_right(self.starts, i) - 1

    def segment(self, i: int) -> tuple[int, int]:
        """Token range [lo, hi) of the segment holding token i."""
        starts = self.starts
        k = bisect_right(starts, i) - 1
        return starts[k], starts[k + 1] if k + 1 < len(starts) else self.n

    def shape(self, i: int) -> str:
        """"caps", "title" or "plain" for the segment holding token i. A segment longer
        than `HEADLINE_TOKENS` is prose: plain without looking."""
        k = self.segment_id(i)
        shape = self._shapes.get(k)
        if shape is None:
            lo, hi = self.segment(i)
            if hi - lo > HEADLINE_TOKENS:
                shape = "plain"
            else:
                kinds = self._strings.shape_kinds
                counts = [0, 0, 0, 0]
                for h in self.orth[lo:hi]:
                    kind = kinds.get(h, -1)
                    if kind < 0:
                        kind = self._strings.shape_kind(h)
                    if kind:
                        counts[0] += 1
                        if kind < SHAPE_SHORT:
                            counts[kind] += 1
                shape = build_shape_of_counts(counts[0], counts[1], counts[2], counts[3])
            self._shapes[k] = shape
        return shape

    def writes_lowercase(self) -> bool:
        """True when the writer does not capitalise ("sold my nvda at the top lol"): judged on
        the first word of each segment (`build_is_lowercase_writing`)."""
        if self._lowercase is None:
            starts = self.starts
            ends = starts[1:] + [self.n]
            firsts = [self._first_word(lo, min(hi, lo + _FIRST_WORD_SPAN)) for lo, hi in zip(starts, ends)]
            self._lowercase = build_is_lowercase_writing([w for w in firsts if w])
        return self._lowercase

    def _first_word(self, lo: int, hi: int) -> str:
        """The first token with a letter in [lo, hi), past punctuation ("AT&T", "nvidia"); "" when
        there is none, or when a number comes first: after one ("1986 net income rose", "3 reasons
        ...") a lower-case word is the sentence's second and says nothing of the writer."""
        for i in range(lo, hi):
            word = self.word(i)
            if any(ch.isalpha() for ch in word):
                if i > 0 and self.glued(i - 1) and self.word(i - 1)[-1] in _INSIDE_WORD:
                    return ""  # a piece of a link or a compound ("/industrials-up")
                return word
            if word[:1].isdigit():
                return ""
        return ""

    def starts_segment(self, i: int) -> bool:
        """True when token i is the first word of its segment."""
        lo, _ = self.segment(i)
        first = lo
        while first < i and not self.word(first).isalpha():
            first += 1
        return first == i


def stop_hashes(store) -> frozenset[int]:
    return frozenset(store.add(s) for s in STOPS)


def build_shape(words: list[str]) -> str:
    """All-caps when 80% of 3+ words are upper case; Title Case when 80% of 4+ longer
    mixed-case words are capitalised; else plain. Non-alphabetic tokens are ignored."""
    counts = [0, 0, 0, 0]
    for w in words:
        kind = build_shape_kind(w)
        if kind:
            counts[0] += 1
            if kind < SHAPE_SHORT:
                counts[kind] += 1
    return build_shape_of_counts(*counts)


# What a word adds to a segment's shape (see build_shape): nothing (not alphabetic, or one
# letter); an upper-case word; a longer lower-case or capitalised word; a short mixed-case word
# (it counts as a word only). Codes 1-3 index the counts.
SHAPE_SKIP, SHAPE_UPPER, SHAPE_LOWER, SHAPE_CAPITAL, SHAPE_SHORT = 0, 1, 2, 3, 4


_INSIDE_WORD = frozenset("/.-_=:#@&") | frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_FIRST_WORD_SPAN = 6  # tokens searched for a segment's first word ("$NVDA -> nvidia ...")


def build_is_lowercase_writing(first_words: list[str]) -> bool:
    """True when at least one segment opens with a word in lower case and no more open with a
    capitalised one: someone who writes in lower case, where a name's case says nothing. Words in
    capitals ("I", "NVDA", "AT&T") say nothing of how the writer capitalises."""
    lower = sum(1 for w in first_words if w.islower())
    capital = sum(1 for w in first_words if w[:1].isupper() and any(ch.islower() for ch in w))
    return lower >= 1 and lower >= capital


def build_shape_kind(word: str) -> int:
    if len(word) < 2 or not word.isalpha():
        return SHAPE_SKIP
    if word.isupper():
        return SHAPE_UPPER
    if len(word) >= 4:
        return SHAPE_CAPITAL if word[0].isupper() else SHAPE_LOWER
    return SHAPE_SHORT


def build_shape_of_counts(n_long: int, n_upper: int, n_lower: int, n_capital: int) -> str:
    n_content = n_lower + n_capital
    if n_long >= 3 and n_upper >= 0.8 * n_long:
        return "caps"
    if n_content >= 4 and n_capital >= 0.8 * n_content:
        return "title"
    return "plain"
