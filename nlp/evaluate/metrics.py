"""Precision, recall and F1 over sets (pure; no I/O, no models).

Conventions: precision is 0 when nothing was predicted, recall 0 when there was no gold, F1 0 when
both are 0. Multi-label figures count one (item, label) pair per unit: ``compute_set_prf`` is the
micro average over items, ``compute_macro_f1`` the mean F1 over labels that occur in gold or predictions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence


@dataclass(frozen=True)
class PRF:
    """Counts of true positives, false positives and false negatives, with the derived figures."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def support(self) -> int:
        return self.tp + self.fn

    def __add__(self, other: "PRF") -> "PRF":
        return PRF(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def to_dict(self, digits: int = 4) -> dict:
        return {
            "precision": round(self.precision, digits), "recall": round(self.recall, digits),
            "f1": round(self.f1, digits), "tp": self.tp, "fp": self.fp, "fn": self.fn,
        }


def compute_prf(gold: Iterable, pred: Iterable) -> PRF:
    """PRF of one predicted set against one gold set."""
    gold_set, pred_set = set(gold), set(pred)
    return PRF(len(gold_set & pred_set), len(pred_set - gold_set), len(gold_set - pred_set))


def compute_set_prf(gold: Sequence[Iterable], pred: Sequence[Iterable]) -> PRF:
    """Micro PRF over items: the sum of per-item counts (gold[i] against pred[i])."""
    if len(gold) != len(pred):
        raise ValueError(f"gold has {len(gold)} items, predictions {len(pred)}")
    total = PRF()
    for g, p in zip(gold, pred):
        total = total + compute_prf(g, p)
    return total


def compute_per_label(gold: Sequence[Iterable], pred: Sequence[Iterable], labels: Iterable[str] | None = None) -> dict[str, PRF]:
    """PRF per label (each item is a set of labels); labels default to all seen in gold or pred."""
    gold_sets, pred_sets = [set(g) for g in gold], [set(p) for p in pred]
    if labels is None:
        labels = sorted(set().union(*gold_sets, *pred_sets)) if gold_sets else []
    out = {}
    for label in labels:
        out[label] = compute_set_prf([{label} & g for g in gold_sets], [{label} & p for p in pred_sets])
    return out


def compute_macro_f1(per_label: Mapping[str, PRF]) -> float:
    """Mean F1 over labels that occur at all (in gold or predictions)."""
    seen = [prf.f1 for prf in per_label.values() if prf.tp + prf.fp + prf.fn]
    return sum(seen) / len(seen) if seen else 0.0


def compute_method_prf(gold: Sequence[Iterable], pred_by_method: Sequence[Mapping[str, Iterable]]) -> dict[str, PRF]:
    """PRF per method: each method's predictions alone against the full gold.

    A method's recall is therefore the share of gold it finds by itself; its precision is exact.
    """
    methods = sorted({m for item in pred_by_method for m in item})
    return {m: compute_set_prf(gold, [item.get(m, ()) for item in pred_by_method]) for m in methods}


def compute_floor_failures(figures: Mapping[str, float], floors: Mapping[str, float], tolerance: float = 0.0) -> list[str]:
    """Messages for each pinned figure below its floor minus ``tolerance`` (missing figures are skipped)."""
    failures = []
    for name, floor in sorted(floors.items()):
        value = figures.get(name)
        if value is not None and value < floor - tolerance:
            failures.append(f"{name} = {value:.4f} is below its floor {floor:.4f} (tolerance {tolerance})")
    return failures
