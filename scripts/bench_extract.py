#!/usr/bin/env python
"""Extraction speed and memory on the bundled corpus scaled up with varied copies.

Prints, all measured in this run on this machine:
- end-to-end articles/s of `extract` (spaCy pipeline + classifier + SQLite writes) on `--model-n`
  articles, and of the rules-only pipeline (`--no-model`) on `--n` articles;
- the ratio to the classifier's raw batched forward pass on the same texts (the window units
  `extract` classifies, pre-tokenised, length-sorted batches, model forward only);
- the ratio to a naive per-article loop as notebooks do it (a statistical spaCy pipeline when
  one is installed, else blank + sentencizer, then a `transformers.pipeline` call per article);
- a rerun with nothing new: in-process `extract()` and the `narrative extract` command;
- peak resident memory of a rules-only extraction at each of `--memory-sizes` (one subprocess
  each, so sizes do not share a heap).

Without a trained model in models/, the model figures use the default backbone with untrained
heads: the same network and the same cost, so the timing holds; the labels do not.

    python scripts/bench_extract.py --n 20000 --model-n 300 --naive-n 100
    python scripts/bench_extract.py --engine ray --parquet --n 2000   # local vs Ray (SQLite, Parquet)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")


# -- corpus -------------------------------------------------------------------------------------


def load_base_texts() -> list[dict]:
    """The bundled corpus: the items of the sample feeds in corpora/sample; without them, the
    dev-set paragraphs in corpora/eval and the seed story cut at its section headings."""
    feeds = sorted((REPO / "corpora" / "sample").glob("*.xml"))
    if feeds:
        return [item for path in feeds for item in _feed_items(path)]
    bases = []
    for path in sorted((REPO / "corpora" / "eval").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line) if line.strip() else {}
            if isinstance(record.get("text"), str) and len(record["text"]) > 40:
                bases.append({"title": record.get("title") or "", "text": record["text"]})
    for path in sorted((REPO.parent / "shared" / "seed").glob("*.txt")):
        bases += _split_sections(path.read_text(encoding="utf-8"))
    if not bases:
        sys.exit("no bundled texts found (corpora/sample, corpora/eval or ../shared/seed)")
    return bases


def _feed_items(path: Path) -> list[dict]:
    import html

    import feedparser

    items = []
    for entry in feedparser.parse(str(path)).entries:
        body = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
        text = html.unescape(re.sub(r"<[^>]+>", " ", re.sub(r"</p>\s*<p>", "\n\n", body)))
        text = re.sub(r"[ \t]+", " ", text).strip()
        if text:
            items.append({"title": entry.get("title", ""), "text": text})
    return items


def _split_sections(text: str) -> list[dict]:
    sections, title, body = [], "", []
    for line in (l.strip() for l in text.splitlines()):
        if line and len(line) < 80 and not line.endswith("."):
            if body:
                sections.append({"title": title, "text": " ".join(body)})
            title, body = line, []
        elif line:
            body.append(line)
    if body:
        sections.append({"title": title, "text": " ".join(body)})
    return sections


def build_variant(bases: list[dict], k: int) -> dict:
    """Copy k: a base text with sentences dropped, numbers changed, a sentence borrowed from
    another text, and a publication time spread over a year."""
    rng = random.Random(k)
    base = bases[k % len(bases)]
    sentences = [s for s in _SENTENCE.split(base["text"]) if rng.random() > 0.15] or [base["text"]]
    if rng.random() < 0.3:
        other = _SENTENCE.split(bases[rng.randrange(len(bases))]["text"])
        sentences.insert(rng.randrange(len(sentences) + 1), rng.choice(other))
    text = _NUMBER.sub(lambda m: str(round(float(m.group()) * rng.uniform(0.5, 1.5), 1)) if rng.random() < 0.5 else m.group(),
                       " ".join(sentences))
    day, second = rng.randrange(365), rng.randrange(86400)
    published = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1735689600 + day * 86400 + second))
    return {
        "id": f"bench-{k:06d}", "url": f"https://bench.example/{k}", "title": base["title"], "summary": "", "text": text,
        "published_utc": published, "fetched_utc": published, "content_hash": hashlib.sha1(f"{k}:{text}".encode()).hexdigest(),
        "language": "en", "text_source": "feed",
    }


def prepare_db(path: Path, bases: list[dict], n: int) -> None:
    from nlp.store import open_db, write_transaction

    db = open_db(path)
    with write_transaction(db):  # straight insert: the scraper's dedupe is not what is measured
        db["articles"].insert_all((build_variant(bases, k) for k in range(n)), batch_size=1000)
    db.conn.close()


# -- child: one extraction in a fresh process ---------------------------------------------------


def child_extract(db_path: str, use_model: bool, model: str | None, batch_size: int, device: str, repeat: int,
                  quantize: str | None = None) -> None:
    """Extract everything, then (``repeat`` - 1 times) extract everything again with --reprocess;
    report the fastest pass (best-of-k hides other processes' bursts on a shared machine)."""
    from nlp.extract.runner import extract
    from nlp.store import open_db

    db = open_db(db_path)
    passes = []
    for i in range(repeat):
        cpu: dict[str, float] = {}

        def progress(done: int, total: int) -> None:  # called with 0 once the model is loaded
            cpu.setdefault("start", time.process_time())

        summary = extract(db, use_model=use_model, model=model, batch_size=batch_size, device=device,
                          progress=progress, reprocess=i > 0, quantize=quantize)
        passes.append((summary.seconds, time.process_time() - cpu.get("start", 0.0), summary))
    seconds, cpu_seconds, summary = min(passes, key=lambda p: p[0])
    began = time.perf_counter()
    again = extract(db, use_model=use_model, model=model, batch_size=batch_size, device=device, quantize=quantize)
    rerun = time.perf_counter() - began
    print(json.dumps({
        "n": summary.n_articles, "seconds": seconds, "cpu_seconds": cpu_seconds, "load_seconds": passes[0][2].load_seconds,
        "rate": summary.n_articles / seconds, "all_seconds": [p[0] for p in passes], "rerun_seconds": rerun,
        "rerun_articles": again.n_articles, "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "device": summary.device, "model": summary.model_name, "notes": summary.notes,
    }))


def child_rerun(db_path: str, model: str | None, quantize: str | None) -> None:
    """A fresh process: time extract() on an up-to-date database with the model configured."""
    began = time.perf_counter()
    from nlp.extract.runner import extract
    from nlp.store import open_db

    imported = time.perf_counter()
    summary = extract(open_db(db_path), model=model, quantize=quantize)
    done = time.perf_counter()
    print(json.dumps({"import_seconds": imported - began, "extract_seconds": done - imported, "articles": summary.n_articles}))


def mark_extracted_with_stub(db_path: Path, model: str, quantize: str | None) -> None:
    """Extract with a stub tagger that reports the real model's digest: the database then looks
    extracted by the current version, without spending the model's hours on it (rerun timing only)."""
    from nlp.extract.fingerprint import Tagger, resolve_model
    from nlp.extract.runner import extract
    from nlp.store import open_db

    name, digest = resolve_model(model, True)

    def stub(items: list[dict]) -> list[dict]:
        return [{"id": i["id"], "tickers": [], "mentions": [], "themes": [], "theme_scores": {}, "evidence": [],
                 "sentiment": {"label": "neutral", "score": 0.0}, "ticker_sentiment": {}} for i in items]

    extract(open_db(db_path), tagger=Tagger(stub, name, digest, "cpu"), quantize=quantize)


def run_child(db_path: Path, use_model: bool, model: str | None, batch_size: int, device: str, repeat: int = 1,
              quantize: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--child", str(db_path), "--batch-size", str(batch_size), "--device", device,
           "--repeat", str(repeat)]
    cmd += ["--quantize", quantize] if quantize else []
    cmd += ["--model", model] if model else []
    cmd += [] if use_model else ["--no-model"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def time_cli_rerun(db_path: Path, use_model: bool, model: str | None, quantize: str | None = None) -> str:
    """Wall time of `narrative extract` on an up-to-date database (interpreter start included)."""
    cmd = [sys.executable, "-c", "from nlp.cli import main; main()", "--db", str(db_path), "extract"]
    cmd += ["--model", model] if model else []
    cmd += ["--quantize", quantize] if quantize else []
    cmd += [] if use_model else ["--no-model"]
    began = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO)
    elapsed = time.perf_counter() - began
    if "nothing to extract" not in done.stdout:  # e.g. a theme card edited meanwhile: a new version
        return f"{elapsed:.2f} s, but it did work: {done.stdout.strip()[:200]} {done.stderr.strip()[-300:]}"
    return f"{elapsed:.2f} s"


# -- model baselines ----------------------------------------------------------------------------


def ensure_model(model: str | None, workdir: Path) -> tuple[str, bool]:
    """(model directory, trained?): the given or default model, else untrained heads on the
    default backbone written to ``workdir`` (timing only)."""
    from nlp.classify.registry import DEFAULT_MODEL
    from nlp.settings import MODELS_DIR

    if model:
        return model, True
    if (MODELS_DIR / DEFAULT_MODEL / "model.safetensors").is_file():
        return str(MODELS_DIR / DEFAULT_MODEL), True
    from nlp.classify.model import HeadConfig, build_multitask_model, save_model_dir
    from nlp.classify.registry import load_backbone

    encoder, tokenizer, name = load_backbone(None)
    themes = sorted(p.stem for p in (REPO / "corpora" / "themes").glob("*.yaml"))
    heads = HeadConfig(theme_labels=themes, theme_thresholds={t: 0.5 for t in themes}, backbone=name)
    path = workdir / "untrained-model"
    save_model_dir(build_multitask_model(encoder, heads), tokenizer, path)
    return str(path), False


def classifier_units(texts: list[str], classifier) -> list[tuple[str, list]]:
    """The (window text, mention spans) units `extract` sends to the classifier for these texts."""
    from nlp.classify.annotate import compute_window_chars, _mention_tuples, _sentence_spans, build_units
    from nlp.tagging.pipeline import build_pipeline

    nlp = build_pipeline()
    units = []
    for i, doc in enumerate(nlp.pipe(texts, batch_size=64)):
        for u in build_units(i, doc.text, _sentence_spans(doc), _mention_tuples(doc), compute_window_chars(classifier.max_length)):
            units.append((doc.text[u.start : u.end], [(a, b) for _, a, b in u.mentions]))
    return units


def time_raw_forward(classifier, units: list[tuple[str, list]]) -> tuple[float, float]:
    """(wall, CPU) seconds for the model forward alone over pre-tokenised, length-sorted, padded batches."""
    import torch

    from nlp.classify.onnx_backend import ONNX_MODES
    from nlp.classify.pipeline import build_batches

    ids = classifier.tokenizer([u for u, _ in units], truncation=True, max_length=classifier.max_length)["input_ids"]
    pad = classifier.tokenizer.pad_token_id or 0
    batches = []
    for batch in build_batches([len(x) for x in ids], classifier.batch_size):
        width = max(len(ids[i]) for i in batch)
        tensor = torch.full((len(batch), width), pad, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, i in enumerate(batch):
            tensor[row, : len(ids[i])] = torch.tensor(ids[i])
            mask[row, : len(ids[i])] = 1
        batches.append((tensor.to(classifier.device), mask.to(classifier.device)))
    if classifier.quantize in ONNX_MODES:  # the backend's own forward: ONNX Runtime on numpy arrays
        def forward(tensor, mask):
            classifier.model.predict(tensor.numpy(), mask.numpy(), [], [])
    else:
        forward = classifier.model
    began, cpu = time.perf_counter(), time.process_time()
    with torch.inference_mode():
        for tensor, mask in batches:
            forward(tensor, mask)
    if str(classifier.device).startswith("cuda"):
        torch.cuda.synchronize()
    return time.perf_counter() - began, time.process_time() - cpu


def time_naive_loop(texts: list[str], backbone: str, repeat: int = 1) -> tuple[float, float, str]:
    """(wall, CPU) seconds for spaCy + a transformers.pipeline call, one article at a time (fastest pass)."""
    import spacy
    from transformers import pipeline

    if spacy.util.is_package("en_core_web_sm"):
        nlp, kind = spacy.load("en_core_web_sm"), "en_core_web_sm"
    else:
        nlp, kind = spacy.blank("en"), "blank+sentencizer (no statistical model installed)"
        nlp.add_pipe("sentencizer")
    classify = pipeline("text-classification", model=backbone, tokenizer=backbone, device=-1)
    classify(texts[0], truncation=True)  # warm-up, as the batched run's load is not timed either
    passes = []
    for _ in range(repeat):
        began, cpu = time.perf_counter(), time.process_time()
        for text in texts:
            nlp(text)
            classify(text, truncation=True)
        passes.append((time.perf_counter() - began, time.process_time() - cpu))
    wall, cpu_seconds = min(passes)
    return wall, cpu_seconds, kind


# -- main ---------------------------------------------------------------------------------------


def main() -> None:
    args = parse_args()
    if args.child_rerun:
        child_rerun(args.child_rerun, args.model, args.quantize)
        return
    if args.child:
        child_extract(args.child, not args.no_model, args.model, args.batch_size, args.device, args.repeat, args.quantize)
        return
    bases = load_base_texts()
    with tempfile.TemporaryDirectory(prefix="bench_extract_") as tmp:
        work = Path(tmp)
        describe_corpus(bases, args.n)
        if args.engine == "ray":
            bench_ray(bases, args, work)
            return
        if args.model_n and args.part in ("all", "model"):
            bench_model(bases, args, work)
        if args.part in ("all", "rules"):
            bench_rules_and_memory(bases, args, work)
        if args.part in ("all", "rerun"):
            bench_rerun_with_model(bases, args, work)


def describe_corpus(bases: list[dict], n: int) -> None:
    sample = [build_variant(bases, k) for k in range(min(n, 2000))]
    words = sum(len(a["text"].split()) for a in sample) / len(sample)
    print(f"corpus: {len(bases)} bundled texts -> {n:,} varied copies, mean {words:.0f} words per article")


def bench_model(bases: list[dict], args, work: Path) -> None:
    import torch

    from nlp.classify.registry import default_backbone_path, load_classifier

    model, trained = ensure_model(args.model, work)
    db_path = work / "model.db"
    prepare_db(db_path, bases, args.model_n)
    result = run_child(db_path, True, model, args.batch_size, args.device, args.repeat, args.quantize)
    texts = [_tag_text(build_variant(bases, k)) for k in range(args.model_n)]
    classifier = load_classifier(model, device=args.device, **({"quantize": args.quantize} if args.quantize else {}))
    print(f"model: {model} ({'trained' if trained else 'UNTRAINED heads on the default backbone: timing only'}), "
          f"backend {classifier.quantize or 'torch fp32'} (extract and the raw forward alike); torch threads {torch.get_num_threads()}")
    units = classifier_units(texts, classifier)
    raw_wall, raw_cpu = min(time_raw_forward(classifier, units) for _ in range(args.repeat))
    e2e_wall, e2e_cpu = result["seconds"], result["cpu_seconds"]
    n = result["n"]
    print(f"extract end-to-end (model, {result['device']}): {n / e2e_wall:.2f} articles/s wall ({n / e2e_cpu:.2f} per CPU-second) "
          f"over {n} articles, {len(units) / n:.1f} classifier windows each; load {result['load_seconds']:.1f} s not counted; "
          f"peak RSS {result['maxrss_mb']:.0f} MB")
    print(f"raw batched forward on the same {len(units):,} units: {n / raw_wall:.2f} articles/s wall ({n / raw_cpu:.2f} per CPU-second)"
          f" -> ratio {raw_wall / e2e_wall:.2f}x wall, {raw_cpu / e2e_cpu:.2f}x CPU time")
    if args.naive_n:
        naive_wall, naive_cpu, kind = time_naive_loop(texts[: args.naive_n], str(default_backbone_path()), args.repeat)
        m = args.naive_n
        print(f"naive per-article loop ({kind} + transformers.pipeline per article, truncated to the model's limit): "
              f"{m / naive_wall:.2f} articles/s wall ({m / naive_cpu:.2f} per CPU-second) over {m} articles "
              f"-> ratio {(n / e2e_wall) / (m / naive_wall):.2f}x wall, {(n / e2e_cpu) / (m / naive_cpu):.2f}x CPU time")
    print(f"passes (s): extract {', '.join(f'{x:.1f}' for x in result['all_seconds'])}; fastest of {args.repeat} reported")
    print(f"rerun with nothing new (model configured): extract() {result['rerun_seconds']:.2f} s "
          f"({result['rerun_articles']} articles redone), CLI {time_cli_rerun(db_path, True, model, args.quantize)} for {args.model_n:,} articles")


def _tag_text(article: dict) -> str:
    from nlp.tagging.tag import build_tag_text

    return build_tag_text({"title": article["title"], "text": article["text"]})


def bench_rules_and_memory(bases: list[dict], args, work: Path) -> None:
    sizes = sorted({*args.memory_sizes, args.n})
    for size in sizes:
        db_path = work / f"rules_{size}.db"
        prepare_db(db_path, bases, size)
        result = run_child(db_path, False, None, args.batch_size, args.device)
        print(f"rules only, {size:,} articles: {result['rate']:.1f} articles/s, peak RSS {result['maxrss_mb']:.0f} MB, "
              f"rerun with nothing new {result['rerun_seconds']:.2f} s in-process ({result['rerun_articles']} redone)")
        if size == args.n:
            print(f"rerun with nothing new, `narrative extract --no-model` command: {time_cli_rerun(db_path, False, None)} "
                  f"for {size:,} articles (interpreter start included)")
        db_path.unlink()


def bench_rerun_with_model(bases: list[dict], args, work: Path) -> None:
    """A rerun with nothing new over ``--n`` articles, the model configured: no model is loaded."""
    model, _ = ensure_model(args.model, work)
    db_path = work / "rerun.db"
    prepare_db(db_path, bases, args.n)
    mark_extracted_with_stub(db_path, model, args.quantize)
    cmd = [sys.executable, __file__, "--child-rerun", str(db_path), "--model", model]
    cmd += ["--quantize", args.quantize] if args.quantize else []
    began = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - began
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"rerun with nothing new, model configured, {args.n:,} articles: extract() {result['extract_seconds']:.2f} s "
          f"({result['articles']} redone; imports {result['import_seconds']:.2f} s; whole process {wall:.2f} s); "
          f"`narrative extract` command {time_cli_rerun(db_path, True, model, args.quantize)}")


def bench_ray(bases: list[dict], args, work: Path) -> None:
    """Rules only, end to end (run start to end, pipeline loads included): the local engine in
    this process, then the Ray engine with ``--workers`` actors on a local Ray (Ray's start not
    counted), rows back to the SQLite writer; with ``--parquet`` also the cluster path: article
    export, tagging into results shards, import-results (each step timed, and the whole)."""
    import ray

    from nlp.extract.ray_engine import extract_with_ray
    from nlp.extract.runner import extract

    names = ("local", "ray", "parquet") if args.parquet else ("local", "ray")
    for name in names:
        prepare_db(work / f"{name}.db", bases, args.n)
    began = time.perf_counter()
    local = extract(str(work / "local.db"), use_model=False, batch_size=args.batch_size)
    local_s = time.perf_counter() - began
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    began = time.perf_counter()
    remote = extract_with_ray(str(work / "ray.db"), use_model=False, batch_size=args.batch_size, workers=args.workers)
    ray_s = time.perf_counter() - began
    steps = bench_parquet_path(ray, args, work) if args.parquet else None
    ray.shutdown()
    print(f"rules only, {args.n:,} articles, batch {args.batch_size}, {args.workers} local Ray workers (Ray start excluded):")
    print(f"  local engine: {local.n_articles / local_s:.1f} articles/s ({local_s:.1f} s, {local.n_articles:,} articles)")
    print(f"  ray, SQLite in/out: {remote.n_articles / ray_s:.1f} articles/s ({ray_s:.1f} s, {remote.n_articles:,} articles); "
          f"time ray/local {ray_s / local_s:.2f}x")
    if steps:
        n, export_s, tag_s, import_s = steps
        whole = export_s + tag_s + import_s
        print(f"  ray, Parquet in/out + import-results: {n / whole:.1f} articles/s ({whole:.1f} s, {n:,} articles): export "
              f"{export_s:.1f} s, tag to shards {tag_s:.1f} s ({n / tag_s:.1f} articles/s), import {import_s:.1f} s "
              f"({n / import_s:.1f} articles/s); time parquet/local {whole / local_s:.2f}x, tag-to-shards/local {tag_s / local_s:.2f}x")


def bench_parquet_path(ray, args, work: Path) -> tuple[int, float, float, float]:
    """(articles imported, export s, tag-to-shards s, import s); Ray is shut down before the
    import, as on a database machine that is not part of the cluster."""
    from nlp.extract.parquet import export_articles
    from nlp.extract.parquet_import import import_results
    from nlp.extract.ray_engine import extract_to_shards

    db_path = str(work / "parquet.db")
    began = time.perf_counter()
    export_articles(db_path, work / "articles", use_model=False)
    export_s = time.perf_counter() - began
    began = time.perf_counter()
    extract_to_shards(work / "results", parquet_in=work / "articles", use_model=False, batch_size=args.batch_size,
                      workers=args.workers)
    tag_s = time.perf_counter() - began
    ray.shutdown()
    began = time.perf_counter()
    imported = import_results(db_path, work / "results")
    return imported.n_articles, export_s, tag_s, time.perf_counter() - began


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20000, help="articles for the rules-only run and the rerun")
    parser.add_argument("--model-n", type=int, default=768, help="articles for the model run (0 skips it)")
    parser.add_argument("--naive-n", type=int, default=100, help="articles for the naive loop (0 skips it)")
    parser.add_argument("--memory-sizes", type=lambda s: [int(x) for x in s.split(",") if x], default=[5000, 20000])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--model", default=None, help="model directory or registered name (default: models/)")
    parser.add_argument("--quantize", default=None, help="int8: quantised classifier for extract and the raw forward (the naive loop stays fp32)")
    parser.add_argument("--repeat", type=int, default=3, help="passes of each model timing; the fastest is reported")
    parser.add_argument("--part", choices=("all", "model", "rules", "rerun"), default="all", help="which measurements to run")
    parser.add_argument("--engine", choices=("local", "ray"), default="local", help="ray: only the Ray engine against the local one (rules only)")
    parser.add_argument("--workers", type=int, default=2, help="Ray actors for --engine ray")
    parser.add_argument("--parquet", action="store_true", help="with --engine ray: also the Parquet path (export, shards, import-results)")
    parser.add_argument("--no-model", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--child-rerun", default=None, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    main()
