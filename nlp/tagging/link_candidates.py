"""The ticker linker's candidates and its pure rules on them: gazetteer entries, candidate spans,
the case check, overlap resolution and the small token tests the linker's decisions use.

Nothing here reads a Doc directly: the token tests take a `segments.DocView`, the rest plain values,
so each rule is tested without a pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc

from nlp.tagging.gazetteer import Gazetteer
from nlp.tagging.segments import DocView

CONFIDENCE = {
    "tag_known": 0.99, "tag_unknown": 0.9, "cashtag_unknown": 0.75, "name": 0.95,
    "alias": 0.9, "evidence": 0.85, "symbol": 0.85, "symbol_evidence": 0.75, "discourse": 0.8,
    "lowercase": 0.75,  # a name or symbol written in lower case, by a writer who writes all in lower case
}

_GLUE = frozenset("$&./-")  # characters that make an upper-case word part of something else


@dataclass(frozen=True)
class Entry:
    """A name or alias the linker knows: a listed company's, an unlisted company's, or a blocked phrase."""

    kind: str  # "company", "unlisted" or "blocked"
    text: str
    symbol: str = ""
    method: str = "name"
    ambiguous: bool = False
    weak: bool = False
    caps: tuple[tuple[bool, bool, bool], ...] = ()  # per token: starts upper, any upper, acronym
    since: str = ""  # an acquired company's name: the ISO date from which it means the acquirer
    listed: str = ""  # a recent listing: the ISO date its shares first traded (before it, no ticker)


@dataclass
class LinkCandidate:
    """A span that may be a company, with what found it; `accept` marks it linked."""

    start: int  # token range
    end: int
    symbol: str
    method: str  # "cashtag", "exchange_tag", "name", "alias", "symbol"; "block", "rejected"
    ambiguous: bool = False
    entry: Entry | None = None
    accepted: bool = False
    confidence: float = 0.0
    final_method: str = ""
    lowercase: bool = False  # found through the writer's lower case ("nvidia", "nvda")

    def accept(self, method: str, confidence: float) -> None:
        self.accepted, self.final_method, self.confidence = True, method, confidence


def build_entries(gazetteer: Gazetteer) -> list[Entry]:
    acquired, listed = gazetteer.acquired, gazetteer.listed
    entries = [
        Entry("company", s.text, s.symbol, s.method, s.ambiguous, s.weak, since=acquired.get(s.text, ""),
              listed=listed.get(s.symbol, ""))
        for s in gazetteer.surfaces
    ]
    entries += [Entry("unlisted", text) for text in gazetteer.unlisted]
    entries += [Entry("blocked", text) for text in gazetteer.blocked]
    return entries


def is_listed(word: str, table, name: str, generic: bool) -> bool:
    if word in table.get(name, ()):
        return True
    return generic and word in table.get("*", ())


def build_covered(candidates: list[LinkCandidate]) -> set[int]:
    return {i for c in candidates for i in range(c.start, c.end)}


def build_caps(pattern: Doc) -> tuple[tuple[bool, bool, bool], ...]:
    return tuple(
        (t.text[:1].isupper(), any(ch.isupper() for ch in t.text), len(t.text) > 1 and t.text.isupper())
        for t in pattern
    )


def is_case_ok(entry: Entry, words: list[str]) -> bool:
    """Each word capitalised where the canonical form is ("Apple", not "apple"), not all
    lower case where it has capitals ("eBay", not "ebay"), and upper case where it is an
    acronym ("UPS", not the "Ups" of "Shake-Ups")."""
    for text, (starts_upper, has_upper, acronym) in zip(words, entry.caps):
        if starts_upper and not text[:1].isupper():
            return False
        if has_upper and text.islower():
            return False
        if acronym and not text.isupper():
            return False
    return True


def select_longest_first(found: list[tuple[int, int, Entry]]) -> list[tuple[int, int, Entry]]:
    """Non-overlapping matches, longest first; on a tie a company beats a block."""
    if len(found) < 2:
        return found
    ranked = sorted(found, key=lambda m: (-(m[1] - m[0]), m[2].kind != "company", m[0]))
    taken: set[int] = set()
    out = []
    for start, end, entry in ranked:
        if taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            out.append((start, end, entry))
    return sorted(out, key=lambda m: m[0])


def is_glued(view: DocView, i: int) -> bool:
    """True when the upper-case token i is glued to a neighbour ("$NVDA", "NVDAx")."""
    if i > 0 and view.glued(i - 1):
        last = view.word(i - 1)[-1]
        if last in _GLUE or last.isalnum():
            return True
    if i + 1 < view.n and view.glued(i):
        first = view.word(i + 1)[0]
        if first.isalnum() or first == "&":
            return True
    return False


def follows_own_name(view: DocView, c: LinkCandidate, candidates: list[LinkCandidate]) -> bool:
    """"Caterpillar (CAT)": an ambiguous symbol in brackets right after its company."""
    if c.start < 2 or c.end >= view.n or view.word(c.start - 1) != "(" or view.word(c.end) != ")":
        return False
    return any(o.accepted and o.symbol == c.symbol and o.end == c.start - 1 for o in candidates)


def find_next_word(view: DocView, i: int) -> int | None:
    """Index of the token after a mention, looking past a possessive "'s"."""
    if i < view.n and view.lower(i) in ("'s", "\u2019s", "'"):
        i += 1
    return i if i < view.n else None


def is_before_acquisition(entry: Entry, published: str | None) -> bool:
    """True when a dated text predates the deal that made this name its acquirer's ("TD Ameritrade"
    in 2019 is not Schwab): the name then links nothing and blocks shorter names inside it."""
    return bool(entry.since and published and published[:10] < entry.since)


def is_before_listing(entry: Entry, published: str | None) -> bool:
    """True when a dated text predates the company's first day of trading ("Klarna sets a range for
    its New York debut"): a company not yet priced in its IPO has no ticker."""
    return bool(entry.listed and published and published[:10] < entry.listed)


_FUND_WORDS = frozenset({"fund", "funds", "etf", "etfs", "trust"})


def is_named_fund(view: DocView, company, i: int) -> bool:
    """An ETF's symbol at token i with "fund" or "ETF" right after it ("the DIA fund")."""
    return (company is not None and company.kind == "etf" and i + 1 < view.n
            and view.lower(i + 1) in _FUND_WORDS)


def is_lowercase_slang(text: str, stop: frozenset[str]) -> bool:
    """An acronym name that in lower case is mostly something else: one letter, or slang in `stop`
    ("psa", "smh"); other short or word-like ones ("gm", "ups") need evidence instead."""
    return text.isupper() and (len(text) < 2 or text.lower() in stop)

