"""`narrative feeds`, `narrative articles`, `narrative search`: look at what was scraped."""

from __future__ import annotations

from typing import Any, Optional, Sequence

import typer

from nlp.cli.app import command, open_cli_db


@command("feeds")
def feeds_command() -> None:
    """List feeds with their last status and article counts."""
    from nlp.scrape import feeds

    rows = feeds(open_cli_db(must_exist=True))
    _show(rows, ("url", "title", "last_status", "last_fetched_utc", "articles", "last_error"), "feeds")


@command("articles")
def articles_command(
    limit: int = typer.Option(20, "--limit", metavar="N", min=1, help="How many articles."),
    feed: Optional[str] = typer.Option(None, "--feed", metavar="URL", help="Only this feed (URL or path, as scraped)."),
) -> None:
    """Show the most recent articles (newest first)."""
    from nlp.scrape import articles

    rows = articles(open_cli_db(must_exist=True), limit=limit, feed=feed)
    _show(rows, ("published_utc", "title", "url", "date_flags"), "articles")


@command("search")
def search_command(
    query: str = typer.Argument(..., help="Words to find in title, summary or text (all must match)."),
    limit: int = typer.Option(20, "--limit", metavar="N", min=1, help="How many results."),
) -> None:
    """Full-text search over the stored articles, best match first."""
    from nlp.scrape import search

    rows = search(query, open_cli_db(must_exist=True), limit=limit)
    _show(rows, ("published_utc", "title", "snippet", "url"), "matches")


def _show(rows: list[dict[str, Any]], columns: Sequence[str], noun: str) -> None:
    """A rich table on a terminal; tab-separated lines with a header when piped."""
    from rich.console import Console

    console = Console()
    if not console.is_terminal:
        typer.echo("\t".join(columns))
        for row in rows:
            typer.echo("\t".join(_cell(row.get(name)) for name in columns))
        return
    if not rows:
        console.print(f"no {noun}")
        return
    from rich.table import Table

    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*(_cell(row.get(name)) for name in columns), )
    console.print(table)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return " ".join(text.split())  # no tabs or newlines inside a TSV cell
