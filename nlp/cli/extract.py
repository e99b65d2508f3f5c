"""`narrative extract`: tag the stored articles not yet extracted by the current pipeline version."""

from __future__ import annotations

from contextlib import contextmanager
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
    quantize: Optional[str] = typer.Option(None, "--quantize", metavar="int8", help="int8 classifier weights on CPU: about twice as fast, labels may differ slightly."),
    engine: str = typer.Option("local", "--engine", help="local (this process) or ray (tagging on a Ray actor pool; pip install 'narrative[ray]')."),
    address: Optional[str] = typer.Option(None, "--address", help="Ray cluster: auto or ray://HOST:PORT (default: a local Ray)."),
    workers: int = typer.Option(2, "--workers", metavar="N", help="Ray actors tagging in parallel."),
    gpus_per_worker: float = typer.Option(0, "--gpus-per-worker", metavar="N", help="GPUs per Ray actor (0: CPU actors)."),
) -> None:
    """Extract tickers, themes, sentiment, relevance and stories from the stored articles (incremental)."""
    from nlp.extract.runner import extract, parse_since

    parse_since(since)  # a bad date fails before the database is touched
    _check_device(device)
    if quantize not in (None, "int8", "none"):
        raise NarrativeError(f"unknown --quantize {quantize!r}: use int8 or none")
    if engine not in ("local", "ray"):
        raise NarrativeError(f"unknown --engine {engine!r}: use local or ray")
    if engine == "ray":
        from nlp.extract.ray_engine import extract_with_ray, load_ray

        load_ray()  # a missing extra fails before the database is touched
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
