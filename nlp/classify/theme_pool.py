"""The unlabelled pool the theme rules label for weak supervision (``themes_weak.py``, step 3).

Texts: Twitter financial news topic tweets (MIT; the topics near the themes kept whole, a random sample
of the rest), SEntFiN titles (MIT) and the paragraphs of the bundled sample feeds, less any text that
starts like an evaluation text.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from nlp.classify.theme_examples import PREFIX_CHARS, load_eval_prefixes

log = logging.getLogger(__name__)

TOPIC_THEMES = {1: "monetary_policy", 11: "capital_markets"}  # Twitter topic: Fed | Central Banks, IPO
POOL_TOPIC_KEEP = {1, 3, 6, 11, 12, 13, 14, 15}  # topics near the themes are kept whole
POOL_TOPIC_CAP = 500  # at most this many tweets per kept topic
POOL_RANDOM_TWEETS = 1500
POOL_RANDOM_TITLES = 1000
_URL_RE = re.compile(r"https?://\S+")


def load_unlabelled_pool(data_dir: Path, sample_dir: Path, seed: int = 13) -> tuple[list[str], list[str], dict[int, str]]:
    """(texts, source per text, index -> topic theme) from MIT data and the bundled sample corpus."""
    import csv
    import random

    from nlp.classify.datasets import load_sentfin

    rng = random.Random(seed)
    texts, sources, topic = [], [], {}
    with (data_dir / "twitter_financial_news_topic" / "topic_train.csv").open(encoding="utf-8") as fh:
        rows = [(_URL_RE.sub("", r["text"]).strip(), int(r["label"])) for r in csv.DictReader(fh)]
    others = [r for r in rows if r[1] not in POOL_TOPIC_KEEP]
    keep = rng.sample(others, min(POOL_RANDOM_TWEETS, len(others)))
    for label in sorted(POOL_TOPIC_KEEP):
        in_topic = [r for r in rows if r[1] == label]
        keep += rng.sample(in_topic, min(POOL_TOPIC_CAP, len(in_topic)))
    for text, label in keep:
        if label in TOPIC_THEMES:
            topic[len(texts)] = TOPIC_THEMES[label]
        texts.append(text)
        sources.append("twitter_topic")
    titles = [ex.text for ex, _ in load_sentfin(data_dir, "train")]
    texts += rng.sample(titles, min(POOL_RANDOM_TITLES, len(titles)))
    sources += ["sentfin"] * (len(texts) - len(sources))
    held_prefixes = load_eval_prefixes(sample_dir.parent / "eval")
    for paragraph in iter_sample_paragraphs(sample_dir):
        if paragraph[:PREFIX_CHARS] not in held_prefixes:  # decontaminate: no dev/test text in training
            texts.append(paragraph)
            sources.append("sample")
    return texts, sources, topic


def iter_sample_paragraphs(sample_dir: Path):
    """Titles and paragraphs of the bundled sample feeds (RSS/Atom XML; HTML bodies split on <p>)."""
    import html
    import xml.etree.ElementTree as ET

    for path in sorted(sample_dir.glob("*.xml")) if sample_dir.is_dir() else []:
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError:
            log.warning("skipping unreadable sample file %s", path)
            continue
        for el in root.iter():
            if el.tag.rsplit("}", 1)[-1].lower() in {"title", "description", "content", "summary"}:
                yield from parse_html_paragraphs("".join(el.itertext()), html.unescape)


def parse_html_paragraphs(markup: str, unescape=lambda s: s, min_chars: int = 30) -> list[str]:
    """Plain-text paragraphs of an HTML fragment (split on </p> and <br>), short ones dropped."""
    parts = re.split(r"(?i)</p>|<br\s*/?>", markup)
    texts = [" ".join(unescape(re.sub(r"<[^>]+>", " ", p)).split()) for p in parts]
    return [t for t in texts if len(t) >= min_chars]
