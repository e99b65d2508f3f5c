"""The tag function an extraction run calls: the tagging pipeline and the classifier, through the
same building blocks as `narrative tag` (so both give identical labels), keeping the spaCy Docs
long enough to read the sentence offsets that relevance needs."""

from __future__ import annotations

from typing import Callable


def build_tag_function(classifier=None, batch_size: int = 256) -> Callable[[list[dict]], list[dict]]:
    """``tag([{"id", "text", "published"?}]) -> [record]``: tagging records plus ``_sentence_starts``,
    ``_rule_scores`` and ``_model_probs`` for the extraction tables."""
    from nlp.tagging import tag as tagging
    from nlp.tagging.pipeline import build_pipeline
    from nlp.tagging.themes import find_theme_rules

    nlp = build_pipeline()
    # The thresholds tag_records uses: the cards' for rules alone, the model's calibrated ones with it.
    rule_thresholds = dict(find_theme_rules(nlp).thresholds)
    thresholds = dict(getattr(classifier, "thresholds", None) or {}) if classifier is not None else rule_thresholds

    def tag(items: list[dict]) -> list[dict]:
        docs = list(nlp.pipe(tagging.build_tag_docs(nlp, items), batch_size=batch_size))
        models: list = [None] * len(docs)
        if classifier is not None:
            from nlp.classify.annotate import annotate_docs

            models = annotate_docs(docs, classifier)
        out = []
        for item, doc, model in zip(items, docs, models):
            record = tagging.build_doc_output(doc, item, rule_thresholds if model is None else thresholds, model)
            record["_sentence_starts"] = [sent.start_char for sent in doc.sents] or [0]
            record["_rule_scores"] = dict(doc._.theme_scores or {})
            record["_model_probs"] = dict(model.get("theme_probs") or {}) if model else {}
            if model and model.get("sentiment_probs"):
                record["_probs"] = model["sentiment_probs"]
            out.append(record)
        return out

    return tag

