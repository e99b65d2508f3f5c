"""Theme cards, the pure evidence/score rules, the fast pattern matcher and the spaCy component."""

from __future__ import annotations

import math

import pytest
import spacy
import yaml

from nlp.errors import NarrativeError
from nlp.tagging.theme_evidence import (
    Candidate,
    build_cue_key,
    build_phrase_variants,
    compute_spread_factor,
    extract_theme_hits,
    score_theme_evidence,
)
from nlp.tagging.theme_patterns import TokenColumns, compile_pattern, find_pattern_matches, parse_op
from nlp.tagging.themes import load_theme_card, load_theme_cards, parse_theme_card

DEFAULT_IDS = {
    "blue_collar_ai", "reshoring", "regulatory_risk", "ai_capex", "power_demand", "monetary_policy",
    "market_rotation", "capital_markets",
}


def minimal_card(**extra) -> dict:
    card = {"id": "widgets", "label": "Widgets", "description": "Widget news.", "phrases": ["widget boom"]}
    card.update(extra)
    return card


@pytest.fixture(scope="module")
def rules_nlp():
    import nlp.tagging.themes  # noqa: F401  (registers the factory)

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("narrative_theme_rules_v1")
    return nlp


# --- cards ----------------------------------------------------------------------------------


def test_parse_minimal_card_has_defaults():
    card = parse_theme_card(minimal_card(), "widgets.yaml")
    assert card.id == "widgets" and card.threshold == 0.5 and card.context_window is None
    assert card.phrases == ("widget boom",) and card.n_phrases == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id": None}, "id"),
        ({"label": ""}, "label"),
        ({"phrasess": ["x"]}, "phrasess"),
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": True}, "threshold"),
        ({"phrases": "widget"}, "phrases"),
        ({"context_window": 0}, "context_window"),
        ({"ambiguous_phrases": ["gizmo"]}, "context"),
        ({"phrases": [], "patterns": [{"pattern": "x"}]}, "patterns[0]"),
        ({"patterns": [{"pattern": [{"LOWER": {"IN": ["$nope"]}}]}]}, "patterns[0]"),
        ({"patterns": [{"kind": "medium", "pattern": [{"LOWER": "a"}]}]}, "patterns[0].kind"),
        ({"phrases": []}, "phrases"),
    ],
)
def test_bad_card_error_names_file_and_field(change, field):
    data = minimal_card(**change)
    with pytest.raises(NarrativeError) as err:
        parse_theme_card(data, "cards/widgets.yaml")
    assert "cards/widgets.yaml" in str(err.value)
    assert f"'{field}'" in str(err.value)


def test_term_sets_expand_inside_patterns():
    card = parse_theme_card(
        minimal_card(term_sets={"verbs": ["build", "open"]}, patterns=[{"name": "p", "pattern": [{"LOWER": {"IN": ["$verbs", "add"]}}]}]),
        "x.yaml",
    )
    assert card.patterns[0].pattern == [{"LOWER": {"IN": ["build", "open", "add"]}}]


def test_load_card_reports_bad_yaml_and_id_mismatch(tmp_path):
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: broken\nphrases: [unclosed\n")
    with pytest.raises(NarrativeError, match="broken.yaml: not valid YAML"):
        load_theme_card(bad)
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump(minimal_card()))
    with pytest.raises(NarrativeError, match="'id' is 'widgets' but the file is named other.yaml"):
        load_theme_card(other)


def test_default_cards_are_the_eight_themes_with_examples():
    cards = load_theme_cards()
    assert {c.id for c in cards} == DEFAULT_IDS
    for card in cards:
        assert 8 <= len(card.examples) <= 15, card.id
        assert 5 <= len(card.counter_examples) <= 12, card.id


def test_user_dir_adds_and_replaces_cards(tmp_path):
    (tmp_path / "widgets.yaml").write_text(yaml.safe_dump(minimal_card()))
    (tmp_path / "reshoring.yaml").write_text(yaml.safe_dump(minimal_card(id="reshoring", label="Mine")))
    cards = {c.id: c for c in load_theme_cards(user_dirs=[tmp_path])}
    assert set(cards) == DEFAULT_IDS | {"widgets"}
    assert cards["reshoring"].label == "Mine"


def test_missing_themes_dir_is_a_clear_error(tmp_path):
    with pytest.raises(NarrativeError, match="themes folder not found"):
        load_theme_cards(tmp_path / "nope")


# --- pure rules --------------------------------------------------------------------------------


def test_phrase_variants_add_plural_and_us_forms():
    assert build_phrase_variants("rate cut") == ["rate cut", "rate cuts"]
    assert build_phrase_variants("utility") == ["utility", "utilities"]
    assert build_phrase_variants("switch") == ["switch", "switches"]
    assert "new US plants" in build_phrase_variants("new U.S. plant")
    assert build_phrase_variants("AI-powered") == ["AI-powered"]


def test_cue_key_merges_singular_and_plural():
    assert build_cue_key("Utilities") == build_cue_key("utility") == "utility"
    assert build_cue_key("data centers") == build_cue_key("data center")
    assert build_cue_key("tariffs") == "tariff"


def test_score_formula_points():
    assert score_theme_evidence([], 50) == 0.0
    assert score_theme_evidence([("a", 1.0)], 50) == pytest.approx(1 - math.exp(-1))
    assert score_theme_evidence([("a", 0.5), ("b", 0.5)], 50) == pytest.approx(1 - math.exp(-1))
    one_weak_repeated = score_theme_evidence([("a", 0.5)] * 5, 50)
    assert one_weak_repeated == pytest.approx(1 - math.exp(-0.625)) and one_weak_repeated < 0.5
    assert score_theme_evidence([("a", 1.0), ("a", 1.0)], 50) == pytest.approx(1 - math.exp(-1.25))


def test_spread_factor_of_paragraphs_and_articles():
    assert compute_spread_factor(1, 5) == 1.0  # a paragraph: one sentence is enough
    assert compute_spread_factor(1, 24) == pytest.approx(1 / 3)  # an article of 24 sentences needs 3
    assert compute_spread_factor(3, 24) == compute_spread_factor(5, 24) == 1.0


def test_a_passing_mention_does_not_make_a_full_article_about_a_theme(rules_nlp):
    filler = " ".join(f"The retailer's store number {i} sold more sweaters this winter than last." for i in range(20))
    passing = "Shares also rose as Treasury yields fell after the Fed held rates. " + filler
    assert "monetary_policy" not in rules_nlp(passing)._.themes
    about = " ".join(["The Fed held rates and signaled two cuts.", filler[:300], "Treasury yields fell after the Fed decision.",
                      filler[300:700], "Traders now expect the Fed to cut rates in March."])
    assert "monetary_policy" in rules_nlp(about)._.themes
    assert "monetary_policy" in rules_nlp("Shares rose as Treasury yields fell after the Fed held rates.")._.themes


def test_score_grows_with_evidence_and_shrinks_with_length():
    short = score_theme_evidence([("a", 1.0)], 100)
    assert score_theme_evidence([("a", 1.0), ("b", 0.5)], 100) > short
    assert score_theme_evidence([("a", 1.0)], 1200) < short


def cand(start, end, kind="strong", key=None, use_veto=False):
    return Candidate(key or f"k{start}", kind, "phrase", start, end, use_veto)


def test_exclude_drops_overlapping_cue():
    hits = extract_theme_hits([cand(3, 4), cand(10, 11)], exclude=[(2, 4)])
    assert [c.start for c, _ in hits] == [10]


def test_excluded_sense_holds_for_the_whole_text():
    # "New home listings ... before listing": an excluded cue takes its weak and ambiguous
    # namesakes elsewhere with it; a strong cue with that key elsewhere, and other keys, still count.
    cues = [cand(3, 4, "weak", key="listing"), cand(30, 31, "ambiguous", key="listing"),
            cand(40, 41, "weak", key="listing"), cand(50, 51, "strong", key="listing"),
            cand(60, 61, "weak", key="ipo")]
    hits = extract_theme_hits(cues, context=[(31, 32)], exclude=[(2, 4)], window=5)
    assert [c.start for c, _ in hits] == [50, 60]


def test_context_inside_an_excluded_span_vouches_for_nothing():
    # "grass-fed ... to cut feed bills": the excluded "grass-fed" holds the context word "fed"
    assert extract_theme_hits([cand(5, 6, "ambiguous")], context=[(3, 4)], exclude=[(1, 4)], window=5) == []
    assert extract_theme_hits([cand(5, 6, "ambiguous")], context=[(3, 4)], window=5)


def test_ambiguous_cue_needs_context_within_window():
    assert extract_theme_hits([cand(5, 6, "ambiguous")], context=[(20, 21)], window=5) == []
    hits = extract_theme_hits([cand(5, 6, "ambiguous")], context=[(9, 10)], window=5)
    assert hits and hits[0][1] == 1.0


def test_context_in_same_sentence_when_no_window():
    sent_of = lambda i: 0 if i < 10 else 1  # noqa: E731
    assert extract_theme_hits([cand(2, 3, "ambiguous")], context=[(12, 13)], sent_of=sent_of) == []
    assert extract_theme_hits([cand(2, 3, "ambiguous")], context=[(8, 9)], sent_of=sent_of)


def test_veto_cancels_ambiguous_and_guarded_cues_only():
    cues = [cand(5, 6, "ambiguous"), cand(7, 8, "strong", use_veto=True), cand(9, 10, "strong")]
    hits = extract_theme_hits(cues, context=[(4, 5)], veto=[(6, 7)], window=5)
    assert [c.start for c, _ in hits] == [9]


def test_ambiguous_words_do_not_vouch_for_each_other():
    cues = [cand(1, 2, "ambiguous"), cand(3, 4, "ambiguous")]
    assert extract_theme_hits(cues, context=[(1, 2), (3, 4)], window=5) == []


def test_overlapping_cues_keep_the_heaviest_then_longest():
    hits = extract_theme_hits([cand(2, 4, "weak"), cand(3, 5, "strong"), cand(3, 4, "strong")])
    assert [(c.start, c.end, w) for c, w in hits] == [(3, 5, 1.0)]


# --- fast patterns ---------------------------------------------------------------------------


def test_parse_op_ranges():
    assert parse_op(None) == (1, 1) and parse_op("?") == (0, 1) and parse_op("{2}") == (2, 2)
    assert parse_op("{0,3}") == (0, 3) and parse_op("+")[0] == 1 and parse_op("!") is None


def test_fast_matcher_finds_longest_match_near_anchor():
    nlp = spacy.blank("en")
    pattern = [{"LOWER": {"IN": ["build", "building"]}}, {"OP": "{0,3}"}, {"LOWER": "plant"}, {"LOWER": "in"}, {"LOWER": "ohio"}]
    compiled = compile_pattern(pattern, nlp.vocab.strings.add)
    doc = nlp("They are building a new plant in Ohio, not a plant in Texas.")
    table = TokenColumns(len(doc), lambda name: doc.to_array(name).tolist())
    assert [doc[s:e].text for s, e in find_pattern_matches(compiled, table)] == ["building a new plant in Ohio"]
    assert compile_pattern([{"LEMMA": "build"}], nlp.vocab.strings.add) is None


def test_fast_matcher_orth_and_flags():
    nlp = spacy.blank("en")
    compiled = compile_pattern([{"LIKE_NUM": True}, {"ORTH": "Fed"}], nlp.vocab.strings.add)
    doc = nlp("In 2025 Fed officials met; 3 fed up traders left.")
    table = TokenColumns(len(doc), lambda name: doc.to_array(name).tolist())
    assert [doc[s:e].text for s, e in find_pattern_matches(compiled, table)] == ["2025 Fed"]


def test_fast_matcher_keeps_a_shorter_match_inside_the_limit():
    nlp = spacy.blank("en")
    pattern = [{"LOWER": "money"}, {"OP": "{0,6}"}, {"LOWER": {"IN": ["utilities", "semiconductors"]}}]
    compiled = compile_pattern(pattern, nlp.vocab.strings.add)
    doc = nlp("Money hides in utilities\n\nMoney left semiconductors")
    unbounded = TokenColumns(len(doc), lambda name: doc.to_array(name).tolist())
    assert [doc[s:e].text for s, e in find_pattern_matches(compiled, unbounded)][0].endswith("semiconductors")
    breaks = [i for i, t in enumerate(doc) if "\n" in t.text]
    table = TokenColumns(len(doc), lambda name: doc.to_array(name).tolist(),
                         limit=lambda start: next((b for b in breaks if b > start), len(doc)))
    assert [doc[s:e].text for s, e in find_pattern_matches(compiled, table)] == [
        "Money hides in utilities", "Money left semiconductors"]


# --- the component ------------------------------------------------------------------------------


def test_card_examples_reach_threshold_and_counter_examples_do_not(rules_nlp):
    rules = rules_nlp.get_pipe("narrative_theme_rules_v1")
    failures = []
    for card in rules.cards.values():
        for text, expected in [(t, True) for t in card.examples] + [(t, False) for t in card.counter_examples]:
            score = rules_nlp(text)._.theme_scores[card.id]
            if (score >= card.threshold) != expected:
                failures.append(f"{card.id}: {score:.2f} {text}")
    assert not failures, "\n".join(failures)


def test_component_sets_evidence_scores_and_themes(rules_nlp):
    doc = rules_nlp("The Fed cut interest rates again. Crop rotation is a farming practice.")
    assert "monetary_policy" in doc._.themes
    assert doc._.theme_scores["market_rotation"] < 0.5
    hit = doc._.theme_evidence["monetary_policy"][0]
    assert doc.text[hit.start_char : hit.end_char] == hit.text
    assert set(hit.to_evidence()) == {"label", "kind", "start", "end", "text", "method"}


def test_near_misses_stay_out(rules_nlp):
    doc = rules_nlp("Senators weighed the nuclear option while the chatbot answered shoppers' questions.")
    assert doc._.themes == []


def test_user_card_through_factory_config(tmp_path):
    (tmp_path / "widgets.yaml").write_text(yaml.safe_dump(minimal_card()))
    nlp = spacy.blank("en")
    nlp.add_pipe("narrative_theme_rules_v1", config={"themes_dir": str(tmp_path)})
    doc = nlp("Analysts expect a widget boom next year.")
    assert doc._.themes == ["widgets"] and set(doc._.theme_scores) == {"widgets"}


def test_invalid_matcher_pattern_names_card_and_pattern(tmp_path):
    card = minimal_card(patterns=[{"name": "bad", "pattern": [{"LOWER": {"FROB": ["x"]}}]}])
    (tmp_path / "widgets.yaml").write_text(yaml.safe_dump(card))
    nlp = spacy.blank("en")
    with pytest.raises(NarrativeError, match=r"widgets.yaml: field 'patterns.bad' is not a valid spaCy Matcher pattern"):
        nlp.add_pipe("narrative_theme_rules_v1", config={"themes_dir": str(tmp_path)})


def test_production_moved_from_abroad_and_a_single_customers_concentration(rules_nlp):
    moved = rules_nlp("Orders rose as customers fitted out newly built U.S. plants. "
                      "\"Projects that moved from Asia are now buying automation,\" the chief executive said.")
    assert "reshoring" in moved._.themes
    customer = rules_nlp("Some analysts flagged concentration risk, since much of the backlog depends on a single "
                         "private customer whose funding plans remain unsettled.")
    assert "market_rotation" not in customer._.themes
    market = rules_nlp("Strategists warn of concentration risk as ten mega-cap stocks now make up 40% of the S&P 500.")
    assert "market_rotation" in market._.themes


@pytest.mark.parametrize(
    "text, theme, expected",
    [
        # holdout37-38 round: money raised without the words IPO, bond or offering
        ("Oracle borrowed $18 billion on Wednesday in a six-part deal.", "capital_markets", True),
        ("SoFi raised $1.5 billion by selling new shares at a 5.5% discount.", "capital_markets", True),
        ("Dominion may sell up to $1.8 billion of common shares from time to time at prevailing market prices.",
         "capital_markets", True),
        ("Qnity began trading on Monday; DuPont holders received one Qnity share for every two they owned.",
         "capital_markets", True),
        ("Sell the crowded megacap trade, buy the other 490.", "market_rotation", True),
        ("Oracle sold $18 billion of bonds to pay for the computing campuses it is building.", "ai_capex", True),
        # a figurative verdict is no court's
        ("Traders read the flat close as a pause rather than a verdict.", "regulatory_risk", False),
        # trade rules a company uses are no agency acting against it
        ("Lennox will move assembly from an Asian contract manufacturer to its campus in Saltillo, Mexico, so the "
         "units can cross the border duty-free under USMCA rules. The shift will cost about $40 million.",
         "regulatory_risk", False),
        # a US county names a domestic site; supply that is "mostly imported" is what a new plant replaces
        ("Hubbell will build a $260 million factory in Spartanburg County to make pad-mounted transformers.",
         "reshoring", True),
        ("Hubbell will open a new plant for distribution transformers, equipment that utilities say is mostly "
         "imported.", "reshoring", True),
        # agencies and boards acting without the usual words
        ("Two AbbVie medicines were named among the 15 drugs whose Medicare prices will be set through direct "
         "talks with federal health officials.", "regulatory_risk", True),
        ("Commissioners voted 4-1 against rezoning 800 acres of farmland for a server campus.", "regulatory_risk", True),
        ("Washington said it would revoke the authorizations that let the chipmakers bring U.S. equipment into "
         "their plants in China.", "regulatory_risk", True),
        ("Constellation will sell stakes in several gas-fired plants to secure federal sign-off for its takeover.",
         "regulatory_risk", True),
        ("The federal auto-safety agency opened a preliminary evaluation covering 2.9 million cars.",
         "regulatory_risk", True),
        ("The Department of Transportation told Delta to dissolve its joint venture with Aeromexico.",
         "regulatory_risk", True),
        ("Colorado's board set an upper payment limit of $600 per unit for Enbrel.", "regulatory_risk", True),
        ("The city council approved the rezoning for the new warehouse.", "regulatory_risk", False),
        ("Amphenol said demand for the copper cables that link training processors inside racks doubled.",
         "ai_capex", True),
        ("Rental REITs trade like long bonds when the market smells a softer policy path.", "monetary_policy", True),
        # breadth, concentration and valuation spreads; a graduate "rotational program" is no rotation
        ("The valuation spread between the most and the least expensive fifth of companies sits near a record.",
         "market_rotation", True),
        ("Only 41% of the index's members trade above their 200-day moving average, down from 68% in July.",
         "market_rotation", False),
        ("The index hit a record, yet only 41% of its members trade above their 200-day moving average and "
         "advancing stocks barely outnumber decliners.", "market_rotation", True),
        ("JPMorgan will add 400 places to its two-year rotational program for software engineering graduates.",
         "market_rotation", False),
        # machines doing physical work without "AI" or "robot"
        ("The trackside portals photograph every passing railcar and run trained image models to flag cracked "
         "wheels.", "blue_collar_ai", True),
        ("Subscriptions for its machine-control systems, which let dozers and excavators grade a site, rose 27%.",
         "blue_collar_ai", True),
        # a utility's big new customers; monopoly power is no electricity
        ("Xcel raised its spending plan as large-load contracts in Minnesota and Texas pile up.", "power_demand", True),
        ("The judge said a sale was needed to undo years of monopoly power over the ad tools and the demand "
         "they see.", "power_demand", False),
        # the casual register of posts, newsletters and calls
        ("2s10s out to +58, steepest in three years, and the banks are loving it.", "monetary_policy", True),
        ("Bond vigilantes are not a meme anymore: the 30yr tagged 5.12% after that auction tailed.",
         "monetary_policy", True),
        ("A Los Angeles jury told Johnson & Johnson to pay nearly $1 billion to the family of a woman.",
         "regulatory_risk", True),
        ("The Commerce Department now treats any company half-owned by a blacklisted Chinese firm as blacklisted "
         "too.", "regulatory_risk", True),
        ("This week we dig into round two of Medicare haggling over drug prices.", "regulatory_risk", True),
        ("Oklo filed to sell up to $1.5 billion of stock bit by bit into the market over time.", "capital_markets", True),
        ("Strategy sold a new type of preferred stock this week.", "capital_markets", True),
        ("The bank said it has no plans to issue preferred stock.", "capital_markets", False),
        ("The aerospace business is set to start trading as its own company in the second half.",
         "capital_markets", True),
        ("Meta sold a $30 billion bond to pay for the server farms.", "ai_capex", True),
        ("Money has been sneaking out of chip stocks and into health care for three weeks.", "market_rotation", True),
        ("'The factories are coming home, and they're built with steel,' the chief executive said.", "reshoring", True),
        # short feed items
        ("Dominion falls as the Interior Department suspended construction leases for five offshore wind farms.",
         "regulatory_risk", True),
        ("Lincoln Financial to pay $150M to end cost-of-insurance suits.", "regulatory_risk", True),
        ("Visa, Mastercard swipe-fee accord heads to judge.", "regulatory_risk", True),
        ("Realty Income sets up $3B ATM program.", "capital_markets", True),
        ("Investors swap chip funds for utilities as AI trade cools.", "market_rotation", True),
        ("Ford will assemble its next pickup at its Louisville plant instead of Mexico.", "reshoring", True),
        ("Robot maker Figure readies humanoid pilots in auto plants.", "blue_collar_ai", True),
    ],
)
def test_paraphrased_cues(rules_nlp, text, theme, expected):
    assert (theme in rules_nlp(text)._.themes) == expected
