"""Turn one tagged article into the rows of the extraction tables (pure).

Input: the stable tagging record (see the brief: id, tickers, mentions, themes, theme_scores,
evidence, sentiment, ticker_sentiment) plus a few extraction-only keys the runner attaches:
``_sentence_starts`` (character offsets of the sentences), ``_rule_scores`` and
``_model_probs`` (the two sources behind ``theme_scores``), ``_probs`` (document class
probabilities when the classifier gives them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nlp.extract.relevance import compute_relevance


@dataclass(frozen=True)
class ArticleContext:
    """What the runner knows about the article and the run, beyond the tagging record."""

    article_id: str
    text_length: int
    content_hash: str | None
    run_id: int
    pipeline_version: str
    extracted_utc: str
    story_id: str | None


def build_sentence_starts(starts: list[int] | None, text: str, title: str | None) -> list[int]:
    """Sentence start offsets with the title as a sentence of its own (the sentencizer does not
    split at the blank line between title and body)."""
    bounds = set(starts or [0])
    if (title or "").strip() and "\n\n" in text:
        bounds.add(text.index("\n\n") + 2)
    return sorted(bounds)


def build_article_rows(ctx: ArticleContext, record: dict) -> dict[str, list[dict]]:
    """Rows per table for one article; ``is_first_in_story`` is settled later per story."""
    return {
        "article_extractions": [_marker_row(ctx, record)],
        "mentions": [_mention_row(ctx, m) for m in record.get("mentions", [])],
        "article_tickers": _ticker_rows(ctx, record),
        "article_themes": _theme_rows(ctx, record),
        "evidence": [_evidence_row(ctx, e) for e in record.get("evidence", [])],
    }


def merge_rows(per_article: list[dict[str, list[dict]]]) -> dict[str, list[dict]]:
    merged: dict[str, list[dict]] = {}
    for rows in per_article:
        for table, items in rows.items():
            merged.setdefault(table, []).extend(items)
    return merged


def count_rows(rows: dict[str, list[dict]]) -> dict[str, int]:
    return {
        "n_articles": len(rows.get("article_extractions", [])),
        "n_mentions": len(rows.get("mentions", [])),
        "n_themes": len(rows.get("article_themes", [])),
        "n_evidence": len(rows.get("evidence", [])),
    }


def _marker_row(ctx: ArticleContext, record: dict) -> dict[str, Any]:
    sentiment = record.get("sentiment") or {}
    probs = record.get("_probs") or sentiment.get("probs") or {}
    return {
        "article_id": ctx.article_id, "run_id": ctx.run_id, "pipeline_version": ctx.pipeline_version,
        "extracted_utc": ctx.extracted_utc, "sentiment_label": sentiment.get("label"),
        "sentiment_score": sentiment.get("score"), "p_negative": probs.get("negative"),
        "p_neutral": probs.get("neutral"), "p_positive": probs.get("positive"),
        "story_id": ctx.story_id, "is_first_in_story": 0, "content_hash": ctx.content_hash,
    }


def _mention_row(ctx: ArticleContext, m: dict) -> dict[str, Any]:
    keys = ("symbol", "start", "end", "text", "method", "confidence")
    return {"article_id": ctx.article_id, "run_id": ctx.run_id, **{k: m.get(k) for k in keys}}


def _ticker_rows(ctx: ArticleContext, record: dict) -> list[dict[str, Any]]:
    mentions = [(m["symbol"], m["start"]) for m in record.get("mentions", [])]
    relevance = compute_relevance(mentions, record.get("_sentence_starts") or [0], ctx.text_length)
    tone = record.get("ticker_sentiment") or {}
    rows = []
    for symbol in sorted(set(record.get("tickers", [])) | set(relevance)):
        rel = relevance.get(symbol)
        rows.append({
            "article_id": ctx.article_id, "symbol": symbol, "run_id": ctx.run_id,
            "n_mentions": rel.n_mentions if rel else 0, "relevance": rel.relevance if rel else 0.0,
            "first_position": rel.first_position if rel else None,
            "sentence_share": rel.sentence_share if rel else 0.0,
            "sentiment_label": (tone.get(symbol) or {}).get("label"),
            "sentiment_score": (tone.get(symbol) or {}).get("score"),
        })
    return rows


def _theme_rows(ctx: ArticleContext, record: dict) -> list[dict[str, Any]]:
    """Only the themes the article was tagged with (score above the decision line)."""
    scores = record.get("theme_scores") or {}
    rules = record.get("_rule_scores")
    model = record.get("_model_probs") or {}
    rows = []
    for theme in dict.fromkeys(record.get("themes", [])):
        rule_score = rules.get(theme, 0.0) if rules is not None else scores.get(theme)
        rows.append({
            "article_id": ctx.article_id, "theme": theme, "run_id": ctx.run_id, "score": scores.get(theme),
            "rule_score": rule_score, "model_score": model.get(theme),
        })
    return rows


def _evidence_row(ctx: ArticleContext, e: dict) -> dict[str, Any]:
    keys = ("kind", "label", "start", "end", "text", "method")
    return {"article_id": ctx.article_id, "run_id": ctx.run_id, **{k: e.get(k) for k in keys}}
