"""Batched inference: ``preprocess -> _forward -> postprocess``; only ``_forward`` touches torch.

Texts are tokenised once, sorted by length and cut into batches padded only to each batch's
longest text (dynamic padding), then results are put back in input order. On GPU the forward
runs under fp16/bf16 autocast. On CPU, ``quantize`` picks the backend (scripts/bench_classify.py
measures each): None/"none" torch fp32; "int8" torch dynamic int8 of the Linear layers (one
weight scale per output channel); "onnx" ONNX Runtime fp32 and "onnx-int8" ONNX Runtime with
per-channel int8 weights (nlp/classify/onnx_backend.py, exported once into the user cache);
"auto" (the default) is ONNX Runtime int8 on a CPU where onnxruntime is installed, else
torch: on the 2-core CPU here it ran 108 and 100 texts/s against torch fp32's 64 and 59 (two
runs of scripts/bench_classify.py), with labels within 0.3 points of fp32 on FPB, Twitter and
the fused dev themes (the model card has the table). On GPU "auto" is torch with autocast.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlp.classify.onnx_backend import ONNX_MODES, onnxruntime_available
from nlp.classify.train import build_span_token_mask
from nlp.errors import NarrativeError

DEVICES = ("cuda", "mps", "cpu")
QUANTIZE_CHOICES = ("auto", "none", "int8") + ONNX_MODES


def select_device(requested: str | None, cuda_available: bool, mps_available: bool) -> str:
    """``auto``/None picks cuda, then mps, then cpu; an explicit device must be available."""
    requested = (requested or "auto").lower()
    if requested == "auto":
        return "cuda" if cuda_available else "mps" if mps_available else "cpu"
    kind = requested.split(":")[0]
    if kind not in DEVICES:
        raise NarrativeError(f"unknown device {requested!r}: use auto, cuda, mps or cpu")
    if (kind == "cuda" and not cuda_available) or (kind == "mps" and not mps_available):
        raise NarrativeError(f"device {requested!r} is not available here")
    return requested


def resolve_device(requested: str | None = "auto") -> str:
    import torch

    mps = getattr(torch.backends, "mps", None)
    return select_device(requested, torch.cuda.is_available(), bool(mps and mps.is_available()))


def resolve_quantize(requested: str | None, device: str) -> str | None:
    """The CPU backend: None (torch, fp32 on CPU, autocast on GPU), "int8", "onnx" or "onnx-int8".
    "auto" is "onnx-int8" on CPU when ONNX Runtime is installed, else torch (module docstring)."""
    choice = "none" if requested is None else str(requested).lower()
    if choice not in QUANTIZE_CHOICES:
        raise NarrativeError(f"unknown quantisation {requested!r}: use {', '.join(QUANTIZE_CHOICES)}")
    if choice == "auto":
        return "onnx-int8" if device == "cpu" and onnxruntime_available() else None
    if choice == "none":
        return None
    if device != "cpu":
        raise NarrativeError(f"quantize={choice!r} is for CPU; use --device cpu")
    return choice


def build_batches(lengths: list[int], batch_size: int) -> list[list[int]]:
    """Indices sorted by length (stable), cut into batches: padding stays short."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return [order[i : i + batch_size] for i in range(0, len(order), batch_size)]


def build_padded_span_mask(mask: list[int], n_tokens: int, width: int) -> list[int]:
    """Pad a span's token mask to ``width``; a span cut off by truncation falls back to the
    whole text (all tokens but the special first and last)."""
    if not any(mask):
        mask = [0] + [1] * max(n_tokens - 2, 1) + [0] * (n_tokens > 2)
    return mask + [0] * (width - len(mask))


def build_span_batch(span_masks_per_row: list[list[list[int]]], n_tokens: list[int], width: int) -> tuple[list[int], list[list[int]]]:
    """(row of each span, its token mask padded to ``width``), spans flattened row by row."""
    span_rows, span_masks = [], []
    for i, masks in enumerate(span_masks_per_row):
        for m in masks:
            span_rows.append(i)
            span_masks.append(build_padded_span_mask(m, n_tokens[i], width))
    return span_rows, span_masks


def compute_sentiment_score(probs: dict[str, float]) -> float:
    """P(positive) - P(negative), in [-1, 1]."""
    return float(probs.get("positive", 0.0) - probs.get("negative", 0.0))


@dataclass
class Encoded:
    input_ids: list[int]
    span_masks: list[list[int]]


class ClassifierPipeline:
    """Sentence-level sentiment, span (ticker) sentiment and theme probabilities."""

    def __init__(self, model, tokenizer, device: str = "auto", batch_size: int = 32, quantize: str | None = None,
                 threads: int | None = None, max_length: int | None = None, model_digest: str | None = None):
        self.tokenizer = tokenizer
        self.heads = model.heads
        self.labels = model.heads.sentiment_labels
        self.theme_labels = list(model.heads.theme_labels)
        self.thresholds = dict(model.heads.theme_thresholds)
        self.batch_size = batch_size
        self.max_length = max_length or model.heads.max_length
        self.device = resolve_device(device)
        self.quantize = resolve_quantize(quantize, self.device)
        self.digest = model_digest  # sha256 of the weights (when loaded from a directory); keys the ONNX cache
        self.model = _prepare_model(model, self.device, self.quantize, threads, model_digest)

    def __call__(self, texts: list[str], spans: list[list[tuple[int, int]]] | None = None) -> list[dict]:
        encoded = self.preprocess(texts, spans)
        outputs: list[dict | None] = [None] * len(encoded)
        for batch in build_batches([len(e.input_ids) for e in encoded], self.batch_size):
            for i, raw in zip(batch, self._forward([encoded[i] for i in batch])):
                outputs[i] = self.postprocess(raw)
        return outputs  # type: ignore[return-value]

    def preprocess(self, texts: list[str], spans: list[list[tuple[int, int]]] | None = None) -> list[Encoded]:
        """Tokenise (truncating to max_length) and turn character spans into token masks."""
        if not texts:
            return []
        enc = self.tokenizer(list(texts), truncation=True, max_length=self.max_length, return_offsets_mapping=True)
        rows = []
        for i, ids in enumerate(enc["input_ids"]):
            offsets = [tuple(o) for o in enc["offset_mapping"][i]]
            masks = [build_span_token_mask(offsets, s, e) for s, e in (spans[i] if spans else [])]
            rows.append(Encoded(list(ids), masks))
        return rows

    def _forward(self, rows: list[Encoded]) -> list[dict]:
        """One padded batch through the model (torch or ONNX Runtime); plain lists of probabilities."""
        ids, mask = _pad_ids([r.input_ids for r in rows], self.tokenizer.pad_token_id or 0)
        span_rows, span_masks = build_span_batch([r.span_masks for r in rows], [len(r.input_ids) for r in rows], ids.shape[1])
        if self.quantize in ONNX_MODES:
            sent, themes, ent = self.model.predict(ids.numpy(), mask.numpy(), span_rows, span_masks)
        else:
            sent, themes, ent = self._forward_torch(ids, mask, span_rows, span_masks)
        per_row: list[list] = [[] for _ in rows]
        for row, probs in zip(span_rows, ent):
            per_row[row].append(probs)
        return [{"sentiment": s, "themes": t, "spans": p} for s, t, p in zip(sent, themes, per_row)]

    def _forward_torch(self, ids, mask, span_rows: list[int], span_masks: list[list[int]]):
        import torch

        dev = self.device
        rows_t = torch.tensor(span_rows, dtype=torch.long, device=dev)
        masks_t = torch.tensor(span_masks, dtype=torch.long, device=dev).reshape(-1, ids.shape[1])
        with torch.inference_mode(), _autocast(dev):
            out = self.model(ids.to(dev), mask.to(dev), masks_t, rows_t)
            sent = out["sentiment_logits"].float().softmax(-1).cpu().tolist()
            themes = out["theme_logits"].float().sigmoid().cpu().tolist()
            ent = out["entity_logits"].float().softmax(-1).cpu().tolist() if "entity_logits" in out else []
        return sent, themes, ent

    def embed(self, texts: list[str]):
        """Mean-pooled encoder vectors (numpy, input order), e.g. for similarity or head training."""
        import numpy as np

        encoded = self.preprocess(texts)
        vectors: list = [None] * len(encoded)
        for batch in build_batches([len(e.input_ids) for e in encoded], self.batch_size):
            for i, vec in zip(batch, self._forward_pooled([encoded[i] for i in batch])):
                vectors[i] = vec
        return np.stack(vectors) if vectors else np.zeros((0, 0), dtype="float32")

    def _forward_pooled(self, rows: list[Encoded]):
        import torch

        ids, mask = _pad_ids([r.input_ids for r in rows], self.tokenizer.pad_token_id or 0)
        if self.quantize in ONNX_MODES:
            return self.model.pooled(ids.numpy(), mask.numpy())
        with torch.inference_mode(), _autocast(self.device):
            out = self.model(ids.to(self.device), mask.to(self.device))
            return out["pooled"].float().cpu().numpy()

    def postprocess(self, raw: dict) -> dict:
        """Label names from the model config; score = P(pos) - P(neg)."""
        result = self._label(raw["sentiment"])
        result["theme_probs"] = dict(zip(self.theme_labels, (round(p, 4) for p in raw["themes"])))
        result["spans"] = [self._label(p) for p in raw["spans"]]
        return result

    def _label(self, probs: list[float]) -> dict:
        named = dict(zip(self.labels, probs))
        best = max(range(len(probs)), key=probs.__getitem__)
        return {"label": self.labels[best], "score": round(compute_sentiment_score(named), 4),
                "probs": {k: round(v, 4) for k, v in named.items()}}


def _pad_ids(sequences: list[list[int]], pad_id: int):
    import torch

    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for i, seq in enumerate(sequences):
        ids[i, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[i, : len(seq)] = 1
    return ids, mask


def _prepare_model(model, device: str, quantize: str | None, threads: int | None, digest: str | None):
    """The torch module (fp32, or int8-quantised) or, for the ONNX modes, an ``OnnxModel``."""
    import torch

    if threads:
        torch.set_num_threads(threads)
    model.eval()
    if quantize == "int8":
        return _quantize_torch_int8(model.float())
    if quantize in ONNX_MODES:
        from nlp.classify.onnx_backend import load_onnx_model

        return load_onnx_model(model.float(), quantize, threads or torch.get_num_threads(), digest)
    return model.float().to(device)


def _quantize_torch_int8(model):
    """Dynamic int8 Linear layers with one weight scale per output channel: on the default model
    it keeps more FPB labels than one scale per matrix (see the model card)."""
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notes on torch.ao.quantization's move to torchao, on every call
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, dtype=torch.qint8)


def _autocast(device: str):
    import contextlib

    import torch

    if device.startswith("cuda"):
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.autocast("cuda", dtype=dtype)
    return contextlib.nullcontext()
