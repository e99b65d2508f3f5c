"""`nlp.join(...)`: the Python API of `narrative join`."""

from __future__ import annotations


def join(themes=None, horizons=(1, 5, 20), benchmark="SPY", freq="D", db=None, basket_size=10):
    """Every join statistic (correlations, OLS-HAC, event study) as a tidy DataFrame; notes in `.attrs`.

    `db`: an open database, a path, or None for the default database.
    """
    from nlp.join.run import load_join_results
    from nlp.store import open_db

    if isinstance(themes, str):
        themes = [themes]
    database = db if hasattr(db, "execute") else open_db(db)
    output = load_join_results(database, themes, horizons, benchmark, freq, basket_size)
    output.results.attrs["notes"] = list(output.notes)
    return output.results
