"""`narrative export` and `narrative import-labels`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import List, Optional

import typer

from nlp.cli.app import command, open_cli_db
from nlp.errors import NarrativeError


def _check_since(since: Optional[str]) -> Optional[str]:
    if since is None:
        return None
    try:
        return date.fromisoformat(since[:10]).isoformat() + since[10:]
    except ValueError:
        raise NarrativeError(f"--since takes a date like 2025-10-01, not {since!r}") from None


@command("export")
def export_command(
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Output file or folder (- or none: stdout)."),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl, csv, parquet, hf, spacy or labelstudio."),
    theme: List[str] = typer.Option([], "--theme", help="Only articles with this theme (repeatable)."),
    ticker: List[str] = typer.Option([], "--ticker", help="Only articles that mention this ticker (repeatable)."),
    since: Optional[str] = typer.Option(None, "--since", help="Only articles published on or after this date."),
    min_confidence: float = typer.Option(0.0, "--min-confidence", help="Drop mentions and themes scored below this."),
    run: Optional[int] = typer.Option(None, "--run", help="Only articles labelled by this extraction run."),
    split: Optional[str] = typer.Option(None, "--split", help="Fractions like 0.8,0.1,0.1, grouped by story."),
    seed: int = typer.Option(0, "--seed", help="Seed of the split assignment."),
    uncertain: Optional[int] = typer.Option(None, "--uncertain", help="Only the N articles the model is least sure of."),
) -> None:
    """Export articles with their labels and provenance."""
    from nlp.export import ExportFilter, ExportOptions, export

    _check_themes(theme)
    flt = ExportFilter(themes=tuple(theme), tickers=tuple(t.upper() for t in ticker), since=_check_since(since),
                       run_id=run)
    options = ExportOptions(min_confidence=min_confidence, split=split, seed=seed, uncertain=uncertain)
    n = export(open_cli_db(must_exist=True), output, fmt, flt, options)
    typer.echo(f"exported {n} articles as {fmt}" + (f" to {output}" if output else ""), err=True)


def _check_themes(themes: List[str]) -> None:
    from nlp.export.writers import load_theme_ids

    known = load_theme_ids()
    unknown = [t for t in themes if t not in known]
    if unknown:
        raise NarrativeError(f"unknown theme {unknown[0]!r}; known themes: {', '.join(known)}")


@command("import-labels")
def import_labels_command(
    path: Path = typer.Argument(..., help="A Label Studio JSON export, or JSONL lines in the `tag` format."),
) -> None:
    """Store human labels; they win over extraction in every later export."""
    from nlp.export import import_labels

    n = import_labels(open_cli_db(must_exist=True), path)
    typer.echo(f"stored {n} human labels from {path}", err=True)
