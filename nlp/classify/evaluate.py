"""Evaluation of the classifier against labelled sets, with a lexicon baseline beside it.

Pure metric functions (``compute_*``) plus thin ``evaluate_*`` runners used by
``narrative evaluate`` and scripts/eval_classifier.py. FPB is read for evaluation only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from nlp.classify.datasets import find_span, load_phrasebank, load_sentfin, load_twitter_sentiment
from nlp.classify.paragraphs import build_full_text

LABELS = ("negative", "neutral", "positive")
VADER_CUTOFF = 0.05  # the VADER authors' recommended compound-score cut-offs


def compute_classification_metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = LABELS) -> dict:
    """Accuracy and macro-F1 over ``labels``."""
    n = len(gold)
    correct = sum(g == p for g, p in zip(gold, pred))
    f1s = []
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, pred))
        fp = sum(g != label and p == label for g, p in zip(gold, pred))
        fn = sum(g == label and p != label for g, p in zip(gold, pred))
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    return {"n": n, "accuracy": round(correct / max(n, 1), 4), "macro_f1": round(sum(f1s) / len(f1s), 4)}


def compute_multilabel_metrics(gold: Sequence[set], pred: Sequence[set], labels: Sequence[str]) -> dict:
    """Micro precision/recall/F1 over ``labels`` plus per-label F1."""
    per_label, totals = {}, [0, 0, 0]
    for label in labels:
        tp = sum(label in g and label in p for g, p in zip(gold, pred))
        fp = sum(label not in g and label in p for g, p in zip(gold, pred))
        fn = sum(label in g and label not in p for g, p in zip(gold, pred))
        totals = [totals[0] + tp, totals[1] + fp, totals[2] + fn]
        per_label[label] = round(2 * tp / max(2 * tp + fp + fn, 1), 4)
    tp, fp, fn = totals
    precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    return {"n": len(gold), "precision": round(precision, 4), "recall": round(recall, 4),
            "micro_f1": round(2 * tp / max(2 * tp + fp + fn, 1), 4), "per_theme_f1": per_label}


def build_vader_label(compound: float) -> str:
    return "positive" if compound >= VADER_CUTOFF else "negative" if compound <= -VADER_CUTOFF else "neutral"


def load_vader():
    """A function text -> label, or None when vaderSentiment is not installed."""
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:
        return None
    analyzer = SentimentIntensityAnalyzer()
    return lambda text: build_vader_label(analyzer.polarity_scores(text)["compound"])


def load_sentiment_sets(data_dir: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Document-level sets: name -> (texts, gold labels)."""
    sets = {}
    for agree in ("AllAgree", "50Agree"):
        rows = load_phrasebank(data_dir, agree)
        sets[f"FPB {agree}"] = ([r.text for r in rows], [r.label for r in rows])
    valid = load_twitter_sentiment(data_dir, "valid")
    sets["Twitter valid"] = ([r.text for r in valid], [r.label for r in valid])
    return sets


def evaluate_sentiment(classifier, data_dir: Path, vader=None) -> list[dict]:
    """Rows {set, system, n, accuracy, macro_f1} for the model and (when given) VADER."""
    rows = []
    for name, (texts, gold) in load_sentiment_sets(data_dir).items():
        pred = [r["label"] for r in classifier(texts)]
        rows.append({"set": name, "system": "model", **compute_classification_metrics(gold, pred)})
        if vader:
            rows.append({"set": name, "system": "vader", **compute_classification_metrics(gold, [vader(t) for t in texts])})
    rows += evaluate_sentfin_entities(classifier, data_dir, vader)
    return rows


def build_entity_items(headlines) -> tuple[list[str], list[list[tuple[int, int]]], list[list[tuple[bool, str]]]]:
    """Per headline: text, entity spans found, and (span found?, gold label) per entity."""
    texts, spans, golds = [], [], []
    for example, decisions in headlines:
        found = [(entity, find_span(example.text, entity), label) for entity, label in decisions.items()]
        texts.append(example.text)
        spans.append([s for _, s, _ in found if s])
        golds.append([(s is not None, label) for _, s, label in found])
    return texts, spans, golds


def evaluate_sentfin_entities(classifier, data_dir: Path, vader=None) -> list[dict]:
    """Entity-level accuracy on the SEntFiN titles held out from training (title-hash split).
    An entity whose name is not found verbatim in its headline takes the headline's label."""
    texts, spans, golds = build_entity_items(load_sentfin(data_dir, "test"))
    gold, pred, vader_pred = [], [], []
    for text, result, items in zip(texts, classifier(texts, spans), golds):
        span_results = iter(result["spans"])
        for found, label in items:
            gold.append(label)
            pred.append(next(span_results)["label"] if found else result["label"])
            if vader:
                vader_pred.append(vader(text))
    rows = [{"set": "SEntFiN entity (test titles)", "system": "model", **compute_classification_metrics(gold, pred)}]
    if vader:
        rows.append({"set": "SEntFiN entity (test titles)", "system": "vader", **compute_classification_metrics(gold, vader_pred)})
    return rows


def load_dev_set(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for row in rows:
        row["full_text"] = build_full_text(row)
    return rows


def format_table(rows: list[dict], columns: Sequence[str]) -> str:
    """A markdown table of ``rows`` (missing cells blank)."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        lines.append("| " + " | ".join(_cell(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def _cell(value) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def evaluate_dev(dev_rows: list[dict], annotations: list[dict], rule_outputs: list[tuple[list[str], dict]] | None,
                 thresholds: dict[str, float], theme_ids: Sequence[str], vader=None) -> list[dict]:
    """Theme P/R/F1 for rules only, model only and rules+model; document sentiment on the dev set.

    ``annotations`` come from ``annotate_docs``; ``rule_outputs`` are (themes, scores) per row
    from the tagging pipeline's rules (None when it is not available).
    """
    from nlp.classify.combine import combine_annotation_themes

    gold = [set(r.get("themes") or []) for r in dev_rows]
    model_pred = [{t for t, p in a["theme_probs"].items() if p >= thresholds.get(t, 0.5)} for a in annotations]
    rows = [{"set": "dev themes", "system": "model", **_theme_cells(gold, model_pred, theme_ids)}]
    if rule_outputs is not None:
        rows.insert(0, {"set": "dev themes", "system": "rules", **_theme_cells(gold, [set(t) for t, _ in rule_outputs], theme_ids)})
        fused = [set(combine_annotation_themes(s, a, thresholds)[0]) for (_, s), a in zip(rule_outputs, annotations)]
        rows.append({"set": "dev themes", "system": "rules+model", **_theme_cells(gold, fused, theme_ids)})
    rows += _ticker_sentiment_rows(dev_rows, annotations)
    labelled = [(r["sentiment"] if isinstance(r["sentiment"], str) else r["sentiment"].get("label"), a["sentiment"]["label"], r["full_text"])
                for r, a in zip(dev_rows, annotations) if r.get("sentiment")]
    if labelled:
        g, p, texts = zip(*labelled)
        rows.append({"set": "dev sentiment", "system": "model", **compute_classification_metrics(g, p)})
        if vader:
            rows.append({"set": "dev sentiment", "system": "vader", **compute_classification_metrics(g, [vader(t) for t in texts])})
    return rows


def _ticker_sentiment_rows(dev_rows: list[dict], annotations: list[dict]) -> list[dict]:
    """Per-ticker sentiment where the dev set labels it; a ticker the linker missed is scored
    with the document sentiment (what a user would see as the story's tone)."""
    gold, pred = [], []
    for row, ann in zip(dev_rows, annotations):
        for symbol, label in (row.get("ticker_sentiment") or {}).items():
            gold.append(label if isinstance(label, str) else label.get("label"))
            pred.append((ann["ticker_sentiment"].get(symbol) or ann["sentiment"])["label"])
    return [{"set": "dev ticker sentiment", "system": "model", **compute_classification_metrics(gold, pred)}] if gold else []


def _theme_cells(gold, pred, theme_ids) -> dict:
    metrics = compute_multilabel_metrics(gold, pred, theme_ids)
    return {"n": metrics["n"], "precision": metrics["precision"], "recall": metrics["recall"],
            "micro_f1": metrics["micro_f1"], "per_theme_f1": metrics["per_theme_f1"]}


def build_dev_docs(texts: list[str]):
    """(docs, rule outputs) from the tagging pipeline when it exists, so the model sees the same
    sentences and mentions as `narrative tag`; else (sentencizer docs, None)."""
    try:
        from nlp.tagging.pipeline import build_pipeline
    except ImportError:
        build_pipeline = None
    if build_pipeline is None:
        import spacy

        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return list(nlp.pipe(texts)), None
    nlp = build_pipeline()
    if not {"sentencizer", "senter", "parser"} & set(nlp.pipe_names):
        nlp.add_pipe("sentencizer", first=True)
    docs = list(nlp.pipe(texts))
    return docs, [(list(getattr(d._, "themes", None) or []), dict(getattr(d._, "theme_scores", None) or {})) for d in docs]
