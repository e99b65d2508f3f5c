"""Speed of the rule tagging pipeline next to spaCy tokenisation alone, on the same texts.

Texts: the bundled feed sample (corpora/sample/*.xml, read with feedparser; the visible text of
each entry's title and summary, as `narrative tag --html` and extraction tag it), else the development set
(corpora/eval/dev.jsonl), else the founding story's paragraphs; replicated to --docs documents.
Prints docs/s for `spacy.blank("en")` tokenisation, for the full rule pipeline (sentencizer, ticker
linker, theme rules), for `tag_records` (pipeline + output records) and what each component adds inside
the pipeline, with the slowdown ratios. Times are CPU time of this process, the best of --repeats runs;
the runs of tokenisation and of the pipelines are interleaved, so a change in the machine's load hits
them alike. Goal: the rule pipeline within 2x of tokenisation.

    python scripts/bench_tag.py [--docs 5000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def load_sample_texts() -> tuple[str, list[str]]:
    """(source name, texts) from the first available corpus."""
    xml_files = sorted((REPO / "corpora" / "sample").glob("*.xml"))
    if xml_files:
        import feedparser

        from nlp.tagging.tag import build_plain_record, build_tag_text

        texts = []
        for path in xml_files:
            for entry in feedparser.parse(str(path)).entries:
                # What the product tags: the visible text of title and summary (`tag --html`, extraction).
                record = build_plain_record({"id": "", "title": entry.get("title") or "", "text": entry.get("summary") or ""})
                text = build_tag_text(record)
                if text.strip():
                    texts.append(text)
        if texts:
            return f"corpora/sample ({len(xml_files)} feeds, visible text)", texts
    dev = REPO / "corpora" / "eval" / "dev.jsonl"
    if dev.is_file():
        rows = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
        return "corpora/eval/dev.jsonl", [f"{r.get('title') or ''}\n\n{r['text']}".strip() for r in rows]
    seed = sorted((REPO.parent / "shared" / "seed").glob("*.txt"))
    texts = [p for path in seed for p in path.read_text(encoding="utf-8").split("\n") if len(p) > 80]
    return "shared/seed paragraphs", texts


def replicate(texts: list[str], n: int) -> list[str]:
    return [texts[i % len(texts)] for i in range(n)]


def cpu_seconds(fn) -> float:
    """CPU time of this process for one call (CPU time: other load on the machine distorts
    wall-clock ratios far more)."""
    started = time.process_time()
    fn()
    return time.process_time() - started


def time_interleaved(runs: dict, repeats: int) -> dict[str, float]:
    """Best CPU time of each run over `repeats` rounds, every round running each once in turn."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, fn in runs.items():
            best[name] = min(best[name], cpu_seconds(fn))
    return best


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="docs/s of the rule pipeline vs tokenisation")
    p.add_argument("--docs", type=int, default=5000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=256)
    args = p.parse_args(argv)

    import spacy

    from nlp.tagging.pipeline import build_pipeline
    from nlp.tagging.tag import tag_records

    source, base = load_sample_texts()
    texts = replicate(base, args.docs)
    blank = spacy.blank("en")
    nlp = build_pipeline()
    list(nlp.pipe(texts[:200]))  # warm up vocab and caches
    list(blank.pipe(texts[:200]))
    bs = args.batch_size
    names = nlp.pipe_names
    records = [{"id": i, "text": t} for i, t in enumerate(texts)]
    runs = {"tokenisation": lambda: [d for d in blank.pipe(texts, batch_size=bs)]}
    for k in range(1, len(names)):  # the first k components: what each adds, inside nlp.pipe
        runs[f"first {k}"] = (lambda off: lambda: [d for d in nlp.pipe(texts, batch_size=bs, disable=off)])(names[k:])
    runs["pipeline"] = lambda: [d for d in nlp.pipe(texts, batch_size=bs)]
    runs["tag_records"] = lambda: list(tag_records(nlp, records, batch_size=bs))
    best = time_interleaved(runs, args.repeats)

    n = len(texts)
    t_tok, t_pipe, t_tag = best["tokenisation"], best["pipeline"], best["tag_records"]
    words = sum(len(t.split()) for t in base) / len(base)
    print(f"texts: {source}: {len(base)} distinct, replicated to {n} docs (~{words:.0f} words each)")
    print(f"pipeline: {', '.join(names)} ({', '.join(type(proc).__name__ for _, proc in nlp.pipeline)})")
    print(f"method: tokenisation and rule pipeline both as nlp.pipe(texts, batch_size={bs}) kept in a list; "
          f"CPU time of this process, best of {args.repeats} interleaved rounds")
    print("        components: what each adds inside nlp.pipe (the pipeline up to it, minus the one before)")
    print(f"{'spacy.blank tokenisation':32} {n / t_tok:10.0f} docs/s")
    print(f"{'rule pipeline (nlp.pipe)':32} {n / t_pipe:10.0f} docs/s   {t_pipe / t_tok:.2f}x tokenisation")
    print(f"{'tag_records (pipeline + output)':32} {n / t_tag:10.0f} docs/s   {t_tag / t_tok:.2f}x tokenisation")
    previous = t_tok
    for k, name in enumerate(names, start=1):
        upto = best["pipeline"] if k == len(names) else best[f"first {k}"]
        added = max(upto - previous, 1e-9)
        print(f"  component {name:22} {1e6 * added / n:8.1f} us/doc   +{added / t_tok:.2f}x tokenisation")
        previous = upto
    print(f"ratio: rule pipeline = {t_pipe / t_tok:.2f}x tokenisation time")
    print(f"goal: rule pipeline within 2x of tokenisation -> {'met' if t_pipe / t_tok <= 2 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
