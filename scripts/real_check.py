"""A real check of the join: same-day per-ticker news sentiment against that day's return.

Data (beside the checkout, for checking only; not shipped):
- ../shared/data/analyst_ratings_subset/analyst_ratings_processed.csv: headlines with ticker and time;
- ../shared/data/sp500_daily_2013_2018/individual_stocks_5yr.tar.gz: daily closes of 505 S&P 500 stocks.

Steps: headlines -> trading session (after the 16:00 New York close -> next session) -> sentiment
(the bundled classifier when a trained model is present, else a small keyword lexicon, said so in
the output) -> mean sentiment per (ticker, session) -> joined with the ticker's return of that session
(close t-1 -> close t), the previous session's and the next session's, raw and in excess of the
equal-weighted S&P 500. Prints a markdown table with Pearson and Spearman r, p-values and n.

    python scripts/real_check.py [--model PATH_OR_NAME] [--device cpu]
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

# Check-only fallback when no trained classifier exists: analyst-ratings vocabulary, not shipped data.
POSITIVE = {"upgrade", "upgrades", "upgraded", "raises", "raised", "raise", "beats", "beat", "outperform",
            "buy", "overweight", "strong", "record", "gains", "gain", "higher", "surges", "surge", "jumps",
            "rallies", "rally", "positive", "tops", "exceeds", "boosts", "boost", "rises", "rise", "up",
            "bullish", "growth", "upside", "soars", "climbs", "wins", "approval", "approves", "highs"}
NEGATIVE = {"downgrade", "downgrades", "downgraded", "lowers", "lowered", "lower", "cuts", "cut", "misses",
            "miss", "underperform", "sell", "underweight", "weak", "falls", "fall", "drops", "drop", "declines",
            "decline", "plunges", "slides", "negative", "warns", "loss", "losses", "lawsuit", "down", "bearish",
            "lows", "slumps", "tumbles", "halts", "recall", "probe", "concerns", "short"}
WORD = re.compile(r"[a-z]+")


def score_lexicon(titles: list[str]) -> tuple[np.ndarray, list[str]]:
    scores = []
    for title in titles:
        words = WORD.findall(title.lower())
        pos = sum(w in POSITIVE for w in words)
        neg = sum(w in NEGATIVE for w in words)
        scores.append((pos - neg) / (pos + neg) if pos + neg else 0.0)
    labels = ["positive" if v > 0 else "negative" if v < 0 else "neutral" for v in scores]
    return np.array(scores), labels


def score_headlines(titles: list[str], model: str | None, device: str) -> tuple[np.ndarray, list[str], str]:
    """Classifier scores P(pos) - P(neg) and labels if a trained model loads, else the lexicon's."""
    try:
        from nlp.classify.registry import load_classifier

        pipeline = load_classifier(model, device=device)
        results = pipeline(titles)
        scores = np.array([r["score"] for r in results])
        return scores, [r["label"] for r in results], f"classifier {model or 'narrative-minilm'} (P(pos) - P(neg))"
    except Exception as exc:  # any failure to load a model means: say so, and fall back
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return (*score_lexicon(titles), f"keyword lexicon fallback (no classifier: {reason})")


def load_headlines(path: Path) -> pd.DataFrame:
    from nlp.index.sessions import compute_sessions

    raw = pd.read_csv(path, usecols=["title", "date", "stock"], dtype=str).dropna()
    raw["session"] = compute_sessions(raw["date"])
    raw = raw.dropna(subset=["session"]).drop_duplicates(["title", "stock", "session"])
    return raw.rename(columns={"stock": "symbol"})


def load_sp500(archive: Path, keep_dir: Path) -> pd.DataFrame:
    """All 505 per-ticker CSVs (date,open,high,low,close,volume,Name) through the long-layout parser."""
    from nlp.prices.files import parse_price_frame

    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.endswith(".csv")]
        tar.extractall(keep_dir, members=members, filter="data")
    frames = [pd.read_csv(keep_dir / m.name, dtype=str) for m in members]
    return parse_price_frame(pd.concat(frames, ignore_index=True), source=archive.name)


def build_pairs(headlines: pd.DataFrame, returns: pd.DataFrame) -> pd.DataFrame:
    """Per (ticker, session): mean sentiment, and the ticker's returns around that session."""
    per_day = headlines.groupby(["symbol", "session"]).agg(sentiment=("sentiment", "mean"), n=("sentiment", "size")).reset_index()
    rets = returns.sort_values(["symbol", "date"]).copy()
    grouped = rets.groupby("symbol")
    rets["ret_prev"] = grouped["ret_0"].shift(1)
    rets["excess_prev"] = grouped["excess_0"].shift(1)
    # ret_1 at t is close t -> close t+1: the next session's own return.
    return per_day.merge(rets.rename(columns={"date": "session"}), on=["symbol", "session"], how="inner")


def correlate(pairs: pd.DataFrame, column: str) -> dict:
    from scipy import stats

    data = pairs[["sentiment", column]].dropna()
    if len(data) < 3 or data["sentiment"].nunique() < 2:
        return {"n": len(data), "pearson": np.nan, "p_pearson": np.nan, "spearman": np.nan, "p_spearman": np.nan}
    pr = stats.pearsonr(data["sentiment"], data[column])
    sr = stats.spearmanr(data["sentiment"], data[column])
    return {"n": len(data), "pearson": pr[0], "p_pearson": pr[1], "spearman": sr[0], "p_spearman": sr[1]}


ROWS = (
    ("previous session (t-1), raw", "ret_prev"),
    ("same session (t), raw", "ret_0"),
    ("next session (t+1), raw", "ret_1"),
    ("previous session (t-1), excess", "excess_prev"),
    ("same session (t), excess", "excess_0"),
    ("next session (t+1), excess", "excess_1"),
)


def print_table(pairs: pd.DataFrame, title: str) -> None:
    print(f"\n**{title}** ({pairs['symbol'].nunique()} tickers, {len(pairs)} ticker-sessions)\n")
    print("| return window vs sentiment of session t | n | Pearson r | p | Spearman rho | p |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, column in ROWS:
        c = correlate(pairs, column)
        print(f"| {label} | {c['n']} | {c['pearson']:+.3f} | {c['p_pearson']:.2g} | {c['spearman']:+.3f} | {c['p_spearman']:.2g} |")


def main() -> int:
    from nlp.prices.returns import compute_returns
    from nlp.settings import shared_data_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="Classifier name or model directory (default: narrative-minilm).")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    data = shared_data_dir()
    headlines_path = data / "analyst_ratings_subset" / "analyst_ratings_processed.csv"
    archive = data / "sp500_daily_2013_2018" / "individual_stocks_5yr.tar.gz"
    if not headlines_path.is_file() or not archive.is_file():
        print(f"shared data not found under {data}", file=sys.stderr)
        return 2
    headlines = load_headlines(headlines_path)
    with tempfile.TemporaryDirectory() as tmp:
        prices = load_sp500(archive, Path(tmp))
    returns = compute_returns(prices, (1,), "equal")
    headlines = headlines[headlines["symbol"].isin(set(prices["symbol"]))]
    headlines = headlines[(headlines["session"] >= prices["date"].min()) & (headlines["session"] <= prices["date"].max())].copy()
    scores, labels, method = score_headlines(headlines["title"].tolist(), args.model, args.device)
    headlines["sentiment"], headlines["label"] = scores, labels
    print(f"headlines on S&P 500 tickers inside the price window: {len(headlines)}; sentiment: {method}")
    print(f"benchmark for excess returns: equal-weighted mean of {prices['symbol'].nunique()} S&P 500 stocks")
    print_table(build_pairs(headlines, returns), f"All headlines, {method}")
    polar = headlines[headlines["label"] != "neutral"]
    print_table(build_pairs(polar, returns), "Headlines labelled positive or negative only")
    if not method.startswith("keyword"):
        baseline = headlines.assign(sentiment=score_lexicon(headlines["title"].tolist())[0])
        print_table(build_pairs(baseline, returns), "Baseline: the keyword lexicon on the same headlines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
