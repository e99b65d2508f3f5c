"""Window-level classification of spaCy Docs, aggregated to document and ticker sentiment.

Each doc is cut into windows: consecutive whole sentences packed up to the model's input length
(a sentence longer than that is cut at whitespace). A news paragraph, headline included, is
usually one window, so the model reads it whole; a full article becomes a few. All windows of all
docs go through the classifier in one batched call, each with the character spans of the ticker
mentions it contains, so one encoder forward per window yields window sentiment, mention sentiment
and theme probabilities. Aggregation: nlp/classify/aggregate.py.

Why windows, not sentences: the tone of a story is often carried by one clause read against the
rest ("beat estimates, but shares slid"), and most single news sentences are neutral facts.
Against one unit per sentence, on the hand-labelled sets (document sentiment macro-F1, dev /
blind; torch fp32): 0.590 / 0.588 with sentences, 0.660 / 0.696 with windows (band 0.3, chosen
on dev); the model's own theme micro-F1 rose from 0.764 / 0.617 to 0.814 / 0.692. Fewer, longer
units made extraction no slower (scripts/bench_extract.py: 193 articles/s before, 199 and 211 after).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from nlp.classify.aggregate import (
    compute_document_sentiment,
    compute_mean_probs,
    compute_document_theme_probs,
    compute_ticker_sentiment,
)
from nlp.classify.guidance_moves import extract_guidance_moves, load_guidance_patterns
from nlp.classify.price_moves import (
    assign_price_moves,
    build_price_move_evidence,
    compute_price_direction,
    extract_named_price_moves,
    extract_price_moves,
    load_price_move_patterns,
)
from nlp.classify.source_roles import find_source_symbols, load_source_roles

# Characters per model token used to size windows before tokenising: the 5th percentile on the
# dev, blind and sample texts was 3.4 (median 4.4), so few windows overflow the model's input.
CHARS_PER_TOKEN = 3.5


def compute_window_chars(max_length: int) -> int:
    """Characters in a window for a model reading ``max_length`` tokens."""
    return int(max_length * CHARS_PER_TOKEN)


@dataclass
class Unit:
    doc_index: int
    start: int
    end: int
    mentions: list[tuple[str, int, int]] = field(default_factory=list)  # symbol, unit-relative offsets


def split_span(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Cut [start, end) into pieces of at most ``max_chars``, preferring whitespace."""
    pieces = []
    while end - start > max_chars:
        cut = text.rfind(" ", start + 1, start + max_chars)
        cut = cut if cut > start else start + max_chars
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def build_windows(text: str, sentence_spans, max_chars: int) -> list[tuple[int, int]]:
    """Consecutive sentences packed greedily into windows of at most ``max_chars`` characters; a
    longer sentence is cut at whitespace (``split_span``) and its pieces packed like sentences."""
    windows: list[tuple[int, int]] = []
    for s_start, s_end in sentence_spans:
        for start, end in split_span(text, s_start, s_end, max_chars):
            if windows and end - windows[-1][0] <= max_chars:
                windows[-1] = (windows[-1][0], end)
            else:
                windows.append((start, end))
    return windows


def build_units(doc_index: int, text: str, sentence_spans, mentions, max_chars: int) -> list[Unit]:
    """Units for one doc: its windows (``build_windows``) with the mentions inside each."""
    units = []
    for start, end in build_windows(text, sentence_spans, max_chars):
        if not text[start:end].strip():
            continue
        inside = [(sym, a - start, b - start) for sym, a, b in mentions if a >= start and b <= end]
        units.append(Unit(doc_index, start, end, inside))
    return units


def _mention_tuples(doc) -> list[tuple[str, int, int]]:
    mentions = (doc._.mentions or []) if doc.has_extension("mentions") else []
    out = []
    for m in mentions:
        start = getattr(m, "start_char", getattr(m, "start", None))
        end = getattr(m, "end_char", getattr(m, "end", None))
        if start is not None and end is not None:
            out.append((m.symbol, int(start), int(end)))
    return out


def _sentence_spans(doc) -> list[tuple[int, int]]:
    if doc.has_annotation("SENT_START") or doc.has_annotation("DEP"):
        return [(s.start_char, s.end_char) for s in doc.sents]
    return [(0, len(doc.text))]


def annotate_docs(docs, classifier) -> list[dict]:
    """Per doc: ``{"sentiment", "ticker_sentiment", "theme_probs", "windows", "tokens", ...}`` (see the module
    docstring)."""
    max_chars = compute_window_chars(classifier.max_length)
    doc_texts = [doc.text for doc in docs]  # spaCy rebuilds doc.text on every access: read it once
    doc_mentions = [_mention_tuples(doc) for doc in docs]
    units = []
    for i, doc in enumerate(docs):
        units += build_units(i, doc_texts[i], _sentence_spans(doc), doc_mentions[i], max_chars)
    texts = [doc_texts[u.doc_index][u.start : u.end] for u in units]
    results = classifier(texts, [[(a, b) for _, a, b in u.mentions] for u in units]) if units else []
    per_doc: list[list] = [[] for _ in docs]
    for unit, result in zip(units, results):
        per_doc[unit.doc_index].append((unit, result))
    patterns, roles, guidance = load_price_move_patterns(), load_source_roles(), load_guidance_patterns()
    out = []
    for doc, text, mentions, pairs in zip(docs, doc_texts, doc_mentions, per_doc):
        symbols = [sym for sym, _, _ in mentions]
        moves = extract_price_moves(text, patterns)
        named = extract_named_price_moves(text, mentions, patterns, moves)
        by_symbol = assign_price_moves(text, named, mentions) if named and symbols else {}
        sources = find_source_symbols(text, mentions, roles) if symbols else set()
        annotation = build_doc_annotation(pairs, symbols, text, moves, by_symbol, sources,
                                          extract_guidance_moves(text, guidance))
        annotation["tokens"] = len(doc)  # a short text (a headline, a post) fuses its themes rules first
        out.append(annotation)
    return out


def build_doc_annotation(unit_results: list[tuple[Unit, dict]], tickers: list[str], text: str = "",
                         price_moves: list[tuple[int, int, int]] = (),
                         ticker_price_directions: dict[str, int] | None = None,
                         source_symbols: set[str] = frozenset(),
                         guidance_moves: list[tuple[int, int, int]] = ()) -> dict:
    """Aggregate one doc's unit results (pure). ``price_moves``: (start, end, direction) of the
    share-price moves ``text`` reports; ``ticker_price_directions``: the moves reported per symbol;
    ``source_symbols``: brokers named as a view's source; ``guidance_moves``: forecasts raised or cut,
    like ``price_moves``. The moves that agree with the document label are its evidence; the main
    subject is the first company named that is not a source."""
    sentence_probs = [r["probs"] for _, r in unit_results]
    lengths = [max(u.end - u.start, 1) for u, _ in unit_results]
    document = compute_document_sentiment(
        sentence_probs, lengths, price_direction=compute_price_direction(price_moves),
        guidance_direction=compute_price_direction(guidance_moves),
    )
    per_symbol: dict[str, list] = defaultdict(list)
    for unit, result in unit_results:
        for (symbol, _, _), span in zip(unit.mentions, result["spans"]):
            per_symbol[symbol].append(span["probs"])
    return {
        "sentiment": document,
        "ticker_sentiment": compute_ticker_sentiment(
            per_symbol, tickers, document, ticker_price_directions,
            main_symbol=next((t for t in tickers if t not in source_symbols), None), source_symbols=source_symbols,
        ),
        "theme_probs": compute_document_theme_probs([r["theme_probs"] for _, r in unit_results]),
        # Kept beside, not inside, "sentiment" so the tag format stays {"label", "score"}.
        "sentiment_probs": compute_mean_probs(sentence_probs, lengths),
        "sentiment_evidence": build_price_move_evidence(text, price_moves, document["label"])
        + build_price_move_evidence(text, guidance_moves, document["label"], method="guidance"),
        "windows": len(unit_results),  # how the text was read: a full article from LONG_DOCUMENT_WINDOWS on
    }
