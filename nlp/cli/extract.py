"""`narrative extract`: tag the stored articles not yet extracted by the current pipeline version."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

import typer

from nlp.cli.app import command, open_cli_db, stderr_terminal
from nlp.errors import NarrativeError

DEVICES = ("auto", "cpu", "cuda", "mps")


@command("extract")
def extract_command(
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only articles published on or after DATE (YYYY-MM-DD or ISO date-time, UTC)."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help="Extract at most N articles this run."),
    device: str = typer.Option("auto", "--device", help="auto (cuda, then mps, then cpu), cpu, cuda or cuda:N."),
    batch_size: int = typer.Option(256, "--batch-size", metavar="N", help="Articles per batch (one transaction each)."),
    model: Optional[str] = typer.Option(None, "--model", help="Classifier: a registered name or a model directory (default: the bundled model)."),
    reprocess: bool = typer.Option(False, "--reprocess", help="Extract every selected article again, even if up to date."),
    no_model: bool = typer.Option(False, "--no-model", help="Rules only: tickers and rule themes, no classifier."),
    quantize: Optional[str] = typer.Option(None, "--quantize", metavar="MODE", help="Classifier backend: auto (default: ONNX Runtime int8 on CPU when onnxruntime is installed, else torch; autocast on GPU), none (torch fp32), int8 (torch), onnx, onnx-int8 (ONNX Runtime; pip install 'narrative[onnx]')."),
    engine: str = typer.Option("local", "--engine", help="local (this process) or ray (tagging on a Ray actor pool; pip install 'narrative[ray]')."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster: auto or ray://HOST:PORT (default: a local Ray)."),
    workers: int = typer.Option(2, "--workers", metavar="N", help="Ray actors tagging in parallel."),
    gpus_per_worker: float = typer.Option(0, "--gpus-per-worker", metavar="N", help="GPUs per Ray actor (0: CPU actors)."),
    parquet_in: Optional[Path] = typer.Option(None, "--parquet-in", metavar="DIR", help="Ray: read the articles from an export (narrative export-articles) instead of the database; needs --parquet-out."),
    parquet_out: Optional[Path] = typer.Option(None, "--parquet-out", metavar="DIR", help="Ray: workers write results shards into DIR instead of the database; merge them with narrative import-results DIR."),
) -> None:
    """Extract tickers, themes, sentiment, relevance and stories from the stored articles (incremental)."""
    from nlp.extract.runner import extract, parse_since

    parse_since(since)  # a bad date fails before the database is touched
    _check_device(device)
    _check_quantize(quantize)
    if engine not in ("local", "ray"):
        raise NarrativeError(f"unknown --engine {engine!r}: use local or ray")
    _check_parquet_options(engine, parquet_in, parquet_out)
    if engine == "ray":
        from nlp.extract.ray_engine import extract_with_ray, load_ray

        load_ray()  # a missing extra fails before the database is touched
    if parquet_out is not None:
        _extract_to_shards(parquet_out, parquet_in, address=address, workers=workers, gpus_per_worker=gpus_per_worker,
                           batch_size=batch_size, model=model, use_model=not no_model, since=since, limit=limit,
                           reprocess=reprocess, quantize=quantize)
        return
    db = open_cli_db(must_exist=True)
    with _progress_bar() as progress:
        if engine == "ray":
            summary = extract_with_ray(db, address=address, workers=workers, gpus_per_worker=gpus_per_worker,
                                       batch_size=batch_size, model=model, use_model=not no_model, since=since,
                                       limit=limit, reprocess=reprocess, progress=progress, quantize=quantize)
        else:
            summary = extract(db, since=since, limit=limit, device=device, batch_size=batch_size, model=model,
                              reprocess=reprocess, use_model=not no_model, progress=progress, quantize=quantize)
    for note in summary.notes:
        typer.echo(note, err=True)
    typer.echo(format_summary(summary))


def _check_quantize(quantize: Optional[str]) -> None:
    from nlp.classify.pipeline import QUANTIZE_CHOICES

    if quantize is not None and quantize not in QUANTIZE_CHOICES:
        raise NarrativeError(f"unknown --quantize {quantize!r}: use {', '.join(QUANTIZE_CHOICES)}")


def _check_parquet_options(engine: str, parquet_in: Optional[Path], parquet_out: Optional[Path]) -> None:
    if (parquet_in or parquet_out) and engine != "ray":
        raise NarrativeError("--parquet-in and --parquet-out need --engine ray")
    if parquet_in and not parquet_out:
        raise NarrativeError("--parquet-in needs --parquet-out DIR: workers that cannot see the database write "
                             "results shards, merged later by `narrative import-results DIR`")


def _extract_to_shards(parquet_out: Path, parquet_in: Optional[Path], **options) -> None:
    """Results as Parquet shards: the database is read only without --parquet-in, never written."""
    from nlp.extract.ray_engine import extract_to_shards

    db = None if parquet_in is not None else open_cli_db(must_exist=True)
    with _progress_bar() as progress:
        summary = extract_to_shards(parquet_out, db, parquet_in=parquet_in, progress=progress, **options)
    for note in summary.notes:
        typer.echo(note, err=True)
    typer.echo(format_shard_summary(summary))


def format_shard_summary(summary) -> str:
    if summary.n_pending == 0:
        return f"nothing to extract: no pending articles (pipeline {summary.pipeline_version}); no shard written"
    return (
        f"tagged {summary.n_articles:,} articles in {summary.seconds:.1f} s ({summary.articles_per_second:.1f} articles/s) "
        f"on {summary.device}: {summary.n_shards:,} results shards in {summary.folder}; "
        f"merge them into the database with `narrative import-results {summary.folder}`"
    )


@command("export-articles")
def export_articles_command(
    out: Path = typer.Argument(..., metavar="OUT_DIR", help="Folder for articles-NNNNN.parquet (new or empty)."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DATE", help="Only articles published on or after DATE."),
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help="At most N articles."),
    reprocess: bool = typer.Option(False, "--reprocess", help="Every selected article, even if up to date."),
    model: Optional[str] = typer.Option(None, "--model", help="The classifier `extract` will use (decides what is pending)."),
    no_model: bool = typer.Option(False, "--no-model", help="Pending for a rules-only extraction."),
    quantize: Optional[str] = typer.Option(None, "--quantize", metavar="MODE", help="Pending for an extraction with this classifier backend (see extract)."),
    rows_per_file: int = typer.Option(65_536, "--rows-per-file", metavar="N", help="Articles per Parquet file."),
) -> None:
    """Write the articles pending extraction as Parquet files, for `extract --engine ray --parquet-in` on a
    cluster that cannot see the database."""
    from nlp.extract.parquet import export_articles
    from nlp.extract.runner import parse_since

    parse_since(since)
    _check_quantize(quantize)
    summary = export_articles(open_cli_db(must_exist=True), out, since=since, limit=limit, reprocess=reprocess,
                              model=model, use_model=not no_model, quantize=quantize, rows_per_file=rows_per_file)
    typer.echo(f"exported {summary.n_articles:,} articles in {summary.n_files:,} files to {summary.folder} "
               f"(pending for pipeline {summary.pipeline_version})")


@command("import-results")
def import_results_command(
    folder: Path = typer.Argument(..., metavar="DIR", help="The --parquet-out folder of `extract --engine ray`."),
    reprocess: bool = typer.Option(False, "--reprocess", help="Also replace articles already extracted by the shards' pipeline version."),
) -> None:
    """Merge the results shards of `extract --engine ray --parquet-out DIR` into the database (idempotent, resumable)."""
    from nlp.extract.parquet_import import import_results

    db = open_cli_db(must_exist=True)
    with _progress_bar() as progress:
        summary = import_results(db, folder, reprocess=reprocess, progress=progress)
    if summary.run_id is None:
        typer.echo(f"nothing to import: every article in {folder} is already stored or changed since (pipeline {summary.pipeline_version})")
        return
    typer.echo(format_summary(summary).replace("extracted", "imported", 1))


def _check_device(device: str) -> None:
    if device not in DEVICES and not device.startswith("cuda:"):
        raise NarrativeError(f"unknown device {device!r}: use auto, cpu, cuda or mps")


def format_summary(summary) -> str:
    if summary.n_pending == 0:
        return f"nothing to extract: every article is up to date (pipeline {summary.pipeline_version}, run {summary.run_id})"
    model = summary.model_name or "rules only"
    return (
        f"extracted {summary.n_articles:,} article{'' if summary.n_articles == 1 else 's'} in {summary.seconds:.1f} s ({summary.articles_per_second:.1f} articles/s) "
        f"on {summary.device} with {model}: {summary.n_mentions:,} mentions, {summary.n_themes:,} themes, "
        f"{summary.n_evidence:,} evidence spans; run {summary.run_id} {summary.status}"
    )


@contextmanager
def _progress_bar() -> Iterator:
    """A rich progress bar with articles/s on a terminal; no output otherwise."""
    console = stderr_terminal()
    if console is None:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    columns = (TextColumn("extract"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("extract", total=None, rate="loading the pipeline and model...")

        started = []

        def update(done: int, total: int) -> None:
            if done == 0:  # loading is over: restart the clock so articles/s counts extraction only
                started.append(True)
                bar.reset(task, total=total, completed=0, rate="- articles/s")
                return
            bar.update(task, completed=done, total=total)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:.1f} articles/s" if speed else "- articles/s")

        try:
            yield update
        finally:
            if not started:  # nothing was pending: leave no stale "loading" line
                bar.remove_task(task)
