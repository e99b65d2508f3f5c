"""Tagging: which listed companies a text mentions (ticker linking) and which narratives
it carries (theme rules), as spaCy components on `spacy.blank("en")`.

Ticker linking: `load_gazetteer()` reads corpora/tickers; the spaCy factory
`narrative_ticker_linker_v1` (module `nlp.tagging.linker`, imported lazily because it
pulls in spaCy) sets `doc._.mentions` to a list of `Mention`.
"""

from nlp.tagging.gazetteer import Company, Gazetteer, load_gazetteer
from nlp.tagging.mentions import METHODS, Mention

__all__ = ["Company", "Gazetteer", "METHODS", "Mention", "TickerLinker", "load_gazetteer"]


def __getattr__(name: str):
    if name == "TickerLinker":
        from nlp.tagging.linker import TickerLinker

        return TickerLinker
    raise AttributeError(f"module 'nlp.tagging' has no attribute {name!r}")

# Theme rules, the assembled pipeline and record tagging (lazy as well: they import spaCy).
_THEME_EXPORTS = {
    "ThemeCard": "nlp.tagging.themes", "ThemeHit": "nlp.tagging.theme_evidence", "ThemeRules": "nlp.tagging.themes",
    "load_theme_cards": "nlp.tagging.themes", "parse_theme_card": "nlp.tagging.themes",
    "score_theme_evidence": "nlp.tagging.theme_evidence", "build_pipeline": "nlp.tagging.pipeline",
    "tag_record": "nlp.tagging.tag", "tag_records": "nlp.tagging.tag", "parse_jsonl_line": "nlp.tagging.tag",
    "parse_record": "nlp.tagging.tag", "iter_jsonl": "nlp.tagging.tag",
}
__all__ += sorted(_THEME_EXPORTS)
_ticker_getattr = __getattr__


def __getattr__(name: str):  # noqa: F811  (extends the lazy lookup above)
    if name in _THEME_EXPORTS:
        import importlib

        return getattr(importlib.import_module(_THEME_EXPORTS[name]), name)
    return _ticker_getattr(name)
