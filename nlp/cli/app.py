"""The typer application, the global --db option, and the one place errors become exit codes."""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from nlp.errors import NarrativeError

app = typer.Typer(
    name="narrative",
    help="News and narrative NLP for finance: scrape feeds, tag tickers/themes/sentiment, index, join with returns.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_state: dict[str, Any] = {"db_path": None}


@app.callback()
def _global_options(
    db: Optional[Path] = typer.Option(
        None, "--db", help="SQLite database file (default: $NARRATIVE_DB or ./narrative.db).", show_default=False
    ),
) -> None:
    _state["db_path"] = db


def db_path() -> Path:
    """The database chosen by --db, else $NARRATIVE_DB, else ./narrative.db."""
    from nlp.settings import default_db_path

    return _state["db_path"] or default_db_path()


def open_cli_db(*, must_exist: bool = False):
    """Open the chosen database; `must_exist` for read commands, so a typo does not create an empty file."""
    from nlp.store import open_db

    path = db_path()
    if must_exist and not Path(path).exists():
        raise NarrativeError(f"no database at {path} (run `narrative scrape` first, or pass --db)")
    return open_db(path)


def fail(message: str, code: int = 2) -> None:
    """Print one clear line on stderr and exit."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`app.command` that turns NarrativeError (and a closed stdout pipe) into one line and exit 2."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*a: Any, **kw: Any) -> Any:
            try:
                return fn(*a, **kw)
            except NarrativeError as exc:
                fail(str(exc), exc.exit_code)
            except BrokenPipeError:
                sys.stderr.close()
                raise typer.Exit(1)
            except KeyboardInterrupt:
                fail("interrupted", 130)

        return app.command(*args, **kwargs)(wrapper)

    return register
