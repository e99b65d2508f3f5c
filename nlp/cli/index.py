"""`narrative timeline THEME` and `narrative reindex`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from nlp.cli.app import command, open_cli_db
from nlp.errors import NarrativeError

FORMATS = ("table", "csv", "json", "png")


@command("timeline")
def timeline_command(
    theme: str = typer.Argument(..., help="Theme id, e.g. blue_collar_ai."),
    freq: str = typer.Option("D", "--freq", help="D (trading session), W (week) or M (month)."),
    ticker: Optional[str] = typer.Option(None, "--ticker", help="Only this ticker's articles on the theme."),
    start: Optional[str] = typer.Option(None, "--from", help="First session, YYYY-MM-DD."),
    end: Optional[str] = typer.Option(None, "--to", help="Last session, YYYY-MM-DD."),
    fmt: str = typer.Option("table", "--format", "-f", help="table, csv, json or png."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write to this file (png: default timeline_THEME.png)."),
) -> None:
    """A theme over time: articles, share of all articles, tone, sources, normalised index, z-score."""
    from nlp.index.timeline import load_timeline

    fmt = fmt.lower()
    if fmt not in FORMATS:
        raise NarrativeError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")
    if output is not None and not output.resolve().parent.is_dir():
        raise NarrativeError(f"cannot write {output}: folder {output.parent} does not exist")
    index = load_timeline(open_cli_db(must_exist=True), theme, freq, ticker, start, end)
    if index.empty or index["n_articles"].sum() == 0:
        typer.echo(f"no extracted articles for {theme}" + (f" and {ticker.upper()}" if ticker else "") + " in that range", err=True)
        return
    label = f"{theme}" + (f" / {ticker.upper()}" if ticker else "") + f" ({freq.upper()})"
    if fmt == "png":
        _write_png(index, output or Path(f"timeline_{theme}.png"), label)
    elif fmt == "table" and output is None:
        _print_table(index, label)
    else:
        _write_text(_render(index, fmt), output)


def _render(index, fmt: str) -> str:
    from nlp.index.timeline import build_timeline_csv, build_timeline_records

    if fmt == "json":
        return json.dumps(build_timeline_records(index), indent=1) + "\n"
    if fmt == "csv":
        return build_timeline_csv(index)
    return _table_text(index)


def _write_text(text: str, output: Optional[Path]) -> None:
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise NarrativeError(f"cannot write {output}: {exc.strerror or exc}") from exc
    typer.echo(f"wrote {output}", err=True)


def _write_png(index, output: Path, label: str) -> None:
    from nlp.report.png import save_timeline_png

    path = save_timeline_png(index, output, f"narrative timeline: {label}")
    typer.echo(f"wrote {path}", err=True)


TABLE_COLUMNS = (
    ("period", "period"), ("n_articles", "articles"), ("total_articles", "of all"), ("share", "share"),
    ("mean_sentiment", "sentiment"), ("net_tone", "net tone"), ("n_sources", "sources"), ("index", "index"),
    ("attention_z", "z"),
)


def _cells(row: dict) -> list[str]:
    def show(key, value):
        if value is None or (isinstance(value, float) and value != value):
            return "-"
        if key == "period":
            return value.strftime("%Y-%m-%d")
        if key == "share":
            return f"{100 * value:.1f}%"
        if key in {"mean_sentiment", "net_tone", "attention_z"}:
            return f"{value:+.2f}"
        if key == "index":
            return f"{value:.0f}"
        return str(int(value))

    return [show(key, row[key]) for key, _ in TABLE_COLUMNS]


def _print_table(index, label: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"timeline {label}", show_lines=False)
    for key, title in TABLE_COLUMNS:
        table.add_column(title, justify="left" if key == "period" else "right", no_wrap=True)
    for row in index.to_dict("records"):
        table.add_row(*_cells(row))
    console = Console()
    Console(width=max(console.width, 110)).print(table)


def _table_text(index) -> str:
    header = "\t".join(title for _, title in TABLE_COLUMNS)
    return "\n".join([header, *("\t".join(_cells(row)) for row in index.to_dict("records"))]) + "\n"


@command("reindex")
def reindex_command() -> None:
    """Recompute the theme aggregates from the extraction tables (after an upgrade or a bulk import)."""
    from nlp.store.index import rebuild_theme_aggregates

    n = rebuild_theme_aggregates(open_cli_db(must_exist=True))
    typer.echo(f"recomputed theme aggregates from {n} extracted articles", err=True)
