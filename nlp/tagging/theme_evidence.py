"""Pure theme evidence rules: which cue matches of one theme count, with what weight, and the rule score.

Everything here works on token offsets and plain values (no spaCy, no cards): the component in
``themes.py`` collects candidate matches and hands them to ``extract_theme_hits`` and
``score_theme_evidence``; the formula is documented in ``score_theme_evidence`` and
``corpora/themes/README.md``.
"""

from __future__ import annotations

import math
from typing import Iterable, Mapping, NamedTuple, Sequence

from nlp.tagging.theme_cards import DEFAULT_THRESHOLD

# Score formula constants (documented in score_theme_evidence and corpora/themes/README.md).
KIND_WEIGHTS = {"strong": 1.0, "weak": 0.5, "ambiguous": 1.0}
REPEAT_SHARE = 0.25
MAX_REPEATS = 1
LENGTH_UNIT_TOKENS = 300
# A text of more than SPREAD_SENTENCES sentences (a full article, not a paragraph) is about a theme only
# when the theme's cues reach one sentence in SPREAD_SENTENCES; fewer, and the score shrinks in proportion
# (compute_spread_factor). Chosen on holdout46, 75 full articles of about 430 words: rules micro-F1 0.748
# with no spread rule, 0.941 / 0.911 / 0.877 at 6 / 8 / 10 sentences; with the model 0.940 / 0.950 / 0.934.
SPREAD_SENTENCES = 8


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

    - a cue overlapping an ``exclude`` span is dropped, and so are the weak and ambiguous cues with the
      same key anywhere else in the text (one sense per discourse: beside "new home listings", the
      headline's "Spring listings" are homes too);
    - an ambiguous cue counts only with a context span near it (within ``window`` tokens, or in the same
      sentence when ``window`` is None) and no veto span near; a context span that is itself an
      ambiguous cue does not count, so ambiguous words cannot vouch for each other ("cut ... rates"),
      and neither does one inside an ``exclude`` span;
    - a cue with ``use_veto`` is dropped when a veto span is near;
    - overlapping cues keep the heaviest (then longest) one;
    - a pattern match that runs from one sentence into the next is dropped.
    Returns (candidate, weight) pairs in text order.
    """
    # Fields by position (key, kind, method, start, end, use_veto): this runs for every theme of every doc.
    ambiguous = {(c[3], c[4]) for c in candidates if c[1] == "ambiguous"}
    if ambiguous:
        context = [span for span in context if span not in ambiguous]
    if exclude and context:  # a near miss vouches for nothing: "grass-fed" is no Fed beside "cut"
        context = [span for span in context if not _overlaps_any(span[0], span[1], exclude)]
    excluded = {c[0] for c in candidates if _overlaps_any(c[3], c[4], exclude)} if exclude else ()
    kept = []
    for cand in candidates:
        kind, start, end = cand[1], cand[3], cand[4]
        if cand[2] == "pattern" and end - start > 2 and sent_of(start) != sent_of(end - 1):
            continue  # a pattern's gap does not run from one sentence into the next
        if excluded and cand[0] in excluded and (kind != "strong" or _overlaps_any(start, end, exclude)):
            continue
        if veto and (kind == "ambiguous" or cand[5]) and _near(start, end, veto, window, sent_of, allow_overlap=True):
            continue
        if kind == "ambiguous" and not _near(start, end, context, window, sent_of, allow_overlap=False):
            continue
        kept.append((cand, KIND_WEIGHTS[kind]))
    if len(kept) < 2:
        return kept
    kept.sort(key=_heaviest_first)
    chosen: list[tuple[Candidate, float]] = []
    for cand, weight in kept:
        start, end = cand[3], cand[4]
        if all(c[4] <= start or end <= c[3] for c, _ in chosen):
            chosen.append((cand, weight))
    chosen.sort(key=_text_order)
    return chosen


def _overlaps_any(start: int, end: int, spans: Sequence[tuple[int, int]]) -> bool:
    return any(s < end and start < e for s, e in spans)


def _heaviest_first(hit: tuple[Candidate, float]) -> tuple:
    return -hit[1], hit[0][3] - hit[0][4], hit[0][3]


def _text_order(hit: tuple[Candidate, float]) -> int:
    return hit[0][3]


def compute_spread_factor(sentences_hit: int, sentences_total: int) -> float:
    """1.0 for a paragraph; for a longer text, the share of the sentences a theme's cues must reach (one in
    SPREAD_SENTENCES) that they do reach, at most 1: a passing mention in a full article scores little."""
    if sentences_total <= SPREAD_SENTENCES:
        return 1.0
    needed = math.ceil(sentences_total / SPREAD_SENTENCES)
    return min(1.0, sentences_hit / needed)


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
