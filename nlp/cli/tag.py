"""`narrative tag`: JSONL records in, tagged JSONL records out (stdin/stdout by default)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

from nlp.cli.app import command
from nlp.errors import NarrativeError


@command("tag")
def tag(
    input: Optional[str] = typer.Argument(None, help="Input JSONL ({id, text, title?, published?} per line); '-' or nothing reads stdin."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output JSONL file (default: stdout)."),
    strict: bool = typer.Option(False, "--strict", help="Stop at the first bad line (exit 2) instead of skipping it."),
    themes_dir: Optional[Path] = typer.Option(None, "--themes-dir", help="Folder of theme cards (default: corpora/themes)."),
    no_model: bool = typer.Option(False, "--no-model", help="Rules only: do not load the sentiment/theme classifier."),
    model: Optional[str] = typer.Option(None, "--model", help="Classifier name or model directory (default: the bundled one when trained)."),
    batch_size: int = typer.Option(64, "--batch-size", min=1, help="Records per batch."),
    html: bool = typer.Option(False, "--html", help="Title and text are HTML (feed summaries): tag their visible "
                              "text, which each output line then carries as 'text' (and 'title') for the offsets."),
) -> None:
    """Tag JSONL records with tickers, themes, evidence (and sentiment when a classifier is available).

    A bad line is reported on stderr with its line number and skipped, and the exit status is then 1
    (the good lines are all written); --strict stops there with exit 2.
    """
    from nlp.tagging.pipeline import build_pipeline
    from nlp.tagging.tag import find_unreadable_date, iter_jsonl, parse_jsonl_line, tag_records

    nlp = build_pipeline(themes_dir=themes_dir)
    classifier = None if no_model else _load_classifier(model)
    state = {"bad": 0, "stopped": None, "undated": 0}

    def records():
        for lineno, line in iter_jsonl(input):
            try:
                record = parse_jsonl_line(line, lineno)
            except NarrativeError as exc:
                if strict:
                    state["stopped"] = exc
                    return
                state["bad"] += 1
                typer.echo(f"Error: {exc}", err=True)
                continue
            if record is None:
                continue
            unreadable = find_unreadable_date(record)
            if unreadable is not None:
                state["undated"] += 1
                typer.echo(f"Warning: line {lineno} (id {record['id']!r}): 'published' is no date we can read "
                           f"({unreadable!r}); tagged as undated", err=True)
            yield record

    n = _write_jsonl(tag_records(nlp, records(), classifier, batch_size=batch_size, html=html), output)
    skipped = f", {state['bad']} bad line(s) skipped" if state["bad"] else ""
    undated = f", {state['undated']} with an unreadable date" if state["undated"] else ""
    typer.echo(f"tagged {n} record(s){skipped}{undated}{' (rules only)' if classifier is None else ''}", err=True)
    if state["stopped"] is not None:
        raise NarrativeError(f"{state['stopped']} (--strict: stopped there)")
    if state["bad"]:
        raise typer.Exit(1)  # like `scrape` with a failed feed: the rest is done, the caller must still notice


def _write_jsonl(rows, output: Optional[Path]) -> int:
    if output is not None and not output.parent.exists():
        raise NarrativeError(f"output folder does not exist: {output.parent}")
    fh = open(output, "w", encoding="utf-8") if output else sys.stdout
    n = 0
    try:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    finally:
        if output:
            fh.close()
        else:
            fh.flush()
    return n


def _load_classifier(name: Optional[str]):
    """The classifier when one is trained; without --model a missing one means rules only."""
    try:
        from nlp.classify.registry import load_classifier
    except ImportError as exc:
        if name:
            raise NarrativeError(f"the classifier cannot be loaded ({exc})") from exc
        return None
    try:
        return load_classifier(name)
    except NarrativeError:
        if name:
            raise
        typer.echo("note: no trained classifier found; tagging with rules only (--no-model silences this)", err=True)
        return None
