"""What the tagging components read from a Doc, read once and shared: each token's ORTH and
LOWER hash and what each component makes of its word; vocabulary-level caches; and a phrase
index that matches lower-cased token sequences like spaCy's PhraseMatcher.

Reading a Doc through spaCy Token objects (or `doc.text`) costs about as much as tokenising
it, and the tagging pipeline must stay within 2x of tokenisation; so does Python work per
token (one dict lookup per token costs a tenth of tokenisation). So a Doc is read once with
`Doc.to_array`, and each token's word is looked up once, in one C-level pass, in the
pipeline's `WordCodes`: ORTH hash -> bit mask, where each component owns a few bits ("a
sentence-final character", "anchors a company name", "anchors a theme phrase" ...) and
classifies a word the first time any doc holds it. A component then finds its tokens by bit
(`DocTokens.flagged`) and Python touches only those, through caches keyed by ORTH hash.

The components of a pipeline run on one Doc after the other (`nlp.pipe` passes each Doc
through every component before taking the next), so `doc_tokens(doc, codes)` keeps the last
table and the next component gets it for free. A table is reused only for the same Doc object
with the same length and the same `WordCodes` version; a component that retokenises a Doc in
between gets a fresh one.
"""

from __future__ import annotations

import weakref
from itertools import compress, repeat
from typing import Callable

from spacy.attrs import IDX, LOWER, ORTH, SPACY
from spacy.tokens import Doc

_UNSEEN = -1  # the code of a word not classified yet


class Lexicon:
    """ORTH hash -> text and lexeme flags, cached across docs (the StringStore decodes on every
    lookup, and a Lexeme object costs more than the cache)."""

    def __init__(self, vocab):
        self.vocab = vocab
        self._store = vocab.strings
        self.text: dict[int, str] = {}
        self._punct: dict[int, bool] = {}

    def word(self, key: int) -> str:
        text = self.text.get(key)
        if text is None:
            text = self.text[key] = self._store[key]
        return text

    def is_punct(self, key: int) -> bool:
        punct = self._punct.get(key)
        if punct is None:
            punct = self._punct[key] = self.vocab[key].is_punct
        return punct


class WordCodes:
    """What the tagging components of one pipeline make of each word: ORTH hash -> bit mask.

    A component registers a classifier (ORTH hash -> its own bits, `width` of them) and gets
    the shift of its bits; a word is classified by every component the first time a doc holds
    it. Classifiers look only at the word, so a word's code never changes."""

    def __init__(self, vocab):
        self.lexicon = Lexicon(vocab)
        self.codes: dict[int, int] = {}
        self._classifiers: dict[str, tuple[Callable[[int], int], int]] = {}
        self._width = 0
        self.version = 0  # bumped when a classifier changes: tables built before are stale

    def register(self, key: str, classify: Callable[[int], int], width: int) -> int:
        """Add (or replace, for the same `key`) a classifier; returns the shift of its bits."""
        shift = self._width
        self._width += width
        self._classifiers[key] = (classify, shift)
        self.codes.clear()
        self.version += 1
        return shift

    def classify(self, key: int) -> int:
        code = self.codes.get(key, _UNSEEN)
        if code == _UNSEEN:
            code = 0
            for classify, shift in self._classifiers.values():
                code |= classify(key) << shift
            self.codes[key] = code
        return code


_pipeline_codes: "weakref.WeakKeyDictionary[object, WordCodes]" = weakref.WeakKeyDictionary()


def pipeline_word_codes(nlp) -> WordCodes:
    """The `WordCodes` the tagging components of `nlp` share (one per pipeline)."""
    codes = _pipeline_codes.get(nlp)
    if codes is None or codes.lexicon.vocab is not nlp.vocab:
        codes = _pipeline_codes[nlp] = WordCodes(nlp.vocab)
    return codes


class DocTokens:
    """A Doc read once: `orth` (ORTH hash per token), `lowers()` (LOWER hashes), `code` (each
    token's word code), `where` (sorted positions of tokens with a non-zero code), and
    character offsets and trailing whitespace (`idx`, `glued`)."""

    __slots__ = ("doc", "n", "word_codes", "version", "orth", "code", "where", "_table", "_lower")

    def __init__(self, doc: Doc, word_codes: WordCodes):
        self.doc = doc
        self.word_codes = word_codes
        self.version = word_codes.version
        self.n = n = len(doc)
        self._lower: list[int] | None = None
        if not n:
            self._table = None
            self.orth, self.code, self.where = [], [], []
            return
        self._table = table = doc.to_array([ORTH, LOWER, IDX, SPACY])
        self.orth = orth = table[:, 0].tolist()
        self.code = code = list(map(word_codes.codes.get, orth, repeat(_UNSEEN)))
        if _UNSEEN in code:
            classify = word_codes.classify
            for i, value in enumerate(code):
                if value == _UNSEEN:
                    code[i] = classify(orth[i])
        self.where = list(compress(range(n), code))

    def flagged(self, bits: int) -> list[int]:
        """Sorted positions of tokens whose code has any of these bits."""
        code = self.code
        return [i for i in self.where if code[i] & bits]

    def lowers(self) -> list[int]:
        if self._lower is None:
            self._lower = self._table[:, 1].tolist() if self.n else []
        return self._lower

    def idx(self, i: int) -> int:
        """Character offset of token i."""
        return self._table.item(i, 2)

    def glued(self, i: int) -> bool:
        """True when token i is followed by no whitespace."""
        return not self._table.item(i, 3)

    def char_span(self, words: list[str], start: int) -> tuple[int, int, str]:
        """Character offsets and text of the tokens from `start` whose words are `words`."""
        table = self._table
        begin = table.item(start, 2)
        text = words[0]
        for k in range(1, len(words)):
            text += (" " if table.item(start + k - 1, 3) else "") + words[k]
        return begin, begin + len(text), text


_last: list[DocTokens | None] = [None]


def doc_tokens(doc: Doc, word_codes: WordCodes) -> DocTokens:
    """The token table of `doc`: the one the previous component built when it is the same Doc."""
    last = _last[0]
    if (
        last is not None and last.doc is doc and last.word_codes is word_codes
        and last.version == word_codes.version and last.n == len(doc)
    ):
        return last
    table = _last[0] = DocTokens(doc, word_codes)
    return table


def set_doc_value(doc: Doc, name: str, value) -> None:
    """``doc._.<name> = value`` for an extension with a plain default (no getter, setter or
    method): the value Underscore would store, without building an Underscore object."""
    doc.user_data[("._.", name, None, None)] = value


def get_doc_value(doc: Doc, name: str, default=None):
    """``doc._.<name>`` as ``set_doc_value`` stores it (``default`` when unset or unregistered)."""
    return doc.user_data.get(("._.", name, None, None), default)


def has_plain_extension(name: str) -> bool:
    """True when the Doc extension `name` exists and stores its value in `doc.user_data`."""
    ext = Doc.get_extension(name)
    return ext is not None and ext[1] is None and ext[2] is None and ext[3] is None


class PhraseIndex:
    """Token sequences, as LOWER hashes, each with a payload. `find` returns every match as
    (start, end, payload), sorted by start then end like spaCy's PhraseMatcher.

    Each sequence is filed under one of its words, its anchor: the word least likely to be
    common in text (not a stop word, punctuation or a number; in few of the indexed sequences;
    long). A component flags the tokens whose word is an anchor (`anchors`) and `find` checks
    the sequences filed under each flagged token's word around it: "the", "on" or "a" start
    many company names and theme phrases, so anchoring on first words would visit many more
    tokens. Anchors are chosen once all sequences are in (on the first `anchors` or `find`).
    """

    def __init__(self):
        self._payloads: dict[tuple[int, ...], object] = {}
        self._words: dict[tuple[int, ...], tuple[tuple[bool, int], ...]] = {}  # (common, length) per word
        self._by_anchor: dict[int, tuple[dict | None, dict | None]] | None = None
        self._single: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self._payloads)

    def add(self, tokens: Doc, payload) -> None:
        """Add the sequence of a (pattern) Doc's tokens; a sequence added twice keeps its first payload."""
        sequence = tuple(t.lower for t in tokens)
        if not sequence or sequence in self._payloads:
            return
        self._payloads[sequence] = payload
        self._words[sequence] = tuple((t.is_stop or t.is_punct or t.like_num or len(t) < 2, len(t)) for t in tokens)
        self._by_anchor = None

    def get(self, tokens: Doc):
        """The payload of a (pattern) Doc's token sequence, or None."""
        return self._payloads.get(tuple(t.lower for t in tokens))

    def _anchors(self) -> dict[int, tuple[dict | None, dict | None]]:
        """Anchor LOWER hash -> (trie of the sequences that start with it, or None; {LOWER hash of
        the word before it: [(offset of the anchor, trie of those sequences)]}, or None)."""
        if self._by_anchor is None:
            counts: dict[int, int] = {}
            for sequence in self._payloads:
                for key in set(sequence):
                    counts[key] = counts.get(key, 0) + 1
            starting: dict[int, dict] = {}
            inside: dict[int, dict[int, dict[int, dict]]] = {}
            for sequence, payload in self._payloads.items():
                words = self._words[sequence]
                offset = min(
                    range(len(sequence)),
                    key=lambda k: (words[k][0], counts[sequence[k]], -words[k][1], k),
                )
                anchor = sequence[offset]
                if offset == 0:
                    level = starting.setdefault(anchor, {})
                else:  # filed by the word before the anchor: one lookup rules most occurrences out
                    level = inside.setdefault(anchor, {}).setdefault(sequence[offset - 1], {}).setdefault(offset, {})
                _trie_add(level, sequence, payload)
            self._by_anchor = {
                key: (starting.get(key), {prev: sorted(groups.items()) for prev, groups in inside[key].items()}
                      if key in inside else None)
                for key in set(starting) | set(inside)
            }
            # Most anchors are one-word sequences that nothing longer shares: answered by one lookup.
            self._single = {
                key: trie[key][0] for key, (trie, before) in self._by_anchor.items()
                if before is None and len(trie) == 1 and not trie[key][1]
            }
        return self._by_anchor

    def anchors(self) -> frozenset[int]:
        """The LOWER hashes of the anchor words."""
        return frozenset(self._anchors())

    def find(self, tokens: DocTokens, anchors: list[int]) -> list[tuple[int, int, object]]:
        """Matches around the tokens at `anchors` (sorted positions of anchor words)."""
        by_anchor = self._anchors()
        single = self._single
        lower, n = tokens.lowers(), tokens.n
        out: list[tuple[int, int, object]] = []
        for i in anchors:
            key = lower[i]
            payload = single.get(key)
            if payload is not None:
                out.append((i, i + 1, payload))
                continue
            starting, inside = by_anchor.get(key, (None, None))
            if starting:
                _trie_walk(starting, lower, i, n, out)
            if inside and i:
                for offset, trie in inside.get(lower[i - 1], ()):
                    if i >= offset:
                        _trie_walk(trie, lower, i - offset, n, out)
        if len(out) > 1:
            out.sort()  # by (start, end): one sequence per span, so payloads are never compared
        return out


def _trie_add(level: dict, sequence: tuple[int, ...], payload) -> None:
    node = None
    for key in sequence:
        node = level.get(key)
        if node is None:
            node = level[key] = [None, {}]
        level = node[1]
    node[0] = payload


def _trie_walk(level: dict, lower: list[int], start: int, n: int, out: list) -> None:
    """Append (start, end, payload) for each sequence of the trie the tokens from `start` spell."""
    k = start
    while level and k < n:
        node = level.get(lower[k])
        if node is None:
            return
        k += 1
        payload, level = node
        if payload is not None:
            out.append((start, k, payload))
