"""The ticker linker's tests for "this name is part of another entity": a person ("Gov. Greg
Abbott"), a place ("Dover, DE"), an institution ("Hershey Medical Center"), another proper name
("Harrison Ford", "Amazon Rainforest") or a headline phrase ("Regulators Block Tech Deals").

Each is a pure function of a `segments.DocView` and the gazetteer's `Context` word lists, so each
is tested without a pipeline.
"""

from __future__ import annotations

from nlp.tagging.gazetteer import Context
from nlp.tagging.segments import DocView

_CALENDAR = frozenset(
    "monday tuesday wednesday thursday friday saturday sunday january february march april "
    "may june july august september october november december".split()
)


def is_titled_person(view: DocView, ctx: Context, start: int) -> bool:
    """"Gov. Greg Abbott", "President Gerald R. Ford": a title, then given names or initials (at
    most three), then the name at token `start`. In a headline every word is capitalised, so there
    only known given names count ("Chairman Rejects GM's ..." is not a person)."""
    lo, _ = view.segment(start)
    headline = view.shape(start) != "plain"
    i = start - 1
    while (i >= lo and start - i <= 3 and view.lower(i) not in ctx.person_titles and is_given_name(view.word(i))
           and (not headline or _is_initial(view.word(i)) or view.lower(i) in ctx.given_names)):
        i -= 1
    return lo <= i < start - 1 and view.lower(i) in ctx.person_titles


def is_personal_name(view: DocView, ctx: Context, start: int) -> bool:
    """"Tony Abbott", "Andrew J. McCormick", "Mr Abbott": a given name (and perhaps an initial) or an
    honorific right before the one-word name at token `start`, in the same segment."""
    lo, _ = view.segment(start)
    i = start - 1
    if i > lo and _is_initial(view.word(i)):
        i -= 1  # "Michael J. Fox"
    if i < lo:
        return False
    word = view.word(i)
    lower = word.lower()
    if lower in ctx.honorifics:
        return i == start - 1 and word[:1].isupper()
    return lower in ctx.given_names and word[:1].isupper() and not word.isupper()


def _is_initial(word: str) -> bool:
    return len(word) == 2 and word[1] == "." and word[0].isupper()


def is_given_name(word: str) -> bool:
    """A capitalised word or an initial ("R.")."""
    if _is_initial(word):
        return True
    return word.isalpha() and word[0].isupper() and not word.isupper()


_ACRONYM_GLUE = frozenset({"of", "and", "&", "the", "for", "-", "on", "in"})


def is_spelled_out_acronym(view: DocView, start: int, end: int) -> bool:
    """"the Economic Planning Advisory Council (EPAC)", "liquefied petroleum gas (LPG)", "NSC (National
    Savings Certificate)", "a NSC or National Savings Certificate": the one token at [start, end) is in
    parentheses after words whose initials spell it, or before words (in parentheses, or after "or")
    that do: an acronym, not a symbol."""
    if end - start != 1:
        return False
    letters = view.word(start).lower()
    lo, hi = view.segment(start)
    if lo < start - 1 and view.word(start - 1) == "(" and end < hi and view.word(end) == ")":
        return _initials_spell(view, letters, range(start - 2, lo - 1, -1), reverse=True)
    after = end + 1 if end < hi and view.word(end) in ("(", "or") else None
    if end + 1 < hi and view.word(end) == "," and view.word(end + 1) == "or":
        after = end + 2
    return after is not None and after + 1 < hi and _initials_spell(view, letters, range(after, hi), reverse=False)


def _initials_spell(view: DocView, letters: str, positions, reverse: bool) -> bool:
    """The words at `positions` (walking away from the acronym) start with `letters`, function words
    and hyphens between them skipped."""
    wanted = letters[::-1] if reverse else letters
    k = 0
    for i in positions:
        if k == len(wanted):
            return True
        word = view.word(i)
        if word.lower() in _ACRONYM_GLUE and k:
            continue
        if not word[:1].isalpha() or word[0].lower() != wanted[k]:
            return False
        k += 1
    return k == len(wanted)


_FUND_NAME_END = frozenset({"ETF", "Fund", "FUND"})
_FUND_NAME_PARTS = frozenset("&-+/.,'")


def is_fund_name_after(view: DocView, end: int, span: int = 10) -> bool:
    """"iShares MSCI China ETF", "Invesco Large Cap Value ETF": from token `end`, a run of
    capitalised words, numbers and joiners ("S&P", "20+", "U.S.") closes with one fund's "ETF" or
    "Fund"; the manager's funds in general ("Eaton Vance funds", "iShares ETFs") stay the manager's."""
    _, hi = view.segment(end) if end < view.n else (end, end)
    for i in range(end, min(hi, end + span)):
        word = view.word(i)
        if word in _FUND_NAME_END:
            return i > end
        if not (word[:1].isupper() or word[:1].isdigit() or word in _FUND_NAME_PARTS):
            return False
    return False


def is_institution_after(view: DocView, ctx: Context, end: int, one_word: bool = True) -> bool:
    """"Hershey Medical Center", "Dell Medical School": a hospital, school or museum named after the
    company's namesake, right after the one-word name ending at `end`; not judged in headline case. After
    a name of several words it is the company's own ("Bank of America Institute")."""
    if not one_word or end >= view.n or view.shape(end) != "plain":
        return False
    one = view.lower(end)
    two = f"{one} {view.lower(end + 1)}" if end + 1 < view.n else one
    return one in ctx.institutions or two in ctx.institutions


def is_place_after(view: DocView, ctx: Context, i: int) -> bool:
    """"Corning, New York": a comma at token `i`, then a state or country, ending there ("Apple,
    Texas Instruments and Intel" is a list of companies)."""
    if i + 1 >= view.n or view.word(i) != ",":
        return False
    if view.word(i + 1) in ctx.state_codes:  # upper case only: "Corning, in a filing" stays a company
        return _phrase_ends(view, i + 2)
    one = view.lower(i + 1)
    if i + 2 < view.n and f"{one} {view.lower(i + 2)}" in ctx.places:
        return _phrase_ends(view, i + 3)
    return one in ctx.places and _phrase_ends(view, i + 2)


def is_town_after_preposition(view: DocView, ctx: Context, name: str, start: int) -> bool:
    """"Legislators in Dover", "a plant near Hartford", "the Port of Dover": a name that is also a town,
    right after a preposition of place or a place noun and "of"; such a name needs more than a business
    word nearby to be the company."""
    if name not in ctx.towns or start == 0:
        return False
    prev = view.lower(start - 1)
    return prev in ctx.place_preps or (prev == "of" and start > 1 and view.lower(start - 2) in ctx.place_nouns)


def is_listed_beside(view: DocView, start: int, end: int, others: list[tuple[int, int]]) -> bool:
    """"Jacobs, Eaton and Cummins": the name at [start, end) is an item of a list whose next or
    previous item is one of `others` (spans of names accepted as companies)."""
    joins = {",", "and", "&"}
    after = end + 1 < view.n and view.lower(end) in joins
    before = start > 1 and view.lower(start - 1) in joins
    return any((after and s == end + 1) or (before and e == start - 1) for s, e in others)


def is_product_apposition(view: DocView, ctx: Context, start: int) -> bool:
    """"its machine-learning engine, Axon, ...": a name set off after a product noun names the product."""
    return start >= 2 and view.word(start - 1) == "," and view.lower(start - 2) in ctx.product_nouns


def _phrase_ends(view: DocView, i: int) -> bool:
    """No capitalised word at token i: "Dover, Delaware, hosts" but not "Texas Instruments"."""
    if i >= view.n:
        return True
    word = view.word(i)
    return not (word[:1].isupper() and word.isalpha())


_MODALS = frozenset({"may", "might", "could", "would", "will", "can", "should", "must"})


def is_inside_headline_phrase(view: DocView, ctx: Context, start: int) -> bool:
    """In a headline every word is capitalised; an ambiguous name right after another word is then
    part of a phrase ("Regulators Block Tech Deals", "Over Target"), unless that word is a sentence
    starter ("Why", "Shares Of", "Retailer"). A modal verb inside the headline makes the name a verb
    ("Job Cuts May Target 20,000 Workers"), unless it asks a question ("Will Target Recover?", "Outlook:
    Can Apple Outsmart Microsoft?")."""
    if start == 0 or view.shape(start) == "plain":
        return False
    lo, hi = view.segment(start)
    prev = view.word(start - 1)
    if start - 1 < lo or not prev.isalpha():
        return False
    if prev.lower() in _MODALS:
        return not view.starts_segment(start - 1) and "?" not in view.words(start, hi)
    return prev.lower() not in ctx.sentence_starters


def is_next_to_proper_word(view: DocView, ctx: Context, start: int, end: int) -> bool:
    """Tokens [start, end) sit next to another capitalised word, so they are part of another proper
    name ("Harrison Ford", "Amazon Rainforest", "Dominion Voting"); not judged in headline case."""
    if view.shape(start) != "plain":
        return False
    lo, hi = view.segment(start)
    # A capitalised "Yet" or "The" opens a sentence (after a speaker's "HOST:" too), not a name.
    if start - 1 >= lo and is_proper_word(view, ctx, start - 1) and view.lower(start - 1) not in ctx.sentence_starters:
        return True
    return end < hi and is_proper_word(view, ctx, end)


def is_proper_word(view: DocView, ctx: Context, i: int) -> bool:
    """A capitalised word that is not a corporate word, a legal form or a day or month."""
    text = view.word(i)
    lower = text.lower()
    return (
        text.isalpha() and text[0].isupper() and not text.isupper()
        and lower not in ctx.corporate and lower not in _CALENDAR and lower not in ctx.legal_suffixes
    )


def has_appositive_descriptor(view: DocView, ctx: Context, end: int) -> bool:
    """A business noun in apposition after the name ending at token `end`: "Corning, the
    glassmaker based in ...", "Allegiant, a leisure carrier"."""
    if end + 2 >= view.n or view.word(end) != "," or view.lower(end + 1) not in ("the", "a", "an"):
        return False
    nouns = ctx.descriptor_nouns
    return view.lower(end + 2) in nouns or (end + 3 < view.n and view.lower(end + 3) in nouns)


def follows_plural_descriptor(view: DocView, ctx: Context, start: int) -> bool:
    """The name starting at token `start` opens a list of kinds of companies: "carriers including
    United and Delta", "lenders such as Citizens"."""
    k = start - 1
    if k >= 1 and view.lower(k) == "as" and view.lower(k - 1) == "such":
        k -= 1
    elif k < 0 or view.lower(k) not in ("including", "like"):
        return False
    noun = view.lower(k - 1) if k >= 1 else ""
    return noun.endswith("s") and (noun in ctx.descriptor_nouns or noun[:-1] in ctx.descriptor_nouns)


def is_rated(view: DocView, ctx: Context, start: int, end: int) -> bool:
    """A broker's rating action on the name at tokens [start, end): "cuts Travelers to equal-weight",
    "moved Target to neutral" (not "drove to Delta to buy a car")."""
    if start < 1 or end + 1 >= view.n or view.lower(end) != "to" or view.lower(start - 1) not in ctx.rating_verbs:
        return False
    word = view.lower(end + 1)
    if word in ctx.ratings:
        return True
    # hyphenated ratings are three tokens: "equal", "-", "weight"
    return end + 3 < view.n and view.word(end + 2) == "-" and f"{word}-{view.lower(end + 3)}" in ctx.ratings


def opens_relative_clause(view: DocView, end: int) -> bool:
    """A relative clause about the name ending at token `end`: "Apple, which collects ...",
    "Target, whose stores ..."."""
    return end + 1 < view.n and view.word(end) == "," and view.lower(end + 1) in ("which", "whose")


def is_signed_move_after(view: DocView, end: int) -> bool:
    """A signed percent right after the name ending at token `end`: "meta -4% because ...", "goog +3%"."""
    if end + 1 >= view.n or view.word(end + 1) != "%":
        return False
    word = view.word(end)
    return len(word) > 1 and word[0] in "+-\u2212" and word[1].isdigit()


def is_hyphen_joined(view: DocView, i: int) -> bool:
    """Token i is a hyphen glued to the words on both sides ("Ford-class")."""
    return 0 < i < view.n - 1 and view.word(i) == "-" and view.glued(i - 1) and view.glued(i)
