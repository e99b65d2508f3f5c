"""`narrative join [THEME ...]`: the theme index against forward returns."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from nlp.cli.app import command, open_cli_db
from nlp.errors import NarrativeError


@command("join")
def join_command(
    themes: List[str] = typer.Argument(None, help="Theme ids (default: every theme with articles)."),
    horizons: str = typer.Option("1,5,20", "--horizons", help="Forward-return horizons in sessions."),
    benchmark: str = typer.Option("SPY", "--benchmark", help="A loaded symbol, or 'equal' for the equal-weighted universe."),
    freq: str = typer.Option("D", "--freq", help="Index frequency: D, W or M."),
    basket_size: int = typer.Option(10, "--basket-size", help="Tickers in a theme's basket."),
    output: Optional[Path] = typer.Option(None, "-o", "--output", help="Write every statistic to this CSV."),
) -> None:
    """Correlations at lags -5..+5, OLS with Newey-West t-stats, and an event study around spikes.

    The index at session t is joined with returns from the close of t (nothing after t is known to it).
    With --freq W or M, lags and event windows count weeks or months; forward returns count sessions.
    """
    from nlp.join.run import build_join_summary, load_join_results
    from nlp.prices.returns import parse_horizons

    chosen = parse_horizons(horizons)
    result = load_join_results(open_cli_db(must_exist=True), themes or None, chosen, benchmark, freq, basket_size)
    for note in result.notes:
        typer.echo(f"note: {note}", err=True)
    if result.results.empty:
        raise NarrativeError("nothing to join: no theme has both articles and priced tickers")
    _print_summary(build_join_summary(result.results, chosen))
    if output is not None:
        try:
            result.results.to_csv(output, index=False, float_format="%.6g")
        except OSError as exc:
            raise NarrativeError(f"cannot write {output}: {exc.strerror or exc}") from exc
        typer.echo(f"wrote {len(result.results)} rows to {output}", err=True)


def _print_summary(summary) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="theme index vs returns (r: Pearson, lag k = return of period t+k; OLS t: Newey-West)")
    for column in summary.columns:
        table.add_column(str(column))
    for row in summary.fillna("-").itertuples(index=False):
        table.add_row(*[str(v) for v in row])
    Console(width=220).print(table)
