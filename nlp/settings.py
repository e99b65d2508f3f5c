"""Settings read from the environment. The only library module that reads os.environ."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_DB_NAME = "narrative.db"
REPO_ROOT = Path(__file__).resolve().parent.parent
CORPORA_DIR = REPO_ROOT / "corpora"
MODELS_DIR = REPO_ROOT / "models"


def default_db_path() -> Path:
    """`$NARRATIVE_DB` when set, else narrative.db in the working directory."""
    return Path(os.environ.get("NARRATIVE_DB") or DEFAULT_DB_NAME)


def shared_data_dir() -> Path:
    """Public datasets beside the checkout (`../shared/data`), or `$NARRATIVE_SHARED_DATA`."""
    override = os.environ.get("NARRATIVE_SHARED_DATA")
    return Path(override) if override else REPO_ROOT.parent / "shared" / "data"


def cache_dir() -> Path:
    """Where derived files live (exported ONNX models): `$NARRATIVE_CACHE_DIR`, else
    `$XDG_CACHE_HOME/narrative`, else ~/.cache/narrative. Safe to delete: rebuilt on demand."""
    override = os.environ.get("NARRATIVE_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME")
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "narrative"


def user_agent() -> str:
    from nlp import __version__

    return f"narrative/{__version__} (+https://github.com/narrative-nlp/narrative; news research bot)"
