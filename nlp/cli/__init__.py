"""Command line: a thin shell over the Python API. One module per noun registers its commands."""

from __future__ import annotations

import importlib

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


def main() -> None:
    app()
