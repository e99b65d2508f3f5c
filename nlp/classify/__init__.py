"""The transformer classifier: sentence/ticker sentiment and theme probabilities, one encoder
forward per text for every head.

    from nlp.classify import load_classifier, annotate_docs, combine_theme_scores
    clf = load_classifier()                       # models/narrative-minilm, device auto
    clf(["Profit rose 20%."])                     # [{"label", "score", "probs", "theme_probs", "spans"}]
    clf(["Acme beat, Bolt missed."], [[(0, 4), (12, 16)]])   # span (ticker) sentiment in "spans"
    annotate_docs(docs, clf)                      # per spaCy Doc: sentiment, ticker_sentiment, theme_probs
    combine_theme_scores(rule_scores, theme_probs, clf.thresholds)

Imports are lazy: importing this package does not import torch or transformers.
"""

from __future__ import annotations

__all__ = ["annotate_docs", "combine_theme_scores", "load_classifier", "register_model", "registered_models"]


def __getattr__(name: str):
    if name in {"load_classifier", "register_model", "registered_models"}:
        from nlp.classify import registry

        return getattr(registry, name)
    if name == "annotate_docs":
        from nlp.classify.annotate import annotate_docs

        return annotate_docs
    if name == "combine_theme_scores":
        from nlp.classify.combine import combine_theme_scores

        return combine_theme_scores
    raise AttributeError(name)
