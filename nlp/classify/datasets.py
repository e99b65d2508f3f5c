"""Shared labelled data for training and evaluating the classifier.

Licences decide use: Twitter financial news (MIT), SEntFiN (MIT) and the business-news sentences
written for this project (``corpora/sentiment/written_news.jsonl``, MIT like the repository) may
train shipped models; Financial PhraseBank (CC BY-NC-SA) is loaded for evaluation only.
``load_*`` functions read files; ``parse_*``/``build_*`` functions are pure.
"""

from __future__ import annotations

import ast
import csv
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from nlp.errors import NarrativeError

TWITTER_LABELS = {0: "negative", 1: "positive", 2: "neutral"}  # Bearish, Bullish, Neutral
SENTIMENT_LABELS = ("negative", "neutral", "positive")
WRITTEN_SENTIMENT_PATH = Path("sentiment") / "written_news.jsonl"  # under corpora/
SENTFIN_TEST_PERCENT = 15  # title-hash share held out from training for the entity-level test
_DECISION_RE = re.compile(r"""["'](.+?)["']\s*:\s*["'](positive|neutral|negative)["']""")
_CASHTAG_RE = re.compile(r"\$[A-Z][A-Z.]{0,5}\b")


@dataclass
class Example:
    """A text with an optional document label, labelled character spans (entities) and, for the
    theme stage, its theme ids (None: no theme label; an empty tuple: a negative for every theme)."""

    text: str
    label: str | None
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    source: str = ""
    themes: tuple[str, ...] | None = None


def parse_twitter_csv(raw: str) -> list[Example]:
    """Rows ``text,label`` with 0 Bearish / 1 Bullish / 2 Neutral. Single-cashtag tweets also
    label their cashtag span with the tweet's label (weak entity supervision)."""
    examples = []
    for row in csv.DictReader(io.StringIO(raw)):
        text, label = row["text"], TWITTER_LABELS[int(row["label"])]
        tags = list(_CASHTAG_RE.finditer(text))
        spans = [(tags[0].start(), tags[0].end(), label)] if len(tags) == 1 else []
        examples.append(Example(text, label, spans, "twitter"))
    return examples


def parse_sentfin_decisions(cell: str) -> dict[str, str]:
    """The ``Decisions`` column: a Python dict literal, with a regex fallback for bad quoting."""
    try:
        value = ast.literal_eval(cell)
        if isinstance(value, dict):
            return {str(k): str(v) for k, v in value.items()}
    except (ValueError, SyntaxError):
        pass
    return dict(_DECISION_RE.findall(cell))


def find_span(text: str, entity: str) -> tuple[int, int] | None:
    """First case-insensitive occurrence of ``entity`` in ``text``."""
    at = text.lower().find(entity.lower())
    return (at, at + len(entity)) if at >= 0 and entity else None


def build_sentfin_example(title: str, decisions: dict[str, str]) -> Example:
    """Document label only when every entity agrees; entity spans carry their own labels."""
    labels = set(decisions.values())
    doc_label = labels.pop() if len(labels) == 1 else None
    spans = []
    for entity, label in decisions.items():
        found = find_span(title, entity)
        if found:
            spans.append((found[0], found[1], label))
    return Example(title, doc_label, spans, "sentfin")


def parse_sentfin_csv(raw: str) -> list[tuple[Example, dict[str, str]]]:
    """Each headline as (example, entity -> label), in file order."""
    rows = []
    for row in csv.DictReader(io.StringIO(raw)):
        decisions = parse_sentfin_decisions(row["Decisions"])
        if decisions:
            rows.append((build_sentfin_example(row["Title"], decisions), decisions))
    return rows


def is_sentfin_test_title(title: str) -> bool:
    """Title-level split: the same headline always lands on the same side."""
    digest = hashlib.sha1(title.strip().lower().encode("utf-8")).hexdigest()
    return int(digest[:8], 16) % 100 < SENTFIN_TEST_PERCENT


def parse_phrasebank(raw: str) -> list[Example]:
    """``sentence@label`` lines (evaluation only: CC BY-NC-SA)."""
    examples = []
    for line in raw.splitlines():
        sentence, sep, label = line.rpartition("@")
        if sep and label.strip() in {"positive", "neutral", "negative"}:
            examples.append(Example(sentence.strip(), label.strip(), [], "fpb"))
    return examples


def parse_written_sentiment(raw: str, source: str = "written") -> list[Example]:
    """JSONL lines ``{"text", "label", "target"?, "target_label"?}``; a target becomes a labelled
    span at its first verbatim (case-sensitive) occurrence. Blank lines are skipped; any other
    malformed line raises NarrativeError naming the line, since this file is curated data."""
    examples = []
    for n, line in enumerate(raw.splitlines(), 1):
        if line.strip():
            examples.append(build_written_example(_parse_json_line(line, n, source), n, source))
    return examples


def _parse_json_line(line: str, n: int, source: str) -> dict:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise NarrativeError(f"{source}: line {n} is not valid JSON ({exc.msg})") from exc
    if not isinstance(row, dict):
        raise NarrativeError(f"{source}: line {n} is not a JSON object")
    return row


def build_written_example(row: dict, n: int = 0, source: str = "written") -> Example:
    """One checked row -> Example; ``n`` only names the line in errors."""
    text, label = row.get("text"), row.get("label")
    if not isinstance(text, str) or not text.strip():
        raise NarrativeError(f"{source}: line {n} needs a non-empty text")
    if label not in SENTIMENT_LABELS:
        raise NarrativeError(f"{source}: line {n} has label {label!r}; use negative, neutral or positive")
    target, target_label = row.get("target"), row.get("target_label")
    if target is None and target_label is None:
        return Example(text, label, [], source)
    if not isinstance(target, str) or not target or target_label not in SENTIMENT_LABELS:
        raise NarrativeError(f"{source}: line {n} needs both target and a target_label negative/neutral/positive")
    start = text.find(target)
    if start < 0:
        raise NarrativeError(f"{source}: line {n}: target {target!r} does not occur verbatim in the text")
    return Example(text, label, [(start, start + len(target), target_label)], source)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def load_twitter_sentiment(data_dir: Path, split: str = "train") -> list[Example]:
    return parse_twitter_csv(_read_text(data_dir / "twitter_financial_news_sentiment" / f"sent_{split}.csv"))


def load_sentfin(data_dir: Path, split: str = "train") -> list[tuple[Example, dict[str, str]]]:
    """``split`` is train, test (title-hash held out) or all."""
    rows = parse_sentfin_csv(_read_text(data_dir / "sentfin_1.0" / "SEntFiN.csv"))
    if split == "all":
        return rows
    want_test = split == "test"
    return [r for r in rows if is_sentfin_test_title(r[0].text) == want_test]


def load_phrasebank(data_dir: Path, agree: str = "AllAgree") -> list[Example]:
    return parse_phrasebank(_read_text(data_dir / "financial_phrasebank" / f"Sentences_{agree}.txt"))


def load_written_sentiment(corpora_dir: Path) -> list[Example]:
    """The business-news sentences written for this project (see corpora/sentiment/README.md)."""
    path = corpora_dir / WRITTEN_SENTIMENT_PATH
    if not path.is_file():
        raise NarrativeError(f"no written sentiment set at {path}")
    return parse_written_sentiment(path.read_text(encoding="utf-8"))


SENTIMENT_SOURCES = ("twitter", "sentfin", "written")


def load_sentiment_training_set(data_dir: Path, corpora_dir: Path | None = None,
                                sources: tuple[str, ...] = SENTIMENT_SOURCES) -> list[Example]:
    """The permissively licensed training mix: Twitter train + SEntFiN train titles (from the
    shared ``data_dir``) + the written business-news sentences (from ``corpora_dir``, default
    the repository's corpora/); ``sources`` picks a subset."""
    from nlp.settings import CORPORA_DIR

    unknown = set(sources) - set(SENTIMENT_SOURCES)
    if unknown:
        raise NarrativeError(f"unknown sentiment source(s) {sorted(unknown)}: use {', '.join(SENTIMENT_SOURCES)}")
    examples = []
    if "twitter" in sources:
        examples += load_twitter_sentiment(data_dir, "train")
    if "sentfin" in sources:
        examples += [ex for ex, _ in load_sentfin(data_dir, "train")]
    if "written" in sources:
        examples += load_written_sentiment(corpora_dir or CORPORA_DIR)
    return examples


def build_replay_mix(new: list[Example], old: list[Example], replay: int, seed: int) -> list[Example]:
    """``new`` plus a seeded sample of ``replay`` examples from ``old``: continued training on new
    data that keeps rehearsing what the model learnt first, so it does not forget it."""
    import random

    return new + random.Random(seed).sample(old, min(replay, len(old)))
