"""Texts/s of the batched classifier against (a) a raw batched forward of the same model on the
same texts and (b) a naive ``transformers.pipeline("text-classification")`` called one text at a
time. Runs on CUDA when present (``--device``), else CPU with ``--threads``, where it also times
each CPU backend of the pipeline: torch int8 (per-channel dynamic), ONNX Runtime fp32 and int8
(skipped with a note when onnxruntime is not installed; the first ONNX load exports the model
into the user cache, timed separately as "load").

Each configuration is timed ``--rounds`` times, rounds interleaved so that a burst of load on a
shared machine hits every configuration alike; the median is printed.

With ``--student DIR`` (a model from ``narrative train distill``) the student's pipeline is timed
too, fp32 and (on CPU) torch int8, against the same baselines: the raw forward and the naive
pipeline of ``--model``, what a user would otherwise run.

    python scripts/bench_classify.py [--n 512] [--threads 2] [--device auto] [--rounds 3] [--student DIR]
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nlp.classify.model import load_model_dir  # noqa: E402
from nlp.classify.onnx_backend import INSTALL_HINT, onnxruntime_available  # noqa: E402
from nlp.classify.pipeline import ClassifierPipeline, resolve_device  # noqa: E402
from nlp.classify.registry import compute_model_dir_digest, load_tokenizer  # noqa: E402
from nlp.settings import CORPORA_DIR, MODELS_DIR, shared_data_dir  # noqa: E402


def load_bench_texts(n: int) -> list[str]:
    """News-paragraph-sized texts: the dev set's paragraphs, else Twitter valid texts in threes."""
    dev = CORPORA_DIR / "eval" / "dev.jsonl"
    if dev.is_file():
        texts = [json.loads(line)["text"] for line in dev.read_text().splitlines() if line.strip()]
    else:
        with (shared_data_dir() / "twitter_financial_news_sentiment" / "sent_valid.csv").open() as fh:
            tweets = [r["text"] for r in csv.DictReader(fh)]
        texts = [" ".join(tweets[i : i + 3]) for i in range(0, len(tweets) - 2, 3)]
    return (texts * (n // max(len(texts), 1) + 1))[:n]


def timed(fn, texts) -> float:
    started = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - started)


def time_rounds(configs: dict, texts: list[str], rounds: int) -> dict[str, list[float]]:
    """Texts/s of every configuration, ``rounds`` times, rounds interleaved."""
    for fn in configs.values():
        fn(texts[:8])  # warm-up
    rates: dict[str, list[float]] = {name: [] for name in configs}
    for _ in range(rounds):
        for name, fn in configs.items():
            rates[name].append(timed(fn, texts))
    return rates


def load_cpu_backends(path: Path, tokenizer, batch_size: int) -> tuple[dict, list[str]]:
    """The pipeline on each CPU backend, and notes (load times, what was skipped)."""
    backends, notes = {}, []
    modes = ["int8"] + (["onnx", "onnx-int8"] if onnxruntime_available() else [])
    if not onnxruntime_available():
        notes.append(f"onnx rows skipped: {INSTALL_HINT}")
    digest = compute_model_dir_digest(path)
    for mode in modes:
        started = time.perf_counter()
        backends[f"pipeline {mode}"] = ClassifierPipeline(load_model_dir(path), tokenizer, device="cpu", batch_size=batch_size,
                                                          quantize=mode, model_digest=digest)
        notes.append(f"load {mode}: {time.perf_counter() - started:.1f}s (an ONNX export included when not cached)")
    return backends, notes


def load_student(path: Path, device: str, batch_size: int) -> dict:
    """The student's pipeline, fp32 (autocast on GPU) and, on CPU, torch int8."""
    student, tokenizer = load_model_dir(path), load_tokenizer(str(path))
    layers = student.encoder.config.num_hidden_layers
    configs = {f"student ({layers} layers) pipeline": ClassifierPipeline(student, tokenizer, device=device, batch_size=batch_size)}
    if device == "cpu":
        configs[f"student ({layers} layers) pipeline int8"] = ClassifierPipeline(
            load_model_dir(path), tokenizer, device="cpu", batch_size=batch_size, quantize="int8")
    return configs


def raw_forward(model, tokenizer, device: str, batch_size: int, max_length: int):
    """The same model, batches in input order padded to their longest text, no post-processing."""
    import torch

    def run(texts):
        with torch.inference_mode():
            for i in range(0, len(texts), batch_size):
                enc = tokenizer(texts[i : i + batch_size], padding=True, truncation=True, max_length=max_length, return_tensors="pt")
                model(enc["input_ids"].to(device), enc["attention_mask"].to(device))["sentiment_logits"].cpu()

    return run


def naive_pipeline(model, tokenizer, device: str, tmp: Path):
    """Export the encoder as a standard sequence-classification model dir, then one text per call."""
    from transformers import AutoModelForSequenceClassification, pipeline

    config = model.encoder.config
    config.num_labels = len(model.heads.id2label)
    hf = AutoModelForSequenceClassification.from_config(config)
    getattr(hf, hf.base_model_prefix).load_state_dict(model.encoder.state_dict(), strict=False)
    hf.save_pretrained(str(tmp))
    tokenizer.save_pretrained(str(tmp))
    pipe = pipeline("text-classification", model=str(tmp), device=device)
    return lambda texts: [pipe(t, truncation=True, max_length=model.heads.max_length) for t in texts]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(MODELS_DIR / "narrative-minilm"))
    parser.add_argument("--n", type=int, default=512)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--rounds", type=int, default=3, help="times each configuration is timed (median printed)")
    parser.add_argument("--student", default=None, help="a distilled student's model directory to time beside --model")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    path = Path(args.model)
    tokenizer = load_tokenizer(str(path))
    texts = load_bench_texts(args.n)
    lengths = [len(ids) for ids in tokenizer(texts, truncation=True, max_length=128)["input_ids"]]
    print(f"{len(texts)} texts, mean {sum(lengths) / len(lengths):.0f} tokens, device {device}, threads {args.threads}")
    model = load_model_dir(path).float().to(device)
    precision = "fp32" if device == "cpu" else "autocast"
    configs = {f"pipeline {precision} (sorted batches)": ClassifierPipeline(model, tokenizer, device=device, batch_size=args.batch_size)}
    notes: list[str] = []
    if device == "cpu":
        backends, notes = load_cpu_backends(path, tokenizer, args.batch_size)
        configs.update(backends)
    if args.student:
        configs.update(load_student(Path(args.student), device, args.batch_size))
    configs["raw batched forward"] = raw_forward(model, tokenizer, device, args.batch_size, model.heads.max_length)
    with tempfile.TemporaryDirectory() as tmp:
        configs["naive transformers.pipeline, 1 at a time"] = naive_pipeline(model, tokenizer, device, Path(tmp))
        rates = time_rounds(configs, texts, args.rounds)
    for note in notes:
        print(note)
    medians = {name: statistics.median(r) for name, r in rates.items()}
    base_raw, base_naive = medians["raw batched forward"], medians["naive transformers.pipeline, 1 at a time"]
    print(f"median of {args.rounds} rounds (min-max in brackets)")
    for name, rate in medians.items():
        spread = f"[{min(rates[name]):.1f}-{max(rates[name]):.1f}]"
        print(f"{name:<42} {rate:7.1f} texts/s {spread:>13}   x{rate / base_raw:5.2f} vs raw   x{rate / base_naive:5.2f} vs naive")


if __name__ == "__main__":
    main()
