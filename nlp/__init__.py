"""narrative: news and narrative NLP for finance.

The Python API mirrors the CLI with the same nouns; nothing heavy is imported here.
"""

__version__ = "0.1.0"

from nlp.errors import NarrativeError  # noqa: E402
from nlp.store import open_db  # noqa: E402

__all__ = ["NarrativeError", "open_db", "__version__"]


def extract(db=None, *args, **kwargs):
    """Extract the pending stored articles (a Database or a path; see `nlp.extract.runner.extract`).
    Returns a RunSummary."""
    from nlp.extract.runner import extract as run_extract

    return run_extract(db, *args, **kwargs)


# --- scraping API (issue 2): thin lazy wrappers, so `import nlp` stays light -------------------------
def scrape(*args, **kwargs):
    """Scrape feeds into the database; see `nlp.scrape.scrape`. Returns a ScrapeSummary."""
    from nlp.scrape import scrape as _scrape

    return _scrape(*args, **kwargs)


def feeds(*args, **kwargs):
    """Feeds with their last status; see `nlp.scrape.feeds`."""
    from nlp.scrape import feeds as _feeds

    return _feeds(*args, **kwargs)


def articles(*args, **kwargs):
    """Recent articles; see `nlp.scrape.articles`."""
    from nlp.scrape import articles as _articles

    return _articles(*args, **kwargs)


def search(*args, **kwargs):
    """Full-text search over stored articles; see `nlp.scrape.search`."""
    from nlp.scrape import search as _search

    return _search(*args, **kwargs)


__all__ += ["scrape", "feeds", "articles", "search"]


# --- theme index, prices, join, report API (issue 6): lazy wrappers -------------------------------
def _index_api_db(db):
    """A Database as given, else open the file at `db` (default: $NARRATIVE_DB or ./narrative.db)."""
    if db is not None and hasattr(db, "execute"):
        return db
    return open_db(db)


def timeline(theme, freq="D", ticker=None, start=None, end=None, db=None, base_period=None):
    """A theme's index over time as a DataFrame; see `nlp.index.timeline.load_timeline`."""
    from nlp.index.timeline import load_timeline

    return load_timeline(_index_api_db(db), theme, freq, ticker, start, end, base_period)


def load_prices(path, db=None, save=True):
    """Read a CSV/Parquet price file (long or wide) and, with `save`, store it in the database."""
    from nlp.prices.files import load_price_file
    from nlp.store.prices import save_prices

    prices = load_price_file(path)
    if save:
        save_prices(_index_api_db(db), prices, source=str(path))
    return prices


def join(themes=None, horizons=(1, 5, 20), benchmark="SPY", freq="D", db=None, basket_size=10):
    """Every join statistic (correlations, OLS-HAC, event study) as a tidy DataFrame; notes in `.attrs`.

    (Once `nlp.join` the package is imported, `nlp.join` is that package, which is callable the same way.)
    """
    from nlp.join.api import join as _join

    return _join(themes, horizons, benchmark, freq, db, basket_size)


def report(path="report.html", db=None, themes=None, benchmark="SPY"):
    """Write the self-contained HTML report; returns its path (`nlp.report` the package calls the same)."""
    from nlp.report.api import report as _report

    return _report(path, db, themes, benchmark)


__all__ += ["timeline", "load_prices", "join", "report"]
