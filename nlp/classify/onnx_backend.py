"""ONNX Runtime backend for CPU inference (``quantize="onnx"`` or ``"onnx-int8"``; "auto", the
default, is ``onnx-int8`` on CPU).

The encoder plus the sentence and theme heads are exported once with ``torch.onnx.export``; the
graph also returns the token vectors, so the span (ticker) head, a single small Linear layer on
[text vector, mean of the span's token vectors], runs here in numpy with the torch weights and
per-ticker tone still costs no extra forward pass. ``onnx-int8`` quantises the weight matrix
multiplications (encoder and heads) to int8 with one scale per output channel
(``onnxruntime.quantization.quantize_dynamic(per_channel=True)``) and keeps the embedding tables
fp32, which measured closest to fp32 of the variants tried, and closer than torch's dynamic int8
(figures in the model card).

Exported files are derived data: they live in ``settings.cache_dir()/onnx``, named by a key over
the model's weights digest, the exporter version, the torch version and the mode, so a retrained
model is exported again and nothing exported is ever committed. onnxruntime and onnx are core
dependencies, imported lazily; an install without them runs torch (``auto``) or says how to add
them (an explicit ONNX mode).
"""

from __future__ import annotations

import hashlib
import os
from importlib.util import find_spec
from pathlib import Path

from nlp.errors import NarrativeError

EXPORTER_VERSION = "2"  # bump when the exported graph changes: old cache entries are then ignored
ONNX_MODES = ("onnx", "onnx-int8")
INPUT_NAMES = ("input_ids", "attention_mask")
OUTPUT_NAMES = ("pooled", "sentiment_logits", "theme_logits", "hidden")
OPSET = 17
INSTALL_HINT = "pip install 'narrative[onnx]' (onnxruntime and onnx)"


def onnxruntime_available() -> bool:
    """Both packages the backend needs are installed (checked without importing them)."""
    return all(_installed(name) for name in ("onnxruntime", "onnx"))


def _installed(name: str) -> bool:
    try:
        return find_spec(name) is not None
    except (ImportError, ValueError):  # a module blocked or half-imported in sys.modules
        return False


def load_onnxruntime(mode: str):
    """The onnxruntime module, or one clear error line saying how to install it."""
    if not onnxruntime_available():
        raise NarrativeError(f"quantize={mode!r} needs ONNX Runtime: {INSTALL_HINT}")
    import onnxruntime

    return onnxruntime


def build_export_key(weights_digest: str, mode: str, torch_version: str) -> str:
    """Cache file stem: a new model, exporter, torch or mode gives a new file."""
    if mode not in ONNX_MODES:
        raise NarrativeError(f"unknown ONNX mode {mode!r}: use {' or '.join(ONNX_MODES)}")
    raw = f"exporter={EXPORTER_VERSION}|torch={torch_version}|weights={weights_digest}"
    return f"{hashlib.sha256(raw.encode()).hexdigest()[:32]}-{mode}"


def compute_model_digest(model) -> str:
    """sha256 over the weights and head config in memory, for a model not loaded from a directory."""
    import json

    digest = hashlib.sha256(json.dumps(model.heads.to_json_dict(), sort_keys=True).encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def load_onnx_model(model, mode: str, threads: int, weights_digest: str | None = None, cache: Path | None = None):
    """An ``OnnxModel`` for ``model``: exported (and quantised) on first use, then read from the cache."""
    import torch

    ort = load_onnxruntime(mode)
    if cache is None:
        from nlp.settings import cache_dir

        cache = cache_dir() / "onnx"
    digest = weights_digest or compute_model_digest(model)
    keys = {m: build_export_key(digest, m, torch.__version__) for m in ONNX_MODES}
    path = fetch_exported(model, mode, cache, keys)
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(int(threads), 1)
    options.inter_op_num_threads = 1
    # Idle workers sleep instead of spinning: on a small shared CPU the spin steals the cores that the
    # tokenizer, spaCy and other jobs need (and measured no faster here).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return OnnxModel(session, model)


def fetch_exported(model, mode: str, cache: Path, keys: dict[str, str]) -> Path:
    """The cached graph for ``mode``, exporting (and quantising the fp32 export) when missing."""
    path = cache / f"{keys[mode]}.onnx"
    if path.is_file():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    fp32 = cache / f"{keys['onnx']}.onnx"
    if not fp32.is_file():
        save_onnx_export(model, fp32)
    if mode == "onnx-int8":
        save_int8_quantized(fp32, path)
    return path


def save_onnx_export(model, dest: Path) -> None:
    """Export encoder + sentence/theme heads (dynamic batch and length), written atomically."""
    import warnings

    import torch

    graph = _export_graph(model).eval()
    # Two rows, the second padded: the trace must keep the attention mask (an all-ones example
    # lets transformers drop it as a constant, and padded batches would then be wrong).
    ids = torch.tensor([[2, 5, 6, 7, 3], [2, 5, 3, 0, 0]], dtype=torch.long) % model.encoder.config.vocab_size
    mask = (torch.arange(5) < torch.tensor([[5], [3]])).long()
    dynamic = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
               "pooled": {0: "batch"}, "sentiment_logits": {0: "batch"}, "theme_logits": {0: "batch"},
               "hidden": {0: "batch", 1: "tokens"}}
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation notes about code paths we do not use
        torch.onnx.export(graph, (ids, mask), str(tmp), input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES),
                          dynamic_axes=dynamic, opset_version=OPSET, dynamo=False)
    os.replace(tmp, dest)


def save_int8_quantized(src: Path, dest: Path) -> None:
    """Dynamic int8 quantisation of the weight MatMuls (not the embedding lookups), one weight
    scale per output channel, written atomically."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic advises pre-processing on every call; not needed here
    try:
        quantize_dynamic(str(src), str(tmp), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul"])
    finally:
        root.setLevel(level)
    os.replace(tmp, dest)


def _export_graph(model):
    """The part of the model that goes into the graph: encoder, pooling, sentence and theme heads."""
    from torch import nn

    from nlp.classify.model import mean_pool

    class ExportGraph(nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            hidden = self.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            pooled = mean_pool(hidden, attention_mask)
            themes = self.model.theme_head(pooled)[:, : len(self.model.heads.theme_labels)]
            return pooled, self.model.sentiment_head(pooled), themes, hidden

    return ExportGraph()


class OnnxModel:
    """The exported graph plus the span head in numpy: numpy arrays in, probabilities out."""

    def __init__(self, session, model):
        self.session = session
        head = getattr(model, "entity_head", None)
        self.entity_weight = head.weight.detach().float().cpu().numpy() if head is not None else None
        self.entity_bias = head.bias.detach().float().cpu().numpy() if head is not None else None

    def predict(self, ids, mask, span_rows: list[int], span_masks: list[list[int]]):
        """(sentence probs, theme probs, span probs) as nested lists for one padded batch."""
        import numpy as np

        want_spans = bool(span_rows) and self.entity_weight is not None
        names = ["sentiment_logits", "theme_logits"] + (["pooled", "hidden"] if want_spans else [])
        out = dict(zip(names, self.session.run(names, {"input_ids": ids, "attention_mask": mask})))
        spans = []
        if want_spans:
            logits = compute_entity_logits(out["hidden"], out["pooled"], np.asarray(span_rows),
                                           np.asarray(span_masks, dtype=np.float32), self.entity_weight, self.entity_bias)
            spans = compute_softmax(logits).tolist()
        return compute_softmax(out["sentiment_logits"]).tolist(), compute_sigmoid(out["theme_logits"]).tolist(), spans

    def pooled(self, ids, mask):
        return self.session.run(["pooled"], {"input_ids": ids, "attention_mask": mask})[0]


def compute_entity_logits(hidden, pooled, span_rows, span_masks, weight, bias):
    """The span head: Linear([text vector, mean of the span's token vectors]), as in model.py."""
    import numpy as np

    weights = span_masks[:, :, None]
    span_vec = (hidden[span_rows] * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-6, None)
    joint = np.concatenate([pooled[span_rows], span_vec], axis=-1)
    return joint @ weight.T + bias


def compute_softmax(logits):
    import numpy as np

    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def compute_sigmoid(logits):
    import numpy as np

    return 1.0 / (1.0 + np.exp(-logits))
