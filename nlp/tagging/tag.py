"""Tag records (``{"id", "text", "title"?, "published"?}``) with tickers, themes and evidence.

Output record (one JSONL line of ``narrative tag``; a stable format other tools rely on)::

    {"id": <as given>,
     "tickers": [sorted symbols],
     "mentions": [{"symbol", "start", "end", "text", "method", "confidence"}],
     "themes": [theme ids, sorted],
     "theme_scores": {theme id: score in [0, 1], themes with a score above 0 only},
     "evidence": [{"label", "kind": "ticker" | "theme" | "sentiment", "start", "end", "text", "method"}],
     "sentiment": {"label", "score"},                    # only with a classifier
     "ticker_sentiment": {symbol: {"label", "score"}}}   # only with a classifier

Offsets are character offsets into ``title + "\\n\\n" + text`` when a title is given, else ``text``.
With ``html=True`` the title and text are HTML (feed summaries): their visible text is tagged, and the
output record carries it as ``"text"`` (and ``"title"``), which the offsets then index into.
Without a classifier, themes and scores are the rule scores and card thresholds; with one, they are
``nlp.classify.combine.combine_annotation_themes`` of rule scores and model probabilities.
"""

from __future__ import annotations

import json
import re
import sys
from itertools import islice
from pathlib import Path
from typing import IO, Any, Iterable, Iterator, Mapping

from nlp.errors import NarrativeError

TITLE_SEPARATOR = "\n\n"
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
DEFAULT_BATCH_SIZE = 64
SCORE_DIGITS = 4
OPTIONAL_TEXT_FIELDS = ("title", "published")


# --- input records (pure) -------------------------------------------------------------------


def parse_record(obj: Any, where: str = "record") -> dict:
    """Validate one input record: ``id`` (string or integer) and ``text`` (string) are required,
    ``title`` and ``published`` are optional strings. Other fields are kept untouched."""
    if not isinstance(obj, dict):
        raise NarrativeError(f"{where}: expected a JSON object, got {type(obj).__name__}")
    rid = obj.get("id")
    if rid is None or isinstance(rid, bool) or not isinstance(rid, (str, int)) or rid == "":
        raise NarrativeError(f"{where}: field 'id' is required (a non-empty string or an integer)")
    if not isinstance(obj.get("text"), str):
        raise NarrativeError(f"{where} (id {rid!r}): field 'text' is required and must be a string")
    for name in OPTIONAL_TEXT_FIELDS:
        if obj.get(name) is not None and not isinstance(obj[name], str):
            raise NarrativeError(f"{where} (id {rid!r}): field '{name}' must be a string or null")
    for name in ("text", "title"):
        if isinstance(obj.get(name), str):
            # Lone surrogates are valid JSON but not text; U+FFFD keeps the length, so offsets hold.
            obj[name] = _LONE_SURROGATE.sub("\ufffd", obj[name])
    return obj


def parse_jsonl_line(line: str, lineno: int) -> dict | None:
    """One JSONL line -> a validated record; None for a blank line. Errors name the line."""
    if not line.strip():
        return None
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise NarrativeError(f"line {lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    return parse_record(obj, f"line {lineno}")


def build_plain_record(record: Mapping) -> dict:
    """The record with ``title`` and ``text`` read as HTML and replaced by their visible text."""
    from nlp.scrape.text import html_to_text

    plain = dict(record, text=html_to_text(record["text"]))
    if record.get("title"):
        plain["title"] = html_to_text(record["title"])
    return plain


def build_tag_text(record: Mapping) -> str:
    """The text that offsets refer to: title, a blank line, then the text (or the text alone)."""
    title = (record.get("title") or "").strip()
    return f"{title}{TITLE_SEPARATOR}{record['text']}" if title else record["text"]


def build_published_date(record: Mapping) -> str | None:
    """The record's ``published`` as an ISO day ("2019-11-25"), or None when absent or unreadable.
    The linker reads it: an acquired company's name means its acquirer only from the deal's date."""
    from nlp.scrape.dates import parse_date_value

    moment = parse_date_value(record.get("published"))
    return moment.strftime("%Y-%m-%d") if moment is not None else None


def find_unreadable_date(record: Mapping) -> str | None:
    """The record's ``published`` when it is given but is no date we can read ("yesterday"), else None:
    the record is still tagged, as undated (acquired companies then link their current parent)."""
    value = record.get("published")
    if isinstance(value, str) and value.strip() and build_published_date(record) is None:
        return value
    return None


def build_tag_docs(nlp, records: Iterable[Mapping]) -> list:
    """Unprocessed Docs of the records' tag texts, each carrying its date for the pipeline
    (``doc._.published``), for ``nlp.pipe``."""
    from nlp.tagging.doc_tokens import set_doc_value

    docs = []
    for record in records:
        doc = nlp.make_doc(build_tag_text(record))
        published = build_published_date(record)
        if published:
            set_doc_value(doc, "published", published)  # doc._.published, set before the pipe
        docs.append(doc)
    return docs


# --- output records (pure, from a processed Doc) -------------------------------------------------


def build_ticker_evidence(mentions: Iterable) -> list[dict]:
    return [
        {"label": m.symbol, "kind": "ticker", "start": m.start, "end": m.end, "text": m.text, "method": m.method}
        for m in mentions
    ]


def build_tag_output(
    record: Mapping,
    mentions: list,
    theme_hits: Mapping[str, list],
    rule_scores: Mapping[str, float],
    thresholds: Mapping[str, float],
    model: Mapping | None = None,
) -> dict:
    """Assemble the output record from a doc's mentions, theme hits and rule scores (and model output)."""
    from nlp.tagging.themes import compute_assigned_themes

    if model is None:
        themes = sorted(compute_assigned_themes(rule_scores, thresholds))
        scores = dict(rule_scores)
    else:
        themes, scores = _combine(rule_scores, model, thresholds)
    evidence = build_ticker_evidence(mentions)
    evidence += [hit.to_evidence() for theme in themes for hit in theme_hits.get(theme, [])]
    if model is not None:
        evidence += model.get("sentiment_evidence") or []
    out = {
        "id": record["id"],
        "tickers": sorted({m.symbol for m in mentions}),
        "mentions": [m.to_dict() for m in mentions],
        "themes": themes,
        "theme_scores": {t: round(s, SCORE_DIGITS) for t, s in sorted(scores.items()) if s > 0},
        "evidence": sorted(evidence, key=lambda e: (e["start"], e["end"], e["kind"], e["label"])),
    }
    if model is not None:
        out["sentiment"] = model["sentiment"]
        out["ticker_sentiment"] = model["ticker_sentiment"]
    return out


def _combine(rule_scores: Mapping[str, float], model: Mapping, thresholds: Mapping[str, float]):
    from nlp.classify.combine import combine_annotation_themes

    themes, scores = combine_annotation_themes(rule_scores, model, thresholds)
    return sorted(themes), scores


def build_doc_output(doc, record: Mapping, thresholds: Mapping[str, float], model: Mapping | None = None) -> dict:
    mentions = list(getattr(doc._, "mentions", None) or []) if doc.has_extension("mentions") else []
    return build_tag_output(
        record, mentions, doc._.theme_evidence or {}, doc._.theme_scores or {}, thresholds, model
    )


# --- tagging ----------------------------------------------------------------------------------


def _rule_thresholds(nlp) -> dict[str, float]:
    from nlp.tagging.themes import find_theme_rules

    rules = find_theme_rules(nlp)
    if rules is None:
        raise NarrativeError("the pipeline has no narrative_theme_rules_v1 component")
    return dict(rules.thresholds)


def _model_thresholds(classifier) -> dict[str, float]:
    """Model-calibrated thresholds for the themes the model knows (what the combiner expects)."""
    return dict(getattr(classifier, "thresholds", None) or {})


def tag_records(nlp, records: Iterable[Mapping], classifier=None, batch_size: int = DEFAULT_BATCH_SIZE,
                html: bool = False) -> Iterator[dict]:
    """Tag records lazily in batches through ``nlp.pipe`` (and the classifier when given).

    Each record is validated with ``parse_record``; a bad one raises NarrativeError naming its position.
    ``html``: title and text are HTML; the visible text is tagged and returned in each output record.
    """
    thresholds = _rule_thresholds(nlp)
    combine_thresholds = _model_thresholds(classifier) if classifier is not None else thresholds
    iterator = (parse_record(r, f"record {i}") for i, r in enumerate(records, start=1))
    if html:
        iterator = map(build_plain_record, iterator)
    while batch := list(islice(iterator, batch_size)):
        docs = list(nlp.pipe(build_tag_docs(nlp, batch), batch_size=batch_size))
        models: list = [None] * len(docs)
        if classifier is not None:
            from nlp.classify.annotate import annotate_docs

            models = annotate_docs(docs, classifier)
        for record, doc, model in zip(batch, docs, models):
            out = build_doc_output(doc, record, thresholds if model is None else combine_thresholds, model)
            if html:  # the offsets index into the converted text: give it back
                out.update({k: record[k] for k in ("title", "text") if record.get(k)})
            yield out


def tag_record(nlp, record: Mapping, classifier=None) -> dict:
    """Tag one record (validated first); see the module docstring for the output format."""
    return next(tag_records(nlp, [record], classifier, batch_size=1))


# --- I/O --------------------------------------------------------------------------------------


def iter_jsonl(source: str | Path | IO[str] | None) -> Iterator[tuple[int, str]]:
    """(line number, line) from a path, an open text stream, or stdin for None / "-"."""
    if source is None or str(source) == "-":
        yield from enumerate(sys.stdin, start=1)
        return
    if hasattr(source, "read"):
        yield from enumerate(source, start=1)  # type: ignore[arg-type]
        return
    path = Path(source)
    if not path.is_file():
        raise NarrativeError(f"input file not found: {path}")
    with open(path, encoding="utf-8", errors="replace") as fh:
        yield from enumerate(fh, start=1)
