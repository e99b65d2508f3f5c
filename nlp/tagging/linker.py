"""spaCy component `narrative_ticker_linker_v1`: finds listed companies in a Doc.

Candidates come from cashtags and exchange tags, names and aliases (an index of lower-cased
token sequences, `doc_tokens.PhraseIndex`, then a case check against the canonical form:
"Apple" yes, "apple" no) and bare upper-case symbols ("NVDA shares"). Names and symbols that
are also ordinary words are linked only with evidence: an explicit tag, a corporate cue nearby, another
company in the same sentence, or the company named unambiguously elsewhere in the text
(one sense per discourse). Negative contexts ("apple pie", "Harrison Ford") block a
mention whatever the evidence. Overlapping matches: the longest wins (GE Vernova over GE).
Output: `doc._.mentions`, a list of `Mention` sorted by start.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from nlp.tagging.doc_tokens import (
    DocTokens,
    PhraseIndex,
    WordCodes,
    doc_tokens,
    get_doc_value,
    has_plain_extension,
    pipeline_word_codes,
    set_doc_value,
)
from nlp.tagging.gazetteer import Gazetteer, load_gazetteer
from nlp.tagging.link_candidates import (
    CONFIDENCE,
    Entry,
    LinkCandidate,
    build_caps,
    build_covered,
    build_entries,
    is_case_ok,
    is_before_acquisition,
    is_before_listing,
    is_glued,
    is_lowercase_slang,
    is_named_fund,
    select_longest_first,
)
from nlp.tagging.link_context import is_next_to_proper_word
from nlp.tagging.link_resolve import Resolver
from nlp.tagging.mentions import Mention
from nlp.tagging.segments import DocView, Strings, stop_hashes
from nlp.tagging.tags import (
    EXCHANGE_WORDS, TagHit, is_currency_pair, is_quoted_in_currency, parse_cashtag, parse_exchange_tag,
)

_RIC_SUFFIXES = ("O", "N", "OQ", "K", "A")
# What a word can be to the linker: bits of its word code (`doc_tokens.WordCodes`).
_DOLLAR, _EXCHANGE, _SYMBOL, _NAME, _BOUNDARY, _LOWER_SYMBOL = 1, 2, 4, 8, 16, 32


def _ensure_extension() -> None:
    if not Doc.has_extension("mentions"):
        Doc.set_extension("mentions", default=None)
    if not Doc.has_extension("published"):  # the text's date (ISO), when the caller knows it
        Doc.set_extension("published", default=None)


@Language.factory(
    "narrative_ticker_linker_v1",
    assigns=["doc._.mentions"],
    default_config={"gazetteer_dir": None},
)
def make_ticker_linker(nlp: Language, name: str, gazetteer_dir: str | None) -> "TickerLinker":
    return TickerLinker(nlp, load_gazetteer(gazetteer_dir), name, pipeline_word_codes(nlp))


class TickerLinker:
    """Doc -> Doc; sets `doc._.mentions`."""

    def __init__(self, nlp: Language, gazetteer: Gazetteer, name: str = "ticker_linker",
                 word_codes: WordCodes | None = None):
        _ensure_extension()
        self.gazetteer = gazetteer
        self.context = gazetteer.context
        store = nlp.vocab.strings
        self._strings = Strings(store)
        self._stops = stop_hashes(store)
        self._exchange_words = frozenset(
            store.add(form) for w in EXCHANGE_WORDS for form in (w, w.upper(), w.capitalize())
        )
        # Bare symbols, and Reuters instrument codes ("AAPL.O", "IBM.N") for them.
        self._ric = {f"{s}.{x}": s for s in gazetteer.symbols if "." not in s for x in _RIC_SUFFIXES}
        self._symbol_orths = frozenset(store.add(s) for s in list(gazetteer.symbols) + list(self._ric))
        self._lower_symbol_orths = frozenset(store.add(s) for s in gazetteer.lowercase_symbols)
        self._dollar = store.add("$")
        # Corporate phrases as space-joined lower-cased tokens, padded, for a substring test; the
        # companies' own words tokenised the same way.
        cue_phrases = [" " + " ".join(t.lower_ for t in nlp.make_doc(p)) + " " for p in self.context.corporate_phrases]
        own_cues = {
            name: [" ".join(t.lower_ for t in nlp.make_doc(cue)) for cue in cues]
            for name, cues in self.context.positive_cues.items()
        }
        self._resolver = Resolver(gazetteer, cue_phrases, own_cues)
        # Names and aliases: one index of lower-cased token sequences; entries sharing a sequence
        # (a name several companies use, or a name also listed as blocked) share its payload list.
        self._word_codes = word_codes if word_codes is not None else WordCodes(nlp.vocab)
        self.names = PhraseIndex()
        for entry in build_entries(gazetteer):
            for form in _written_forms(entry.text):
                pattern = nlp.make_doc(form)
                entries = self.names.get(pattern)
                if entries is None:
                    entries = []
                    self.names.add(pattern, entries)
                entries.append(Entry(**{**entry.__dict__, "caps": build_caps(pattern)}))
        # The tokens each rule starts from, as bits of the pipeline's word codes.
        self._name_anchors = self.names.anchors()
        self._vocab = nlp.vocab
        self._shift = self._word_codes.register(f"linker:{name}", self._classify, 6)
        self._plain_extension = has_plain_extension("mentions")

    def _classify(self, key: int) -> int:
        code = _DOLLAR if key == self._dollar else 0
        if key in self._exchange_words:
            code |= _EXCHANGE
        if key in self._symbol_orths:
            code |= _SYMBOL
        if self._vocab[key].lower in self._name_anchors:
            code |= _NAME
        if key in self._lower_symbol_orths:
            code |= _LOWER_SYMBOL
        if key in self._stops or self._strings.is_line_break(key):
            code |= _BOUNDARY
        return code

    def __call__(self, doc: Doc) -> Doc:
        tokens = doc_tokens(doc, self._word_codes)
        marks = _Marks(tokens, self._shift)
        view = DocView(doc, self._strings, self._stops, tokens, marks.at(_BOUNDARY))
        explicit, reserved = self._explicit(view, marks)
        names = self._names(view, marks, reserved, get_doc_value(doc, "published"))
        taken = reserved | build_covered(names)
        symbols = self._bare_symbols(view, marks, taken, explicit + names)
        if marks.any(_LOWER_SYMBOL) and view.writes_lowercase():
            symbols += self._lowercase_symbols(view, marks, taken)
        candidates = explicit + names + symbols
        if candidates:
            self._resolver.resolve(view, candidates)
        mentions = sorted(
            (self._mention(view, c) for c in candidates if c.accepted),
            key=lambda m: (m.start, m.end),
        )
        if self._plain_extension:
            set_doc_value(doc, "mentions", mentions)
        else:
            doc._.mentions = mentions
        return doc

    # --- candidates -------------------------------------------------------------------

    def _explicit(self, view: DocView, marks: "_Marks") -> tuple[list[LinkCandidate], set[int]]:
        """Cashtags and exchange tags, linked on sight; every tag (foreign or OTC ones
        too) reserves its tokens so no other rule reads them."""
        if not marks.any(_DOLLAR | _EXCHANGE):
            return [], set()
        hits = [parse_cashtag(view, i) for i in marks.at(_DOLLAR)]
        for i in marks.at(_EXCHANGE):
            hits += parse_exchange_tag(view, i)
        out, reserved, seen = [], set(), set()
        gaz = self.gazetteer
        quoted = {h for h in hits if h is not None and is_quoted_in_currency(view, h, gaz.currencies)}
        # A post with a coin in it ("$BTC", "$CRO-USD") is a crypto post: there "$STX" is the Stacks token.
        crypto_post = bool(quoted) or any(h is not None and h.symbol in gaz.crypto_signals for h in hits)
        for hit in hits:
            if hit is None or (hit.start, hit.end) in seen:
                continue
            seen.add((hit.start, hit.end))
            reserved.update(range(hit.tag_start, hit.tag_end))
            if hit in quoted:
                continue
            candidate = self._explicit_candidate(hit, crypto_post)
            if candidate is not None:
                out.append(candidate)
        return out, reserved

    def _explicit_candidate(self, hit: TagHit, crypto_post: bool = False) -> LinkCandidate | None:
        gaz = self.gazetteer
        method = "cashtag" if hit.exchange is None and not hit.foreign else "exchange_tag"
        known = gaz.symbols.get(hit.symbol)
        if hit.foreign:
            return None
        if hit.symbol in gaz.not_tickers or (crypto_post and hit.symbol in gaz.crypto_tokens):
            # "$ES", "$CL": futures more often than Eversource or Colgate; "$STX" beside "$BTC" is
            # the Stacks token, not Seagate: linked only when the company is named in the same text.
            if known is None or method != "cashtag":
                return None
            return LinkCandidate(hit.start, hit.end, known, "cashtag", ambiguous=True)
        if known is None and (
            not hit.raw.isupper() or (method == "cashtag" and len(hit.symbol) < 2)
            or is_currency_pair(hit.symbol, gaz.currencies)
        ):
            return None
        candidate = LinkCandidate(hit.start, hit.end, known or hit.symbol, method)
        if known:
            candidate.accept(method, CONFIDENCE["tag_known"])
        else:
            candidate.accept(method, CONFIDENCE["tag_unknown" if method == "exchange_tag" else "cashtag_unknown"])
        return candidate

    def _names(self, view: DocView, marks: "_Marks", reserved: set[int], published: str | None) -> list[LinkCandidate]:
        found: list[tuple[int, int, Entry]] = []
        lowered: set[int] = set()  # starts of names matched only through the writer's lower case
        for start, end, entries in self.names.find(view.tokens, marks.at(_NAME)):
            if reserved and not reserved.isdisjoint(range(start, end)):
                continue
            entry, lowercase = self._entry_for(view, entries, start, end)
            if entry is not None and (is_before_acquisition(entry, published) or is_before_listing(entry, published)):
                entry = Entry("unlisted", entry.text)
            if entry is not None:
                found.append((start, end, entry))
                if lowercase:
                    lowered.add(start)
        # In lower case a name made of words ("western digital") or a short acronym ("gm") is no
        # longer told from the words by its capitals: like a one-word name ("apple"), it needs evidence.
        return [
            LinkCandidate(s, e, entry.symbol, entry.method if entry.kind == "company" else "block",
                          entry.ambiguous or (s in lowered and (entry.weak or entry.text.isupper())),
                          entry, lowercase=s in lowered)
            for s, e, entry in select_longest_first(found)
        ]

    def _entry_for(self, view: DocView, entries: list[Entry], start: int, end: int) -> tuple[Entry | None, bool]:
        """The first entry whose capitalisation the text respects, and whether it was found only
        through the writer's lower case. In an all-caps headline the case says nothing, so any
        entry fits; so it does from someone who writes all in lower case ("nvidia", "bofa"), slang
        aside ("psa"); there names that are words and short acronyms ("apple", "gm") need evidence."""
        words = view.words(start, end)
        if len(entries) > 1:  # "First BanCorp" (FBP) and "First Bancorp" (FBNC): the exact spelling wins
            spelled = " ".join(words)
            for entry in entries:
                if entry.text == spelled:
                    return entry, False
        for entry in entries:
            if is_case_ok(entry, words):
                return entry, False
        if all(w.isupper() or not w.isalpha() for w in words) and view.shape(start) == "caps":
            return entries[0], False
        glued = start > 0 and view.glued(start - 1) and view.word(start - 1)[-1] in "-/"
        # "uber-bullish": a word joined to the next one by a hyphen is a prefix, not a name
        glued = glued or (end + 1 < view.n and view.glued(end - 1) and view.word(end) == "-" and view.glued(end))
        if not glued and not any(w[:1].isupper() for w in words) and view.writes_lowercase():
            for entry in entries:
                if not is_lowercase_slang(entry.text, self.gazetteer.lowercase_stop):
                    return entry, True
        return None, False

    def _bare_symbols(
        self, view: DocView, marks: "_Marks", taken: set[int], others: list[LinkCandidate]
    ) -> list[LinkCandidate]:
        """Bare upper-case symbols ("NVDA"). An ambiguous one ("CAT", "IT") can only be
        linked through discourse, so it is kept only when its company is a candidate."""
        gaz = self.gazetteer
        known = {c.symbol for c in others}
        out = []
        for i in marks.at(_SYMBOL):
            raw = view.word(i)
            symbol = gaz.symbols.get(raw) or gaz.symbols[self._ric[raw]]
            if i in taken or is_glued(view, i):
                continue
            ambiguous = symbol in gaz.ambiguous_symbols or raw in gaz.ambiguous_symbols
            if ambiguous and is_named_fund(view, self.gazetteer.companies.get(symbol), i):
                ambiguous = False  # "the DIA fund", "TAN ETF": a fund's symbol, said to be one
            elif (ambiguous or len(raw) < 3) and symbol not in known:
                continue
            if view.shape(i) == "caps":
                continue
            # "Amazon MGM Studios": part of another proper name unless its company is named.
            if is_next_to_proper_word(view, self.context, i, i + 1):
                if symbol not in known:
                    continue
                ambiguous = True
            out.append(LinkCandidate(i, i + 1, symbol, "symbol", ambiguous))
        return out

    def _lowercase_symbols(self, view: DocView, marks: "_Marks", taken: set[int]) -> list[LinkCandidate]:
        """Symbols in lower case from a writer who writes all in lower case ("sold my nvda");
        only those no ordinary word or slang shares (`Gazetteer.lowercase_symbols`)."""
        lowercase = self.gazetteer.lowercase_symbols
        return [
            LinkCandidate(i, i + 1, lowercase[view.word(i)], "symbol", lowercase=True)
            for i in marks.at(_LOWER_SYMBOL)
            if i not in taken and not is_glued(view, i)
        ]

    def _mention(self, view: DocView, c: LinkCandidate) -> Mention:
        start, end, text = view.char_span(c.start, c.end)
        if text.endswith(".") and c.entry is not None and not c.entry.text.endswith("."):
            end, text = end - 1, text[:-1]  # "AT&T." at a sentence's end: the name without the full stop
        confidence = min(c.confidence, CONFIDENCE["lowercase"]) if c.lowercase else c.confidence
        return Mention(c.symbol, start, end, text, c.final_method, confidence)


def _written_forms(name: str) -> tuple[str, ...]:
    """The name, and for a one-word name with "&" also the form spaCy keeps as one token at a sentence's
    end ("AT&T." is one token, so "AT&T" alone would not match it)."""
    if "&" in name and " " not in name and name[-1:].isalpha():
        return (name, name + ".")
    return (name,)


class _Marks:
    """The doc's tokens the linker cares about, asked by bit (_DOLLAR ... _BOUNDARY)."""

    __slots__ = ("code", "shift", "where")

    def __init__(self, tokens: DocTokens, shift: int):
        self.code, self.shift = tokens.code, shift
        self.where = tokens.flagged(63 << shift)

    def any(self, bits: int) -> bool:
        code, bits = self.code, bits << self.shift
        return any(code[i] & bits for i in self.where)

    def at(self, bits: int) -> list[int]:
        code, bits = self.code, bits << self.shift
        return [i for i in self.where if code[i] & bits]
