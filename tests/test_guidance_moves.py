"""Forecast changes as a sentiment cue (nlp/classify/guidance_moves.py): pure, on text."""

import pytest

from nlp.classify.aggregate import GUIDANCE_MOVE_WEIGHT, compute_document_sentiment
from nlp.classify.guidance_moves import build_guidance_patterns, extract_guidance_moves, load_guidance_patterns
from nlp.classify.price_moves import compute_price_direction
from nlp.errors import NarrativeError


@pytest.fixture(scope="module")
def patterns():
    return load_guidance_patterns()


@pytest.mark.parametrize(
    "text, direction",
    [
        ("Arista tops estimates but trims cloud outlook; shares drop 9%", -1),
        ("The orthopedics maker cut its full-year organic sales growth forecast to 3%.", -1),
        ("Deere raised its 2026 net income guidance after a strong quarter.", 1),
        ("The lender lifted its 2026 expense growth forecast to 4%-5%.", 0),  # a forecast of costs
        ("Piper Sandler cut its price target to $19.", 0),  # a broker's view, not guidance
        ("The company raised its outlook for sales but cut its margin forecast.", 0),  # both ways
        ("Revenue rose 4% and the outlook was unchanged.", 0),
        ("The chain raised wages. The outlook for margins is unchanged.", 0),  # not across a sentence end
        ("It cut its U.S. sales forecast.", -1),
    ],
)
def test_direction_of_forecast_changes(patterns, text, direction):
    assert compute_price_direction(extract_guidance_moves(text, patterns)) == direction


def test_moves_carry_their_spans(patterns):
    text = "Workday beat on subscriptions but trimmed its billings outlook."
    [(start, end, direction)] = extract_guidance_moves(text, patterns)
    assert text[start:end] == "trimmed its billings outlook" and direction == -1


def test_a_cut_moves_the_document_score_down():
    probs = [{"positive": 0.5, "neutral": 0.3, "negative": 0.2}]
    plain = compute_document_sentiment(probs, [100])
    cut = compute_document_sentiment(probs, [100], guidance_direction=-1)
    assert cut["score"] == pytest.approx(plain["score"] - GUIDANCE_MOVE_WEIGHT)


def test_a_malformed_lexicon_is_a_narrative_error():
    with pytest.raises(NarrativeError, match="guidance lexicon"):
        build_guidance_patterns({"raise": ["raised"]})
