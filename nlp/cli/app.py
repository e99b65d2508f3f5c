"""The typer application, the global --db option, and the one place errors become exit codes."""

from __future__ import annotations

import functools
import sqlite3
import sys
from pathlib import Path
from typing import Any, Callable, Optional

import typer
from typer.core import TyperGroup

try:  # typer >= 0.20 vendors click as typer._click; older typer uses click itself
    from typer import _click as click
except ImportError:  # pragma: no cover
    import click

from nlp.errors import NarrativeError


class OneLineErrors(TyperGroup):
    """Usage errors (unknown option, bad value, missing argument) as one `Error:` line, exit 2."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        try:
            result = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message(), err=True)
            code = exc.exit_code
        except click.ClickException as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            code = exc.exit_code
        except KeyboardInterrupt:
            click.echo("Error: interrupted", err=True)
            code = 130
        else:
            if not standalone_mode:
                return result
            code = result if isinstance(result, int) else 0
        if not standalone_mode:
            raise SystemExit(code)
        sys.exit(code)


app = typer.Typer(
    cls=OneLineErrors,
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


def stderr_terminal():
    """A rich Console on stderr when it is a terminal, else None: progress bars stay quiet when piped."""
    from rich.console import Console

    console = Console(stderr=True)
    return console if console.is_terminal else None


def fail(message: str, code: int = 2) -> None:
    """Print one clear line on stderr and exit."""
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command: NarrativeError and database errors become one line and exit 2."""

    @functools.wraps(fn)
    def wrapper(*a: Any, **kw: Any) -> Any:
        try:
            return fn(*a, **kw)
        except NarrativeError as exc:
            fail(str(exc), exc.exit_code)
        except sqlite3.OperationalError as exc:
            # A read-only file, a full disk or a lock held past busy_timeout: the transaction rolled
            # back and what was stored is intact; say so in one line.
            fail(f"database error: {exc}")
        except BrokenPipeError:
            sys.stderr.close()
            raise typer.Exit(1)
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`app.command` with `guarded` errors."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        return app.command(*args, **kwargs)(guarded(fn))

    return register
