"""Disambiguation for the ticker linker: which candidate names and symbols are the company here.

A name or symbol that is also an ordinary word, a person's or a place's name is accepted only with
evidence (a legal form, a business noun or an appositive, a corporate cue or a word of the company's own
nearby, another company in the same sentence, the company named unambiguously elsewhere in the text);
negative contexts ("apple pie", "Harrison Ford", "Dover, DE") block it whatever the evidence.
"""

from __future__ import annotations

from nlp.tagging.gazetteer import Gazetteer
from nlp.tagging.link_candidates import (
    CONFIDENCE,
    LinkCandidate,
    find_next_word,
    follows_own_name,
    is_listed,
)
from nlp.tagging.link_context import (
    follows_plural_descriptor,
    has_appositive_descriptor,
    is_fund_name_after,
    is_hyphen_joined,
    is_inside_headline_phrase,
    is_institution_after,
    is_listed_beside,
    is_next_to_proper_word,
    is_personal_name,
    is_place_after,
    is_product_apposition,
    is_rated,
    is_signed_move_after,
    is_spelled_out_acronym,
    is_titled_person,
    is_town_after_preposition,
    opens_relative_clause,
)
from nlp.tagging.segments import DocView

WINDOW = 8  # tokens either side searched for corporate cues
NAMES = ("name", "alias")


class Resolver:
    """The linker's evidence rules, over the gazetteer's word lists.

    `cue_phrases`: corporate phrases as padded, space-joined lower-cased tokens; `own_cues`: name -> the
    company's own words, tokenised the same way (both built with the pipeline's tokenizer)."""

    def __init__(self, gazetteer: Gazetteer, cue_phrases: list[str], own_cues: dict[str, list[str]]):
        self.gazetteer = gazetteer
        self.context = gazetteer.context
        self._cue_phrases = cue_phrases
        self._own_cues = own_cues

    def resolve(self, view: DocView, candidates: list[LinkCandidate]) -> None:
        """Accept the candidates the evidence supports; reject the blocked ones (in place)."""
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
            if c.method in NAMES:
                if c.end < view.n and view.lower(c.end) in self.context.legal_suffixes:
                    c.accept(c.method, CONFIDENCE["evidence"])  # "Travelers Cos.": the company, named
                    continue
                if c.start > 0 and view.lower(c.start - 1) in self.context.descriptor_nouns:
                    c.accept(c.method, CONFIDENCE["evidence"])  # "rival Travelers", "insurer Travelers"
                    continue
                if has_appositive_descriptor(view, self.context, c.end):
                    c.accept(c.method, CONFIDENCE["evidence"])  # "Corning, the glassmaker"
                    continue
                if follows_plural_descriptor(view, self.context, c.start) or is_rated(view, self.context, c.start, c.end):
                    c.accept(c.method, CONFIDENCE["evidence"])  # "carriers including United"; "cuts Travelers to hold"
                    continue
            plain = c.method in ("name", "alias", "symbol") and not self._needs_evidence(view, c)
            if plain and not _named_otherwise(c, here):
                c.accept(c.method, CONFIDENCE[c.method])
        strong = {c.symbol for c in candidates if c.accepted}
        accepted_spans = [(c.start, c.end) for c in candidates if c.accepted]
        for c in candidates:
            if c.accepted:
                continue
            if _named_otherwise(c, here) and not self._needs_evidence(view, c):
                # the text's person or place elsewhere: a business word beside it still names the company
                # ("from Hershey, Pennsylvania ... Hershey said net sales rose"), a verb alone does not
                if self._has_cue(view, c, WINDOW) or self._has_own_cue(view, c):
                    c.accept(c.method, CONFIDENCE["evidence"])
                continue
            if c.entry is not None and c.entry.text in conflicted:
                # A name that alone means something else ("Strategy") still names the company
                # beside a word of its own ("bitcoin") or as an item of a list of companies ("Jacobs,
                # Eaton and Cummins"), unless this text uses it for another entity.
                if c.method in NAMES and c.entry.text not in here and (
                    self._has_own_cue(view, c) or is_listed_beside(view, c.start, c.end, accepted_spans)
                ):
                    c.accept(c.method, CONFIDENCE["evidence"])
                continue
            if c.method in NAMES and self._local_evidence(view, c, candidates):
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
        _reject_spelled_out_acronyms(view, candidates)
        other = []
        for c in candidates:
            if c.method in NAMES:
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
            if c.method in NAMES and not c.ambiguous and c.entry is not None and not c.entry.text.isupper()
        }
        named, multiword = set(full.values()), {s for t, s in full.items() if " " in t}
        for c in candidates:
            if c.method not in NAMES or c.entry is None:
                continue
            text = c.entry.text
            if text.isupper():
                other = symbols.get(text)
                if other is not None and other != c.symbol and other in named:
                    c.symbol = other
            elif " " not in text and c.symbol not in multiword and c.symbol not in self.gazetteer.fund_issuers:
                # (a fund manager's brand stays the manager: "its iShares business" beside "iShares Core S&P 500 ETF")
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
        if ((view.shape(c.start) != "plain" or view.starts_segment(c.start)) and c.entry is not None
                and uses_as_word(view, c.entry.text)):
            return False  # "Visa waits ..." over "visitor visa interviews": the word, capitalised as the first
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
            aux_or_possessive = verb in self.context.subject_aux or nxt > c.end
            if view.shape(c.start) == "plain" and aux_or_possessive and not one_lowercase_word:
                return True  # "Amazon will ...", or a possessive in prose: "Meta's Llama"
            if nxt > c.end and view.starts_segment(c.start):
                return True  # a headline opening with a possessive: "Apple's Agentic Moment"
        if view.shape(c.start) == "plain" and opens_relative_clause(view, c.end):
            return True  # "Apple, which collects ...": prose names an actor, not a fruit
        if is_signed_move_after(view, c.end):
            return True  # "meta -4% because ...": a quote, in any case
        return self._has_cue(view, c, WINDOW) or self._has_own_cue(view, c)

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
        if view.shape(c.start) != "plain" or is_lowercase_word(c):
            # A headline capitalises everything, and a lower-case writer's chat is all market talk
            # ("the market makers had to chase"): only close cues count.
            width = min(width, 2)
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
        one_word = c.end - c.start == 1
        if (is_titled_person(view, ctx, c.start) or is_institution_after(view, ctx, c.end, one_word)
                or is_place_after(view, ctx, c.end) or (one_word and is_personal_name(view, ctx, c.start))):
            return "entity"
        if c.symbol in self.gazetteer.fund_issuers and is_fund_name_after(view, c.end):
            return "context"  # "iShares MSCI China ETF": the fund, not BlackRock
        text = c.entry.text if c.entry else ""
        generic = c.ambiguous or (c.entry is not None and c.entry.weak)
        if not generic and text not in ctx.negative_next and text not in ctx.negative_prev:
            return None
        nxt = find_next_word(view, c.end)
        if nxt is not None and is_listed(view.lower(nxt), ctx.negative_next, text, generic):
            return "context"
        if (nxt is not None and is_hyphen_joined(view, nxt)
                and is_listed(view.lower(nxt + 1), ctx.negative_next, text, generic)):
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


def _reject_spelled_out_acronyms(view: DocView, candidates: list[LinkCandidate]) -> None:
    """Reject symbols and all-capitals names spelled out beside them ("the Economic Planning Advisory
    Council (EPAC)"), and, one sense per text, their other mentions ("Can I invest in NSC? A NSC or
    National Savings Certificate ..."); not when the company's own name spells its symbol ("Norfolk
    Southern Corp. (NSC)")."""
    forms = [c for c in candidates if _is_acronym_form(c)]
    acronyms = set()
    for c in forms:
        if is_spelled_out_acronym(view, c.start, c.end) and not any(
                o.symbol == c.symbol and o.method in NAMES and o.end == c.start - 1 for o in candidates):
            acronyms.add(view.word(c.start))
    for c in forms:
        if view.word(c.start) in acronyms:
            c.method = "rejected"


def _is_acronym_form(c: LinkCandidate) -> bool:
    """A one-token symbol or all-capitals name, which an acronym could be."""
    return c.end - c.start == 1 and (
        c.method == "symbol" or (c.method in NAMES and c.entry is not None and c.entry.text.isupper()))


def is_lowercase_word(c: LinkCandidate) -> bool:
    """A one-word name that is a word, found through a lower-case writer's case ("chase", not "aep")."""
    return c.lowercase and c.end - c.start == 1 and c.entry is not None and not c.entry.text.isupper()


def uses_as_word(view: DocView, name: str) -> bool:
    """The text's prose has the one-word name in lower case as an ordinary word ("visitor visa
    interviews"), from a writer who capitalises names."""
    if " " in name:
        return False
    word, strings, orth = name.lower(), view.doc.vocab.strings, view.orth
    if word not in strings:  # a word no text ever held is not in this one
        return False
    key = strings[word]
    # Only where the word occurs (C-level scans): this runs for every headline name that needs evidence.
    positions = [i for i, h in enumerate(orth) if h == key] if key in orth else []
    return any(view.shape(i) == "plain" for i in positions) and not view.writes_lowercase()


def _named_otherwise(c: LinkCandidate, here: set[str]) -> bool:
    """A name this text also uses for another entity ("Gov. Greg Abbott", "Dominion Voting")."""
    return c.method in NAMES and c.entry is not None and c.entry.text in here
