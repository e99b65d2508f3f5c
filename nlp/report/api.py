"""`nlp.report(...)`: the Python API of `narrative report`."""

from __future__ import annotations


def report(path="report.html", db=None, themes=None, benchmark="SPY"):
    """Write the self-contained HTML report; returns its path. `db`: a database, a path, or None."""
    from nlp.report.run import save_report
    from nlp.store import open_db

    database = db if hasattr(db, "execute") else open_db(db)
    return save_report(database, path, themes=themes, benchmark=benchmark)
