"""`narrative train sentiment|themes` and `narrative evaluate`: thin shells over nlp.classify."""

from __future__ import annotations

import json
import logging
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from nlp.cli.app import command
from nlp.errors import NarrativeError


# (epochs, learning rate, max_length) each task was measured with (models/narrative-minilm/MODEL_CARD.md).
TASK_DEFAULTS = {"sentiment": (2.0, 6e-5, 64), "themes": (3.0, 2e-5, 96), "distill": (2.0, 1e-4, 64)}


class Task(str, Enum):
    sentiment = "sentiment"
    themes = "themes"
    distill = "distill"


@command("train")
def train(
    task: Task = typer.Argument(..., help="sentiment: fine-tune encoder + sentiment heads; themes: weak-label and fit the theme head; distill: train a shallower, faster student of --model."),
    data: Optional[Path] = typer.Option(None, "--data", help="sentiment: a CSV/JSONL with text,label, or the shared data folder (default ../shared/data)."),
    model: Optional[str] = typer.Option(None, "--model", help="sentiment: backbone name or path (default: bundled all-MiniLM-L6-v2). themes: model directory to start from. distill: the teacher model directory (default narrative-minilm)."),
    themes_dir: Optional[Path] = typer.Option(None, "--themes-dir", help="themes: folder of theme cards (default corpora/themes)."),
    epochs: Optional[float] = typer.Option(None, "--epochs", help="passes over the data (fractions allowed); default: sentiment 2, themes --finetune 3, distill 2."),
    batch_size: int = typer.Option(32, "--batch-size"),
    learning_rate: Optional[float] = typer.Option(None, "--lr", help="peak learning rate; default: sentiment 6e-5, themes --finetune 2e-5, distill 1e-4."),
    max_length: Optional[int] = typer.Option(None, "--max-length", help="training truncation in tokens; default 64 (themes --finetune: 96)."),
    seed: int = typer.Option(13, "--seed"),
    threads: int = typer.Option(2, "--threads", help="CPU threads for torch."),
    device: str = typer.Option("auto", "--device", help="auto, cuda, mps or cpu."),
    online: bool = typer.Option(False, "--online", help="allow downloading a backbone from a model hub."),
    out: Optional[Path] = typer.Option(None, "--out", help="output model directory (sentiment default models/narrative-custom; themes default: update --model in place)."),
    finetune: bool = typer.Option(False, "--finetune", help="themes: after the linear head, fine-tune the whole model on the theme labels (hand labels; rule labels for a card outside the default eight) with sentiment rehearsal (minutes, not seconds; uses --epochs, --lr, --max-length)."),
    rehearsal: int = typer.Option(8000, "--rehearsal", help="themes --finetune: sentiment examples of the default mix rehearsed alongside."),
    layers: int = typer.Option(3, "--layers", help="distill: encoder layers of the student."),
) -> None:
    """Train the classifier and write a model directory with MODEL_CARD.md."""
    from nlp.classify.pipeline import resolve_device
    from nlp.settings import MODELS_DIR

    # Check every path before minutes of training start.
    if data is not None and not data.exists():
        raise NarrativeError(f"no such data file or folder: {data}")
    if out is not None and not out.resolve().parent.is_dir():
        raise NarrativeError(f"cannot write {out}: folder {out.parent} does not exist")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    dev = resolve_device(device)
    default_epochs, default_lr, default_length = TASK_DEFAULTS[task.value]
    epochs = default_epochs if epochs is None else epochs
    learning_rate = default_lr if learning_rate is None else learning_rate
    max_length = default_length if max_length is None else max_length
    if task is Task.sentiment:
        from nlp.classify.train import TrainSettings, train_sentiment_model

        settings = TrainSettings(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, max_length=max_length, seed=seed, threads=threads)
        target = out or MODELS_DIR / "narrative-custom"
        stats = train_sentiment_model(model, data, target, settings, device=dev, local_files_only=not online)
    elif task is Task.distill:
        stats, target = _distill(model, data, out, layers, epochs, batch_size, learning_rate, max_length, seed, threads, dev)
    else:
        from nlp.classify.themes_weak import run_theme_stage

        init = Path(model) if model else MODELS_DIR / "narrative-minilm"
        if not (init / "config.json").is_file():
            raise NarrativeError(f"--model must be a trained model directory for themes: {init}")
        target = out or init
        settings = None
        if finetune:
            from nlp.classify.train import TrainSettings

            settings = TrainSettings(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, max_length=max_length, seed=seed, threads=threads)
        stats = run_theme_stage(init, target, themes_dir=themes_dir, data_dir=data, seed=seed, threads=threads,
                                finetune=settings, rehearsal=rehearsal if finetune else 0, device=dev)
    typer.echo(f"wrote {target} ({', '.join(f'{k}={v}' for k, v in stats.items() if not isinstance(v, dict))})")


def _distill(model, data, out, layers, epochs, batch_size, learning_rate, max_length, seed, threads, device):
    """A ``layers``-layer student of the model directory ``model`` (default narrative-minilm), trained on
    the default sentiment mix and the theme pool (weak-labelled texts) under ``data``."""
    from nlp.classify.distill import run_distill_stage
    from nlp.classify.themes_weak import POOL_VARIANT, build_theme_training
    from nlp.classify.train import TrainSettings
    from nlp.settings import MODELS_DIR

    teacher = Path(model) if model else MODELS_DIR / "narrative-minilm"
    if not (teacher / "config.json").is_file():
        raise NarrativeError(f"--model must be a trained model directory to distil: {teacher}")
    if not 1 <= layers < int(json.loads((teacher / "config.json").read_text()).get("num_hidden_layers", 0) or 0):
        raise NarrativeError(f"--layers must be at least 1 and fewer than the teacher's layers ({teacher})")
    settings = TrainSettings(epochs=epochs, batch_size=batch_size, learning_rate=learning_rate, max_length=max_length, seed=seed, threads=threads)
    target = out or MODELS_DIR / f"{teacher.name}-l{layers}"
    pool = build_theme_training(data_dir=data, seed=seed, threads=threads).weak_sets[POOL_VARIANT].texts
    return run_distill_stage(teacher, target, layers, settings, data_dir=data, theme_texts=pool, device=device), target


@command("evaluate")
def evaluate(
    model: Optional[str] = typer.Option(None, "--model", help="registered name or model directory (default narrative-minilm)."),
    data: Optional[Path] = typer.Option(None, "--data", help="shared data folder (default ../shared/data)."),
    dev: Optional[Path] = typer.Option(None, "--dev", help="theme dev set JSONL (default corpora/eval/dev.jsonl)."),
    device: str = typer.Option("auto", "--device"),
    quantize: Optional[str] = typer.Option(None, "--quantize", metavar="MODE", help="Classifier backend: auto (default), none, int8, onnx, onnx-int8."),
    threads: int = typer.Option(2, "--threads"),
) -> None:
    """Accuracy/macro-F1 on FPB, Twitter and SEntFiN; theme P/R/F1 on the dev set; VADER beside."""
    from nlp.classify.evaluate import evaluate_sentiment, format_table, load_vader
    from nlp.classify.registry import load_classifier
    from nlp.settings import CORPORA_DIR, shared_data_dir

    if dev is not None and not dev.is_file():
        raise NarrativeError(f"no such dev set: {dev}")
    data_dir = data or shared_data_dir()
    if not (data_dir / "financial_phrasebank").is_dir():
        raise NarrativeError(f"no evaluation data under {data_dir} (pass --data)")
    classifier = load_classifier(model, device=device, quantize=quantize, threads=threads)
    rows = evaluate_sentiment(classifier, data_dir, load_vader())
    dev_path = dev or CORPORA_DIR / "eval" / "dev.jsonl"
    if dev_path.is_file():  # the bundled dev set; a --dev given was checked above
        rows += _evaluate_dev(classifier, dev_path)
    typer.echo(format_table(rows, ("set", "system", "n", "accuracy", "macro_f1", "precision", "recall", "micro_f1")))


def _evaluate_dev(classifier, dev_path: Path) -> list[dict]:
    from nlp.classify.annotate import annotate_docs
    from nlp.classify.evaluate import build_dev_docs, evaluate_dev, load_dev_set, load_vader

    rows = load_dev_set(dev_path)
    docs, rules = build_dev_docs([r["full_text"] for r in rows])
    return evaluate_dev(rows, annotate_docs(docs, classifier), rules, classifier.thresholds, classifier.theme_labels, load_vader())
