"""Hand-labelled news paragraphs as classifier training data: the evaluation sets named in
``corpora/eval/splits.yaml`` under ``model_training``.

Every set in ``corpora/eval/`` was written for this project (MIT) and labels the whole paragraph on
all eight default themes, its document sentiment and the sentiment of each company it names. Those
are the labels the classifier is asked for, on the text it is used on; the public sentiment data it
was first trained on are tweets and headlines. So the sets listed under ``model_training`` also train
the default model (document head, span head and theme head together). The other sets stay out of
training: they are what the model is measured on, and a training row that starts like one of them,
or shares a run of words with one, is dropped (``theme_examples.NGRAM_WORDS``).

A row's text is ``title + "\\n\\n" + text``, as the evaluation reads it. The span labels of a row are
its ``ticker_sentiment`` placed on the mentions the tagging pipeline finds for each symbol (a symbol
with no mention found trains no span). ``parse_``/``build_`` functions are pure; ``load_`` reads files
and runs the tagging pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from nlp.classify.datasets import SENTIMENT_LABELS, Example
from nlp.classify.theme_examples import build_row_ngrams, build_row_prefixes
from nlp.errors import NarrativeError

SPLITS_FILE = "splits.yaml"
SOURCE = "paragraph"


def parse_training_sets(data: object, source: str = SPLITS_FILE) -> list[str]:
    """The set names under ``model_training`` in the splits file's data (a YAML mapping)."""
    names = data.get("model_training") if isinstance(data, dict) else None
    if not isinstance(names, list) or not all(isinstance(n, str) and n for n in names):
        raise NarrativeError(f"{source}: needs a list of set names under model_training")
    return names


def build_full_text(row: Mapping) -> str:
    """The text a row is read as: its title, a blank line, its paragraph."""
    return f"{row['title']}\n\n{row['text']}" if row.get("title") else str(row["text"])


def build_paragraph_example(row: Mapping, mentions: Iterable[tuple[str, int, int]]) -> Example:
    """One row -> an Example with document label, span labels and theme ids. ``mentions`` are
    (symbol, start, end) in the full text; a mention of a symbol without a ticker label is skipped."""
    label = _label(row.get("sentiment"))
    tones = {symbol: _label(value) for symbol, value in (row.get("ticker_sentiment") or {}).items()}
    spans = sorted((start, end, tones[symbol]) for symbol, start, end in mentions if tones.get(symbol))
    return Example(build_full_text(row), label, spans, SOURCE, tuple(sorted(row.get("themes") or ())))


def build_heldout_filter(held_rows: Iterable[Mapping]):
    """keep(row) -> False for a row that starts like a held-out row or shares a run of words with one."""
    held_rows = list(held_rows)
    prefixes, grams = build_row_prefixes(held_rows), build_row_ngrams(held_rows)

    def keep(row: Mapping) -> bool:
        return prefixes.isdisjoint(build_row_prefixes([row])) and grams.isdisjoint(build_row_ngrams([row]))

    return keep


def _label(value) -> str | None:
    label = value.get("label") if isinstance(value, dict) else value
    return label if label in SENTIMENT_LABELS else None


# ---------------------------------------------------------------- I/O shell


def load_training_set_names(eval_dir: Path) -> list[str]:
    """The sets that train the model (empty when the splits file is absent)."""
    import yaml

    path = eval_dir / SPLITS_FILE
    if not path.is_file():
        return []
    names = parse_training_sets(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    missing = [n for n in names if not (eval_dir / f"{n}.jsonl").is_file()]
    if missing:
        raise NarrativeError(f"{path}: no such evaluation set {', '.join(missing)}")
    return names


def load_set_rows(eval_dir: Path, names: Sequence[str]) -> list[dict]:
    rows = []
    for name in names:
        lines = (eval_dir / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
        rows += [json.loads(line) for line in lines if line.strip()]
    return rows


def load_paragraph_examples(eval_dir: Path, nlp=None) -> list[Example]:
    """The training sets' rows as Examples, less those close to a held-out set's row. ``nlp``: the
    tagging pipeline that places the ticker labels (built here when not given)."""
    names = load_training_set_names(eval_dir)
    if not names:
        return []
    held = [p.stem for p in sorted(eval_dir.glob("*.jsonl")) if p.stem not in names]
    keep = build_heldout_filter(load_set_rows(eval_dir, held))
    rows = [row for row in load_set_rows(eval_dir, names) if keep(row)]
    if nlp is None:
        from nlp.tagging.pipeline import build_pipeline

        nlp = build_pipeline()
    docs = nlp.pipe([build_full_text(r) for r in rows], batch_size=256)
    return [build_paragraph_example(r, [(m.symbol, m.start, m.end) for m in (d._.mentions or [])])
            for r, d in zip(rows, docs)]
