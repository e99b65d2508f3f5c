"""Label Studio tasks with pre-annotations, and reading corrected labels back (pure functions)."""

from __future__ import annotations

import json
from typing import Any, Iterable
from xml.sax.saxutils import quoteattr

SENTIMENTS = ("negative", "neutral", "positive")


def build_task(record: dict[str, Any]) -> dict[str, Any]:
    """A task whose `predictions` carry the extractor's labels: ticker spans, themes, sentiment."""
    result: list[dict[str, Any]] = [
        {
            "id": f"m{i}", "from_name": "ticker", "to_name": "text", "type": "labels",
            "value": {"start": m["start"], "end": m["end"], "text": m["text"], "labels": [m["symbol"]]},
            "score": m["confidence"],
        }
        for i, m in enumerate(record["mentions"])
    ]
    result.append(_choices("themes", record["themes"]))
    if record.get("sentiment"):
        result.append(_choices("sentiment", [record["sentiment"]["label"]]))
    data = {"text": record["text"], "article_id": record["id"], "url": record["url"], "published": record["published"]}
    version = (record.get("provenance") or {}).get("pipeline_version") or "narrative"
    return {"data": data, "predictions": [{"model_version": version, "result": result}]}


def _choices(name: str, choices: list[str]) -> dict[str, Any]:
    return {"id": name, "from_name": name, "to_name": "text", "type": "choices", "value": {"choices": choices}}


def build_labeling_config(symbols: Iterable[str], themes: Iterable[str]) -> str:
    """The Label Studio labeling config (XML) that matches the tasks' from_name/to_name pairs."""
    labels = "".join(f"<Label value={quoteattr(s)}/>" for s in sorted(set(symbols)))
    theme_choices = "".join(f"<Choice value={quoteattr(t)}/>" for t in sorted(set(themes)))
    sentiments = "".join(f"<Choice value={quoteattr(s)}/>" for s in SENTIMENTS)
    return (
        '<View>\n  <Text name="text" value="$text"/>\n'
        f'  <Labels name="ticker" toName="text">{labels}</Labels>\n'
        f'  <Choices name="themes" toName="text" choice="multiple">{theme_choices}</Choices>\n'
        f'  <Choices name="sentiment" toName="text" choice="single">{sentiments}</Choices>\n</View>\n'
    )


def parse_labelstudio_export(payload: Any) -> list[dict[str, Any]]:
    """A Label Studio JSON export (list of tasks) -> human label dicts {article_id, kind, value, annotator}.

    The newest annotation that was not cancelled wins; a task without one is skipped.
    """
    if not isinstance(payload, list):
        raise ValueError("a Label Studio export is a JSON list of tasks")
    labels: list[dict[str, Any]] = []
    for n, task in enumerate(payload, start=1):
        if not isinstance(task, dict) or "data" not in task:
            raise ValueError(f"task {n}: not a Label Studio task (no 'data')")
        article_id = task["data"].get("article_id")
        if not article_id:
            raise ValueError(f"task {n}: data.article_id is missing")
        annotation = _latest_annotation(task.get("annotations") or [])
        if annotation is not None:
            labels += _labels_from_result(article_id, annotation)
    return labels


def _latest_annotation(annotations: list[dict]) -> dict | None:
    usable = [a for a in annotations if not a.get("was_cancelled")]
    return max(usable, key=lambda a: (a.get("updated_at") or a.get("created_at") or "", a.get("id") or 0),
               default=None)


def _labels_from_result(article_id: str, annotation: dict) -> list[dict[str, Any]]:
    tickers: set[str] = set()
    found: dict[str, Any] = {}
    for item in annotation.get("result") or []:
        value = item.get("value") or {}
        if item.get("type") == "labels" and item.get("from_name") == "ticker":
            tickers.update(value.get("labels") or [])
        elif item.get("type") == "choices" and item.get("from_name") in ("themes", "sentiment"):
            found[item["from_name"]] = list(value.get("choices") or [])
    annotator = str(annotation.get("completed_by") or "")
    out = [{"article_id": article_id, "kind": "tickers", "value": sorted(tickers), "annotator": annotator}]
    if "themes" in found:
        out.append({"article_id": article_id, "kind": "themes", "value": sorted(found["themes"]),
                    "annotator": annotator})
    if found.get("sentiment"):
        out.append({"article_id": article_id, "kind": "sentiment", "value": found["sentiment"][0],
                    "annotator": annotator})
    return out


def parse_label_jsonl_line(line: str, lineno: int) -> list[dict[str, Any]]:
    """One JSONL line in the `narrative tag` format -> human label dicts; a bad line names itself."""
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"line {lineno}: not valid JSON ({exc.msg})") from exc
    if not isinstance(obj, dict) or not isinstance(obj.get("id"), str):
        raise ValueError(f"line {lineno}: needs a string 'id'")
    out = []
    for kind in ("tickers", "themes"):
        if kind in obj:
            if not isinstance(obj[kind], list) or not all(isinstance(v, str) for v in obj[kind]):
                raise ValueError(f"line {lineno}: '{kind}' must be a list of strings")
            out.append({"article_id": obj["id"], "kind": kind, "value": sorted(set(obj[kind]))})
    if "sentiment" in obj:
        out.append({"article_id": obj["id"], "kind": "sentiment", "value": _sentiment_label(obj["sentiment"], lineno)})
    if "ticker_sentiment" in obj:
        value = {s: _sentiment_label(v, lineno) for s, v in dict(obj["ticker_sentiment"]).items()}
        out.append({"article_id": obj["id"], "kind": "ticker_sentiment", "value": value})
    if not out:
        raise ValueError(f"line {lineno}: no labels (tickers, themes, sentiment or ticker_sentiment)")
    return out


def _sentiment_label(value: Any, lineno: int) -> str:
    label = value.get("label") if isinstance(value, dict) else value
    if label not in SENTIMENTS:
        raise ValueError(f"line {lineno}: sentiment must be one of {', '.join(SENTIMENTS)}, not {label!r}")
    return label
