"""`narrative prices load FILE` and `narrative prices fetch TICKER ... --from --to`."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from nlp.cli.app import app, guarded, open_cli_db

prices_app = typer.Typer(help="Daily prices for the join with the theme index.", no_args_is_help=True)
app.add_typer(prices_app, name="prices")


@prices_app.command("load")
@guarded
def load_command(
    path: Path = typer.Argument(..., help="CSV or Parquet: long (date,symbol,close[,adj_close,volume]) or wide (date + one column per ticker)."),
) -> None:
    """Load a price file into the database (rows for the same symbol and date are replaced)."""
    from nlp.prices.files import load_price_file
    from nlp.store.prices import save_prices

    prices = load_price_file(path)
    n = save_prices(open_cli_db(), prices, source=path.name)
    _report(n, prices)


@prices_app.command("fetch")
@guarded
def fetch_command(
    tickers: List[str] = typer.Argument(..., help="Ticker symbols, e.g. CAT DE SPY."),
    start: Optional[str] = typer.Option(None, "--from", help="First date, YYYY-MM-DD."),
    end: Optional[str] = typer.Option(None, "--to", help="Last date, YYYY-MM-DD."),
) -> None:
    """Download daily prices with yfinance (optional extra: pip install 'narrative[yfinance]')."""
    from nlp.prices.yfinance import fetch_prices_yfinance
    from nlp.store.prices import save_prices

    prices = fetch_prices_yfinance(tickers, start, end)
    n = save_prices(open_cli_db(), prices, source="yfinance")
    _report(n, prices)


def _report(n: int, prices) -> None:
    symbols = sorted(prices["symbol"].unique())
    shown = ", ".join(symbols[:10]) + (f" and {len(symbols) - 10} more" if len(symbols) > 10 else "")
    typer.echo(
        f"stored {n} prices for {len(symbols)} symbols ({shown}), "
        f"{prices['date'].min():%Y-%m-%d} to {prices['date'].max():%Y-%m-%d}",
        err=True,
    )
