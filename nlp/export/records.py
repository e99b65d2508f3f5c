"""Pure building of export records from stored rows: labels, human overrides, splits, uncertainty."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Sequence

HUMAN_KINDS = ("tickers", "themes", "sentiment", "ticker_sentiment")


def build_document_text(title: str | None, body: str | None) -> str:
    """The exact string that extraction tagged, so every exported span indexes into it."""
    title, body = (title or "").strip(), (body or "").strip()
    return f"{title}\n\n{body}" if title and body else (title or body)


def parse_split_fractions(spec: str) -> tuple[float, ...]:
    """"0.8,0.1,0.1" -> (0.8, 0.1, 0.1); they must be positive and sum to 1."""
    try:
        parts = tuple(float(p) for p in spec.split(","))
    except ValueError as exc:
        raise ValueError(f"--split takes fractions like 0.8,0.1,0.1, not {spec!r}") from exc
    if not 1 <= len(parts) <= 3 or any(p <= 0 for p in parts) or abs(sum(parts) - 1) > 1e-6:
        raise ValueError(f"--split needs 1 to 3 positive fractions summing to 1, not {spec!r}")
    return parts


def assign_split(group_key: str, seed: int, fractions: Sequence[float]) -> str:
    """Deterministic split by group (the near-duplicate story), so one story never straddles splits."""
    digest = hashlib.sha256(f"{seed}:{group_key}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64
    names = ("train", "validation", "test")
    edge = 0.0
    for name, fraction in zip(names, fractions):
        edge += fraction
        if point < edge:
            return name
    return names[len(fractions) - 1]


def _human(row: dict) -> dict[str, Any]:
    return {lab["kind"]: json.loads(lab["value"]) for lab in row.get("human", [])}


def _model_labels(row: dict, min_confidence: float) -> dict[str, Any]:
    mentions = [
        {k: m[k] for k in ("symbol", "start", "end", "text", "method", "confidence")}
        for m in row["mentions"] if (m["confidence"] or 0) >= min_confidence
    ]
    kept = {m["symbol"] for m in mentions}
    ticker_sentiment = {
        t["symbol"]: {"label": t["sentiment_label"], "score": t["sentiment_score"], "relevance": t["relevance"]}
        for t in row["tickers"] if t["symbol"] in kept
    }
    themes = [t for t in row["themes"] if (t["score"] or 0) >= min_confidence]
    sentiment = None
    if row.get("sentiment_label"):
        sentiment = {"label": row["sentiment_label"], "score": row["sentiment_score"]}
    return {
        "mentions": mentions, "tickers": sorted(kept), "ticker_sentiment": ticker_sentiment,
        "themes": sorted(t["theme"] for t in themes),
        "theme_scores": {t["theme"]: t["score"] for t in row["themes"]},
        "sentiment": sentiment,
    }


def _apply_human(labels: dict[str, Any], human: dict[str, Any]) -> dict[str, str]:
    """Human labels win; returns which source each label kind came from."""
    source = {kind: "model" for kind in HUMAN_KINDS}
    if "tickers" in human:
        wanted = set(human["tickers"])
        labels["tickers"] = sorted(wanted)
        labels["mentions"] = [m for m in labels["mentions"] if m["symbol"] in wanted]
        labels["ticker_sentiment"] = {s: v for s, v in labels["ticker_sentiment"].items() if s in wanted}
    if "themes" in human:
        labels["themes"] = sorted(human["themes"])
    if "sentiment" in human:
        labels["sentiment"] = {"label": human["sentiment"], "score": None}
    for symbol, label in (human.get("ticker_sentiment") or {}).items():
        labels["ticker_sentiment"][symbol] = {"label": label, "score": None, "relevance": None}
    for kind in human:
        source[kind] = "human"
    return source


def build_export_record(row: dict, *, min_confidence: float = 0.0, seed: int = 0,
                        fractions: Sequence[float] | None = None) -> dict[str, Any]:
    """One article with its labels and provenance, in the documented export format."""
    labels = _model_labels(row, min_confidence)
    source = _apply_human(labels, _human(row))
    spans = {(m["start"], m["end"]) for m in labels["mentions"]}
    evidence = [
        {k: e[k] for k in ("label", "kind", "start", "end", "text", "method")}
        for e in row["evidence"]
        if (e["kind"] == "theme" and e["label"] in labels["themes"]) or (e["start"], e["end"]) in spans
        or (e["kind"] == "sentiment" and e["label"] == (labels.get("sentiment") or {}).get("label"))
    ]
    record = {
        "id": row["id"], "url": row["url"], "title": row["title"] or "", "published": row["published_utc"],
        "feed": row["feed_url"], "text": build_document_text(row["title"], row["body"]),
        **labels, "evidence": evidence, "label_source": source,
        "provenance": {
            "run_id": row["run_id"], "pipeline_version": row["pipeline_version"],
            "model_name": row["model_name"], "model_digest": row["model_digest"],
        },
        "story_id": row["story_id"] or row["id"],
    }
    if fractions:
        record["split"] = assign_split(record["story_id"], seed, fractions)
    return record


def score_uncertainty(row: dict) -> float:
    """How unsure the model is about an article, in [0, 1]: the worse of sentiment margin and theme margin.

    Sentiment: 1 - (p_top1 - p_top2). Themes: 1 - |2p - 1| for the theme score closest to 0.5.
    Human-labelled articles are never uncertain: they were already reviewed.
    """
    if row.get("human"):
        return 0.0
    probs = sorted((row.get(k) for k in ("p_negative", "p_neutral", "p_positive") if row.get(k) is not None),
                   reverse=True)
    sentiment = 1 - (probs[0] - probs[1]) if len(probs) >= 2 else 0.0
    themes = max((1 - abs(2 * (t["score"] or 0) - 1) for t in row["themes"]), default=0.0)
    return max(sentiment, themes)
