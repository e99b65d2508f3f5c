"""Prices: files (CSV/Parquet, long or wide), returns over trading sessions, optional yfinance download."""

from nlp.prices.files import load_price_file, parse_price_frame
from nlp.prices.returns import compute_returns, parse_horizons

__all__ = ["load_price_file", "parse_price_frame", "compute_returns", "parse_horizons"]
