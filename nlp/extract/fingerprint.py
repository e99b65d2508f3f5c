"""The pipeline version, and the tagger an extraction run calls.

The version is built from digests of the files that decide the labels (tagging pipeline config,
theme cards, gazetteer, classifier weights) plus the package version, read without importing
spaCy or torch: deciding that nothing is pending costs a few file hashes, not a model load.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable

from nlp.errors import NarrativeError
from nlp.settings import CORPORA_DIR, MODELS_DIR, REPO_ROOT

NO_MODEL = "none"
# Bump when extraction itself (relevance, novelty, row building, how rule and model themes are
# fused) changes what it writes. x2: theme fusion rule weight 0.6 -> 0.7. x3: the classifier reads
# windows of packed sentences instead of single sentences; document neutral band 0.15 -> 0.3.
# x4: a near-certain model adds a theme without rule evidence (combine.MODEL_ALONE); ticker
# sentiment band 0.15 -> 0.25. x5: a share-price move the text reports moves the document
# sentiment, and a move reported for one company that ticker's (aggregate.PRICE_MOVE_WEIGHT,
# TICKER_PRICE_MOVE_WEIGHT); the main subject read as neutral takes a polar document label; a
# broker named as a view's source is neutral (source_roles.py). x6: theme fusion rule weight
# 0.7 -> 0.6, document neutral band (-0.25, 0.35) -> (-0.35, 0.45), price-move weight 0.3 -> 0.7 and
# ticker band 0.25 -> 0.45 (all chosen again for the model trained on labelled paragraphs).
# x7: a fused theme is kept at fused evidence 0.6, not 0.5, and its score rescaled so 0.6 reads 0.5
# (combine.FUSED_DECISION); a signed percentage after a share subject is a price move ("$HPE +4.8%");
# ticker move weight 0.5 -> 0.9. x8: a percentage move right after a company's name is that ticker's
# move ("Home Depot rose 2.9%"; price_moves.extract_named_price_moves), for ticker sentiment only.
# x9: a full article's themes need more than a passing paragraph (theme_evidence.SPREAD_SENTENCES;
# aggregate.compute_document_theme_probs takes the mean of the top windows from 4 windows on), and its
# document sentiment is read from the first window (headline and lead). x10: a fused theme is kept at
# fused evidence 0.55, in a full article at 0.65 (combine.FUSED_DECISION, ARTICLE_FUSED_DECISION).
# x11: a share-price move a full article reports weighs 0.3 on its document score, not 0.7
# (aggregate.ARTICLE_PRICE_MOVE_WEIGHT). x12: a text under 40 tokens fuses its themes rules first
# (combine.SHORT_TEXT_TOKENS, SHORT_TEXT_RULE_WEIGHT).
EXTRACTION_SCHEMA = "x12"


@dataclass
class Tagger:
    """Tags a list of ``{"id", "text"}`` into tagging records (plus extraction-only keys)."""

    tag: Callable[[list[dict]], list[dict]]
    model_name: str | None
    model_digest: str | None
    device: str = "cpu"
    notes: list[str] = field(default_factory=list)


def compute_files_digest(paths: Iterable[Path], root: Path = REPO_ROOT) -> str:
    """sha256 over (relative path, bytes) of each file, in path order; 'none' without files."""
    digest, seen = hashlib.sha256(), False
    for path in sorted(p for p in paths if p.is_file()):
        seen = True
        digest.update(str(path.relative_to(root) if path.is_relative_to(root) else path.name).encode() + b"\0")
        digest.update(_file_sha256(path, path.stat().st_mtime_ns, path.stat().st_size).encode())
    return digest.hexdigest() if seen else NO_MODEL


@lru_cache(maxsize=64)
def _file_sha256(path: Path, mtime_ns: int, size: int) -> str:
    """Cached per (path, mtime, size): a long-lived process hashes the weights once."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _tagging_files() -> list[Path]:
    return [CORPORA_DIR / "pipeline.cfg"]


def load_pipeline_fingerprint(model_digest: str | None, quantize: str | None = None, device: str = "auto") -> dict[str, str]:
    """The digests that make up the pipeline version (stored in the run's config). The classifier's
    backend is part of it (int8 and fp32 weights give slightly different labels): explicit modes
    by name, the default by what it resolves to without importing torch (``resolve_backend``)."""
    from nlp import __version__

    fingerprint = {
        "package": __version__,
        "extraction": EXTRACTION_SCHEMA,
        "tagging": compute_files_digest(_tagging_files()),
        "themes": compute_files_digest((CORPORA_DIR / "themes").glob("*.yaml")),
        "gazetteer": compute_files_digest((CORPORA_DIR / "tickers").glob("*")),
        "model": model_digest or NO_MODEL,
    }
    if fingerprint["model"] != NO_MODEL:  # the cue words shape the document and ticker sentiment
        cues = ("price_moves.yaml", "source_roles.yaml")
        fingerprint["sentiment_cues"] = compute_files_digest([CORPORA_DIR / "sentiment" / name for name in cues])
    backend = resolve_backend(device, quantize) if fingerprint["model"] != NO_MODEL else None
    if backend is not None:
        fingerprint["quantize"] = backend
    return fingerprint


def resolve_backend(device: str, quantize: str | None) -> str | None:
    """The classifier backend a run will use (None: torch fp32 / autocast), without loading it."""
    from nlp.classify.registry import resolve_classifier_backend

    return resolve_classifier_backend(device, None if quantize == NO_MODEL else quantize)


def build_pipeline_version(fingerprint: dict[str, str]) -> str:
    """A short readable version: what changed shows in the part that changed."""
    verbatim = ("package", "extraction", "quantize")
    short = {k: v if k in verbatim or v == NO_MODEL else v[:10] for k, v in fingerprint.items()}
    parts = ("package", "extraction", "tagging", "themes", "gazetteer", "model", "quantize")
    return "+".join(f"{k}:{short[k]}" for k in parts if k in short)


def _model_dir(model: str | None) -> Path | None:
    from nlp.classify.registry import DEFAULT_MODEL

    if model is None or model == DEFAULT_MODEL:
        return MODELS_DIR / DEFAULT_MODEL
    path = Path(model).expanduser()
    return path if path.is_dir() else None


def resolve_model(model: str | None, use_model: bool) -> tuple[str | None, str | None]:
    """(model name, digest) without loading it: digest 'none' for rules only, None when only the
    loaded model can tell (a plug-in or hub name)."""
    if not use_model:
        return None, NO_MODEL
    path = _model_dir(model)
    if path is not None and (path / "model.safetensors").is_file():
        return str(model or path.name), compute_files_digest([path / "config.json", path / "model.safetensors"], path)
    if model is None:
        return None, NO_MODEL  # no trained default: rules only (load_tagger says so)
    if path is not None:
        raise NarrativeError(f"no trained classifier in {path} (expected model.safetensors)")
    return model, None


def load_tagger(model: str | None, device: str, use_model: bool, batch_size: int = 256, quantize: str | None = None) -> Tagger:
    """The spaCy pipeline plus (unless rules only) the classifier, loaded once per run;
    ``quantize="int8"``: int8 dynamic quantisation of the classifier (CPU only)."""
    from nlp.extract.tagging import build_tag_function

    name, digest = resolve_model(model, use_model)
    notes: list[str] = []
    classifier = None
    if use_model and digest == NO_MODEL:
        notes.append("no trained classifier found (models/): rules only, no sentiment")
    elif use_model:
        from nlp.classify.registry import load_classifier

        options = {"quantize": quantize} if quantize else {}
        classifier = load_classifier(model, device=device, **options)
        digest = digest or getattr(classifier, "digest", None) or f"name:{model}"
    device_used = str(getattr(classifier, "device", "cpu")) if classifier else "cpu"
    return Tagger(build_tag_function(classifier, batch_size), name if classifier else None,
                  digest if classifier else NO_MODEL, device_used, notes)
