"""`narrative report [-o report.html]`."""

from __future__ import annotations

from pathlib import Path
from typing import List

import typer

from nlp.cli.app import command, open_cli_db


@command("report")
def report_command(
    output: Path = typer.Option(Path("report.html"), "-o", "--output", help="The HTML file to write."),
    themes: List[str] = typer.Option([], "--theme", help="Only this theme (repeatable; default: all with articles)."),
    benchmark: str = typer.Option("SPY", "--benchmark", help="A loaded symbol, or 'equal'."),
) -> None:
    """One self-contained HTML page: attention and tone over time, basket returns, top tickers, evidence."""
    from nlp.index.timeline import check_theme
    from nlp.report.run import save_report

    db = open_cli_db(must_exist=True)
    for theme in themes:
        check_theme(db, theme)
    path = save_report(db, output, themes=themes or None, benchmark=benchmark)
    typer.echo(f"wrote {path}", err=True)
    typer.echo(str(path.resolve()))
