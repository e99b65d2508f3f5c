"""spaCy component `narrative_sentencizer_v1`: spaCy's rule-based Sentencizer, same rule and
same boundaries, without reading every token through a Python Token object.

spaCy's `Sentencizer.predict` visits each token as a Token (its text, its `is_punct` flag),
which costs almost half as much as tokenising. The rule only changes anything after a
sentence-final character (". ! ?" and their script variants), so this version looks at those
tokens alone: the next sentence starts at the first token after one that is neither
punctuation nor a sentence-final character. Annotation, settings and serialisation are
inherited unchanged.
"""

from __future__ import annotations

from typing import Callable, Optional

from spacy.language import Language
from spacy.pipeline import Sentencizer
from spacy.pipeline.senter import senter_score

from nlp.tagging.doc_tokens import WordCodes, doc_tokens, pipeline_word_codes


_FINAL = 1  # word code: a sentence-final character


class FastSentencizer(Sentencizer):
    def __init__(self, vocab, name: str = "sentencizer", *, punct_chars=None, overwrite: bool = False,
                 scorer: Optional[Callable] = senter_score, word_codes: WordCodes | None = None):
        super().__init__(name, punct_chars=punct_chars, overwrite=overwrite, scorer=scorer)
        self._word_codes = word_codes if word_codes is not None else WordCodes(vocab)
        self._chars: object = None  # the punct_chars set the registered classifier reads
        self._final = 0  # the bit of _FINAL in the word codes
        self._update_codes()

    def _update_codes(self) -> None:
        if self._chars is not self.punct_chars:  # new settings (from_bytes / from_disk)
            self._chars = chars = self.punct_chars
            word = self._word_codes.lexicon.word

            def classify(key: int) -> int:
                return _FINAL if word(key) in chars else 0

            self._final = _FINAL << self._word_codes.register(f"sentencizer:{self.name}", classify, 1)

    def predict(self, docs):
        if not any(len(doc) for doc in docs):
            return [[] for _ in docs]
        self._update_codes()
        return [self._guesses(doc) for doc in docs]

    def _guesses(self, doc) -> list[bool]:
        """Sentence starts: the first token, and the first token that is neither punctuation
        nor sentence-final after a sentence-final one (Sentencizer.predict's rule)."""
        n = len(doc)
        guesses = [False] * n
        if not n:
            return guesses
        guesses[0] = True
        tokens = doc_tokens(doc, self._word_codes)
        final, code, orth = self._final, tokens.code, tokens.orth
        is_punct = self._word_codes.lexicon.is_punct
        resume = 0
        for p in tokens.flagged(final):
            if p < resume:
                continue
            j = p + 1
            while j < n and (code[j] & final or is_punct(orth[j])):
                j += 1
            if j == n:
                break
            guesses[j] = True
            resume = j
        return guesses


@Language.factory(
    "narrative_sentencizer_v1",
    assigns=["token.is_sent_start", "doc.sents"],
    default_config={"punct_chars": None, "overwrite": False, "scorer": {"@scorers": "spacy.senter_scorer.v1"}},
    default_score_weights={"sents_f": 1.0, "sents_p": 0.0, "sents_r": 0.0},
)
def make_sentencizer(nlp: Language, name: str, punct_chars: Optional[list[str]], overwrite: bool,
                     scorer: Optional[Callable]) -> FastSentencizer:
    return FastSentencizer(
        nlp.vocab, name, punct_chars=punct_chars, overwrite=overwrite, scorer=scorer,
        word_codes=pipeline_word_codes(nlp),
    )
