"""The shared token table, the phrase index and the sentencizer of the tagging pipeline: each must
give exactly what the spaCy machinery it replaces gives (same sentences, same phrase matches in
the same order, same offsets), only with less work per token."""

from __future__ import annotations

import random

import pytest
import spacy
from spacy.attrs import SENT_START
from spacy.matcher import PhraseMatcher

from nlp.tagging import sentences as _sentences  # noqa: F401  (registers the factory)
from nlp.tagging.doc_tokens import DocTokens, PhraseIndex, WordCodes, doc_tokens, set_doc_value
from nlp.tagging.segments import DocView, Strings, build_shape, stop_hashes

SENTENCE_TEXTS = [
    "",
    "One sentence without a stop",
    "First one. Second one! Third one? Fourth",
    'He said "stop." Then he left.',
    "Wait... what?! Really?!? Yes.",
    "Prices rose 2.5% in Q3. The U.S. Fed held rates.",
    "Headline In Title Case\n\nBody text here. More body.",
    "。テスト。終わり",  # sentence-final characters of other scripts
    "Trailing punctuation!!!",
    ". Leading stop",
    "A line\nbreak does not end a sentence. This does.",
    "Mixed ‼ marks ⁉ here.",
]


def sent_starts(nlp, text: str) -> list[int]:
    return nlp(text).to_array([SENT_START]).ravel().tolist()


@pytest.fixture(scope="module")
def sentencizers():
    theirs, ours = spacy.blank("en"), spacy.blank("en")
    theirs.add_pipe("sentencizer")
    ours.add_pipe("narrative_sentencizer_v1")
    return theirs, ours


@pytest.mark.parametrize("text", SENTENCE_TEXTS)
def test_sentencizer_sets_the_same_boundaries_as_spacys(sentencizers, text):
    theirs, ours = sentencizers
    assert sent_starts(ours, text) == sent_starts(theirs, text)
    assert [s.text for s in ours(text).sents] == [s.text for s in theirs(text).sents]


def test_sentencizer_same_boundaries_on_random_texts(sentencizers):
    theirs, ours = sentencizers
    pieces = ["word", "Word", ".", "!", "?", "...", '"', "'", ")", "(", ",", "\n", "  ", "$5", "U.S.", "。", "‼"]
    rng = random.Random(7)
    for _ in range(300):
        text = "".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(rng.randint(0, 25)))
        assert sent_starts(ours, text) == sent_starts(theirs, text), text


def test_sentencizer_settings_and_serialisation():
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe("narrative_sentencizer_v1", config={"punct_chars": [";"]})
    assert [s.text for s in nlp("alpha; beta. gamma").sents] == ["alpha;", "beta. gamma"]
    pipe.from_bytes(spacy.blank("en").add_pipe("sentencizer").to_bytes())  # default characters again
    assert [s.text for s in nlp("alpha; beta. gamma").sents] == ["alpha; beta.", "gamma"]
    assert nlp.get_pipe_meta("narrative_sentencizer_v1").assigns == ["token.is_sent_start", "doc.sents"]


def test_pipeline_config_uses_the_fast_sentencizer():
    from nlp.tagging.pipeline import build_pipeline
    from nlp.tagging.sentences import FastSentencizer

    nlp = build_pipeline()
    assert nlp.pipe_names[0] == "sentencizer" and isinstance(nlp.get_pipe("sentencizer"), FastSentencizer)


# --- phrase index -----------------------------------------------------------------------------


PHRASES = ["rate cut", "rate cuts", "cut", "the fed", "fed", "u.s. factory", "interest rate", "rate",
           "new york mellon", "bank of new york mellon", "york", "a. o. smith", "rate - cut"]
WORDS = ["rate", "Rate", "RATE", "cut", "cuts", "the", "The", "Fed", "fed", "U.S.", "factory", "interest",
         "bank", "of", "new", "New", "York", "Mellon", "A.", "O.", "Smith", "-", ",", "and"]


def test_phrase_index_matches_like_spacys_phrase_matcher():
    nlp = spacy.blank("en")
    matcher, index = PhraseMatcher(nlp.vocab, attr="LOWER"), PhraseIndex()
    for phrase in PHRASES:
        pattern = nlp.make_doc(phrase)
        matcher.add(phrase, [pattern])
        index.add(pattern, phrase)
    codes = WordCodes(nlp.vocab)
    anchors = index.anchors()
    shift = codes.register("test", lambda key: int(nlp.vocab[key].lower in anchors), 1)
    rng = random.Random(3)
    for _ in range(300):
        doc = nlp(" ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 30))))
        tokens = DocTokens(doc, codes)
        found = index.find(tokens, tokens.flagged(1 << shift))
        expected = [(s, e, nlp.vocab.strings[key]) for key, s, e in matcher(doc)]
        assert found == expected, doc.text


def test_phrase_index_keeps_the_first_payload_of_a_sequence():
    nlp = spacy.blank("en")
    index = PhraseIndex()
    index.add(nlp.make_doc("Rate Cut"), "first")
    index.add(nlp.make_doc("rate cut"), "second")
    assert len(index) == 1 and index.get(nlp.make_doc("RATE CUT")) == "first"
    assert index.get(nlp.make_doc("rate")) is None


# --- token table ------------------------------------------------------------------------------


def test_word_codes_classify_each_word_once():
    nlp = spacy.blank("en")
    seen = []
    codes = WordCodes(nlp.vocab)
    codes.register("dots", lambda key: seen.append(key) or int(nlp.vocab.strings[key] == "."), 1)
    first = DocTokens(nlp("Alpha beta. Alpha beta."), codes)
    assert first.where == [2, 5] and first.flagged(1) == [2, 5]
    assert len(seen) == 3  # "Alpha", "beta", "." once each
    version = codes.version
    codes.register("caps", lambda key: int(nlp.vocab.strings[key].isupper()), 1)
    assert codes.version == version + 1 and codes.codes == {}


def test_doc_tokens_is_shared_for_one_doc_and_rebuilt_when_it_changes():
    nlp = spacy.blank("en")
    codes = WordCodes(nlp.vocab)
    doc = nlp("Caterpillar (NYSE: CAT) rose.")
    table = doc_tokens(doc, codes)
    assert doc_tokens(doc, codes) is table
    assert doc_tokens(doc, WordCodes(nlp.vocab)) is not table
    other = nlp("Caterpillar (NYSE: CAT) rose.")
    assert doc_tokens(other, codes).doc is other
    with doc.retokenize() as retokenizer:
        retokenizer.merge(doc[1:5])
    assert doc_tokens(doc, codes).n == len(doc) == 5


def test_doc_tokens_offsets_and_text():
    nlp = spacy.blank("en")
    doc = nlp("Shares of  GE Vernova-rose\n\nsharply.")
    tokens = DocTokens(doc, WordCodes(nlp.vocab))
    assert tokens.orth == [t.orth for t in doc] and tokens.lowers() == [t.lower for t in doc]
    for start in range(len(doc)):
        assert tokens.idx(start) == doc[start].idx and tokens.glued(start) == (not doc[start].whitespace_)
        for end in range(start + 1, len(doc) + 1):
            span = doc[start:end]
            assert tokens.char_span([t.text for t in span], start) == (span.start_char, span.end_char, span.text)
    assert DocTokens(nlp(""), WordCodes(nlp.vocab)).where == []


def test_set_doc_value_is_what_the_extension_stores():
    from spacy.tokens import Doc

    if not Doc.has_extension("tag_test_value"):
        Doc.set_extension("tag_test_value", default=None)
    doc = spacy.blank("en")("x")
    set_doc_value(doc, "tag_test_value", [1])
    assert doc._.tag_test_value == [1]


def test_segment_shape_from_cached_word_kinds_matches_build_shape():
    nlp = spacy.blank("en")
    words = ["Apple", "APPLE", "apple", "Co", "CO", "an", "A", "Über", "eBay", "3M", "$", "Shares", "Jump"]
    rng = random.Random(5)
    strings = Strings(nlp.vocab.strings)
    for _ in range(200):
        doc = nlp(" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))))
        view = DocView(doc, strings, stop_hashes(nlp.vocab.strings))
        assert view.shape(0) == build_shape([t.text for t in doc]), doc.text
