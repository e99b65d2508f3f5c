"""Hand-labelled theme examples (``corpora/theme_examples/*.jsonl``) and keeping evaluation text out
of training data.

A written example is a news paragraph labelled on a set of themes (``judged``; by default the eight
default themes): a theme in that set and not among the row's ``themes`` is a real negative, a theme
outside it is unknown. So a row is used only when it was judged on every loaded theme card; otherwise
a user's new theme would learn the row as a false negative. The folder's README says how the rows were
written. Rows that start like an evaluation text, or share a run of ``NGRAM_WORDS`` words with one, are
dropped: writers telling the same real events in the same words would leak the evaluation sets.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from nlp.errors import NarrativeError

log = logging.getLogger(__name__)

WRITTEN_THEMES = frozenset({  # the themes a written example was judged on unless its row says ("judged")
    "blue_collar_ai", "reshoring", "regulatory_risk", "ai_capex", "power_demand", "monetary_policy",
    "market_rotation", "capital_markets",
})
PREFIX_CHARS = 60
NGRAM_WORDS = 8


def parse_written_examples(lines: Sequence[str], source: str = "written",
                           theme_ids: Sequence[str] | None = None) -> list[tuple[str, set[str]]]:
    """Rows ``{"text", "themes": [...], "judged": [...]}`` (JSON Lines) -> ``(text, theme ids)``.

    With ``theme_ids`` given, only rows judged on all of them are kept. A theme label outside the
    row's ``judged`` set, or a row without text, is an error naming the line."""
    rows = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            text, themes = str(row["text"]).strip(), set(row.get("themes") or [])
            judged = set(row["judged"]) if "judged" in row else WRITTEN_THEMES
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise NarrativeError(f"{source} line {number}: not a JSON object with text and themes ({exc})") from exc
        if not text or themes - judged:
            raise NarrativeError(f"{source} line {number}: empty text or a theme it was not judged on {sorted(themes - judged)}")
        if theme_ids is None or set(theme_ids) <= judged:
            rows.append((text, themes))
    return rows


def load_written_examples(examples_dir: Path, theme_ids: Sequence[str]) -> list[tuple[str, set[str]]]:
    """The written examples under ``examples_dir`` judged on every theme of ``theme_ids``, less
    those that start like an evaluation text (in ``examples_dir/../eval``) or share a run of
    ``NGRAM_WORDS`` words with one."""
    if not examples_dir.is_dir():
        return []
    rows = [row for path in sorted(examples_dir.glob("*.jsonl"))
            for row in parse_written_examples(path.read_text(encoding="utf-8").splitlines(), path.name, theme_ids)]
    held = load_eval_prefixes(examples_dir.parent / "eval")
    held_grams = load_eval_ngrams(examples_dir.parent / "eval")
    keep = [(t, labs) for t, labs in rows if t[:PREFIX_CHARS] not in held and held_grams.isdisjoint(build_word_ngrams(t))]
    if not keep:
        log.info("no written theme examples judged on all of %s in %s", sorted(theme_ids), examples_dir)
    return keep


def iter_eval_rows(eval_dir: Path) -> Iterator[dict]:
    """Every row of the evaluation sets (``*.jsonl``) under ``eval_dir``."""
    for path in sorted(eval_dir.glob("*.jsonl")) if eval_dir.is_dir() else []:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


def build_row_prefixes(rows: Iterable[dict]) -> set[str]:
    """First characters of each row's text and title."""
    return {str(row.get(k) or "")[:PREFIX_CHARS] for row in rows for k in ("text", "title")} - {""}


def build_word_ngrams(text: str, n: int = NGRAM_WORDS) -> set[str]:
    """Lower-cased runs of ``n`` words: two texts sharing one tell the same story in the same words."""
    words = text.lower().split()
    return {" ".join(words[i : i + n]) for i in range(len(words) - n + 1)}


def build_row_ngrams(rows: Iterable[dict]) -> set[str]:
    """Every run of ``NGRAM_WORDS`` words of each row's title and text."""
    grams: set[str] = set()
    for row in rows:
        grams |= build_word_ngrams(f"{row.get('title') or ''} {row.get('text') or ''}")
    return grams


def load_eval_prefixes(eval_dir: Path) -> set[str]:
    """First characters of every evaluation text and title, to keep them out of training."""
    return build_row_prefixes(iter_eval_rows(eval_dir))


def load_eval_ngrams(eval_dir: Path) -> set[str]:
    """Every run of ``NGRAM_WORDS`` words of the evaluation titles and texts."""
    return build_row_ngrams(iter_eval_rows(eval_dir))
