"""Re-choose the sentiment cue weights after a model change: document and ticker macro-F1 on a
hand-labelled set for a grid of each cue weight (price moves, guidance changes; nlp/classify/aggregate.py),
with the model run once.

    python scripts/sweep_sentiment_cues.py [--dev corpora/eval/dev.jsonl] [--quantize none] [--model M]

Choose on the dev set only; read the blind and holdout sets once, after the choice (corpora/eval/README.md).
The main-subject rule (a neutral reading of the first company takes a polar document label) is on
in every row; `--no-main-subject` turns it off to measure it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.classify import aggregate  # noqa: E402
from nlp.classify.annotate import annotate_docs  # noqa: E402
from nlp.classify.evaluate import build_dev_docs, compute_classification_metrics, load_dev_set  # noqa: E402
from nlp.classify.pipeline import QUANTIZE_CHOICES  # noqa: E402
from nlp.classify.registry import load_classifier  # noqa: E402
from nlp.settings import CORPORA_DIR  # noqa: E402

DOCUMENT_WEIGHTS = (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5)
TICKER_WEIGHTS = (0.0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 1.0)


class CachedClassifier:
    """The classifier, remembering each (text, spans) result: aggregation reruns without the model."""

    def __init__(self, classifier):
        self._classifier, self._cache = classifier, {}

    def __getattr__(self, name):
        return getattr(self._classifier, name)

    def __call__(self, texts, spans=None):
        spans = spans if spans is not None else [[] for _ in texts]
        keys = [(t, tuple(map(tuple, s))) for t, s in zip(texts, spans)]
        todo = [i for i, k in enumerate(keys) if k not in self._cache]
        if todo:
            fresh = self._classifier([texts[i] for i in todo], [spans[i] for i in todo])
            self._cache.update((keys[i], r) for i, r in zip(todo, fresh))
        return [self._cache[k] for k in keys]


def score_rows(rows: list[dict], annotations: list[dict]) -> tuple[float, float]:
    """(document macro-F1, ticker macro-F1), scored like scripts/eval_classifier.py."""
    doc = compute_classification_metrics([r["sentiment"] for r in rows], [a["sentiment"]["label"] for a in annotations])
    gold, pred = [], []
    for row, ann in zip(rows, annotations):
        for symbol, label in (row.get("ticker_sentiment") or {}).items():
            gold.append(label)
            pred.append((ann["ticker_sentiment"].get(symbol) or ann["sentiment"])["label"])
    return doc["macro_f1"], compute_classification_metrics(gold, pred)["macro_f1"]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dev", type=Path, default=CORPORA_DIR / "eval" / "dev.jsonl")
    p.add_argument("--model", default=None)
    p.add_argument("--quantize", choices=QUANTIZE_CHOICES, default=None)
    p.add_argument("--no-main-subject", action="store_true")
    args = p.parse_args(argv)

    rows = load_dev_set(args.dev)
    docs, _ = build_dev_docs([r["full_text"] for r in rows])
    classifier = CachedClassifier(load_classifier(args.model, quantize=args.quantize))
    if args.no_main_subject:
        _drop_main_subject()
    grids = (  # (weight in aggregate.py, its grid, the figure it is chosen on: 0 document, 1 ticker)
        ("PRICE_MOVE_WEIGHT", DOCUMENT_WEIGHTS, 0),
        ("GUIDANCE_MOVE_WEIGHT", DOCUMENT_WEIGHTS, 0),
        ("TICKER_PRICE_MOVE_WEIGHT", TICKER_WEIGHTS, 1),
    )
    shipped = {name: getattr(aggregate, name) for name, _, _ in grids}
    print(f"{args.dev}: {len(rows)} rows; shipped weights: " + ", ".join(f"{k} {v}" for k, v in shipped.items()))
    for name, weights, figure in grids:
        print(f"{name:>26} {('document', 'ticker')[figure] + ' F1':>12}   (the others as shipped)")
        for weight in weights:
            setattr(aggregate, name, weight)
            print(f"{weight:26.2f} {score_rows(rows, annotate_docs(docs, classifier))[figure]:12.3f}")
        setattr(aggregate, name, shipped[name])
    return 0


def _drop_main_subject() -> None:
    """compute_ticker_sentiment without its main_symbol argument (the rule off)."""
    original = aggregate.compute_ticker_sentiment

    def without(mention_probs, tickers, document, price_directions=None, main_symbol=None):
        return original(mention_probs, tickers, document, price_directions)

    import nlp.classify.annotate as annotate

    annotate.compute_ticker_sentiment = without


if __name__ == "__main__":
    sys.exit(main())
