"""The classifier's three stages on a tiny model built here (no download), plus the pure parts."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from nlp.classify.aggregate import (  # noqa: E402
    LONG_DOCUMENT_WINDOWS,
    compute_document_sentiment,
    compute_document_theme_probs,
    compute_mean_probs,
    compute_ticker_sentiment,
)
from nlp.classify.combine import combine_theme_scores, compute_calibrated_prob  # noqa: E402
from nlp.classify.datasets import (  # noqa: E402
    build_sentfin_example,
    is_sentfin_test_title,
    parse_phrasebank,
    parse_sentfin_decisions,
    parse_twitter_csv,
)
from nlp.classify.model import load_model_dir, save_model_dir  # noqa: E402
from nlp.classify.pipeline import ClassifierPipeline, build_batches, build_padded_span_mask, select_device  # noqa: E402
from nlp.classify.themes_weak import (  # noqa: E402
    ThemeCard,
    build_phrase_scorer,
    build_rule_labels,
    compute_best_threshold,
    parse_theme_card,
)
from nlp.classify.train import build_length_buckets, build_span_token_mask  # noqa: E402
from nlp.errors import NarrativeError  # noqa: E402



def make_pipeline(tiny, batch_size=2):
    model, tokenizer = tiny
    return ClassifierPipeline(model, tokenizer, device="cpu", batch_size=batch_size)


def test_preprocess_tokenises_and_maps_spans(tiny):
    pipe = make_pipeline(tiny)
    [row] = pipe.preprocess(["acme shares rose"], [[(0, 4)]])
    assert row.input_ids[0] == pipe.tokenizer.cls_token_id and len(row.input_ids) == 5
    assert row.span_masks == [[0, 1, 0, 0, 0]]


def test_forward_returns_probabilities_per_row(tiny):
    pipe = make_pipeline(tiny)
    rows = pipe.preprocess(["acme rose", "the fed cut rates sharply"], [[(0, 4)], []])
    raw = pipe._forward(rows)
    assert len(raw) == 2 and len(raw[0]["spans"]) == 1 and raw[1]["spans"] == []
    assert sum(raw[0]["sentiment"]) == pytest.approx(1.0, abs=1e-5)
    assert len(raw[0]["themes"]) == 2 and all(0 <= p <= 1 for p in raw[0]["themes"])


def test_postprocess_label_order_comes_from_config(tiny):
    pipe = make_pipeline(tiny)
    result = pipe.postprocess({"sentiment": [0.7, 0.1, 0.2], "themes": [0.9, 0.2], "spans": [[0.1, 0.8, 0.1]]})
    assert result["label"] == "positive" and result["score"] == pytest.approx(0.6)
    assert list(result["probs"]) == ["positive", "negative", "neutral"]
    assert result["theme_probs"] == {"reshoring": 0.9, "monetary_policy": 0.2}
    assert result["spans"][0]["label"] == "negative" and result["spans"][0]["score"] == pytest.approx(-0.7)


def test_sorted_batching_returns_results_in_input_order(tiny):
    texts = ["the fed cut rates after a sharply new profit loss", "acme", "shares of acme rose", "new plant", "fell"]
    batched = make_pipeline(tiny, batch_size=2)(texts)
    singles = [make_pipeline(tiny, batch_size=1)([t])[0] for t in texts]
    for got, want in zip(batched, singles):
        assert got["probs"] == pytest.approx(want["probs"], abs=1e-3)
        assert got["theme_probs"] == pytest.approx(want["theme_probs"], abs=1e-3)


def test_build_batches_sorts_by_length_and_keeps_every_index():
    batches = build_batches([5, 1, 9, 3, 7], batch_size=2)
    assert batches == [[1, 3], [0, 4], [2]]


def test_length_buckets_cover_every_row_once():
    batches = build_length_buckets([3, 8, 1, 9, 4, 4, 2], batch_size=3, seed=1, chunk=1)
    assert sorted(i for b in batches for i in b) == list(range(7))


def test_span_token_mask_and_padding():
    offsets = [(0, 0), (0, 4), (5, 11), (12, 16), (0, 0)]
    assert build_span_token_mask(offsets, 5, 11) == [0, 0, 1, 0, 0]
    assert build_padded_span_mask([0, 0, 1, 0, 0], 5, 7) == [0, 0, 1, 0, 0, 0, 0]
    assert build_padded_span_mask([0, 0, 0, 0, 0], 5, 6) == [0, 1, 1, 1, 0, 0]


@pytest.mark.parametrize(
    "requested,cuda,mps,expected",
    [("auto", True, True, "cuda"), ("auto", False, True, "mps"), (None, False, False, "cpu"), ("cpu", True, False, "cpu"), ("cuda:1", True, False, "cuda:1")],
)
def test_select_device(requested, cuda, mps, expected):
    assert select_device(requested, cuda, mps) == expected


@pytest.mark.parametrize("requested", ["cuda", "mps", "tpu"])
def test_select_device_rejects_unavailable(requested):
    with pytest.raises(NarrativeError):
        select_device(requested, False, False)


def test_save_and_load_round_trip_keeps_labels(tiny, tmp_path):
    model, tokenizer = tiny
    model.heads.theme_thresholds = {"reshoring": 0.35, "monetary_policy": 0.6}
    save_model_dir(model, tokenizer, tmp_path / "m")
    loaded = load_model_dir(tmp_path / "m")
    assert loaded.heads.sentiment_labels == ["positive", "negative", "neutral"]
    assert loaded.heads.theme_labels == ["reshoring", "monetary_policy"]
    assert loaded.heads.theme_thresholds["reshoring"] == 0.35
    a = ClassifierPipeline(model, tokenizer, device="cpu")(["acme rose"])[0]["probs"]
    b = ClassifierPipeline(loaded, tokenizer, device="cpu")(["acme rose"])[0]["probs"]
    assert a == pytest.approx(b, abs=2e-3)  # fp16 weights on disk


def test_annotate_docs_aggregates_sentences_and_mentions(tiny):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import Doc

    from nlp.classify.annotate import annotate_docs

    if not Doc.has_extension("mentions"):
        Doc.set_extension("mentions", default=None)

    class M:
        def __init__(self, symbol, start, end):
            self.symbol, self.start, self.end = symbol, start, end

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    doc = nlp("Shares of acme rose. The fed cut rates.")
    doc._.mentions = [M("ACME", 10, 14)]
    [out] = annotate_docs([doc], make_pipeline(tiny))
    assert set(out) == {"sentiment", "ticker_sentiment", "theme_probs", "sentiment_probs", "sentiment_evidence", "windows",
                        "tokens"}
    assert out["tokens"] == len(doc)
    assert all(e["label"] == out["sentiment"]["label"] and e["text"] == "Shares of acme rose" for e in out["sentiment_evidence"])
    assert set(out["ticker_sentiment"]) == {"ACME"} and out["sentiment"]["label"] in {"positive", "negative", "neutral"}
    assert set(out["theme_probs"]) == {"reshoring", "monetary_policy"}


def test_windows_pack_whole_sentences_up_to_the_limit():
    from nlp.classify.annotate import build_units, build_windows

    text = "Aa bb. Cc dd ee. Ff. " + "g" * 30
    sentences = [(0, 6), (7, 16), (17, 20), (21, 51)]
    assert build_windows(text, sentences, 20) == [(0, 20), (21, 41), (41, 51)]  # the long one is cut
    assert build_windows(text, sentences, 100) == [(0, 51)]  # a paragraph is one window
    assert build_windows(text, [], 20) == []
    units = build_units(0, text, sentences, [("AA", 7, 9), ("FF", 17, 19)], 15)
    assert [(u.start, u.end) for u in units] == [(0, 6), (7, 20), (21, 36), (36, 51)]
    assert units[1].mentions == [("AA", 0, 2), ("FF", 10, 12)]  # offsets relative to the window


def test_document_sentiment_is_length_weighted_mean():
    probs = [{"negative": 0.8, "neutral": 0.1, "positive": 0.1}, {"negative": 0.0, "neutral": 0.2, "positive": 0.8}]
    assert compute_mean_probs(probs, [1, 3])["positive"] == pytest.approx(0.625)
    doc = compute_document_sentiment(probs, [10, 90])
    assert doc == {"label": "positive", "score": pytest.approx(0.73 - 0.08)}
    assert compute_document_sentiment(probs, [10, 30])["label"] == "neutral"  # 0.425: under the positive edge
    assert compute_document_sentiment(probs, [20, 20])["label"] == "neutral"  # score 0.0


def test_ticker_sentiment_falls_back_to_document():
    document = {"label": "neutral", "score": 0.0}
    mentions = {"ACME": [{"negative": 0.6, "neutral": 0.2, "positive": 0.2}, {"negative": 0.2, "neutral": 0.2, "positive": 0.6}]}
    out = compute_ticker_sentiment(mentions, ["ZZZ", "ACME"], document)
    assert out["ZZZ"] == document and out["ACME"] == {"label": "neutral", "score": pytest.approx(0.0)}
    leaning = compute_ticker_sentiment({"ACME": [{"negative": 0.1, "neutral": 0.4, "positive": 0.5}]}, ["ACME"], document)
    assert leaning["ACME"]["label"] == "neutral"  # 0.4: inside the ticker band
    sure = compute_ticker_sentiment({"ACME": [{"negative": 0.0, "neutral": 0.4, "positive": 0.6}]}, ["ACME"], document)
    assert sure["ACME"]["label"] == "positive"
    weak = compute_document_sentiment([{"negative": 0.05, "neutral": 0.8, "positive": 0.15}], [10])
    assert weak["label"] == "neutral"  # inside the neutral band even though positive > negative
    assert compute_document_sentiment([{"negative": 0.0, "neutral": 0.5, "positive": 0.5}], [10])["label"] == "positive"
    assert compute_document_sentiment([{"negative": 0.4, "neutral": 0.6, "positive": 0.0}], [10])["label"] == "negative"
    assert compute_document_sentiment([{"negative": 0.3, "neutral": 0.7, "positive": 0.0}], [10])["label"] == "neutral"


def test_theme_probs_take_the_strongest_sentence():
    assert compute_document_theme_probs([{"a": 0.2, "b": 0.9}, {"a": 0.7, "b": 0.1}]) == {"a": 0.7, "b": 0.9}


def test_a_full_article_takes_its_tone_from_the_headline_and_lead():
    lead = {"negative": 0.05, "neutral": 0.15, "positive": 0.8}
    background = {"negative": 0.6, "neutral": 0.3, "positive": 0.1}
    assert compute_document_sentiment([lead] + [background] * 5, [60] * 6)["label"] == "positive"
    # a paragraph's windows all count: the background outweighs the lead
    assert compute_document_sentiment([lead] + [background] * 2, [60] * 3)["label"] != "positive"


def test_a_full_article_needs_a_theme_in_more_than_one_window():
    # eight windows: one passing paragraph about "a", "b" all through
    windows = [{"a": 0.95, "b": 0.8}] + [{"a": 0.05, "b": 0.8}] * 7
    assert compute_document_theme_probs(windows) == {"a": pytest.approx(0.35), "b": 0.8}


def test_combine_rules_and_model():
    thresholds = {"reshoring": 0.4, "ai_capex": 0.5}
    themes, scores = combine_theme_scores({"reshoring": 0.63}, {"reshoring": 0.02, "ai_capex": 0.97}, thresholds)
    assert themes == []  # the model vetoes a one-cue rule hit; alone and unsure it cannot add a theme
    themes, scores = combine_theme_scores({}, {"ai_capex": 0.995}, thresholds)
    assert themes == ["ai_capex"] and scores["ai_capex"] >= 0.99  # near certain: it adds one
    assert combine_theme_scores({}, {"ai_capex": 0.995}, thresholds, model_alone=1.01)[0] == []
    themes, _ = combine_theme_scores({"reshoring": 0.63}, {"reshoring": 0.5}, thresholds)
    assert themes == ["reshoring"]  # a strong cue the model leans to (p a little above its threshold)
    themes, scores = combine_theme_scores({"reshoring": 0.63}, {"reshoring": 0.3}, thresholds)
    assert themes == [] and 0.4 < scores["reshoring"] < 0.5  # ... but not one the model leans against
    assert combine_theme_scores({"reshoring": 0.63}, {"reshoring": 0.3}, thresholds, fused_decision=0.5)[0] == ["reshoring"]
    themes, _ = combine_theme_scores({"ai_capex": 0.63}, {"ai_capex": 0.97}, thresholds, rule_weight=0.4)
    assert themes == ["ai_capex"]
    themes, scores = combine_theme_scores({"new_card": 0.7}, {}, thresholds)
    assert themes == ["new_card"] and scores["new_card"] == 0.7  # unknown to the model: rules decide
    assert compute_calibrated_prob(0.4, 0.4) == pytest.approx(0.5)


def test_a_full_article_needs_more_fused_evidence_than_a_paragraph():
    from nlp.classify.combine import choose_fused_decision

    thresholds = {"reshoring": 0.4}
    paragraph, article = choose_fused_decision(1), choose_fused_decision(LONG_DOCUMENT_WINDOWS)
    assert paragraph == choose_fused_decision(LONG_DOCUMENT_WINDOWS - 1) < article
    # one strong cue and a model a little above its threshold: enough in a paragraph, not in an article
    kept = combine_theme_scores({"reshoring": 0.63}, {"reshoring": 0.45}, thresholds, fused_decision=paragraph)[0]
    assert kept == ["reshoring"]
    assert combine_theme_scores({"reshoring": 0.63}, {"reshoring": 0.45}, thresholds, fused_decision=article)[0] == []


def test_a_short_text_keeps_its_rule_cue_against_the_model():
    from nlp.classify.combine import SHORT_TEXT_TOKENS, combine_annotation_themes

    thresholds = {"capital_markets": 0.5, "ai_capex": 0.5}
    annotation = {"theme_probs": {"capital_markets": 0.1, "ai_capex": 0.995}, "windows": 1}
    rules = {"capital_markets": 0.63}
    # a paragraph: the model vetoes the one cue; a headline: the cue stands, and a near-certain model still adds
    assert combine_annotation_themes(rules, {**annotation, "tokens": SHORT_TEXT_TOKENS}, thresholds)[0] == ["ai_capex"]
    short = combine_annotation_themes(rules, {**annotation, "tokens": SHORT_TEXT_TOKENS - 1}, thresholds)[0]
    assert short == ["ai_capex", "capital_markets"]
    assert combine_annotation_themes(rules, annotation, thresholds)[0] == ["ai_capex"]  # length unknown: a paragraph
    # a weak cue stays too weak in a short text
    assert combine_annotation_themes({"capital_markets": 0.39}, {**annotation, "tokens": 12}, thresholds)[0] == ["ai_capex"]


def test_sentfin_parsing_with_bad_quotes_and_spans():
    assert parse_sentfin_decisions("{'Osian's Art Fund': 'neutral', 'Sebi': 'negative'}") == {"Osian's Art Fund": "neutral", "Sebi": "negative"}
    ex = build_sentfin_example("Sebi bars Osian's Art Fund", {"Sebi": "negative", "Osian's Art Fund": "neutral"})
    assert ex.label is None and ex.spans == [(0, 4, "negative"), (10, 26, "neutral")]
    assert is_sentfin_test_title("A title") == is_sentfin_test_title("  a title ")


def test_twitter_and_phrasebank_parsing():
    [tweet] = parse_twitter_csv('text,label\n"$ACME beats, shares jump",1\n')
    assert tweet.label == "positive" and tweet.spans == [(0, 5, "positive")]
    [sentence] = parse_phrasebank("Profit fell @ 10 % .@negative\nbroken line\n")
    assert sentence.label == "negative" and sentence.text == "Profit fell @ 10 % ."


def test_weak_labels_from_rules_and_thresholds():
    card = parse_theme_card({"id": "reshoring", "phrases": ["reshoring", "new U.S. factory"], "threshold": 0.6})
    scorer = build_phrase_scorer([card])
    assert scorer(["Reshoring is back", "a new U.S. factory opens", "crop rotation"]) == [{"reshoring": 1.0}, {"reshoring": 1.0}, {}]
    assert build_rule_labels([{"reshoring": 0.63}, {"reshoring": 0.4}], [card]) == [{"reshoring"}, set()]
    assert 0.3 < compute_best_threshold([0.9, 0.8, 0.3, 0.1], [1, 1, 0, 0]) <= 0.8
    assert compute_best_threshold([0.9], [0]) == 0.5
    assert isinstance(card, ThemeCard)


def test_html_paragraphs_and_threshold_shrinkage():
    from nlp.classify.theme_pool import parse_html_paragraphs
    from nlp.classify.themes_weak import compute_shrunk_threshold

    markup = "<p>The Fed held rates steady in a widely expected decision.</p><p>Short.</p>"
    assert parse_html_paragraphs(markup) == ["The Fed held rates steady in a widely expected decision."]
    # two held-out positives: the fitted threshold moves only a sixth of the way from 0.5
    fitted = compute_shrunk_threshold([0.95, 0.9, 0.2, 0.1], [1, 1, 0, 0])
    assert 0.5 < fitted < 0.6


def test_dynamic_padding_in_collate_and_labels_from_config(tiny):
    from nlp.classify.datasets import Example
    from nlp.classify.train import collate, encode_examples

    model, tokenizer = tiny
    rows = encode_examples(tokenizer, [Example("acme rose", "positive", [(0, 4, "negative")]), Example("the fed cut rates sharply", None)], 16)
    label2id = {v: k for k, v in model.heads.id2label.items()}
    ids, mask, labels, (span_rows, span_masks, span_labels) = collate(rows, label2id, tokenizer.pad_token_id)
    assert ids.shape == (2, 7) and mask[0].tolist() == [1, 1, 1, 1, 0, 0, 0]
    assert labels.tolist() == [0, -100] and span_rows.tolist() == [0] and span_labels.tolist() == [1]
    assert span_masks[0].tolist() == [0, 1, 0, 0, 0, 0, 0]


def test_main_subject_read_as_neutral_takes_a_polar_document_label():
    document = {"label": "negative", "score": -0.6}
    flat = [{"negative": 0.2, "neutral": 0.6, "positive": 0.2}]
    mentions = {"UNH": flat, "CVS": flat, "HUM": [{"negative": 0.0, "neutral": 0.1, "positive": 0.9}]}
    out = compute_ticker_sentiment(mentions, ["UNH", "CVS", "HUM"], document, main_symbol="UNH")
    assert out["UNH"] == document  # the story is about UnitedHealth
    assert out["CVS"]["label"] == "neutral" and out["HUM"]["label"] == "positive"  # others keep their own reading
    positive_main = compute_ticker_sentiment(mentions, ["HUM"], document, main_symbol="HUM")
    assert positive_main["HUM"]["label"] == "positive"  # a polar reading of its own is kept
    calm = compute_ticker_sentiment(mentions, ["UNH"], {"label": "neutral", "score": 0.1}, main_symbol="UNH")
    assert calm["UNH"]["label"] == "neutral"
