"""Shared fixtures: an in-memory database, paths to bundled and shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory):
    """Derived files (ONNX exports of the classifier) go to a folder of this test session, never
    the user's cache; subprocesses inherit it."""
    previous = os.environ.get("NARRATIVE_CACHE_DIR")
    os.environ["NARRATIVE_CACHE_DIR"] = str(tmp_path_factory.mktemp("narrative-cache"))
    yield
    if previous is None:
        os.environ.pop("NARRATIVE_CACHE_DIR", None)
    else:
        os.environ["NARRATIVE_CACHE_DIR"] = previous


@pytest.fixture
def db():
    from nlp.store import open_db

    return open_db(":memory:")


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not beside the checkout")
    return SHARED_DATA
