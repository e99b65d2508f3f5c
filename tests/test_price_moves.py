"""The share-price reaction cue: what counts as a reported move, and how it moves document sentiment."""

from __future__ import annotations

import pytest

from nlp.classify.aggregate import (
    ARTICLE_PRICE_MOVE_WEIGHT,
    LONG_DOCUMENT_WINDOWS,
    PRICE_MOVE_WEIGHT,
    TICKER_PRICE_MOVE_WEIGHT,
    compute_document_sentiment,
    compute_ticker_sentiment,
)
from nlp.classify.price_moves import (
    assign_price_moves,
    build_price_move_evidence,
    build_price_move_patterns,
    compute_price_direction,
    extract_named_price_moves,
    extract_price_moves,
    load_price_move_patterns,
)
from nlp.errors import NarrativeError

LEXICON = {"subjects": ["shares", "stock"], "max_gap_words": 4, "up": ["rose", "jumped"], "down": ["fell"],
           "up_figure": ["up"], "down_figure": ["down", "lower"]}


@pytest.mark.parametrize(
    "text, direction",
    [
        ("AMD shares jumped 24%, their biggest gain in a decade.", 1),
        ("The stock fell 11% in late trading.", -1),
        ("$TSLA up 4% premarket after deliveries beat.", 1),
        ("Shares of Target Corp. were lower by $2.", -1),
        ("Apple shares fell while Nvidia stock jumped.", 0),  # both directions: no document cue
        ("Consumer prices rose 3% from a year earlier.", 0),  # no share or stock as the subject
        ("The stock is down from its record.", 0),  # "down" counts only before a figure
        ("Shares of the little-known drone maker in Ohio later rose.", 0),  # too far from the subject
        ("$HPE +4.8%: the company said AI orders had accelerated.", 1),  # a signed figure, as mover lists write it
        ("$GOOGL -3.2%: the cloud giant weighed its spending plans.", -1),
        ("The stock (\u22122%) lagged its peers.", -1),  # a minus sign
        ("$AAPL guided to 3-4% growth and a -2 point swing.", 0),  # a range, or a figure without %, is no move
    ],
)
def test_price_direction(text, direction):
    patterns = build_price_move_patterns(LEXICON)
    assert compute_price_direction(extract_price_moves(text, patterns)) == direction


def test_moves_carry_their_span_for_evidence():
    text = "Results beat. Shares rose 5%; later the stock fell 2%."
    moves = extract_price_moves(text, build_price_move_patterns(LEXICON))
    assert [(text[a:b], d) for a, b, d in moves] == [("Shares rose", 1), ("stock fell", -1)]


def test_bundled_lexicon_loads_and_a_malformed_one_is_a_clear_error(tmp_path):
    patterns = load_price_move_patterns()
    assert compute_price_direction(extract_price_moves("Caterpillar shares soared 6%.", patterns)) == 1
    with pytest.raises(NarrativeError, match="missing or malformed field"):
        build_price_move_patterns({"subjects": ["shares"]})
    with pytest.raises(NarrativeError, match="price-move lexicon"):
        load_price_move_patterns(str(tmp_path / "missing.yaml"))


def test_a_reported_move_shifts_the_document_score():
    neutral_read = [{"negative": 0.1, "neutral": 0.7, "positive": 0.2}]  # score 0.1: inside the neutral band
    assert compute_document_sentiment(neutral_read, [10])["label"] == "neutral"
    up = compute_document_sentiment(neutral_read, [10], price_direction=1)
    assert up == {"label": "positive", "score": pytest.approx(0.1 + PRICE_MOVE_WEIGHT)}
    # a reported move decides a paragraph the model reads as flat or leaning the other way a little
    assert compute_document_sentiment(neutral_read, [10], price_direction=-1)["label"] == "negative"
    against = [{"negative": 0.0, "neutral": 0.3, "positive": 0.7}]  # score 0.7: the model is sure
    assert compute_document_sentiment(against, [10], price_direction=-1)["label"] == "neutral"
    strong = [{"negative": 0.0, "neutral": 0.05, "positive": 0.95}]
    assert compute_document_sentiment(strong, [10], price_direction=1)["score"] == 1.0  # clipped


def test_a_full_article_weighs_a_reported_move_less():
    """An article reports many moves (peers', the market's): one tips a flat lead, it does not decide it."""
    flat_lead = {"negative": 0.1, "neutral": 0.7, "positive": 0.2}  # score 0.1
    later = {"negative": 0.0, "neutral": 0.0, "positive": 1.0}  # ignored: an article is read from its lead
    windows = [flat_lead] + [later] * (LONG_DOCUMENT_WINDOWS - 1)
    up = compute_document_sentiment(windows, [100] * len(windows), price_direction=1)
    assert up == {"label": "neutral", "score": pytest.approx(0.1 + ARTICLE_PRICE_MOVE_WEIGHT)}
    leaning = [{"negative": 0.05, "neutral": 0.65, "positive": 0.3}] + [later] * (LONG_DOCUMENT_WINDOWS - 1)
    assert compute_document_sentiment(leaning, [100] * len(leaning), price_direction=1)["label"] == "positive"
    # the same lead alone is a paragraph: the move decides it
    assert compute_document_sentiment([flat_lead], [100], price_direction=1)["label"] == "positive"
    assert compute_document_sentiment([], [], price_direction=1) == {"label": "neutral", "score": 0.0}


def test_moves_are_assigned_to_their_company():
    text = "AMD shares jumped 24% while Intel said its stock fell. Later, shares of CAT rose; Deere was flat."
    patterns = build_price_move_patterns(LEXICON)
    moves = extract_price_moves(text, patterns)
    mentions = [("AMD", 0, 3), ("INTC", 28, 33), ("CAT", 72, 75), ("DE", 82, 87)]
    assert [text[a:b] for _, a, b in mentions] == ["AMD", "Intel", "CAT", "Deere"]
    assert assign_price_moves(text, moves, mentions) == {"AMD": 1, "INTC": -1, "CAT": 1}
    # a company named before a clause break does not own the move after it
    assert assign_price_moves("Deere was flat. Shares rose 2%.", extract_price_moves("Deere was flat. Shares rose 2%.", patterns),
                              [("DE", 0, 5)]) == {}


def test_a_move_right_after_a_company_name_belongs_to_that_company():
    text = ("Federal Realty rose 3.2% and Regency Centers fell 1.1%. Apple's revenue rose 3%, and Apple rose "
            "to the top of the list. Shares of AMD rose 2%.")
    spans = {"FRT": "Federal Realty", "REG": "Regency Centers", "AAPL": "Apple", "AMD": "AMD"}
    mentions = sorted((sym, text.index(name), text.index(name) + len(name)) for sym, name in spans.items())
    mentions.append(("AAPL", text.index("Apple rose"), text.index("Apple rose") + 5))
    patterns = load_price_move_patterns()
    moves = extract_price_moves(text, patterns)
    named = extract_named_price_moves(text, mentions, patterns, moves)
    # a business figure after a possessive and a verb without a percentage are no share-price moves;
    # the move "shares of AMD rose" is found once
    assert [text[a:b] for a, b, _ in named] == ["Federal Realty rose 3.2%", "Regency Centers fell 1.1%", "Shares of AMD rose"]
    assert assign_price_moves(text, named, mentions) == {"FRT": 1, "REG": -1, "AMD": 1}


def test_a_move_reported_for_a_ticker_shifts_only_that_ticker():
    document = {"label": "neutral", "score": 0.0}
    mentions = {"AMD": [{"negative": 0.2, "neutral": 0.6, "positive": 0.2}], "NVDA": [{"negative": 0.2, "neutral": 0.6, "positive": 0.2}]}
    out = compute_ticker_sentiment(mentions, ["AMD", "NVDA"], document, {"AMD": 1})
    assert out["AMD"] == {"label": "positive", "score": pytest.approx(TICKER_PRICE_MOVE_WEIGHT)}
    assert out["NVDA"]["label"] == "neutral"
    assert compute_ticker_sentiment(mentions, ["AMD"], document, {"AMD": 0})["AMD"]["label"] == "neutral"


def test_a_reported_move_decides_a_reading_that_leans_mildly_the_other_way():
    # "$META -3.8%: the cloud giant slipped" read a little positive (+0.2): the move decides.
    document = {"label": "positive", "score": 0.6}
    mentions = {"META": [{"negative": 0.1, "neutral": 0.6, "positive": 0.3}]}
    assert compute_ticker_sentiment(mentions, ["META"], document, {"META": -1})["META"]["label"] == "negative"
    strong = {"META": [{"negative": 0.0, "neutral": 0.2, "positive": 0.8}]}  # a clear reading the other way stays
    assert compute_ticker_sentiment(strong, ["META"], document, {"META": -1})["META"]["label"] == "neutral"


def test_evidence_is_the_moves_that_agree_with_the_label():
    text = "Results beat. Shares rose 5%; later the stock fell 2%."
    moves = extract_price_moves(text, build_price_move_patterns(LEXICON))
    evidence = build_price_move_evidence(text, moves, "negative")
    assert evidence == [{"label": "negative", "kind": "sentiment", "start": 40, "end": 50, "text": "stock fell",
                         "method": "price_move"}]
    assert build_price_move_evidence(text, moves, "neutral") == []


@pytest.mark.parametrize(
    "text",
    [
        "It announced a share buyback program. The stock jumped 5%.",  # the subject is "stock", not "share"
        "Uranium stocks; Centrus Energy down 8%.",  # no move across a clause break
        "https://example.com/news/stocks-rally-on-fed",  # a URL slug
    ],
)
def test_a_move_stays_inside_one_clause(text):
    moves = extract_price_moves(text, load_price_move_patterns())
    assert all(not text[a:b].lower().startswith("share ") and ";" not in text[a:b] for a, b, _ in moves)
    assert "stocks-rally" not in " ".join(text[a:b] for a, b, _ in moves)
