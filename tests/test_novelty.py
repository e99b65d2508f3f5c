"""Near-duplicate story detection: shingles, MinHash, LSH banding, story assignment."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.extract.novelty import (
    NoveltyConfig,
    StoryCandidate,
    assign_stories,
    build_shingles,
    build_signed_article,
    compute_band_keys,
    compute_signature,
    estimate_jaccard,
    parse_utc_seconds,
    pick_first,
    signature_from_bytes,
    signature_to_bytes,
)

DAY = 86400.0
STORY = (
    "Caterpillar said on Tuesday it will build a new plant in Ohio to make engines that used to come "
    "from overseas suppliers, adding about 800 jobs as the company leans on tax credits for domestic "
    "manufacturing. Analysts said the move fits a wider reshoring trend across heavy industry and "
    "could lift margins over the next three years as freight costs fall and tariffs bite."
)
REWRITE = STORY.replace("on Tuesday", "on Tuesday morning").replace("about 800", "roughly 800") + " Shares rose 2%."
OTHER = (
    "The Federal Reserve held interest rates steady on Wednesday and signalled two cuts later in the "
    "year, as inflation readings cooled and Treasury yields slipped to their lowest level since spring."
)


def _jaccard(a: str, b: str) -> float:
    sa, sb = set(build_shingles(a).tolist()), set(build_shingles(b).tolist())
    return len(sa & sb) / len(sa | sb)


def test_signature_is_deterministic_and_round_trips_bytes():
    sig = compute_signature(STORY)
    assert sig.dtype == np.uint32 and sig.shape == (128,)
    assert np.array_equal(sig, compute_signature(STORY))
    assert np.array_equal(signature_from_bytes(signature_to_bytes(sig)), sig)
    # Fixed values: a stored signature must stay comparable across processes and releases.
    assert compute_band_keys(sig) == compute_band_keys(compute_signature(STORY))


def test_minhash_estimates_jaccard():
    true = _jaccard(STORY, REWRITE)
    assert 0.5 < true < 0.95
    assert estimate_jaccard(compute_signature(STORY), compute_signature(REWRITE)) == pytest.approx(true, abs=0.12)
    assert estimate_jaccard(compute_signature(STORY), compute_signature(OTHER)) < 0.1


def test_case_and_punctuation_do_not_matter():
    assert np.array_equal(compute_signature(STORY), compute_signature(STORY.upper().replace(",", " ")))


def test_empty_text_matches_nothing():
    empty = build_signed_article("e", 0.0, "   ")
    assert empty.band_keys == ()
    other = build_signed_article("f", 0.0, "")
    assert [a.story_id for a in assign_stories([empty, other], [[], []])] == ["e", "f"]


def test_rewrite_joins_story_and_unrelated_starts_new_one():
    items = [
        build_signed_article("a1", 0.0, STORY),
        build_signed_article("a2", 3600.0, OTHER),
        build_signed_article("a3", 7200.0, REWRITE),
    ]
    stories = assign_stories(items, [[], [], []])
    assert [s.story_id for s in stories] == ["a1", "a2", "a1"]
    assert stories[2].matches == ("a1",)


def test_outside_window_is_a_new_story():
    items = [build_signed_article("a1", 0.0, STORY), build_signed_article("a2", 4 * DAY, REWRITE)]
    assert [s.story_id for s in assign_stories(items, [[], []])] == ["a1", "a2"]
    wide = NoveltyConfig(window_seconds=5 * DAY)
    items = [build_signed_article("a1", 0.0, STORY, wide), build_signed_article("a2", 4 * DAY, REWRITE, wide)]
    assert [s.story_id for s in assign_stories(items, [[], []], wide)] == ["a1", "a1"]


def test_stored_candidates_give_their_story_earliest_first():
    old = build_signed_article("z-old", 100.0, STORY)
    older = build_signed_article("y-older", 50.0, REWRITE)
    candidates = [
        StoryCandidate("z-old", 100.0, "story-b", old.signature),
        StoryCandidate("y-older", 50.0, "story-a", older.signature),
    ]
    new = build_signed_article("new", 2 * DAY, STORY + " Updated.")
    (assignment,) = assign_stories([new], [candidates])
    assert assignment.story_id == "story-a"
    assert assignment.matches == ("y-older", "z-old")


def test_result_does_not_depend_on_batching():
    texts = [STORY, OTHER, REWRITE, OTHER + " More.", STORY]
    items = [build_signed_article(f"a{i}", i * 60.0, t) for i, t in enumerate(texts)]
    whole = assign_stories(items, [[] for _ in items])
    first = assign_stories(items[:2], [[], []])
    stored = [StoryCandidate(i.article_id, i.published, s.story_id, i.signature) for i, s in zip(items[:2], first)]
    rest = assign_stories(items[2:], [stored] * 3)
    assert [s.story_id for s in whole] == [s.story_id for s in first + rest] == ["a0", "a1", "a0", "a1", "a0"]


def test_pick_first_is_earliest_then_smallest_id():
    assert pick_first([(10.0, "b"), (5.0, "c"), (5.0, "a")]) == "a"


def test_parse_utc_seconds():
    assert parse_utc_seconds("1970-01-02T00:00:00Z") == DAY
    assert parse_utc_seconds(None) == 0.0
    assert parse_utc_seconds("not a date") == 0.0
