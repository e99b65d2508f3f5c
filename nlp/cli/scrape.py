"""`narrative scrape`: fetch feeds into the database (a thin shell over `nlp.scrape.scrape`)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Optional

import typer

from nlp.cli.app import command, open_cli_db, stderr_terminal
from nlp.errors import NarrativeError


@command("scrape")
def scrape_command(
    feeds: Optional[List[str]] = typer.Argument(None, metavar="[FEED]...", help="Feed URLs (http/https) or local feed files.", show_default=False),
    opml: Optional[Path] = typer.Option(None, "--opml", metavar="FILE", help="An OPML feed list (e.g. corpora/feeds.opml)."),
    feeds_file: Optional[Path] = typer.Option(None, "--feeds", metavar="FILE", help="A YAML feed list: `- URL` or `- {url: URL, title: T}`."),
    full_text: bool = typer.Option(False, "--full-text", help="Also fetch each new article's page and extract its main text (obeys robots.txt)."),
    concurrency: int = typer.Option(8, "--concurrency", metavar="N", min=1, max=64, help="Feeds (and pages) fetched at once."),
    allow_private: bool = typer.Option(False, "--allow-private", help="Let --full-text fetch pages on private, loopback or link-local addresses."),
) -> None:
    """Scrape feeds into the database: deduplicated, idempotent, every attempt recorded.

    Exit status: 0 all feeds ok, 1 some feed failed (see `narrative feeds`), 2 bad arguments.
    """
    from nlp.scrape import collect_feeds, scrape

    specs = collect_feeds(feeds or (), opml, feeds_file)  # a missing list file fails before the db is made
    if not specs:
        raise NarrativeError("no feeds given: name a FEED, or pass --opml FILE or --feeds FILE")
    db = open_cli_db()
    with _progress() as progress:
        summary = scrape(specs, db, full_text=full_text, concurrency=concurrency, allow_private=allow_private,
                         progress=progress)
    for failure in summary.failures:
        typer.echo(f"failed: {failure.source}: {failure.status}: {failure.message or ''}".rstrip(": "), err=True)
    typer.echo(summary.line())
    if summary.feeds_failed:
        raise typer.Exit(1)


@contextmanager
def _progress() -> Iterator:
    """A rich progress bar on a terminal (stderr); nothing otherwise."""
    console = stderr_terminal()
    if console is None:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int, label: str) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task("feeds" if stage == "feeds" else "article pages", total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update
