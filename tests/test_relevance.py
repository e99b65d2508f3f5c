"""Relevance of a ticker to an article: first-mention position and sentence share."""

from __future__ import annotations

import pytest

from nlp.extract.relevance import FULL_COVERAGE_SHARE, compute_relevance, score_relevance


def test_headline_only_mention_at_start_is_fully_relevant():
    result = compute_relevance([("CAT", 0)], [0], 40)
    assert result["CAT"].relevance == pytest.approx(1.0)
    assert result["CAT"].first_position == 0.0
    assert result["CAT"].sentence_share == 1.0


def test_subject_outranks_passing_mention():
    starts = [i * 100 for i in range(20)]
    mentions = [("CAT", 0), ("CAT", 205), ("CAT", 510), ("CAT", 990), ("CAT", 1500), ("GS", 1850)]
    result = compute_relevance(mentions, starts, 2000)
    assert result["CAT"].relevance > 0.8
    assert result["GS"].relevance < 0.2
    assert result["CAT"].n_mentions == 5 and result["GS"].n_mentions == 1


def test_sentence_share_counts_sentences_not_mentions():
    starts = [0, 50, 100, 150]
    result = compute_relevance([("NVDA", 10), ("NVDA", 20), ("NVDA", 30), ("NVDA", 120)], starts, 200)
    assert result["NVDA"].sentence_share == pytest.approx(0.5)
    assert result["NVDA"].first_position == pytest.approx(0.05)


def test_mention_before_first_sentence_start_counts_in_first_sentence():
    result = compute_relevance([("AAPL", 2)], [5, 60], 100)
    assert result["AAPL"].sentence_share == pytest.approx(0.5)


def test_no_sentence_boundaries_means_one_sentence():
    result = compute_relevance([("F", 30)], [], 60)
    assert result["F"].sentence_share == 1.0
    assert result["F"].first_position == pytest.approx(0.5)


def test_score_formula_is_monotone_and_saturates():
    assert score_relevance(0.1, 0.1) > score_relevance(0.5, 0.1) > score_relevance(0.9, 0.1)
    assert score_relevance(0.5, 0.2) > score_relevance(0.5, 0.1)
    assert score_relevance(0.5, FULL_COVERAGE_SHARE) == score_relevance(0.5, 1.0)
    assert 0.0 <= score_relevance(1.0, 0.0) <= score_relevance(0.0, 1.0) == 1.0


def test_symbols_are_sorted_and_empty_input_is_empty():
    assert list(compute_relevance([("MSFT", 5), ("AAPL", 9)], [0], 10)) == ["AAPL", "MSFT"]
    assert compute_relevance([], [0], 10) == {}
