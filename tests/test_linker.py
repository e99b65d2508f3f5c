"""Ticker linker component: each candidate rule, each disambiguation rule and each trap
class, on a spacy.blank("en") pipeline (no statistical model)."""

from __future__ import annotations

import json

import pytest
import spacy

from nlp.errors import NarrativeError
from nlp.tagging import linker as _linker  # noqa: F401  (registers the spaCy factory)
from nlp.tagging.link_candidates import Entry, is_case_ok, is_lowercase_slang, select_longest_first
from nlp.tagging.mentions import METHODS, Mention
from nlp.tagging.segments import DocView, Strings, build_is_lowercase_writing, build_shape, stop_hashes
from nlp.tagging.tags import parse_cashtag, parse_exchange_tag


@pytest.fixture(scope="module")
def nlp():
    pipeline = spacy.blank("en")
    pipeline.add_pipe("sentencizer")
    pipeline.add_pipe("narrative_ticker_linker_v1")
    return pipeline


def mentions(nlp, text: str) -> list[tuple[str, str, str]]:
    return [(m.symbol, m.text, m.method) for m in nlp(text)._.mentions]


def tickers(nlp, text: str) -> set[str]:
    return {m.symbol for m in nlp(text)._.mentions}


# --- component contract ---------------------------------------------------------------


def test_factory_sets_sorted_mentions_with_offsets_into_the_text(nlp):
    text = "Caterpillar (NYSE: CAT) rose; Nvidia's chips and $TSLA fell."
    found = nlp(text)._.mentions
    assert [m.start for m in found] == sorted(m.start for m in found)
    for m in found:
        assert isinstance(m, Mention) and text[m.start:m.end] == m.text
        assert m.method in METHODS and 0.0 <= m.confidence <= 1.0
    assert [(m.symbol, m.method) for m in found] == [
        ("CAT", "name"), ("CAT", "exchange_tag"), ("NVDA", "name"), ("TSLA", "cashtag"),
    ]
    assert found[0].to_dict() == {
        "symbol": "CAT", "start": 0, "end": 11, "text": "Caterpillar", "method": "name", "confidence": 0.95,
    }


def test_factory_config_and_a_doc_without_candidates(nlp):
    meta = nlp.get_pipe_meta("narrative_ticker_linker_v1")
    assert meta.assigns == ["doc._.mentions"] and meta.default_config == {"gazetteer_dir": None}
    assert nlp("Nothing to see here.")._.mentions == []
    assert nlp("")._.mentions == []


def test_works_without_a_sentencizer():
    bare = spacy.blank("en")
    bare.add_pipe("narrative_ticker_linker_v1")
    assert {m.symbol for m in bare("Apple shares rose. Amazon rainforest burns.")._.mentions} == {"AAPL"}


def test_factory_reads_a_custom_gazetteer_dir(tmp_path):
    record = {"symbol": "ZZZT", "name": "Zeta Widgets Inc.", "names": ["Zeta Widgets Inc.", "Zeta Widgets"],
              "aliases": [], "ambiguous": [], "weak": [], "other_symbols": [], "symbol_ambiguous": False}
    (tmp_path / "companies.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    (tmp_path / "aliases.yaml").write_text("unlisted: [OpenAI]\n", encoding="utf-8")
    (tmp_path / "context.yaml").write_text("corporate: [shares]\n", encoding="utf-8")
    custom = spacy.blank("en")
    custom.add_pipe("narrative_ticker_linker_v1", config={"gazetteer_dir": str(tmp_path)})
    assert [m.symbol for m in custom("Zeta Widgets and Apple gained.")._.mentions] == ["ZZZT"]


def test_factory_with_a_missing_gazetteer_dir_raises_a_narrative_error(tmp_path):
    with pytest.raises(NarrativeError):
        spacy.blank("en").add_pipe("narrative_ticker_linker_v1", config={"gazetteer_dir": str(tmp_path)})


# --- candidates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Buy $NVDA now", [("NVDA", "$NVDA", "cashtag")]),
        ("Long $BRK.B and $brk-b", [("BRK.B", "$BRK.B", "cashtag"), ("BRK.B", "$brk-b", "cashtag")]),
        ("$GOOG popped", [("GOOGL", "$GOOG", "cashtag")]),  # another share class: the primary listing
        ("New listing $ZZQX jumps", [("ZZQX", "$ZZQX", "cashtag")]),  # unknown but upper case: kept
        ("$BTC and $SPX are not companies", []),
        ("It cost US$5 and raised $5B", []),
    ],
)
def test_cashtags(nlp, text, expected):
    assert mentions(nlp, text) == expected


def test_a_cashtag_that_is_usually_a_future_needs_the_company_named(nlp):
    assert tickers(nlp, "Short $ES below 3107.50") == set()
    assert tickers(nlp, "$ES - Eversource Energy declares a dividend") == {"ES"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Tesla (NASDAQ: TSLA) fell", {("TSLA", "name"), ("TSLA", "exchange_tag")}),
        ("shares of NASDAQ:TSLA fell", {("TSLA", "exchange_tag")}),
        ("Alphabet (Nasdaq: GOOGL, GOOG) rose", {("GOOGL", "name"), ("GOOGL", "exchange_tag")}),
        ("the spinoffs (NYSE: GE; Nasdaq: GEHC) rose", {("GE", "exchange_tag"), ("GEHC", "exchange_tag")}),
        ("Berkshire Hathaway (NYSE: BRK-B) gained", {("BRK.B", "name"), ("BRK.B", "exchange_tag")}),
        ("the miner (NYSE American: ZZQX) jumped", {("ZZQX", "exchange_tag")}),
        ("the maker (OTC: SIEGY) and (TSX: ZZQ) rose", set()),
        ("Shopify (TSX: SHOP) rose", {("SHOP", "name")}),
    ],
)
def test_exchange_tags(nlp, text, expected):
    assert {(s, m) for s, _, m in mentions(nlp, text)} == expected


def test_names_are_case_aware_and_handle_possessives_hyphens_and_suffixes(nlp):
    assert tickers(nlp, "Nvidia's profit doubled.") == {"NVDA"}
    assert tickers(nlp, "An Nvidia-backed startup raised money.") == {"NVDA"}
    assert tickers(nlp, "Fans of the nvidia brand cheered.") == set()  # a writer who capitalises
    assert tickers(nlp, "Noble Corp. said its rigs were busy.") == {"NE"}
    assert tickers(nlp, "Homebuilders such as D.R. Horton rose.") == {"DHI"}
    assert tickers(nlp, "Meta Platforms Inc. and Apple Inc. reported.") == {"META", "AAPL"}


def test_aliases_map_brands_and_units_to_the_listed_parent(nlp):
    assert mentions(nlp, "YouTube ad sales rose.") == [("GOOGL", "YouTube", "alias")]
    assert tickers(nlp, "The Facebook parent said it would spend more on AI.") == {"META"}
    assert tickers(nlp, "AWS signed a cloud deal.") == {"AMZN"}
    assert tickers(nlp, "TSMC raised its capex plan.") == {"TSM"}
    assert tickers(nlp, "Analysts at Goldman Sachs and Morgan Stanley were bullish.") == {"GS", "MS"}
    # brands of the 2026-12-07 list: restaurant chains, insurance units, household brands
    assert tickers(nlp, "Olive Garden and LongHorn Steakhouse traffic rose.") == {"DRI"}
    assert tickers(nlp, "GEICO raised auto insurance rates again.") == {"BRK.B"}
    assert tickers(nlp, "Arm & Hammer baking soda sales rose for the maker's household unit.") == {"CHD"}  # not ARM
    assert tickers(nlp, "Eaton Vance funds saw outflows.") == {"MS"}  # not ETN
    # short names and brands that are also words or names: linked only with evidence
    assert tickers(nlp, "Tyson said chicken margins improved.") == {"TSN"}
    assert tickers(nlp, "Mike Tyson fought in Las Vegas.") == set()
    assert tickers(nlp, "Heinz shares rose after the ketchup maker beat estimates.") == {"KHC"}
    assert tickers(nlp, "The coach praised the team.") == set()
    assert tickers(nlp, "It was a monster quarter for memory makers.") == set()


def test_bare_symbols(nlp):
    assert mentions(nlp, "NVDA shares jumped 5%.") == [("NVDA", "NVDA", "symbol")]
    assert tickers(nlp, "Traders bought SPY and QQQ.") == {"SPY", "QQQ"}
    assert tickers(nlp, "IT spending and AI stocks rose; A new ON switch arrived.") == set()
    assert tickers(nlp, "A big-budget film from Amazon MGM Studios topped the charts.") == {"AMZN"}


def test_all_caps_headlines(nlp):
    assert tickers(nlp, "NVIDIA AND MICROSOFT LEAD TECH RALLY") == {"NVDA", "MSFT"}
    assert tickers(nlp, "APPLE SHARES JUMP AFTER EARNINGS") == {"AAPL"}
    assert tickers(nlp, "APPLE PIE FESTIVAL DRAWS CROWDS") == set()
    assert tickers(nlp, "WHY THE CAT SAT ON THE MAT") == set()


# --- disambiguation -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Grandma's apple pie won first prize.",
        "Apple pie sales rose 20% at the bakery chain this quarter.",
        "The Amazon rainforest lost an area the size of Belgium.",
        "Farmers in the Mekong Delta face rising salt levels.",
        "The river delta flooded again.",
        "The shell company was registered in Delaware.",
        "Analysts raised the target price for gold.",
        "Target prices for copper were cut by analysts.",
        "Her visa application was approved after months.",
        "The Oracle of Omaha bought more shares of an oil company.",
        "A block of shares changed hands in a block trade.",
        "The doctor ordered a CAT scan.",
        "Harrison Ford starred in the film that earned $200 million.",
        "Former President Gerald Ford pardoned Nixon.",
        "The prime minister called a snap election.",
        "The Dow fell 400 points as investors sold shares.",
        "The tennis match drew record ticket sales.",
        "Progressive Democrats pushed for a wealth tax on shareholders.",
        "Meta-analysis of 40 studies found no effect.",
        "The wage gap between men and women narrowed.",
        "Voters in the Old Dominion head to the polls as the governor's race tightens.",
        "A WEEK OF UPS AND DOWNS FOR STOCKS\n\nShares swung as investors weighed the jobs data.",
    ],
)
def test_ordinary_words_and_other_entities_are_not_linked(nlp, text):
    assert tickers(nlp, text) == set()


@pytest.mark.parametrize(
    "text, symbol",
    [
        ("Apple shares rose 3% after earnings.", "AAPL"),
        ("Target said it would cut prices on 5,000 items.", "TGT"),
        ("Oracle shares jumped after cloud revenue beat estimates.", "ORCL"),
        ("Visa and Mastercard agreed to settle the lawsuit.", "V"),
        ("Shell reported record profits from its LNG business.", "SHEL"),
        ("Delta Air Lines raised its outlook.", "DAL"),
        ("Block shares fell after Cash App growth slowed.", "XYZ"),
        ("Snap shares plunged after the Snapchat owner missed estimates.", "SNAP"),
        ("Ford recalled 500,000 trucks.", "F"),
        ("Dow Inc. said it would close a plant in Europe.", "DOW"),
        ("Progressive said net premiums written rose 10%.", "PGR"),
        ("Gap Inc. shares rose after Old Navy sales beat.", "GAP"),
        ("Old Dominion said LTL tonnage fell 8% in October.", "ODFL"),
        ("UPS and FedEx raised their fuel surcharges again.", "UPS"),
    ],
)
def test_ambiguous_names_are_linked_with_corporate_evidence(nlp, text, symbol):
    assert symbol in tickers(nlp, text)


@pytest.mark.parametrize(
    "text, symbol",
    [
        ("Target will close nine stores in four states.", "TGT"),  # subject + auxiliary verb
        ("Meta's Llama models are used by thousands of developers.", "META"),  # possessive of a name
        ("Mosaic slipped 1% on phosphate worries.", "MOS"),  # the subject of a price move
        ("Meanwhile Apple said it would invest more.", "AAPL"),  # a sentence starter is no name
        ("Retailer Target said sales fell.", "TGT"),
        # a customer, tenant, lender or backer of the story's company
        ("The REIT signed a 140-megawatt lease with Oracle in Texas, its largest to date.", "ORCL"),
        ("A designer of small reactors backed by Amazon, agreed to go public.", "AMZN"),
        ("Oracle borrowed $18 billion on Wednesday in a six-part deal.", "ORCL"),
        ("Its robots run in distribution centers operated for Amazon and several grocers.", "AMZN"),
        # a list headed by a kind of company; a broker's rating action
        ("The new capital rule hurts lenders such as Citizens.", "CFG"),
        ("Morgan Stanley cuts Travelers to equal-weight on softer pricing.", {"MS", "TRV"}),
    ],
)
def test_more_kinds_of_evidence(nlp, text, symbol):
    assert tickers(nlp, text) == (symbol if isinstance(symbol, set) else {symbol})


@pytest.mark.parametrize("text", ["He moved to Target to buy milk.", "The family drove to Delta to buy a car."])
def test_to_and_a_rating_word_need_a_rating_verb_before_the_name(nlp, text):
    assert tickers(nlp, text) == set()


def test_a_spin_off_has_its_symbol_only_from_its_first_trading_day(nlp):
    text = "Comcast expects to complete the separation of Versant, its cable channels unit, by Jan. 1."
    assert _dated(nlp, text, "2025-11-20") == {"CMCSA"}
    assert _dated(nlp, "Versant shares fell 3% after the network group reported ad sales.", "2026-02-10") == {"VSNT"}


def test_company_specific_cues_and_possessive_headlines(nlp):
    assert tickers(nlp, "Apple takes the wraps off a low-cost MacBook") == {"AAPL"}
    assert tickers(nlp, "Apple's Agentic Moment Is Here") == {"AAPL"}
    assert tickers(nlp, "Corning, the glass maker, rose.") == {"GLW"}


def test_a_name_followed_by_a_state_is_a_place(nlp):
    assert tickers(nlp, "Corning, New York, is known for its glass museum.") == set()
    assert tickers(nlp, "Dover, Delaware, hosts a race every spring.") == set()


def test_a_capitalised_word_before_an_ambiguous_name_makes_another_name(nlp):
    assert tickers(nlp, "Abraham Lincoln said the union would endure.") == set()
    assert tickers(nlp, "Serena Williams said she would retire.") == set()


def test_multi_word_names_need_no_evidence_in_prose(nlp):
    text = "Regulators approved the tariff. American Electric Power, which proposed the rule, said more."
    assert tickers(nlp, text) == {"AEP"}


def test_reuters_instrument_codes(nlp):
    assert mentions(nlp, "Apple Inc (AAPL.O) rose.") == [("AAPL", "Apple Inc", "name"), ("AAPL", "AAPL.O", "symbol")]


def test_a_list_of_companies_is_evidence(nlp):
    assert tickers(nlp, "Apple, Microsoft and Nvidia led the market higher.") == {"AAPL", "MSFT", "NVDA"}


def test_one_sense_per_discourse(nlp):
    text = "Amazon (NASDAQ: AMZN) opened a new warehouse. Later, Amazon expanded in Ohio."
    assert [m for m in mentions(nlp, text) if m[1] == "Amazon"] == [("AMZN", "Amazon", "name"), ("AMZN", "Amazon", "discourse")]
    tagged = "Caterpillar (NYSE: CAT) beat estimates. CAT shares rose 4%."
    assert mentions(nlp, tagged)[-1] == ("CAT", "CAT", "discourse")
    assert tickers(nlp, "Caterpillar (CAT) rose.") == {"CAT"}


def test_a_name_used_for_another_entity_needs_the_company_named_elsewhere(nlp):
    text = ("Dominion Voting Systems settled its lawsuit. Dominion had sought $1.6 billion in damages, "
            "the privately held company said.")
    assert tickers(nlp, text) == set()


def test_discourse_only_names_need_the_company_named_unambiguously(nlp):
    assert tickers(nlp, "Dow said it would close a plant in Europe.") == set()
    assert tickers(nlp, "Loan Giants Opt to Block Energy Programs") == set()
    text = "Dow Inc. reported a loss. Dow said it would close a plant in Europe."
    assert mentions(nlp, text)[-1] == ("DOW", "Dow", "discourse")


def test_acronym_names_must_be_upper_case(nlp):
    assert tickers(nlp, "Book industry confidence hurt by shake-ups. Ups and downs.") == set()
    assert tickers(nlp, "UPS cut 20,000 jobs.") == {"UPS"}


def test_headlines_need_close_evidence(nlp):
    assert tickers(nlp, "Rise In Spending Placed At $32 Billion Over Target For 1980") == set()
    assert tickers(nlp, "As Regulators Block Tech Deals, They Look Ahead") == set()
    assert tickers(nlp, "How Travelers Can Reach Other Countries") == set()
    assert tickers(nlp, "Target Cuts Forecast As Shoppers Pull Back") == {"TGT"}
    assert tickers(nlp, "Why Apple Stock Fell Today") == {"AAPL"}


def test_companies_that_share_a_prefix_stay_distinct(nlp):
    text = "GE Vernova's backlog grew, GE HealthCare lagged and GE rose."
    assert mentions(nlp, text) == [
        ("GEV", "GE Vernova", "name"), ("GEHC", "GE HealthCare", "name"), ("GE", "GE", "alias"),
    ]
    assert tickers(nlp, "Alphabet and Alpha Metallurgical Resources rose.") == {"GOOGL", "AMR"}


def test_private_companies_and_indices_get_no_ticker(nlp):
    text = ("OpenAI, SpaceX and Anthropic may list in 2026, and Open AI rivals grow, while the S&P 500, "
            "the Nasdaq-100 and the Russell 2000 rose.")
    assert tickers(nlp, text) == set()
    assert tickers(nlp, "Samsung and SK Hynix rallied in Seoul.") == set()


def test_etfs_only_when_the_fund_or_symbol_is_named(nlp):
    assert tickers(nlp, "Record inflows hit the SPDR S&P 500 ETF Trust.") == {"SPY"}
    assert tickers(nlp, "The iShares Russell 2000 ETF (NYSE Arca: IWM) rose.") == {"IWM"}
    assert tickers(nlp, "The S&P 500 Equal Weight index beat the S&P 500.") == set()


def test_title_case_headline_needs_evidence_for_word_names(nlp):
    assert tickers(nlp, "Making The Best Buy Decisions At The Grocery Store") == set()
    assert tickers(nlp, "Best Buy Shares Jump After Earnings Beat Estimates") == {"BBY"}


# --- pure helpers ---------------------------------------------------------------------


def _view(text: str) -> DocView:
    blank = spacy.blank("en")
    return DocView(blank.make_doc(text), Strings(blank.vocab.strings), stop_hashes(blank.vocab.strings))


def test_parse_cashtag_and_exchange_tag_read_tokens():
    view = _view("Long $BRK-B (NYSE: CAT, DE) and NASDAQ:TSLA")
    hit = parse_cashtag(view, 1)
    assert (hit.symbol, hit.start, hit.end, hit.raw) == ("BRK.B", 1, 5, "BRK.B")
    nyse = parse_exchange_tag(view, 6)
    assert [(h.symbol, h.exchange) for h in nyse] == [("CAT", "NYSE"), ("DE", "NYSE")]
    assert (nyse[0].tag_start, nyse[0].tag_end) == (5, 12)
    assert [h.symbol for h in parse_exchange_tag(view, 13)] == ["TSLA"]
    assert parse_exchange_tag(_view("Nasdaq: stocks fell"), 0) == []
    assert parse_exchange_tag(_view("the Nasdaq fell"), 1) == []


def test_segments_split_at_sentences_and_line_breaks():
    view = _view("Apple Shares Jump On Strong Earnings\n\nThe company said sales rose. Investors cheered.")
    assert view.shape(0) == "title"
    assert view.segment(0) == (0, 7)
    assert view.shape(8) == "plain"
    assert view.starts_segment(7) and not view.starts_segment(8)


@pytest.mark.parametrize(
    "words, shape",
    [
        (["APPLE", "SHARES", "JUMP"], "caps"),
        (["Apple", "Shares", "Jump", "After", "Earnings"], "title"),
        (["Apple", "shares", "jumped", "after", "earnings"], "plain"),
        (["NYSE", "CAT", "and", "Nvidia"], "plain"),
    ],
)
def test_build_shape(words, shape):
    assert build_shape(words) == shape


@pytest.mark.parametrize(
    "canonical, words, ok",
    [
        ([("Apple", (True, True, False))], ["Apple"], True),
        ([("Apple", (True, True, False))], ["apple"], False),  # "apple pie"
        ([("eBay", (False, True, False))], ["ebay"], False),  # lower case where the name has capitals
        ([("eBay", (False, True, False))], ["EBAY"], True),
        ([("UPS", (True, True, True))], ["Ups"], False),  # the "Ups" of "Shake-Ups"
        ([("UPS", (True, True, True))], ["UPS"], True),
    ],
)
def test_is_case_ok(canonical, words, ok):
    entry = Entry("company", canonical[0][0], "X", caps=tuple(caps for _, caps in canonical))
    assert is_case_ok(entry, words) is ok


def test_select_longest_first_keeps_the_longest_and_prefers_a_company_to_a_block():
    company, block = Entry("company", "GE Vernova", "GEV"), Entry("blocked", "Vernova Park")
    ge = Entry("company", "GE", "GE")
    found = [(0, 1, ge), (0, 2, company), (1, 3, block), (5, 6, ge)]
    assert select_longest_first(found) == [(0, 2, company), (5, 6, ge)]
    tie_company, tie_block = Entry("company", "Dominion", "D"), Entry("blocked", "Dominion")
    assert select_longest_first([(3, 4, tie_block), (3, 4, tie_company)]) == [(3, 4, tie_company)]


def _dated(nlp, text: str, published: str | None) -> set[str]:
    doc = nlp.make_doc(text)
    doc._.published = published
    return {m.symbol for m in nlp(doc)._.mentions}


def test_an_acquired_company_means_its_acquirer_only_from_the_deal_date(nlp):
    text = "TD Ameritrade reported record trading volumes."
    assert _dated(nlp, text, "2019-11-25") == set()  # still independent: and "TD" inside it is not TD Bank
    assert _dated(nlp, text, "2021-03-01") == {"SCHW"}
    assert _dated(nlp, text, None) == {"SCHW"}  # no date: the current parent
    assert _dated(nlp, "Charles Schwab agreed to buy TD Ameritrade.", "2019-11-25") == {"SCHW"}


def test_a_legal_form_after_a_name_names_the_company(nlp):
    # "Travelers" alone needs the company named elsewhere; "Travelers Cos." names it.
    assert tickers(nlp, "Travelers Cos. returned with a $500 million catastrophe bond.") == {"TRV"}
    assert tickers(nlp, "Weary travelers filled the airport.") == set()
    assert tickers(nlp, "Travelers crowded the terminals on Friday.") == set()


def test_an_alias_spelled_like_a_named_companys_symbol_means_that_company(nlp):
    text = "Shares of HP dropped 8% after Helmerich & Payne cut its rig outlook."
    assert tickers(nlp, text) == {"HP"}
    assert tickers(nlp, "HP said PC shipments rose as Dell lagged.") == {"DELL", "HPQ"}


def test_a_short_name_means_the_company_named_in_full_beside_it(nlp):
    text = "Mueller Water brings valve work home\n\nMueller Water Products will move production."
    assert tickers(nlp, text) == {"MWA"}
    both = "Mueller Industries and Mueller Water Products rose. Mueller said copper helped."
    assert mentions(nlp, both)[-1] == ("MLI", "Mueller", "name")


@pytest.mark.parametrize(
    "text",
    ["Texas Gov. Greg Abbott signed a law on large power users.", "President Gerald R. Ford signed the bill."],
)
def test_a_title_and_given_names_before_a_name_make_a_person(nlp, text):
    assert tickers(nlp, text) == set()


def test_a_state_postal_code_after_a_name_makes_a_place(nlp):
    assert tickers(nlp, "Amazon leased a warehouse outside Dover, DE, the largest in the state.") == {"AMZN"}
    assert tickers(nlp, "Corning, in a filing, said sales rose.") == {"GLW"}


def test_a_futures_root_cashtag_needs_its_company_named(nlp):
    assert tickers(nlp, "$HE lean hogs +3% today. $TSN -2.1% into the close.") == {"TSN"}
    assert tickers(nlp, "Hawaiian Electric ($HE) fell 4%.") == {"HE"}


def test_a_business_noun_before_a_name_names_the_company(nlp):
    text = "The Hartford posted record margins. Rival Travelers, which reported a week earlier, lagged."
    assert tickers(nlp, text) == {"HIG", "TRV"}
    assert tickers(nlp, "Weary Travelers, which waited for hours, lagged.") == set()


def test_names_that_differ_only_in_case_keep_their_own_company(nlp):
    text = "Piper Sandler rates First BanCorp, the San Juan lender, and First Bancorp, the North Carolina bank."
    assert tickers(nlp, text) == {"PIPR", "FBP", "FBNC"}


def test_an_institution_named_after_a_company_namesake_is_not_the_company(nlp):
    assert tickers(nlp, "The Milton S. Hershey Medical Center opened a cancer tower.") == set()
    assert tickers(nlp, "Dell Medical School opened a clinic.") == set()
    assert tickers(nlp, "Hershey said chocolate sales rose.") == {"HSY"}


def test_a_state_after_a_name_is_a_place_only_when_the_phrase_ends_there(nlp):
    assert tickers(nlp, "The plant in Hershey, Pa., will open in 2029.") == set()
    assert tickers(nlp, "Apple, Texas Instruments and Intel rose.") == {"AAPL", "TXN", "INTC"}


def test_link_context_predicates_read_a_view_and_the_word_lists():
    from nlp.tagging.gazetteer import load_gazetteer
    from nlp.tagging.link_context import is_institution_after, is_place_after, is_titled_person

    ctx = load_gazetteer().context

    def at(view, word):
        return [view.word(i) for i in range(view.n)].index(word)

    person = _view("The new law was signed on Friday by Texas Gov. Greg Abbott after a long debate.")
    assert is_titled_person(person, ctx, at(person, "Abbott")) and not is_titled_person(person, ctx, at(person, "Texas"))
    clinic = _view("The hospital said the tower at the Hershey Medical Center will open next spring with more beds.")
    assert is_institution_after(clinic, ctx, at(clinic, "Hershey") + 1)
    place = _view("The company said its new warehouse outside Dover, DE, will open next year with 900 workers.")
    assert is_place_after(place, ctx, at(place, "Dover") + 1)
    assert not is_place_after(_view("Apple, Texas Instruments and Intel rose on the news today."), ctx, 1)


def test_a_town_after_a_preposition_of_place_is_read_as_the_town():
    from nlp.tagging.gazetteer import load_gazetteer
    from nlp.tagging.link_context import is_town_after_preposition

    ctx = load_gazetteer().context
    view = _view("Legislators in Dover passed a bill; Dover shares rose; Apple opened a store in Dover.")
    assert is_town_after_preposition(view, ctx, "Dover", 2)
    assert not is_town_after_preposition(view, ctx, "Dover", 7)  # no preposition before it
    assert not is_town_after_preposition(view, ctx, "Apple", 0)  # not a town


def test_business_words_do_not_make_a_town_the_company(nlp):
    text = "Legislators in Dover passed a bill requiring data centers to pay for grid upgrades."
    assert tickers(nlp, text) == set()
    assert tickers(nlp, "Dover shares rose after the industrial maker raised guidance.") == {"DOV"}
    assert tickers(nlp, "Ads in 'Abbott Elementary' cost 15% more this season.") == set()  # a school, named
    assert tickers(nlp, "Moog Music, the private synthesizer maker, is cutting 40 jobs.") == set()
    assert tickers(nlp, "Moog shares rose 3% after the aerospace supplier raised its outlook.") == {"MOG.A"}


def test_a_lowercase_word_before_a_hyphen_or_an_auxiliary_is_the_word(nlp):
    post = "call me uber-bullish, but my target is $520 by spring. long $tsla, no options."
    assert tickers(nlp, post) == {"TSLA"}
    assert tickers(nlp, "general electric isn't on my list, ge aerospace barely pays anything.") == {"GE"}


def test_places_lists_and_short_names(nlp):
    assert tickers(nlp, "Lorry queues at the Port of Dover stretched for nine miles on Friday.") == set()
    assert tickers(nlp, "Jacobs, Eaton and Cummins all beat the broader market in March.") == {"J", "ETN", "CMI"}
    assert tickers(nlp, "Applied and Lam each rose 5% after TSMC raised its spending plan for chip tools.") == {
        "AMAT", "LRCX", "TSM"}
    assert tickers(nlp, "Card spending rose 2.3%, according to the Bank of America Institute.") == {"BAC"}
    assert tickers(nlp, "The Bank of England's MPC held rates; the PRA said buffers were ample.") == set()
    assert tickers(nlp, "Uber-wealthy fans booked whole floors, said the GM of the hotel.") == set()


def test_a_name_with_an_ampersand_at_a_sentence_end(nlp):
    doc = nlp("It keeps winning customers from both Verizon and AT&T.")
    assert [(m.symbol, m.text) for m in doc._.mentions] == [("VZ", "Verizon"), ("T", "AT&T")]
    assert tickers(nlp, "Snap take: this was a monster quarter for the accelerator business.") == set()


def test_brand_units_and_acronyms_named_like_companies(nlp):
    assert tickers(nlp, "Amazon Pharmacy will handle home delivery in most states.") == {"AMZN"}
    assert tickers(nlp, "The Army will buy more of Bell's MV-75 tiltrotor.") == {"TXT"}
    assert tickers(nlp, "Kristen Bell said the show was renewed.") == set()
    assert tickers(nlp, "Software sequences the CNC machines on the shop floor.") == set()
    assert tickers(nlp, "Carrier checks suggest iPhone Air sales are tracking below plan.") == {"AAPL"}


def test_in_a_crypto_post_a_token_cashtag_is_the_token(nlp):
    assert tickers(nlp, "$STX +14% since Stacks shipped sBTC, $BTC at 118k, $MSTR +6%") == {"MSTR"}
    assert tickers(nlp, "$COIN $CRO-USD - Crypto exchange cuts staff again") == {"COIN"}
    assert tickers(nlp, "$STX - Seagate beats on nearline drive demand") == {"STX"}  # no coin: Seagate
    assert tickers(nlp, "$PEPE up 40% this week while my PepsiCo shares slid") == {"PEP"}  # a memecoin
    assert tickers(nlp, "$VET - Vermilion Energy raises its dividend") == {"VET"}  # a stock outside the indices


def test_a_currency_pair_cashtag_is_no_ticker(nlp):
    assert tickers(nlp, "$EURUSD back above 1.10 while $USDJPY slides; $XOM +2%") == {"XOM"}


def test_a_brand_phrase_maps_to_its_parent_not_its_namesake(nlp):
    text = "Masco cut its forecast as sales of Delta faucets fell in the mid-single digits."
    assert tickers(nlp, text) == {"MAS"}


# --- writers who write all in lower case ----------------------------------------------


def test_a_lowercase_writer_needs_evidence_for_word_like_names(nlp):
    assert tickers(nlp, "western union down 2%, stuck at 7x earnings") == {"WU"}
    assert tickers(nlp, "gm's q3 ev deliveries were a record but the stock is -3%") == {"GM"}
    assert tickers(nlp, "ups says it cut 48k jobs, stock popped 7%") == {"UPS"}
    # "target" beside words of its own (walmart, costco) is the retailer; "apple" with none is fruit
    assert tickers(nlp, "costco and walmart win the holidays, target not so much") == {"COST", "WMT", "TGT"}
    assert tickers(nlp, "$AMZN holding over 114, then the june lod, former gap area") == {"AMZN"}
    assert tickers(nlp, "apple looks tired tbh") == set()
    assert tickers(nlp, "home depot comps positive for the first time in 2 yrs") == {"HD"}  # comparable sales


def test_a_lowercase_writer_gets_unambiguous_names_and_symbols_at_lower_confidence(nlp):
    found = nlp("sold my nvda at the top lol. holding costco and jpmorgan, bofa too")._.mentions
    assert {(m.symbol, m.text) for m in found} == {
        ("NVDA", "nvda"), ("COST", "costco"), ("JPM", "jpmorgan"), ("BAC", "bofa")}
    assert {m.confidence for m in found} == {0.75}
    # a name only a company bears, though each of its words is a word
    assert tickers(nlp, "went to napa auto parts today, prices up again") == {"GPC"}


@pytest.mark.parametrize("text", [
    "gm everyone. apple pie and target practice today",  # words, and a two-letter acronym
    "thinking the best buy here is patience",  # a name made of ordinary words
    "psa: check the dte on those calls, smh",  # slang that is also a symbol
    "new sign-ups were strong",  # "UPS" inside a compound
])
def test_a_lowercase_writer_keeps_words_and_slang(nlp, text):
    assert tickers(nlp, text) == set()


def test_a_writer_who_capitalises_gets_no_lowercase_links(nlp):
    assert tickers(nlp, "Traders sold nvda and bought pltr.") == set()
    assert tickers(nlp, "AT&T fiber additions beat the carrier's target.") == {"T"}
    # a link's slug ("/industrials-up-...") is no lower-case sentence start
    text = 'Stocks rose. <a href="https://x.example.com/industrials-up-freeport-mcmoran">more</a>'
    assert tickers(nlp, text) == set()


@pytest.mark.parametrize("first_words, expected", [
    (["sold", "holding"], True),
    (["Daily", "sold"], True),  # a capitalised title over a lower-case post
    (["Stocks", "Traders", "sold"], False),
    (["AT&T", "AT&T"], False),  # segments opening with a name in capitals say nothing
    (["I", "NVDA", "sold"], True),
    ([], False),
])
def test_build_is_lowercase_writing(first_words, expected):
    assert build_is_lowercase_writing(first_words) is expected


def test_a_discourse_only_name_links_beside_a_word_of_its_own(nlp):
    assert tickers(nlp, "Strategy sold more stock to buy another 10,600 bitcoin.") == {"MSTR"}
    assert tickers(nlp, "Strategy matters more than tactics.") == set()
    assert tickers(nlp, "Insurers rallied: Travelers and Chubb rose after the underwriting beat.") >= {"TRV"}
    assert tickers(nlp, "Travelers faced long lines at the airport.") == set()


def test_the_southwest_is_a_region(nlp):
    assert "LUV" not in tickers(nlp, "Chipotle said traffic stabilised in the Southwest and Midwest.")


def test_an_ambiguous_fund_symbol_links_when_called_a_fund(nlp):
    assert tickers(nlp, "The Dow climbed 0.5%, with the DIA fund pulling in inflows.") == {"DIA"}
    assert tickers(nlp, "The DIA said the report was classified.") == set()


def test_a_recent_listing_has_no_ticker_before_its_first_trading_day(nlp):
    text = "Klarna set a range of $35 to $37 a share for its New York listing."
    assert _dated(nlp, text, "2025-09-02T12:00:00Z") == set()
    assert _dated(nlp, "Klarna shares fell 4% after results.", "2025-11-18T12:00:00Z") == {"KLAR"}


def test_a_business_noun_in_apposition_names_the_company(nlp):
    text = ("Corning, the glassmaker based in Corning, New York, will make the cover glass. "
            "Apple shares jumped 5% and Corning 3%.")
    assert tickers(nlp, text) == {"GLW", "AAPL"}


def test_exelons_peco_is_not_phillips_edison(nlp):
    assert tickers(nlp, "Exelon said most of the cost fell at PECO in suburban Philadelphia.") == {"EXC"}
    assert tickers(nlp, "Phillips Edison (PECO) raised its dividend; PECO shares rose.") == {"PECO"}


@pytest.mark.parametrize("text, expected", [("PSA", True), ("F", True), ("GM", False), ("UPS", False), ("BofA", False)])
def test_is_lowercase_slang(text, expected):
    assert is_lowercase_slang(text, frozenset({"psa", "smh"})) is expected


def test_a_name_before_its_own_product_is_the_company(nlp):
    text = "Regulators widened the Ford Explorer probe. Ford said it is cooperating."
    assert tickers(nlp, text) == {"F"}
    assert tickers(nlp, "Harrison Ford Explorer of the Year") == set()


def test_a_relative_clause_names_an_actor(nlp):
    text = "Alphabet rose 8%. Apple, which collects $20 billion a year from the deal, climbed 3%."
    assert tickers(nlp, text) == {"GOOGL", "AAPL"}
    assert tickers(nlp, "She baked an apple, which was sour.") == set()


def test_idioms_and_slang_that_look_like_chip_companies(nlp):
    text = "ok some actual intel from the chip conference: at arm's length i'd call spend flat"
    assert tickers(nlp, text) == set()


def test_fedwatch_is_cme_and_bookrunners_in_lower_case(nlp):
    assert tickers(nlp, "cme fedwatch now shows ~80% odds of a june cut") == {"CME"}
    assert tickers(nlp, "$SOFI selling $1.5bn of stock overnight. goldman and citi running the books") == {
        "SOFI", "GS", "C"}


def test_a_capitalised_sentence_starter_after_a_speaker_label_is_no_name(nlp):
    assert tickers(nlp, "HOST: Thanks for joining. HOST: Yet Quanta shares fell 6% after you reported.") == {"PWR"}


def test_products_places_and_units_named_like_companies(nlp):
    assert tickers(nlp, "Boeing won a contract for 36 AH-64E Apache attack helicopters.") == {"BA"}
    assert tickers(nlp, "Apache declares $0.25 dividend") == {"APA"}
    assert tickers(nlp, "From the towers along the Charles River to Kendall Square, lab space piles up.") == set()
    assert tickers(nlp, "Natural gas futures jumped to $6.10 per million BTU.") == set()
    assert tickers(nlp, "a win for Express Scripts and Optum Rx, which process most prescriptions") == {"CI", "UNH"}


def test_a_signed_percent_after_a_lowercase_name_is_evidence(nlp):
    text = "msft, goog, amzn and meta guide higher. meta -4% because zuck wouldn't put a number on payback"
    assert "META" in tickers(nlp, text)
    assert tickers(nlp, "merger synergy target reiterated at $2.7b, stock flat") == set()


def test_lowercase_bookrunners_link_beside_their_peers(nlp):
    assert tickers(nlp, "priced the deal overnight. morgan stanley and wells fargo ran the books.") == {"MS", "WFC"}


def test_cat_is_caterpillar_beside_its_machines_and_southwest_a_region_beside_its_weather(nlp):
    assert tickers(nlp, "Alpha Metallurgical has ordered eight Cat 789 haul trucks.") == {"AMR", "CAT"}
    assert tickers(nlp, "The Cat 5 storm hit Florida; Home Depot rose.") == {"HD"}
    assert tickers(nlp, "Nucor to idle Kingman rebar mill as Southwest construction slows") == {"NUE"}
    assert tickers(nlp, "Southwest cut fares on Denver flights.") == {"LUV"}


def test_a_brand_model_is_its_parent_and_a_ship_class_is_no_carmaker(nlp):
    text = "Regulators opened a probe into 140,000 Lincoln Aviator SUVs. The parent's shares slipped 1%."
    assert tickers(nlp, text) == {"F"}
    assert tickers(nlp, "Huntington Ingalls wins Ford-class carrier work") == {"HII"}
    # a short name means the company whose longer name or alias is in the text
    assert tickers(nlp, "Ford Recalls Lincoln SUVs\n\nFord is recalling 142,000 Lincoln Aviator SUVs.") == {"F"}


def test_the_pipeline_tokenises_like_a_blank_english_pipeline_with_a_fresh_tokenizer():
    # Building the components tokenises thousands of names and phrases, which would fill spaCy's
    # tokenizer cache; the pipeline then gets a fresh tokenizer with the same settings.
    from nlp.tagging.pipeline import _renew_tokenizer_cache, build_pipeline

    nlp = build_pipeline()
    blank = spacy.blank("en")
    before = blank.tokenizer
    _renew_tokenizer_cache(blank)
    assert blank.tokenizer is not before
    texts = ["$BRK-B (NYSE: CAT) rose 2.5% to $1,234.56; see https://x.co/a?b=1 :)", "U.S.-made chips, e.g. Nvidia's",
             "Ford-class carrier -- 'quoted' text\n\nNew paragraph", "sold my nvda lol... #AI @user"]
    for text in texts:
        assert [t.text for t in nlp.make_doc(text)] == [t.text for t in blank.make_doc(text)]
    assert nlp.tokenizer.rules == blank.tokenizer.rules
    assert nlp.tokenizer.max_cache_size == blank.tokenizer.max_cache_size


def test_list_items_and_product_appositions_read_from_a_view():
    from nlp.tagging.gazetteer import load_gazetteer
    from nlp.tagging.link_context import is_listed_beside, is_product_apposition

    view = _view("Jacobs, Eaton and Cummins rose; its engine, Axon, grew.")
    eaton, cummins = (2, 3), (4, 5)
    assert is_listed_beside(view, 0, 1, [eaton]) and is_listed_beside(view, 4, 5, [eaton])
    assert not is_listed_beside(view, 0, 1, [cummins])  # not the next item
    ctx = load_gazetteer().context
    axon = [view.word(i) for i in range(view.n)].index("Axon")
    assert is_product_apposition(view, ctx, axon) and not is_product_apposition(view, ctx, 2)


def test_a_lowercase_word_needs_a_close_cue_in_market_chat(nlp):
    # the chat is all market talk, so "market makers" or "calls" some words away says nothing of "chase"
    text = ("power hour on $amd: flat all day, then +4% on zero news. someone swept the weekly calls "
            "and the market makers had to chase. $smh followed, $intc didn't.")
    assert "JPM" not in tickers(nlp, text)
    assert "JPM" in tickers(nlp, "chase shares up 3% after the bank beat. $jpm is my biggest position.")
    assert "BP" not in tickers(nlp, "small caps carry floating-rate debt, so every bp off the front end matters for $iwm.")
    assert "AEP" in tickers(nlp, "aep (american electric power) raised its load forecast again, stock +3%.")


def test_a_capitalised_first_word_the_prose_uses_as_a_word_is_the_word(nlp):
    headline = "Visa waits cloud World Cup travel boost\n\nWait times for US visitor visa interviews top 300 days, and the travel industry is nervous."
    assert "V" not in tickers(nlp, headline)
    assert "V" in tickers(nlp, "Visa raises fees\n\nVisa Inc. said cross-border volumes rose 12%.")


# --- real news: persons, acronyms, central banks (Reuters-21578 and FiNER-ORD texts showed these) ---


@pytest.mark.parametrize(
    "text",
    [
        "Prime Minister Tony Abbott said the budget would pass. Abbott thundered in parliament.",
        "Andrew McCormick, who runs the bond team, expects higher yields.",
        "Mr Abbott disagreed with the plan.",
        "The Roy Disney family disclosed a stake.",
        "Actor Michael J. Fox attended the gala.",
    ],
)
def test_a_given_name_or_an_honorific_before_a_one_word_name_makes_a_person(nlp, text):
    assert tickers(nlp, text) == set()


def test_a_given_name_does_not_block_a_company_named_in_full_or_a_question(nlp):
    text = "John Deere tractors sold well; Walt Disney, Charles Schwab and Jack Henry rose."
    assert tickers(nlp, text) == {"DE", "DIS", "SCHW", "JKHY"}
    assert tickers(nlp, "Abbott Laboratories rose after Abbott said diagnostics sales grew.") == {"ABT"}


def test_a_headline_title_before_capitalised_words_is_not_a_person(nlp):
    assert tickers(nlp, "Fiat Fights Back: Chairman Rejects GM's Allegations Of Union Bribery") == {"GM"}
    assert tickers(nlp, "Coach Owner Tapestry Sales Top Estimates") == {"TPR"}


@pytest.mark.parametrize(
    "text",
    [
        "He spoke to the Economic Planning Advisory Council (EPAC) on Tuesday.",
        "The Indian State Trading Corporation (STC) bought three cargoes.",
        "Storage tanks for liquefied petroleum gas (LPG) will be built.",
        "The 1972 Anti-Ballistic Missile (ABM) treaty was debated.",
        "A NSC (National Savings Certificate) is a safe investment.",
    ],
)
def test_an_acronym_spelled_out_beside_it_is_not_a_symbol(nlp, text):
    assert tickers(nlp, text) == set()


def test_an_acronym_spelled_out_once_is_the_acronym_everywhere_in_the_text(nlp):
    text = "Can I invest in NSC? A NSC or National Savings Certificate is a safe investment."
    assert tickers(nlp, text) == set()
    assert tickers(nlp, "The Minneapolis Grain Exchange (MGE) set a record. The MGE said volume rose.") == set()
    assert tickers(nlp, "Norfolk Southern Corp. (NSC) rose 2%. NSC said volumes grew.") == {"NSC"}


def test_a_company_name_that_spells_its_symbol_keeps_it(nlp):
    assert mentions(nlp, "Norfolk Southern Corp. (NSC) rose 2%.") == [
        ("NSC", "Norfolk Southern Corp.", "name"), ("NSC", "NSC", "symbol")]
    assert tickers(nlp, "Dorian LPG (LPG) and ABM Industries (ABM) rose.") == {"LPG", "ABM"}


def test_national_bank_alone_is_no_company(nlp):
    assert tickers(nlp, "The Swiss National Bank is set to raise borrowing costs in consecutive steps.") == set()
    assert tickers(nlp, "The deposits of the failed First National Bank of Crosby, Tex., were assumed.") == set()
    assert tickers(nlp, "National Bank Holdings raised its dividend.") == {"NBHC"}


def test_a_sentence_opening_with_a_number_says_nothing_of_lower_case_writing(nlp):
    text = "Burlington Industries Inc won a contract. 1986 net excludes a 400,000 dlr tax credit of 36 cts a share."
    assert tickers(nlp, text) == set()


def test_a_fund_named_after_its_manager_is_the_fund_not_the_manager(nlp):
    text = "The iShares MSCI China ETF (NASDAQ: MCHI) fell; the JPMorgan Equity Premium Income ETF drew inflows."
    assert tickers(nlp, text) == {"MCHI"}
    assert tickers(nlp, "$PGX - Invesco Preferred ETF declares monthly distribution of $0.0585") == {"PGX"}
    both = "BlackRock said its iShares business drew inflows. The iShares Core S&P 500 ETF (IVV) rose."
    assert mentions(nlp, both)[:2] == [("BLK", "BlackRock", "name"), ("BLK", "iShares", "alias")]
    assert tickers(nlp, "Invesco shares rose 3% after JPMorgan Chase reported.") == {"IVZ", "JPM"}


def test_syndication_boilerplate_names_no_company(nlp):
    text = ("Palo Alto Networks (PANW) | Source: Sundry Photography / Shutterstock.com | The views expressed "
            "do not necessarily reflect those of Nasdaq, Inc.")
    assert tickers(nlp, text) == {"PANW"}
    assert tickers(nlp, "Shutterstock reported higher revenue. Nasdaq, Inc. raised its dividend.") == {"SSTK", "NDAQ"}


def test_a_modal_inside_a_headline_makes_the_name_a_verb_unless_it_asks(nlp):
    assert tickers(nlp, "HSBC Preparing Job Cuts That May Target 20000 Workers, Sky Says") == {"HSBC"}
    assert tickers(nlp, "Layoffs May Target Middle Managers") == set()
    assert tickers(nlp, "AAPL Stock Outlook 2024: Can Apple Outsmart Microsoft?") == {"AAPL", "MSFT"}
    assert tickers(nlp, "Where Will Block Stock Be in 1 Year?") == {"XYZ"}


def test_a_british_namesake_is_not_the_us_company(nlp):
    assert tickers(nlp, "Is It Worth Investing In Tesco PLC And Prudential plc Now?") == set()
    assert tickers(nlp, "Prudential Financial quarterly profit rises 64 pct") == {"PRU"}
