"""Theme rules: YAML theme cards -> evidence spans and a rule score per theme.

A card (``corpora/themes/<id>.yaml``, fields in ``corpora/themes/README.md``) lists cues of three kinds:
strong phrases (one hit is enough), weak phrases (hints) and ambiguous phrases, which count only when
one of the card's ``context`` terms is near and none of its ``veto`` terms is. Matcher patterns can be
any of the three kinds. ``exclude`` phrases are near misses: a cue overlapping one is dropped.

The component ``narrative_theme_rules_v1`` matches every card's phrases (and the anchor words of its
patterns) in one pass of a phrase index (``doc_tokens.PhraseIndex``, the matches of spaCy's
PhraseMatcher on lower-cased tokens), runs the patterns near their anchors (``theme_patterns.py``),
keeps the non-overlapping hits per theme and scores them with ``score_theme_evidence``. Cards are
parsed in ``theme_cards.py``; what decides which hits count (``extract_theme_hits``) and how much
(``score_theme_evidence``) is pure, on token offsets, in ``theme_evidence.py``. Both are re-exported here.
"""

from __future__ import annotations

from bisect import bisect_right
from typing import Mapping, NamedTuple, Sequence

import numpy
from spacy.attrs import IDS, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc

from nlp.tagging.doc_tokens import (
    DocTokens,
    PhraseIndex,
    WordCodes,
    doc_tokens,
    has_plain_extension,
    pipeline_word_codes,
    set_doc_value,
)
from nlp.tagging.theme_cards import (  # noqa: F401  (re-exported: the cards API lives here too)
    DEFAULT_THRESHOLD,
    PHRASE_FIELDS,
    TERM_FIELDS,
    PatternCue,
    ThemeCard,
    _card_error,
    default_themes_dir,
    load_theme_card,
    load_theme_cards,
    parse_theme_card,
)
from nlp.tagging.theme_evidence import (  # noqa: F401  (re-exported: the evidence API lives here too)
    KIND_WEIGHTS,
    Candidate,
    ThemeHit,
    build_cue_key,
    build_phrase_variants,
    compute_assigned_themes,
    compute_spread_factor,
    extract_theme_hits,
    score_theme_evidence,
)
from nlp.tagging.theme_patterns import (
    CompiledPattern,
    TokenColumns,
    compile_pattern,
    find_pattern_matches_near,
    has_required_words,
)

if not Doc.has_extension("theme_evidence"):
    Doc.set_extension("theme_evidence", default=None)
if not Doc.has_extension("theme_scores"):
    Doc.set_extension("theme_scores", default=None)
if not Doc.has_extension("themes"):
    Doc.set_extension("themes", default=None)


class _CueInfo(NamedTuple):
    theme: str
    role: str  # cue | context | veto | exclude | anchor
    kind: str
    key: str
    use_veto: bool = False
    pattern_index: int = -1


class ThemeRules:
    """``Doc -> Doc``: sets ``doc._.theme_evidence`` ({theme: [ThemeHit]}), ``doc._.theme_scores``
    ({theme: rule score}, every card) and ``doc._.themes`` (ids whose score reaches the card threshold)."""

    def __init__(self, nlp: Language, name: str, cards: Sequence[ThemeCard], word_codes: WordCodes | None = None):
        self.name = name
        self.cards = {card.id: card for card in cards}
        self.thresholds = {card.id: card.threshold for card in cards}
        # One index entry per distinct phrase: a phrase used by several cards or roles is matched
        # once and fans out to its entries (an entry per use would multiply the matches). Phrases
        # are collected first (`_entries`, `_sequences`), then indexed with their plans.
        self._word_codes = word_codes if word_codes is not None else WordCodes(nlp.vocab)
        self._lexicon = self._word_codes.lexicon
        self._phrases = PhraseIndex()
        self._entries: dict[str, list[_CueInfo]] = {}
        self._sequences: dict[tuple[int, ...], tuple[Doc, list[list[_CueInfo]]]] = {}
        self._plain_extensions = all(has_plain_extension(n) for n in ("theme_evidence", "theme_scores", "themes"))
        # Patterns run on token hashes near their anchor words (theme_patterns.py); spaCy's Matcher
        # evaluates IN predicates in Python at every token and is kept for patterns outside that subset.
        self._fast_patterns: list[tuple[_CueInfo, CompiledPattern]] = []
        self._slow_patterns = Matcher(nlp.vocab)
        self._slow_info: dict[int, _CueInfo] = {}
        for card in cards:
            self._add_card(nlp, card)
        self._windows = {card.id: card.context_window for card in cards}
        for doc, entry_lists in self._sequences.values():
            self._phrases.add(doc, _build_plan(entry_lists))
        # Word codes: the word anchors a phrase (bit 1); a pattern requires it (bit 2); it holds a line break (bit 3).
        self._vocab = nlp.vocab
        self._anchor_words = self._phrases.anchors()
        self._pattern_words = frozenset(w for _, p in self._fast_patterns for words in p.required for w in words)
        shift = self._word_codes.register(f"themes:{name}", self._classify, 3)
        self._anchor_bit, self._pattern_bit, self._break_bit = _ANCHOR << shift, _PATTERN_WORD << shift, _BREAK << shift

    def _add_phrase(self, nlp: Language, text: str, info: _CueInfo, single_token: bool = False) -> None:
        variants = [text.lower()] if single_token else [v.lower() for v in build_phrase_variants(text)]
        for variant in variants:
            entries = self._entries.get(variant)
            if entries is None:
                entries = self._entries[variant] = []
                doc = Doc(nlp.vocab, words=[variant]) if single_token else nlp.make_doc(variant)
                if len(doc):
                    self._sequences.setdefault(tuple(t.lower for t in doc), (doc, []))[1].append(entries)
            if info not in entries:
                entries.append(info)

    def _add_card(self, nlp: Language, card: ThemeCard) -> None:
        for field_name, kind in PHRASE_FIELDS.items():
            for phrase in getattr(card, field_name):
                self._add_phrase(nlp, phrase, _CueInfo(card.id, "cue", kind, build_cue_key(phrase)))
        for role in TERM_FIELDS:
            for term in getattr(card, role):
                self._add_phrase(nlp, term, _CueInfo(card.id, role, "", role))
        for cue in card.patterns:
            self._add_pattern(nlp, card, cue)

    def _add_pattern(self, nlp: Language, card: ThemeCard, cue: PatternCue) -> None:
        match_key = f"{card.id}|pattern|{cue.name}"
        info = _CueInfo(card.id, "cue", cue.kind, f"pattern:{cue.name}", cue.use_veto)
        try:
            Matcher(nlp.vocab).add(match_key, [cue.pattern])  # validates the pattern
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise _card_error(card.source, f"patterns.{cue.name}", f"is not a valid spaCy Matcher pattern ({detail})") from exc
        compiled = compile_pattern(cue.pattern, nlp.vocab.strings.add)
        if compiled is None or compiled.anchor is None:
            self._slow_patterns.add(match_key, [cue.pattern])
            self._slow_info[nlp.vocab.strings[match_key]] = info
            return
        # The anchor words go into the phrase index: their hits say where the pattern can start.
        anchor = _CueInfo(card.id, "anchor", "", "", False, len(self._fast_patterns))
        self._fast_patterns.append((info, compiled))
        for word in _strings_of_anchor(cue.pattern[compiled.anchor]):
            self._add_phrase(nlp, word, anchor, single_token=True)

    def _classify(self, key: int) -> int:
        lexeme = self._vocab[key]
        lower = lexeme.lower
        code = _ANCHOR if lower in self._anchor_words else 0
        code |= _PATTERN_WORD if lower in self._pattern_words else 0
        return code | _BREAK if "\n" in lexeme.orth_ else code

    def _collect(self, doc: Doc, tokens: DocTokens, sentences: "_Sentences") -> dict[str, tuple[list, list, list, list]]:
        """Cue candidates per theme, and the context/veto/exclude spans of themes that have cues:
        {theme: (cues, context, veto, exclude)}."""
        found: dict[str, tuple[list, list, list, list]] = {}
        anchors: dict[int, list[int]] = {}
        terms = []
        anchor_words = tokens.flagged(self._anchor_bit)
        for start, end, (cues, anchor_ids, term_list) in self._phrases.find(tokens, anchor_words):
            for theme, key, kind in cues:
                slots = found.get(theme)
                if slots is None:
                    slots = found[theme] = ([], [], [], [])
                slots[0].append(_new_tuple(Candidate, (key, kind, "phrase", start, end, False)))
            for index in anchor_ids:
                positions = anchors.get(index)
                if positions is None:
                    anchors[index] = [start]
                else:
                    positions.append(start)
            if term_list:
                terms.append((term_list, start, end))
        if len(self._slow_patterns):
            for match_id, start, end in self._slow_patterns(doc):
                if self._spans_line_break(tokens, start, end):
                    continue
                info = self._slow_info[match_id]
                _slots(found, info.theme)[0].append(Candidate(info.key, info.kind, "pattern", start, end, info.use_veto))
        if anchors:
            lower = tokens.lowers()
            words = {lower[i] for i in tokens.flagged(self._pattern_bit)}
            self._add_pattern_hits(doc, tokens, anchors, words, found, sentences)
        if found:
            for term_list, start, end in terms:
                for theme, slot in term_list:
                    slots = found.get(theme)
                    if slots is not None:
                        slots[slot].append((start, end))
        return found

    def _add_pattern_hits(self, doc: Doc, tokens: DocTokens, anchors: dict[int, list[int]], words: set[int],
                          found: dict, sentences: "_Sentences") -> None:
        """Matches of the patterns whose anchors occur, when the doc holds all their required
        words (`words`: the doc's LOWER hashes of words some pattern requires)."""
        table = None
        for index, positions in anchors.items():
            info, pattern = self._fast_patterns[index]
            if not has_required_words(pattern, words):
                continue
            if table is None:
                table = TokenColumns(
                    tokens.n, lambda name: doc.to_array(IDS[name]).tolist(), tokens.lowers(), tokens.orth,
                    _match_limit(sentences, tokens.flagged(self._break_bit)),
                )
            for start, end in find_pattern_matches_near(pattern, table, positions):  # bounded by _match_limit
                _slots(found, info.theme)[0].append(
                    _new_tuple(Candidate, (info.key, info.kind, "pattern", start, end, info.use_veto))
                )

    def _spans_line_break(self, tokens: DocTokens, start: int, end: int) -> bool:
        """True when a pattern's gap runs over a line break: a headline and the text under it are
        not one phrase ("turbine slots sold into 2029" / "Notes from the conference")."""
        word = self._lexicon.word
        return any("\n" in word(h) for h in tokens.orth[start + 1:end - 1])

    def __call__(self, doc: Doc) -> Doc:
        tokens = doc_tokens(doc, self._word_codes)
        sentences = _Sentences(doc)
        found = self._collect(doc, tokens, sentences)
        evidence: dict[str, list[ThemeHit]] = {}
        scores = dict.fromkeys(self.cards, 0.0)
        if found:
            for theme, (cues, context, veto, exclude) in found.items():
                chosen = extract_theme_hits(cues, context, veto, exclude, self._windows[theme], sentences.sent_of)
                if chosen:
                    evidence[theme] = [self._to_hit(tokens, theme, cand, weight) for cand, weight in chosen]
                    score = score_theme_evidence(((c.key, w) for c, w in chosen), tokens.n)
                    if tokens.n > ARTICLE_MIN_TOKENS:  # reading sentence starts costs more than a paragraph needs
                        score *= compute_spread_factor(len({sentences.sent_of(c.start) for c, _ in chosen}),
                                                       len(sentences.starts()))
                    scores[theme] = score
        themes = compute_assigned_themes(scores, self.thresholds)
        if self._plain_extensions:
            set_doc_value(doc, "theme_evidence", evidence)
            set_doc_value(doc, "theme_scores", scores)
            set_doc_value(doc, "themes", themes)
        else:
            doc._.theme_evidence = evidence
            doc._.theme_scores = scores
            doc._.themes = themes
        return doc

    def _to_hit(self, tokens: DocTokens, theme: str, cand: Candidate, weight: float) -> ThemeHit:
        # Cached words, not a Span or doc.text: both are rebuilt token by token and cost more than matching.
        words = [self._lexicon.word(h) for h in tokens.orth[cand.start:cand.end]]
        start_char, end_char, text = tokens.char_span(words, cand.start)
        method = cand.method + ("+context" if cand.kind == "ambiguous" else "")
        return _new_tuple(ThemeHit, (theme, cand.key, method, weight, cand.start, cand.end, start_char, end_char, text))


_TERM_SLOTS = {"context": 1, "veto": 2, "exclude": 3}
# Fewer tokens than this is a paragraph, whatever its sentence count: its theme scores skip the spread rule
# (theme_evidence.SPREAD_SENTENCES), which applies to no paragraph of the evaluation sets either.
ARTICLE_MIN_TOKENS = 200
_ANCHOR, _PATTERN_WORD, _BREAK = 1, 2, 4  # bits of the theme component in the word codes
_new_tuple = tuple.__new__  # a NamedTuple without its Python-level __new__ (hot path)


def _build_plan(entry_lists: list[list[_CueInfo]]) -> tuple[tuple, tuple, tuple]:
    """What a phrase match does, from all entries of its phrases: (cues: (theme, key, kind),
    anchors: pattern indexes, terms: (theme, slot)), so a match fans out without looking at roles."""
    cues, anchors, terms = [], [], []
    for entries in entry_lists:
        for info in entries:
            if info.role == "cue":
                cues.append((info.theme, info.key, info.kind))
            elif info.role == "anchor":
                anchors.append(info.pattern_index)
            else:
                terms.append((info.theme, _TERM_SLOTS[info.role]))
    return tuple(cues), tuple(anchors), tuple(terms)


def _slots(found: dict, theme: str) -> tuple[list, list, list, list]:
    slots = found.get(theme)
    if slots is None:
        slots = found[theme] = ([], [], [], [])
    return slots




def _strings_of_anchor(token: Mapping) -> list[str]:
    for attr in ("LOWER", "ORTH", "TEXT"):
        value = token.get(attr)
        if isinstance(value, str):
            return [value.lower()]
        if isinstance(value, dict) and isinstance(value.get("IN"), list):
            return sorted({str(w).lower() for w in value["IN"]})
    return []


class _Sentences:
    """Sentence starts of a doc, read on first use (cards with a token ``context_window`` and docs
    without pattern candidates never need them); all one sentence when the pipeline sets none."""

    def __init__(self, doc: Doc):
        self._doc = doc
        self._starts: list[int] | None = None

    def starts(self) -> list[int]:
        if self._starts is None:
            doc = self._doc
            if doc.has_annotation("SENT_START"):  # one vectorised pass, not a Python loop over tokens
                found = numpy.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
                self._starts = found if found[:1] == [0] else [0] + found
            else:
                self._starts = [0]
        return self._starts

    def sent_of(self, i: int) -> int:
        return bisect_right(self.starts(), i) - 1

    def end_of(self, i: int) -> int:
        """The first token after token i's sentence (len(doc) in the last one)."""
        starts = self.starts()
        k = bisect_right(starts, i)
        return starts[k] if k < len(starts) else len(self._doc)


def _match_limit(sentences: _Sentences, breaks: list[int]):
    """limit(start) for the pattern matcher: a match ends within its sentence and before a line break
    ("turbine slots sold into 2029" / "Notes from the conference" are no debt sale)."""

    def limit(start: int) -> int:
        end = sentences.end_of(start)
        k = bisect_right(breaks, start)
        return min(end, breaks[k]) if k < len(breaks) else end

    return limit


def find_theme_rules(nlp: Language) -> ThemeRules | None:
    """The pipeline's theme component, whatever name the config gave it."""
    for _, component in nlp.pipeline:
        if isinstance(component, ThemeRules):
            return component
    return None


@Language.factory(
    "narrative_theme_rules_v1",
    assigns=["doc._.theme_evidence", "doc._.theme_scores", "doc._.themes"],
    default_config={"themes_dir": None, "user_dirs": []},
)
def make_theme_rules(nlp: Language, name: str, themes_dir: str | None, user_dirs: list[str]) -> ThemeRules:
    return ThemeRules(nlp, name, load_theme_cards(themes_dir, user_dirs), pipeline_word_codes(nlp))
