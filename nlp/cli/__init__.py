"""Command line: a thin shell over the Python API. One module per noun registers its commands."""

from __future__ import annotations

import importlib
import warnings

from nlp.cli.app import app

# Each module registers its commands on `app` when imported; a module that is not written yet
# (or whose optional dependency is missing) must not break the others.
COMMAND_MODULES = (
    "scrape", "browse", "tag", "themes", "train", "extract", "index", "prices", "join", "report", "export",
)


def _register_commands() -> None:
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(f"nlp.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"nlp.cli.{name}":
                raise


_register_commands()


# anyio >= 4.14 wraps each spawned coroutine; when a scrape stops on a store error while httpx is
# still connecting, a happy-eyeballs attempt cancelled before its first step is dropped un-awaited and
# Python warns at exit. The run is already over and reported; the warning would break the one-line
# error contract, so the CLI silences exactly that message.
ANYIO_PRESTART_CANCEL = r"coroutine 'connect_tcp\.<locals>\.try_connect' was never awaited"


def silence_known_shutdown_warnings() -> None:
    warnings.filterwarnings("ignore", message=ANYIO_PRESTART_CANCEL, category=RuntimeWarning)


def main() -> None:
    silence_known_shutdown_warnings()
    app()
