"""A read-only view of a Doc for the ticker linker: token arrays, sentence-like segments
(split at . ! ? tokens and at line breaks, so a headline is its own segment) and the
shape of each segment (all-caps headline, Title Case headline or plain prose).

Per-token work is left to C (one `Doc.to_array`, set operations, list scans); Python
touches only the tokens around candidates, through a string cache shared across docs.
Creating a spaCy Token for every token (or `doc.text`) would cost as much as the
tokeniser itself, and the linker must stay cheap next to tokenisation.
"""

from __future__ import annotations

from bisect import bisect_right

from spacy.attrs import IDX, ORTH, SPACY
from spacy.tokens import Doc

STOPS = (".", "!", "?")
HEADLINE_TOKENS = 40


class Strings:
    """Token hashes -> text, cached across docs, plus the hashes known to be line breaks."""

    def __init__(self, store):
        self._store = store
        self._cache: dict[int, str] = {}
        self._seen: set[int] = set()
        self._breaks: set[int] = set()

    def __call__(self, key: int) -> str:
        text = self._cache.get(key)
        if text is None:
            text = self._cache[key] = self._store[key]
        return text

    def line_breaks(self, present: set[int]) -> set[int]:
        """The hashes among `present` of whitespace tokens holding a newline."""
        unseen = present - self._seen
        if unseen:
            self._breaks.update(h for h in unseen if "\n" in self(h) and self(h).isspace())
            self._seen |= unseen
        return self._breaks & present


class DocView:
    """Token-level access without creating spaCy Token objects for every token."""

    def __init__(self, doc: Doc, strings: Strings, stops: frozenset[int]):
        self.doc = doc
        self.orth: list[int] = doc.to_array(ORTH).tolist()
        self.present: set[int] = set(self.orth)
        self.n = len(self.orth)
        self._strings = strings
        self._stops = stops
        self._starts: list[int] | None = None
        self._idx: list[int] | None = None
        self._spaces: list[int] | None = None
        self._shapes: dict[int, str] = {}

    # --- tokens -----------------------------------------------------------------------

    def word(self, i: int) -> str:
        return self._strings(self.orth[i])

    def words(self, lo: int, hi: int) -> list[str]:
        return [self._strings(h) for h in self.orth[lo:hi]]

    def lower(self, i: int) -> str:
        return self.word(i).lower()

    def _offsets(self) -> None:
        self._idx, self._spaces = self.doc.to_array([IDX, SPACY]).T.tolist()

    def glued(self, i: int) -> bool:
        """True when token i is followed by no whitespace."""
        if self._spaces is None:
            self._offsets()
        return not self._spaces[i]

    def char_span(self, start: int, end: int) -> tuple[int, int, str]:
        """Character offsets and text of tokens [start, end)."""
        if self._idx is None:
            self._offsets()
        words = self.words(start, end)
        text = words[0]
        for k in range(start + 1, end):
            text += (" " if self._spaces[k - 1] else "") + words[k - start]
        begin = self._idx[start]
        return begin, begin + len(text), text

    def positions(self, wanted: frozenset[int] | set[int]) -> list[int]:
        """Sorted indices of tokens whose hash is in `wanted` (C-level list scans)."""
        out: list[int] = []
        for value in self.present.intersection(wanted):
            i = -1
            while True:
                try:
                    i = self.orth.index(value, i + 1)
                except ValueError:
                    break
                out.append(i)
        out.sort()
        return out

    # --- segments ---------------------------------------------------------------------

    @property
    def starts(self) -> list[int]:
        """Token indices where segments start: after . ! ? and after line breaks."""
        if self._starts is None:
            breaks = self._strings.line_breaks(self.present) | self._stops
            self._starts = [0] + [i + 1 for i in self.positions(breaks)]
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
            words = self.words(lo, hi) if hi - lo <= HEADLINE_TOKENS else []
            shape = self._shapes[k] = build_shape(words)
        return shape

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
    n_long = n_upper = n_content = n_capital = 0
    for w in words:
        if len(w) < 2 or not w.isalpha():
            continue
        n_long += 1
        if w.isupper():
            n_upper += 1
        elif len(w) >= 4:
            n_content += 1
            n_capital += w[0].isupper()
    if n_long >= 3 and n_upper >= 0.8 * n_long:
        return "caps"
    if n_content >= 4 and n_capital >= 0.8 * n_content:
        return "title"
    return "plain"
