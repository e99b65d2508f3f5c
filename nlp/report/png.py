"""PNG export of a timeline through matplotlib (an optional extra: `pip install 'narrative[plot]'`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nlp.errors import NarrativeError
from nlp.index.theme_index import compute_rolling_net_tone

INSTALL_HINT = "matplotlib is not installed: pip install 'narrative[plot]'"


def save_timeline_png(index: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Attention (share of articles) with the net tone below it, as a PNG file."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise NarrativeError(INSTALL_HINT) from None
    if index.empty:
        raise NarrativeError("nothing to plot: the timeline is empty")
    figure, (top, bottom) = plt.subplots(2, 1, figsize=(10, 5.5), sharex=True, height_ratios=(2, 1))
    dates = pd.to_datetime(index["session"])
    top.plot(dates, 100 * index["share"], color="#2f6fed", linewidth=1.4, label="attention (% of articles)")
    spikes = index["spike"].to_numpy(dtype=bool)
    top.scatter(dates[spikes], 100 * index.loc[spikes, "share"], color="#d92d20", s=16, zorder=3, label="spike (z > 2)")
    top.set_ylabel("% of articles")
    top.legend(loc="upper left", frameon=False, fontsize=8)
    bottom.plot(dates, index["net_tone"], color="#f3c78b", linewidth=0.8, label="net tone")
    bottom.plot(dates, compute_rolling_net_tone(index), color="#d97706", linewidth=1.6, label="5-period net tone")
    bottom.legend(loc="upper left", frameon=False, fontsize=8)
    bottom.axhline(0, color="#98a2b3", linewidth=0.8, linestyle="--")
    bottom.set_ylabel("net tone")
    top.set_title(title, loc="left", fontsize=11)
    figure.tight_layout()
    target = Path(path)
    try:
        figure.savefig(target, dpi=120)
    except OSError as exc:
        raise NarrativeError(f"cannot write {target}: {exc.strerror or exc}") from exc
    finally:
        plt.close(figure)
    return target
