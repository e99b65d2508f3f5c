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
    find_next_word,
    follows_own_name,
    is_case_ok,
    is_before_acquisition,
    is_before_listing,
    is_glued,
    is_listed,
    is_lowercase_slang,
    is_named_fund,
    select_longest_first,
)
from nlp.tagging.link_context import (
    has_appositive_descriptor,
    is_inside_headline_phrase,
    is_hyphen_joined,
    is_institution_after,
    is_next_to_proper_word,
    is_place_after,
    is_product_apposition,
    is_signed_move_after,
    is_titled_person,
    is_town_after_preposition,
    opens_relative_clause,
)
from nlp.tagging.mentions import Mention
from nlp.tagging.segments import DocView, Strings, stop_hashes
from nlp.tagging.tags import (
    EXCHANGE_WORDS, TagHit, is_currency_pair, is_quoted_in_currency, parse_cashtag, parse_exchange_tag,
)

_WINDOW = 8  # tokens either side searched for corporate cues
_NAMES = ("name", "alias")
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
        # Phrases as space-joined lower-cased tokens, padded, for a substring test.
        self._cue_phrases = [
            " " + " ".join(t.lower_ for t in nlp.make_doc(p)) + " " for p in self.context.corporate_phrases
        ]
        self._own_cues = {
            name: [" ".join(t.lower_ for t in nlp.make_doc(cue)) for cue in cues]
            for name, cues in self.context.positive_cues.items()
        }
        # Names and aliases: one index of lower-cased token sequences; entries sharing a sequence
        # (a name several companies use, or a name also listed as blocked) share its payload list.
        self._word_codes = word_codes if word_codes is not None else WordCodes(nlp.vocab)
        self.names = PhraseIndex()
        for entry in build_entries(gazetteer):
            pattern = nlp.make_doc(entry.text)
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
            self._resolve(view, candidates)
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

    # --- disambiguation ---------------------------------------------------------------

    def _resolve(self, view: DocView, candidates: list[LinkCandidate]) -> None:
        # Names seen in this text as part of another entity ("Dominion Voting", "the Dow"):
        # elsewhere in the same text they need the company named unambiguously.
        here = {w for c in candidates if c.method == "block" and c.entry for w in c.entry.text.split()}
        conflicted = here | self.gazetteer.discourse_only
        self._retarget_to_named_companies(candidates)
        # Block first, then accept: a name this text uses for a person or a place anywhere ("Gov. Greg
        # Abbott", "IRON MOUNTAIN, Mich.") needs evidence everywhere in it, also before that use.
        for text in self._reject_blocked(view, candidates):
            conflicted.add(text)
            here.add(text)
        for c in candidates:
            if c.method in _NAMES:
                if c.end < view.n and view.lower(c.end) in self.context.legal_suffixes:
                    c.accept(c.method, CONFIDENCE["evidence"])  # "Travelers Cos.": the company, named
                    continue
                if c.start > 0 and view.lower(c.start - 1) in self.context.descriptor_nouns:
                    c.accept(c.method, CONFIDENCE["evidence"])  # "rival Travelers", "insurer Travelers"
                    continue
                if has_appositive_descriptor(view, self.context, c.end):
                    c.accept(c.method, CONFIDENCE["evidence"])  # "Corning, the glassmaker"
                    continue
            if c.method in ("name", "alias", "symbol") and not self._needs_evidence(view, c) and not _named_otherwise(c, here):
                c.accept(c.method, CONFIDENCE[c.method])
        strong = {c.symbol for c in candidates if c.accepted}
        for c in candidates:
            if c.accepted:
                continue
            if _named_otherwise(c, here) and not self._needs_evidence(view, c):
                # the text's person or place elsewhere: a business word beside it still names the company
                # ("from Hershey, Pennsylvania ... Hershey said net sales rose"), a verb alone does not
                if self._has_cue(view, c, _WINDOW) or self._has_own_cue(view, c):
                    c.accept(c.method, CONFIDENCE["evidence"])
                continue
            if c.entry is not None and c.entry.text in conflicted:
                # A name that alone means something else ("Strategy") still names the company
                # beside a word of its own ("bitcoin"), unless this text uses it for another entity.
                if c.method in _NAMES and c.entry.text not in here and self._has_own_cue(view, c):
                    c.accept(c.method, CONFIDENCE["evidence"])
                continue
            if c.method in _NAMES and self._local_evidence(view, c, candidates):
                c.accept(c.method, CONFIDENCE["evidence"])
            elif c.method == "symbol" and follows_own_name(view, c, candidates):
                c.accept("symbol", CONFIDENCE["symbol_evidence"])
        established = {c.symbol for c in candidates if c.accepted}
        for c in candidates:
            if not c.accepted and c.method == "cashtag" and c.symbol in established:
                c.accept("cashtag", CONFIDENCE["tag_unknown"])
            if c.accepted or c.method not in ("name", "alias", "symbol"):
                continue
            known = strong if c.entry is not None and c.entry.text in conflicted else established
            if c.symbol in known and (c.method != "symbol" or self._has_cue(view, c, 4)):
                c.accept("discourse", CONFIDENCE["discourse"])

    def _reject_blocked(self, view: DocView, candidates: list[LinkCandidate]) -> list[str]:
        """Reject the names that cannot be the company here; returns the names this text uses for
        another entity (a person, a place, an institution, a longer proper name)."""
        other = []
        for c in candidates:
            if c.method in _NAMES:
                reason = self._blocked(view, c)
                if reason:
                    c.method = "rejected"
                    if reason == "entity" and c.entry is not None:
                        other.append(c.entry.text)
        return other

    def _retarget_to_named_companies(self, candidates: list[LinkCandidate]) -> None:
        """A short form means the company named in full in the same text, not its namesake:
        "HP" is HP Inc. (HPQ) unless Helmerich & Payne (HP) is named beside it; "Mueller" is
        Mueller Industries unless only Mueller Water Products is named in full."""
        symbols = self.gazetteer.symbols
        full = {
            c.entry.text: c.symbol for c in candidates
            if c.method in _NAMES and not c.ambiguous and c.entry is not None and not c.entry.text.isupper()
        }
        named, multiword = set(full.values()), {s for t, s in full.items() if " " in t}
        for c in candidates:
            if c.method not in _NAMES or c.entry is None:
                continue
            text = c.entry.text
            if text.isupper():
                other = symbols.get(text)
                if other is not None and other != c.symbol and other in named:
                    c.symbol = other
            elif " " not in text and c.symbol not in multiword:
                longer = {s for t, s in full.items() if t.startswith(text + " ") and s != c.symbol}
                if len(longer) == 1:
                    c.symbol = longer.pop()

    def _needs_evidence(self, view: DocView, c: LinkCandidate) -> bool:
        if c.method == "symbol":
            return c.ambiguous or len(c.symbol.split(".")[0]) < 3
        if c.ambiguous:
            return True
        if c.entry is not None and c.entry.weak:
            # Case checks every word of a multi-word name, so only headline case is weak.
            return view.shape(c.start) != "plain"
        return False

    def _local_evidence(self, view: DocView, c: LinkCandidate, candidates: list[LinkCandidate]) -> bool:
        """Another accepted company in the same segment, a subject verb right after the
        name ("Target said"), a possessive of a named thing, or a corporate cue nearby."""
        if c.entry is not None and is_town_after_preposition(view, self.context, c.entry.text, c.start):
            return self._has_own_cue(view, c)  # "lawmakers in Dover passed a bill on data centers"
        seg = view.segment_id(c.start)
        # Not for a lower-case writer's word-like name: in chat, "fill the gap" sits beside "$AMZN".
        if not c.lowercase and any(o is not c and o.accepted and view.segment_id(o.start) == seg for o in candidates):
            return True
        nxt = find_next_word(view, c.end)
        if nxt is not None:
            verb = view.lower(nxt)
            if verb in self.context.subject_verbs:
                return True
            one_lowercase_word = c.lowercase and c.end - c.start == 1  # "my target is $520"
            if view.shape(c.start) == "plain" and (verb in self.context.subject_aux or nxt > c.end) and not one_lowercase_word:
                return True  # "Amazon will ...", or a possessive in prose: "Meta's Llama"
            if nxt > c.end and view.starts_segment(c.start):
                return True  # a headline opening with a possessive: "Apple's Agentic Moment"
        if view.shape(c.start) == "plain" and opens_relative_clause(view, c.end):
            return True  # "Apple, which collects ...": prose names an actor, not a fruit
        if is_signed_move_after(view, c.end):
            return True  # "meta -4% because ...": a quote, in any case
        return self._has_cue(view, c, _WINDOW) or self._has_own_cue(view, c)

    def _has_own_cue(self, view: DocView, c: LinkCandidate) -> bool:
        """A word of the company's own (product, people) anywhere in the segment."""
        cues = self._own_cues.get(c.entry.text) if c.entry is not None else None
        if not cues:
            return False
        lo, hi = view.segment(c.start)
        words = [w.lower() for w in view.words(lo, hi)]
        text = " " + " ".join(words) + " "
        return any((" " + cue + " ") in text for cue in cues)

    def _names_own_product(self, view: DocView, c: LinkCandidate) -> bool:
        """The word after the name is one of the company's own: "Ford Explorer" is Ford's SUV,
        not another proper name the way "Dominion Voting" is."""
        cues = self._own_cues.get(c.entry.text) if c.entry is not None else None
        return bool(cues) and c.end < view.n and view.lower(c.end) in cues

    def _has_cue(self, view: DocView, c: LinkCandidate, width: int) -> bool:
        """A corporate cue word or phrase within `width` tokens, in the same segment."""
        lo, hi = view.segment(c.start)
        if view.shape(c.start) != "plain":
            width = min(width, 2)  # a headline capitalises everything: only close cues count
        left, right = max(lo, c.start - width), min(hi, c.end + width)
        window = [w.lower() for w in view.words(left, c.start) + ["|"] + view.words(c.end, right)]
        if not self.context.corporate.isdisjoint(window):
            return True
        text = " " + " ".join(window) + " "
        return any(phrase in text for phrase in self._cue_phrases)

    def _blocked(self, view: DocView, c: LinkCandidate) -> str | None:
        """Why a name cannot be this company here: "context" (a negative word after the
        name, past a possessive, or before it) or "entity" (a person's title before it,
        or part of another proper name); None when nothing blocks it. The "*" lists
        apply to names that need evidence."""
        ctx = self.context
        if (is_titled_person(view, ctx, c.start) or is_institution_after(view, ctx, c.end)
                or is_place_after(view, ctx, c.end)):
            return "entity"
        text = c.entry.text if c.entry else ""
        generic = c.ambiguous or (c.entry is not None and c.entry.weak)
        if not generic and text not in ctx.negative_next and text not in ctx.negative_prev:
            return None
        nxt = find_next_word(view, c.end)
        if nxt is not None and is_listed(view.lower(nxt), ctx.negative_next, text, generic):
            return "context"
        if nxt is not None and is_hyphen_joined(view, nxt) and is_listed(view.lower(nxt + 1), ctx.negative_next, text, generic):
            return "context"  # "Ford-class carrier": the word after the hyphen
        if c.start > 0:
            prev = view.lower(c.start - 1)
            if c.ambiguous and prev in ctx.person_titles:
                return "entity"
            if is_listed(prev, ctx.negative_prev, text, generic):
                return "context"
        if c.ambiguous and is_next_to_proper_word(view, ctx, c.start, c.end) and not self._names_own_product(view, c):
            return "entity"
        if c.ambiguous and is_inside_headline_phrase(view, ctx, c.start):
            return "context"
        if c.ambiguous and is_product_apposition(view, ctx, c.start):
            return "context"  # "its engine, Axon,": a product's name
        return None

    def _mention(self, view: DocView, c: LinkCandidate) -> Mention:
        start, end, text = view.char_span(c.start, c.end)
        confidence = min(c.confidence, CONFIDENCE["lowercase"]) if c.lowercase else c.confidence
        return Mention(c.symbol, start, end, text, c.final_method, confidence)


def _named_otherwise(c: LinkCandidate, here: set[str]) -> bool:
    """A name this text also uses for another entity ("Gov. Greg Abbott", "Dominion Voting")."""
    return c.method in _NAMES and c.entry is not None and c.entry.text in here


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
