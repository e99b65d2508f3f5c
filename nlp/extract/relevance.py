"""How central a ticker is to an article: where it first appears and how much of the text is about it.

Pure functions over character offsets; no spaCy, no SQL.

The formula (per article and ticker):

- ``first_position`` = start of the ticker's first mention / length of the text, in [0, 1]
  (0 = the first character, i.e. the title when there is one).
- ``sentence_share`` = sentences with at least one mention of the ticker / all sentences, in [0, 1].
- ``relevance`` = ``POSITION_WEIGHT * (1 - first_position)
  + SHARE_WEIGHT * min(1, sentence_share / FULL_COVERAGE_SHARE)``, in [0, 1].

Why this shape: news puts the subject in the title and lead, so an early first mention is strong
evidence; but a company named once in the lead in passing is not the subject, so coverage
carries more weight. Coverage saturates at a quarter of the sentences: a long article about one
company names it in a quarter of its sentences or more, and naming it in every sentence does not
make it more relevant. A headline-only text (one sentence, mention at 0) scores 1.0; a broker
named once near the end of a 20-sentence story scores about 0.15.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from typing import Iterable, Sequence

POSITION_WEIGHT = 0.4
SHARE_WEIGHT = 0.6
FULL_COVERAGE_SHARE = 0.25


@dataclass(frozen=True)
class TickerRelevance:
    symbol: str
    n_mentions: int
    first_position: float
    sentence_share: float
    relevance: float


def score_relevance(first_position: float, sentence_share: float) -> float:
    """The documented combination of position and coverage, rounded for stable storage."""
    prominence = 1.0 - min(max(first_position, 0.0), 1.0)
    coverage = min(1.0, max(sentence_share, 0.0) / FULL_COVERAGE_SHARE)
    return round(POSITION_WEIGHT * prominence + SHARE_WEIGHT * coverage, 6)


def compute_relevance(
    mentions: Iterable[tuple[str, int]],
    sentence_starts: Sequence[int],
    text_length: int,
) -> dict[str, TickerRelevance]:
    """Relevance per symbol from ``(symbol, start_char)`` mentions and sorted sentence start offsets.

    A mention belongs to the last sentence that starts at or before it; with no sentence
    boundaries the whole text counts as one sentence.
    """
    starts = sorted(sentence_starts) or [0]
    n_sentences = len(starts)
    length = max(text_length, 1)
    first: dict[str, int] = {}
    counts: dict[str, int] = {}
    sentences: dict[str, set[int]] = {}
    for symbol, start in mentions:
        first[symbol] = min(start, first.get(symbol, start))
        counts[symbol] = counts.get(symbol, 0) + 1
        sentences.setdefault(symbol, set()).add(max(bisect_right(starts, start) - 1, 0))
    result = {}
    for symbol in sorted(first):
        position = round(min(first[symbol] / length, 1.0), 6)
        share = round(len(sentences[symbol]) / n_sentences, 6)
        result[symbol] = TickerRelevance(symbol, counts[symbol], position, share, score_relevance(position, share))
    return result
