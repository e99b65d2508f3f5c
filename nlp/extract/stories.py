"""Stories for a batch of signed articles: reuse a stored story while the text is unchanged, else
compare the signature with the stored signatures of the articles published within the window.

The caller runs this inside the batch's write transaction, so the signatures read and written
here are consistent with the labels written beside them.
"""

from __future__ import annotations

import hashlib
from typing import Sequence

from sqlite_utils import Database

from nlp.extract import novelty
from nlp.store import extraction as store


def save_stories(
    db: Database, signed: Sequence[novelty.SignedArticle], texts: Sequence[str], config: novelty.NoveltyConfig = novelty.NoveltyConfig()
) -> tuple[dict[str, str], set[str]]:
    """(story id per article, story ids whose first article must be settled again)."""
    stored = store.load_signatures(db, [s.article_id for s in signed])
    stories: dict[str, str] = {}
    touched: set[str] = set()
    fresh, fresh_texts = [], []
    for item, text in zip(signed, texts):
        old = stored.get(item.article_id)
        if old and old["text_hash"] == compute_text_hash(text):
            stories[item.article_id] = old["story_id"]
            continue
        fresh.append(item)
        fresh_texts.append(text)
        if old:
            touched.add(old["story_id"])  # the article leaves its old story: that story's first may change
    assignments = novelty.assign_stories(fresh, [load_candidates(db, item, config) for item in fresh], config)
    store.save_signatures(
        db,
        [build_signature_row(item, a.story_id, text) for item, a, text in zip(fresh, assignments, fresh_texts)],
        {item.article_id: item.band_keys for item in fresh},
    )
    stories.update({a.article_id: a.story_id for a in assignments})
    return stories, touched | set(stories.values())


def load_candidates(db: Database, item: novelty.SignedArticle, config: novelty.NoveltyConfig) -> list[novelty.StoryCandidate]:
    """Stored articles sharing a band key with ``item`` and published within the window."""
    window = config.window_seconds
    rows = store.load_story_candidates(
        db, list(item.band_keys), novelty.format_utc(item.published - window), novelty.format_utc(item.published + window)
    )
    return [
        novelty.StoryCandidate(r["article_id"], novelty.parse_utc_seconds(r["published_utc"]), r["story_id"],
                               novelty.signature_from_bytes(r["signature"]))
        for r in rows
    ]


def build_signature_row(item: novelty.SignedArticle, story_id: str, text: str) -> dict:
    return {
        "article_id": item.article_id, "text_hash": compute_text_hash(text),
        "published_utc": novelty.format_utc(item.published), "signature": novelty.signature_to_bytes(item.signature),
        "story_id": story_id, "is_first_in_story": 0,
    }


def compute_text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
