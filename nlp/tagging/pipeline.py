"""Build the tagging pipeline from the spaCy config file ``corpora/pipeline.cfg``.

Default: ``spacy.blank("en")`` + ``narrative_sentencizer_v1`` (spaCy's sentencizer rule, faster) +
``narrative_ticker_linker_v1`` + ``narrative_theme_rules_v1``. Nothing beyond PyPI packages is
needed; a statistical spaCy model is used only when asked for by name
(``base_model="en_core_web_sm"``) and installed.
One pipeline is built per distinct set of arguments and cached for the process.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Iterable

from nlp.errors import NarrativeError

SENTENCE_PIPES = frozenset({"sentencizer", "senter", "parser"})
SENTENCIZER_FACTORIES = frozenset({"sentencizer", "narrative_sentencizer_v1"})


def default_config_path() -> Path:
    from nlp.settings import CORPORA_DIR

    return CORPORA_DIR / "pipeline.cfg"


def build_config_overrides(
    themes_dir: str | Path | None = None,
    gazetteer_dir: str | Path | None = None,
    user_theme_dirs: Iterable[str | Path] = (),
) -> dict[str, object]:
    """spaCy config overrides for the paths the caller chose (only those given)."""
    overrides: dict[str, object] = {}
    if themes_dir is not None:
        overrides["components.theme_rules.themes_dir"] = str(themes_dir)
    if user_theme_dirs:
        overrides["components.theme_rules.user_dirs"] = [str(d) for d in user_theme_dirs]
    if gazetteer_dir is not None:
        overrides["components.ticker_linker.gazetteer_dir"] = str(gazetteer_dir)
    return overrides


def build_pipeline(
    config: str | Path | None = None,
    themes_dir: str | Path | None = None,
    gazetteer_dir: str | Path | None = None,
    user_theme_dirs: Iterable[str | Path] = (),
    base_model: str | None = None,
):
    """The tagging ``Language`` for these arguments (cached: the same arguments give the same object)."""
    return _cached_pipeline(
        str(config or default_config_path()),
        None if themes_dir is None else str(themes_dir),
        None if gazetteer_dir is None else str(gazetteer_dir),
        tuple(str(d) for d in user_theme_dirs),
        base_model,
    )


@functools.lru_cache(maxsize=8)
def _cached_pipeline(config: str, themes_dir, gazetteer_dir, user_theme_dirs: tuple, base_model):
    _register_factories()
    cfg = load_pipeline_config(Path(config), build_config_overrides(themes_dir, gazetteer_dir, user_theme_dirs))
    nlp = _build_on_model(cfg, base_model) if base_model else _build_from_config(cfg, config)
    _renew_tokenizer_cache(nlp)
    return nlp


def _renew_tokenizer_cache(nlp) -> None:
    """Give the pipeline a tokenizer with the same settings and an empty cache.

    spaCy's tokenizer caches at most `max_cache_size` text chunks and stops caching when full. Building
    the components tokenises thousands of names, aliases and theme phrases, which would fill that cache
    with them and leave news text uncached: tokenisation then ran about 1.7x slower than in a fresh
    `spacy.blank("en")` (78 against 47 µs/doc on the sample)."""
    from spacy.tokenizer import Tokenizer

    old = nlp.tokenizer
    if type(old) is not Tokenizer:  # a custom tokenizer: leave it as the user built it
        return
    nlp.tokenizer = Tokenizer(
        nlp.vocab, rules=old.rules, prefix_search=old.prefix_search, suffix_search=old.suffix_search,
        infix_finditer=old.infix_finditer, token_match=old.token_match, url_match=old.url_match,
        faster_heuristics=old.faster_heuristics, max_cache_size=old.max_cache_size,
    )


def _register_factories() -> None:
    """Importing the component modules registers their factories with spaCy."""
    import nlp.tagging.sentences  # noqa: F401
    import nlp.tagging.themes  # noqa: F401

    try:
        import nlp.tagging.linker  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "nlp.tagging.linker":
            raise


def load_pipeline_config(path: Path, overrides: dict[str, object]):
    """Read a spaCy config file with overrides; a missing file or bad override is a NarrativeError."""
    from spacy import util

    if not path.is_file():
        raise NarrativeError(f"pipeline config not found: {path}")
    try:
        return util.load_config(path, overrides=overrides, interpolate=False)
    except Exception as exc:  # confection raises several error types for a malformed file
        raise NarrativeError(f"pipeline config {path}: {_first_line(exc)}") from exc


def _build_from_config(cfg, source: str):
    from spacy import util

    try:
        lang_cls = util.get_lang_class(cfg["nlp"]["lang"])
        return lang_cls.from_config(cfg)
    except NarrativeError:
        raise
    except Exception as exc:  # an unknown factory or a bad setting: name the config
        raise NarrativeError(f"pipeline config {source}: {_first_line(exc)}") from exc


def _build_on_model(cfg, base_model: str):
    """Our components on top of an installed statistical model (its parser gives sentences)."""
    import spacy
    from spacy import util

    if not util.is_package(base_model):
        raise NarrativeError(f"spaCy model {base_model!r} is not installed (pip install it, or leave it out)")
    nlp = spacy.load(base_model)
    for name in cfg["nlp"]["pipeline"]:
        settings = dict(cfg["components"][name])
        factory = settings.pop("factory")
        if factory in SENTENCIZER_FACTORIES and SENTENCE_PIPES & set(nlp.pipe_names):
            continue
        nlp.add_pipe(factory, name=name, config=settings)
    return nlp


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return " ".join(lines[:3]) if lines else type(exc).__name__
