"""`narrative themes`: list the theme cards the tagger uses."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from nlp.cli.app import command, db_path


@command("themes")
def themes(
    themes_dir: Optional[Path] = typer.Option(None, "--themes-dir", help="Folder of theme cards (default: corpora/themes)."),
    user_dir: list[Path] = typer.Option([], "--user-dir", help="Extra folder of cards (repeatable); same id replaces."),
) -> None:
    """List theme cards: id, label, number of phrases and patterns, and the file each comes from."""
    from nlp.tagging.themes import load_theme_cards

    cards = load_theme_cards(themes_dir, user_dir)
    levels = _latest_levels()
    absent = "no articles in the last 5 sessions" if levels else "no extracted articles yet"
    rows = [("id", "label", "phrases", "patterns", "level (last 5 sessions)", "source")]
    rows += [
        (c.id, c.label, str(c.n_phrases), str(len(c.patterns)), levels.get(c.id, absent),
         _display_path(c.source))
        for c in cards
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])


def _latest_levels() -> dict[str, str]:
    """Each theme's latest level and change, when the chosen database exists and has been extracted."""
    path = db_path()
    if not Path(path).exists():
        return {}
    from nlp.index.levels import format_theme_levels
    from nlp.store import open_db
    from nlp.store.index import latest_theme_levels

    return format_theme_levels(latest_theme_levels(open_db(path)))


def _display_path(source: str) -> str:
    path = Path(source)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
