"""`narrative themes`: list the theme cards the tagger uses."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from nlp.cli.app import command


@command("themes")
def themes(
    themes_dir: Optional[Path] = typer.Option(None, "--themes-dir", help="Folder of theme cards (default: corpora/themes)."),
    user_dir: list[Path] = typer.Option([], "--user-dir", help="Extra folder of cards (repeatable); same id replaces."),
) -> None:
    """List theme cards: id, label, number of phrases and patterns, and the file each comes from."""
    from nlp.tagging.themes import load_theme_cards

    cards = load_theme_cards(themes_dir, user_dir)
    rows = [("id", "label", "phrases", "patterns", "source")]
    rows += [(c.id, c.label, str(c.n_phrases), str(len(c.patterns)), _display_path(c.source)) for c in cards]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])


def _display_path(source: str) -> str:
    path = Path(source)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
