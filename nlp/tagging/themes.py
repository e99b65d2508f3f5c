"""Theme rules: YAML theme cards -> evidence spans and a rule score per theme.

A card (``corpora/themes/<id>.yaml``, fields in ``corpora/themes/README.md``) lists cues of three kinds:
strong phrases (one hit is enough), weak phrases (hints) and ambiguous phrases, which count only when
one of the card's ``context`` terms is near and none of its ``veto`` terms is. Matcher patterns can be
any of the three kinds. ``exclude`` phrases are near misses: a cue overlapping one is dropped.

The component ``narrative_theme_rules_v1`` matches every card's phrases (and the anchor words of its
patterns) in one PhraseMatcher pass, runs the patterns near their anchors (``theme_patterns.py``),
keeps the non-overlapping hits per theme and scores them with ``score_theme_evidence``. Cards are
parsed in ``theme_cards.py`` (re-exported here). Everything that decides what counts
(``extract_theme_hits``) and how much (``score_theme_evidence``) is pure and works on token offsets.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import Iterable, Mapping, NamedTuple, Sequence

from spacy.attrs import IDS, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc

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
from nlp.tagging.theme_patterns import CompiledPattern, TokenColumns, compile_pattern, find_pattern_matches

# Score formula constants (documented in score_theme_evidence and corpora/themes/README.md).
KIND_WEIGHTS = {"strong": 1.0, "weak": 0.5, "ambiguous": 1.0}
REPEAT_SHARE = 0.25
MAX_REPEATS = 1
LENGTH_UNIT_TOKENS = 300

if not Doc.has_extension("theme_evidence"):
    Doc.set_extension("theme_evidence", default=None)
if not Doc.has_extension("theme_scores"):
    Doc.set_extension("theme_scores", default=None)
if not Doc.has_extension("themes"):
    Doc.set_extension("themes", default=None)


class Candidate(NamedTuple):
    """A cue match before context and overlap rules: token offsets [start, end)."""

    key: str
    kind: str
    method: str
    start: int
    end: int
    use_veto: bool = False


class ThemeHit(NamedTuple):
    """A counted cue: token offsets for scoring, character offsets for evidence."""

    theme: str
    cue: str
    method: str
    weight: float
    start: int
    end: int
    start_char: int
    end_char: int
    text: str

    def to_evidence(self) -> dict:
        return {
            "label": self.theme, "kind": "theme", "start": self.start_char, "end": self.end_char,
            "text": self.text, "method": self.method,
        }


# --- evidence and score (pure) ----------------------------------------------------------------


def build_phrase_variants(phrase: str) -> list[str]:
    """The phrase, the plural of its last word ("rate cut" -> "rate cuts": tokens carry no lemmas),
    and for "U.S." the same with "US"."""
    variants = _plural_variants(phrase)
    if "U.S." in phrase:
        variants += _plural_variants(phrase.replace("U.S.", "US"))
    return variants


def _plural_variants(phrase: str) -> list[str]:
    head, _, last = phrase.rpartition(" ")
    if not last.isalpha() or len(last) < 2:
        return [phrase]
    if last[-1] in "sxz" or last.endswith(("ch", "sh")):
        plural = last + "es"
    elif last[-1] == "y" and last[-2] not in "aeiou":
        plural = last[:-1] + "ies"
    else:
        plural = last + "s"
    return [phrase, f"{head} {plural}".strip()]


def build_cue_key(phrase: str) -> str:
    """The key a phrase's hits are counted under: lowercase, last word singular ("Utilities" ->
    "utility"), so a card listing both forms does not count one concept as two cues."""
    head, _, last = phrase.lower().rpartition(" ")
    if len(last) > 3 and last.isalpha():
        if last.endswith("ies"):
            last = last[:-3] + "y"
        elif last.endswith(("ches", "shes", "xes", "sses")):
            last = last[:-2]
        elif last.endswith("s") and not last.endswith("ss"):
            last = last[:-1]
    return f"{head} {last}".strip()


def _near(start: int, end: int, spans: Sequence[tuple[int, int]], window: int | None, sent_of, allow_overlap: bool) -> bool:
    for s, e in spans:
        overlaps = s < end and start < e
        if overlaps and not allow_overlap:
            continue
        if window is not None:
            if s < end + window and start - window < e:
                return True
        elif overlaps or sent_of(s) == sent_of(start):
            return True
    return False


def extract_theme_hits(
    candidates: Sequence[Candidate],
    context: Sequence[tuple[int, int]] = (),
    veto: Sequence[tuple[int, int]] = (),
    exclude: Sequence[tuple[int, int]] = (),
    window: int | None = None,
    sent_of=lambda token_index: 0,
) -> list[tuple[Candidate, float]]:
    """Decide which of one theme's cue matches count, and with what weight.

    - a cue overlapping an ``exclude`` span is dropped;
    - an ambiguous cue counts only with a context span near it (within ``window`` tokens, or in the same
      sentence when ``window`` is None) and no veto span near; a context span that is itself an
      ambiguous cue does not count, so ambiguous words cannot vouch for each other ("cut ... rates");
    - a cue with ``use_veto`` is dropped when a veto span is near;
    - overlapping cues keep the heaviest (then longest) one.
    Returns (candidate, weight) pairs in text order.
    """
    ambiguous = {(c.start, c.end) for c in candidates if c.kind == "ambiguous"}
    if ambiguous:
        context = [span for span in context if span not in ambiguous]
    kept = []
    for cand in candidates:
        if any(s < cand.end and cand.start < e for s, e in exclude):
            continue
        guarded = cand.kind == "ambiguous" or cand.use_veto
        if guarded and _near(cand.start, cand.end, veto, window, sent_of, allow_overlap=True):
            continue
        if cand.kind == "ambiguous" and not _near(cand.start, cand.end, context, window, sent_of, allow_overlap=False):
            continue
        kept.append((cand, KIND_WEIGHTS[cand.kind]))
    kept.sort(key=lambda cw: (-cw[1], -(cw[0].end - cw[0].start), cw[0].start))
    chosen: list[tuple[Candidate, float]] = []
    for cand, weight in kept:
        if all(c.end <= cand.start or cand.end <= c.start for c, _ in chosen):
            chosen.append((cand, weight))
    return sorted(chosen, key=lambda cw: cw[0].start)


def score_theme_evidence(hits: Iterable[tuple[str, float]], n_tokens: int) -> float:
    """Rule score in [0, 1) from (cue key, weight) hits of one theme in a text of ``n_tokens`` tokens.

    E = sum over distinct cues of weight * (1 + 0.25 * min(repeats, 1)), where a cue's weight is 1.0 for
    strong and context-confirmed ambiguous cues and 0.5 for weak ones; L = max(1, sqrt(n_tokens / 300))
    damps long texts, which collect incidental hits; score = 1 - exp(-E / L). So in a paragraph one
    strong cue scores 0.63, two weak cues 0.63, one weak cue 0.39 (0.46 when repeated), a strong and a weak
    one 0.78.
    """
    counts: dict[str, tuple[float, int]] = {}
    for key, weight in hits:
        best, n = counts.get(key, (0.0, 0))
        counts[key] = (max(best, weight), n + 1)
    evidence = sum(w * (1 + REPEAT_SHARE * min(n - 1, MAX_REPEATS)) for w, n in counts.values())
    length = max(1.0, math.sqrt(max(n_tokens, 0) / LENGTH_UNIT_TOKENS))
    return 1.0 - math.exp(-evidence / length)


def compute_assigned_themes(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> list[str]:
    """Theme ids whose score reaches their threshold, in the order of ``scores``."""
    return [tid for tid, s in scores.items() if s >= thresholds.get(tid, DEFAULT_THRESHOLD) and s > 0]


# --- the spaCy component --------------------------------------------------------------------------


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

    def __init__(self, nlp: Language, name: str, cards: Sequence[ThemeCard]):
        self.name = name
        self.cards = {card.id: card for card in cards}
        self.thresholds = {card.id: card.threshold for card in cards}
        # One PhraseMatcher key per distinct phrase: a phrase used by several cards or roles is
        # matched once and fans out to its entries (a key per use would multiply the matches).
        self._phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self._entries: dict[int, list[_CueInfo]] = {}
        # Patterns run on token hashes near their anchor words (theme_patterns.py); spaCy's Matcher
        # evaluates IN predicates in Python at every token and is kept for patterns outside that subset.
        self._fast_patterns: list[tuple[_CueInfo, CompiledPattern]] = []
        self._slow_patterns = Matcher(nlp.vocab)
        self._slow_info: dict[int, _CueInfo] = {}
        for card in cards:
            self._add_card(nlp, card)

    def _add_phrase(self, nlp: Language, text: str, info: _CueInfo, single_token: bool = False) -> None:
        variants = [text.lower()] if single_token else [v.lower() for v in build_phrase_variants(text)]
        for variant in variants:
            match_id = nlp.vocab.strings.add(f"phrase|{variant}")
            if match_id not in self._entries:
                self._entries[match_id] = []
                doc = Doc(nlp.vocab, words=[variant]) if single_token else nlp.make_doc(variant)
                self._phrases.add(f"phrase|{variant}", [doc])
            if info not in self._entries[match_id]:
                self._entries[match_id].append(info)

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
        # The anchor words go into the PhraseMatcher: its hits say where the pattern can start.
        anchor = _CueInfo(card.id, "anchor", "", "", False, len(self._fast_patterns))
        self._fast_patterns.append((info, compiled))
        for word in _strings_of_anchor(cue.pattern[compiled.anchor]):
            self._add_phrase(nlp, word, anchor, single_token=True)

    def _collect(self, doc: Doc) -> dict[str, dict[str, list]]:
        """Cue candidates per theme, and the context/veto/exclude spans of themes that have cues."""
        found: dict[str, dict[str, list]] = {}
        anchors: dict[int, list[int]] = {}
        terms = []
        for match_id, start, end in self._phrases(doc):
            for info in self._entries[match_id]:
                if info.role == "cue":
                    _slots(found, info.theme)["cue"].append(Candidate(info.key, info.kind, "phrase", start, end))
                elif info.role == "anchor":
                    anchors.setdefault(info.pattern_index, []).append(start)
                else:
                    terms.append((info, start, end))
        if len(self._slow_patterns):
            for match_id, start, end in self._slow_patterns(doc):
                info = self._slow_info[match_id]
                _slots(found, info.theme)["cue"].append(Candidate(info.key, info.kind, "pattern", start, end, info.use_veto))
        if anchors:
            self._add_pattern_hits(doc, anchors, found)
        for info, start, end in terms:
            if info.theme in found:
                found[info.theme][info.role].append((start, end))
        return found

    def _add_pattern_hits(self, doc: Doc, anchors: dict[int, list[int]], found: dict) -> None:
        table = TokenColumns(len(doc), lambda name: doc.to_array(IDS[name]).tolist())
        for index, positions in anchors.items():
            info, pattern = self._fast_patterns[index]
            for start, end in find_pattern_matches(pattern, table, positions):
                _slots(found, info.theme)["cue"].append(Candidate(info.key, info.kind, "pattern", start, end, info.use_veto))

    def __call__(self, doc: Doc) -> Doc:
        found = self._collect(doc)
        sent_of = _sentence_lookup(doc)
        evidence: dict[str, list[ThemeHit]] = {}
        scores = {tid: 0.0 for tid in self.cards}
        for theme, slots in found.items():
            card = self.cards[theme]
            chosen = extract_theme_hits(
                slots["cue"], slots["context"], slots["veto"], slots["exclude"], card.context_window, sent_of
            )
            if chosen:
                evidence[theme] = [_to_hit(doc, theme, cand, weight) for cand, weight in chosen]
                scores[theme] = score_theme_evidence(((c.key, w) for c, w in chosen), len(doc))
        doc._.theme_evidence = evidence
        doc._.theme_scores = scores
        doc._.themes = compute_assigned_themes(scores, self.thresholds)
        return doc


def _slots(found: dict, theme: str) -> dict[str, list]:
    slots = found.get(theme)
    if slots is None:
        slots = found[theme] = {"cue": [], "context": [], "veto": [], "exclude": []}
    return slots


def _to_hit(doc: Doc, theme: str, cand: Candidate, weight: float) -> ThemeHit:
    # Tokens, not a Span or doc.text: both are rebuilt token by token and cost more than matching.
    tokens = [doc[i] for i in range(cand.start, cand.end)]
    text = "".join(t.text_with_ws for t in tokens[:-1]) + tokens[-1].text
    start_char = tokens[0].idx
    method = cand.method + ("+context" if cand.kind == "ambiguous" else "")
    return ThemeHit(theme, cand.key, method, weight, cand.start, cand.end, start_char, start_char + len(text), text)


def _strings_of_anchor(token: Mapping) -> list[str]:
    for attr in ("LOWER", "ORTH", "TEXT"):
        value = token.get(attr)
        if isinstance(value, str):
            return [value.lower()]
        if isinstance(value, dict) and isinstance(value.get("IN"), list):
            return sorted({str(w).lower() for w in value["IN"]})
    return []


def _sentence_lookup(doc: Doc):
    """token index -> sentence number (all 0 when the pipeline sets no sentence boundaries).

    The boundaries are read on first use: cards with a token ``context_window`` never need them."""
    starts: list[int] = []

    def sent_of(i: int) -> int:
        if not starts:
            flags = doc.to_array([SENT_START]).tolist() if doc.has_annotation("SENT_START") else []
            starts.extend([0] + [j for j, flag in enumerate(flags) if flag == 1 and j])
        return bisect_right(starts, i) - 1

    return sent_of


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
    return ThemeRules(nlp, name, load_theme_cards(themes_dir, user_dirs))
