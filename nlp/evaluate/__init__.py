"""Evaluation of the tagger: pure metrics (metrics.py) and gold loaders/comparisons (tagging.py)."""

from nlp.evaluate.metrics import PRF, compute_macro_f1, compute_per_label, compute_prf, compute_set_prf

__all__ = ["PRF", "compute_macro_f1", "compute_per_label", "compute_prf", "compute_set_prf"]
