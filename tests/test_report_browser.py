"""The report renders its charts in headless Chromium (Debian: `apt-get install -y chromium`).

Skipped when no chromium binary is on PATH.
"""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from nlp.index.sessions import trading_sessions
from nlp.index.theme_index import compute_theme_index
from nlp.report.html import build_overview, build_report_html, build_theme_section

BROWSER = next((shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome") if shutil.which(name)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="no headless Chromium (apt-get install -y chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--disable-extensions", "--window-size=1200,900"]
SERIES_BLUE = (0x2F, 0x6F, 0xED)  # the attention line's colour
BASKET_GREEN = (0x05, 0x96, 0x69)


def page(tmp_path):
    rng = np.random.default_rng(0)
    days = trading_sessions("2025-01-02", "2025-06-30")
    counts = rng.integers(1, 6, len(days))
    cells = pd.DataFrame({"session_date": days, "feed_id": 1, "n_articles": counts, "n_novel": counts,
                          "n_positive": counts // 2, "n_negative": counts // 3, "n_neutral": 0,
                          "sentiment_sum": 0.1 * counts, "sentiment_n": counts, "total_articles": 20})
    index = compute_theme_index(cells)
    basket = pd.Series(np.cumsum(rng.normal(0, 0.01, len(days))), index=days)
    tickers = pd.DataFrame({"ticker": ["CAT"], "n_articles": [10], "mean_sentiment": [0.1]})
    section = build_theme_section("reshoring", index, tickers, pd.DataFrame(), basket)
    path = tmp_path / "report.html"
    # The overview would sit above the theme charts; leave it out so they are in the first screen.
    path.write_text(build_report_html([section], build_overview({}), title="browser test"), encoding="utf-8")
    return path


def run_browser(*args, timeout=90):
    return subprocess.run([BROWSER, *FLAGS, *args], capture_output=True, timeout=timeout, text=True)


def test_charts_render_in_headless_chromium(tmp_path):
    path = page(tmp_path)
    dom = run_browser("--dump-dom", path.as_uri()).stdout
    assert 'data-rendered="yes"' in dom  # the script ran to the end without an error
    assert dom.count('class="series"') >= 4  # attention, basket, and the tone lines were drawn
    shot = tmp_path / "shot.png"
    run_browser(f"--screenshot={shot}", path.as_uri())
    assert shot.is_file()
    image = pytest.importorskip("PIL.Image").open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 20, "the screenshot is blank"
    near = lambda target: sum(n for n, c in colours if all(abs(a - b) < 40 for a, b in zip(c, target)))
    assert near(SERIES_BLUE) > 200, "no attention line in the screenshot"
    assert near(BASKET_GREEN) > 50, "no basket line in the screenshot"
