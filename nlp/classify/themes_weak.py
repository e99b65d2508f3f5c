"""Weak supervision for the theme head: cards -> weak labels -> linear head -> thresholds.

Steps (each one is measured by scripts/eval_classifier.py --theme-ablation):
1. card examples: each card's ``examples`` are positives, ``counter_examples`` negatives;
2. written examples (``corpora/theme_examples/*.jsonl``, read by ``theme_examples.py``): news paragraphs written for the project
   and labelled by hand on all eight default themes, many of them paraphrases without a card's
   words and near misses that use them in another sense; a row is used only when it was judged on
   every loaded card (for a user's new card it would otherwise be a false negative);
3. rules: unlabelled texts (bundled sample corpus, Twitter topic texts, SEntFiN titles; all MIT
   or written for the project) whose rule score for a theme reaches the card's threshold;
4. similarity: texts whose embedding (the untouched all-MiniLM-L6-v2 sentence space) is close
   to the card's examples - closer than any counter example, and above a floor;
every other text is a negative for every theme it was not labelled with.

The shipped model trains on steps 1-2 only (``FINAL_VARIANT``): a model that learns from the rules'
labels repeats the rules' mistakes, and then fusing it with the rules cannot fix them. Without
written examples (a user's own card) it trains on steps 1 and 3 (``FALLBACK_VARIANT``).
The theme head is a linear layer over the classifier's own pooled vector (the encoder stays
frozen, so sentiment is untouched and a new card trains in about a minute); ``--finetune`` then
trains the whole model with sentiment rehearsal. Per-theme thresholds maximise F1 on a held-out
fifth of the rows: the hand-labelled ones when there are written examples
(``select_calibration_rows``), else every held-out row.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

from nlp.classify.paragraphs import SOURCE as PARAGRAPH_SOURCE
from nlp.classify.theme_examples import WRITTEN_THEMES, load_written_examples
from nlp.classify.theme_pool import load_unlabelled_pool
from nlp.errors import NarrativeError

log = logging.getLogger(__name__)

SIMILARITY_FLOOR = 0.45
SIMILARITY_MARGIN = 0.02
HELD_OUT_PERCENT = 20
CARD_EXAMPLE_REPEAT = 5
WRITTEN_EXAMPLE_REPEAT = 2  # hand labels, but many more of them than card sentences


@dataclass
class ThemeCard:
    id: str
    label: str
    description: str
    phrases: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    counter_examples: list[str] = field(default_factory=list)
    threshold: float = 0.5


@dataclass
class WeakSet:
    texts: list[str]
    labels: list[set[str]]
    weights: list[float]
    sources: list[str]
    # text -> a labelled paragraph's Example (document and span sentiment too): fine-tuning trains it whole
    paragraph_examples: dict = field(default_factory=dict)


def parse_theme_card(data: dict) -> ThemeCard:
    if not isinstance(data, dict) or not data.get("id"):
        raise NarrativeError("a theme card needs at least an id")
    return ThemeCard(
        id=str(data["id"]), label=str(data.get("label", data["id"])), description=str(data.get("description", "")),
        phrases=[str(p) for p in data.get("phrases") or []],
        examples=[str(e) for e in data.get("examples") or []],
        counter_examples=[str(e) for e in data.get("counter_examples") or []],
        threshold=float(data.get("threshold", 0.5)),
    )


def load_theme_cards(themes_dir: Path) -> list[ThemeCard]:
    import yaml

    paths = sorted(themes_dir.glob("*.yaml"))
    if not paths:
        raise NarrativeError(f"no theme cards (*.yaml) in {themes_dir}")
    return [parse_theme_card(yaml.safe_load(p.read_text(encoding="utf-8"))) for p in paths]


def is_held_out(text: str) -> bool:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:8], 16) % 100 < HELD_OUT_PERCENT


def build_phrase_scorer(cards: Sequence[ThemeCard]) -> Callable[[list[str]], list[dict[str, float]]]:
    """Fallback rule scorer when the tagging pipeline is absent: 1.0 per theme with a phrase hit."""
    patterns = {c.id: re.compile(r"\b(?:" + "|".join(re.escape(p.lower()) for p in c.phrases) + r")\b") for c in cards if c.phrases}

    def score(texts: list[str]) -> list[dict[str, float]]:
        return [{t: 1.0 for t, rx in patterns.items() if rx.search(text.lower())} for text in texts]

    return score


def build_card_examples(cards: Sequence[ThemeCard]) -> WeakSet:
    """Step 1: the cards' own sentences (weighted up: they are the only hand labels)."""
    texts, labels = [], []
    for card in cards:
        texts += card.examples + card.counter_examples
        labels += [{card.id}] * len(card.examples) + [set()] * len(card.counter_examples)
    n = len(texts)
    return WeakSet(texts, labels, [float(CARD_EXAMPLE_REPEAT)] * n, ["card"] * n)


def build_written_set(rows: Sequence[tuple[str, set[str]]]) -> WeakSet:
    """Step 2: written examples ``(text, theme ids)`` as hand labels (``theme_examples.py`` reads them)."""
    n = len(rows)
    return WeakSet([t for t, _ in rows], [set(labs) for _, labs in rows], [float(WRITTEN_EXAMPLE_REPEAT)] * n, ["written"] * n)


def build_paragraph_set(examples: Sequence) -> WeakSet:
    """Step 2b: labelled paragraphs (``paragraphs.py``: theme ids, document and span sentiment) as
    hand labels, once each (they outnumber the written examples)."""
    n = len(examples)
    return WeakSet([e.text for e in examples], [set(e.themes or ()) for e in examples], [1.0] * n, [PARAGRAPH_SOURCE] * n,
                   {e.text: e for e in examples})


def build_rule_labels(rule_scores: Sequence[dict[str, float]], cards: Sequence[ThemeCard]) -> list[set[str]]:
    """Step 2: a theme whose rule score reaches the card's threshold."""
    thresholds = {c.id: c.threshold for c in cards}
    return [{t for t, s in scores.items() if t in thresholds and s >= thresholds[t]} for scores in rule_scores]


def compute_similarity_thresholds(example_sims, counter_sims, floor: float = SIMILARITY_FLOOR) -> float:
    """Closer than every counter example of the card (by a margin), and never below ``floor``."""
    highest_counter = max(counter_sims, default=0.0)
    return max(floor, highest_counter + SIMILARITY_MARGIN)


def build_similarity_labels(pool_vecs, card_vecs: dict, counter_vecs: dict, cards: Sequence[ThemeCard]) -> list[set[str]]:
    """Step 3: max cosine similarity to a card's examples above that card's threshold.

    Vectors are L2-normalised numpy arrays; ``card_vecs[id]`` stacks the description and examples.
    """
    import numpy as np

    labels = [set() for _ in range(len(pool_vecs))]
    for card in cards:
        protos = card_vecs.get(card.id)
        if protos is None or not len(protos):
            continue
        counters = counter_vecs.get(card.id)
        counter_sims = (counters @ protos.T).max(axis=1).tolist() if counters is not None and len(counters) else []
        threshold = compute_similarity_thresholds([], counter_sims)
        sims = (pool_vecs @ protos.T).max(axis=1)
        for i in np.nonzero(sims >= threshold)[0]:
            labels[i].add(card.id)
    return labels


def merge_weak_set(cards_set: WeakSet, pool: list[str], pool_labels: list[set[str]], source: str) -> WeakSet:
    """``cards_set`` followed by the pool's texts, each labelled by ``source`` at weight 1."""
    return join_weak_sets(cards_set, WeakSet(pool, pool_labels, [1.0] * len(pool), [source] * len(pool)))


def train_theme_head(model, features, weak: WeakSet, theme_ids: list[str], seed: int = 13, epochs: int = 200) -> dict:
    """Fit ``model.theme_head`` (linear, BCE, positive class up-weighted) on held-in rows; set
    per-theme thresholds on held-out rows. ``features`` are the model's pooled vectors."""
    import torch

    torch.manual_seed(seed)
    model.set_themes(theme_ids)
    y = torch.tensor([[1.0 if t in labs else 0.0 for t in theme_ids] for labs in weak.labels])
    w = torch.tensor(weak.weights).unsqueeze(1)
    held = torch.tensor([is_held_out(t) for t in weak.texts])
    x = torch.as_tensor(features, dtype=torch.float32)
    pos = y[~held].sum(0)
    pos_weight = ((len(y[~held]) - pos) / pos.clamp(min=1)).clamp(max=20.0)
    head = model.theme_head
    opt = torch.optim.AdamW(head.parameters(), lr=1e-2, weight_decay=1e-3)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight, reduction="none")
    for _ in range(epochs):
        opt.zero_grad()
        loss = (loss_fn(head(x[~held]), y[~held]) * w[~held]).mean()
        loss.backward()
        opt.step()
    with torch.no_grad():
        probs = torch.sigmoid(head(x[held])).numpy()
    thresholds = {t: compute_shrunk_threshold(probs[:, j].tolist(), y[held][:, j].tolist()) for j, t in enumerate(theme_ids)}
    model.heads.theme_thresholds = thresholds
    return {"n_train": int((~held).sum()), "n_held_out": int(held.sum()), "positives": dict(zip(theme_ids, pos.int().tolist())), "thresholds": thresholds}


def build_theme_examples(weak: WeakSet, held_in: bool = True) -> list:
    """The weak set's held-in rows as training examples with theme ids (and, for a labelled
    paragraph, its sentiment labels); a row of weight w appears round(w) times (the cards' own
    sentences count more)."""
    from nlp.classify.datasets import Example

    examples = []
    for text, labels, weight, source in zip(weak.texts, weak.labels, weak.weights, weak.sources):
        if is_held_out(text) != held_in:
            example = weak.paragraph_examples.get(text) or Example(text, None, [], source, tuple(sorted(labels)))
            examples += [example] * max(1, round(weight))
    return examples


def compute_theme_pos_weight(weak: WeakSet, theme_ids: list[str]):
    """Negatives per positive among held-in rows, per theme, capped at 20 (BCE pos_weight)."""
    import torch

    rows = [labels for text, labels in zip(weak.texts, weak.labels) if not is_held_out(text)]
    pos = torch.tensor([sum(t in labels for labels in rows) for t in theme_ids], dtype=torch.float32)
    return ((len(rows) - pos) / pos.clamp(min=1)).clamp(max=20.0)


def finetune_theme_model(model, tokenizer, weak: WeakSet, theme_ids: list[str], rehearsal: list, settings,
                         threads: int = 2, device: str = "cpu") -> dict:
    """Fine-tune the whole model on the weak theme labels (held-in rows) mixed with ``rehearsal``
    sentiment examples (so the sentiment heads keep what they learnt), then set each theme's
    threshold on the held-out rows with the fine-tuned model. The theme head should already be
    fitted on the frozen encoder (``train_theme_head``): fine-tuning starts from it."""
    from nlp.classify.train import train_sentiment

    examples = build_theme_examples(weak) + list(rehearsal)
    stats = train_sentiment(model, tokenizer, examples, settings, device=device, theme_ids=theme_ids,
                            theme_pos_weight=compute_theme_pos_weight(weak, theme_ids))
    model.to("cpu")
    held = select_calibration_rows(weak)
    probs = compute_theme_probs(model, tokenizer, [t for t, _ in held], threads)
    thresholds = {t: compute_shrunk_threshold(probs[:, j].tolist(), [float(t in labels) for _, labels in held])
                  for j, t in enumerate(theme_ids)}
    model.heads.theme_thresholds = thresholds
    return {**stats, "n_theme_examples": len(examples) - len(rehearsal), "n_rehearsal": len(rehearsal),
            "thresholds": thresholds}


HAND_SOURCES = ("card", "written", PARAGRAPH_SOURCE)


def select_calibration_rows(weak: WeakSet) -> list[tuple[str, set[str]]]:
    """Held-out rows the thresholds are set on: the hand-labelled ones (card and written examples)
    when the set has written examples, else every held-out row. Thresholds fitted on rule labels
    would teach the model to agree with the rules, not with people."""
    held = [(t, labs, src) for t, labs, src in zip(weak.texts, weak.labels, weak.sources) if is_held_out(t)]
    if any(src == "written" for _, _, src in held):
        held = [row for row in held if row[2] in HAND_SOURCES]
    return [(t, labs) for t, labs, _ in held]


def compute_theme_probs(model, tokenizer, texts: list[str], threads: int):
    """Theme probabilities (numpy, texts x themes) from the model's own theme head."""
    import numpy as np

    from nlp.classify.pipeline import ClassifierPipeline

    results = ClassifierPipeline(model, tokenizer, device="cpu", threads=threads, batch_size=64)(texts)
    labels = model.heads.theme_labels
    return np.array([[r["theme_probs"][t] for t in labels] for r in results]).reshape(len(texts), len(labels))


def compute_shrunk_threshold(probs: list[float], gold: list[float], prior: float = 0.5, strength: int = 10) -> float:
    """The best-F1 threshold pulled towards ``prior`` when the held-out positives are few
    (weight n / (n + strength)): a threshold fitted on three positives is mostly noise."""
    n = int(sum(gold))
    best = compute_best_threshold(probs, gold, prior)
    return round((n * best + strength * prior) / (n + strength), 3)


def compute_best_threshold(probs: list[float], gold: list[float], default: float = 0.5) -> float:
    """The middle of the grid thresholds (0.05..0.95) that reach the best F1 (a plateau's middle
    generalises better than its edge); ``default`` without positives."""
    if not any(gold):
        return default
    grid = [k / 20 for k in range(1, 20)]
    f1s = []
    for t in grid:
        tp = sum(1 for p, g in zip(probs, gold) if p >= t and g)
        fp = sum(1 for p, g in zip(probs, gold) if p >= t and not g)
        fn = sum(1 for p, g in zip(probs, gold) if p < t and g)
        f1s.append(2 * tp / max(2 * tp + fp + fn, 1))
    best = [t for t, f in zip(grid, f1s) if f >= max(f1s) - 1e-9]
    return best[len(best) // 2]


# ---------------------------------------------------------------- I/O shell: pool, run, save

# The shipped model learns themes from hand labels alone (card and written examples): its errors are
# then independent of the rules', which is what fusing the two needs (see MODEL_CARD.md). Without
# written examples (a user's own card) it falls back to the rules' weak labels on the pool.
FINAL_VARIANT = "cards+written"
FALLBACK_VARIANT = "cards+rules"
POOL_VARIANT = "cards+written+rules"  # every text, for distillation


def build_rule_scorer(cards: Sequence[ThemeCard], themes_dir: Path | None = None):
    """The tagging pipeline's theme rules when available, else the cards' phrases."""
    try:
        from nlp.tagging.pipeline import build_pipeline
    except ImportError:
        log.info("tagging pipeline not available: rule labels from card phrases")
        return build_phrase_scorer(cards)
    nlp = build_pipeline(themes_dir=themes_dir)

    def score(texts: list[str]) -> list[dict[str, float]]:
        return [dict(getattr(doc._, "theme_scores", None) or {}) for doc in nlp.pipe(texts, batch_size=256)]

    return score


def build_weak_sets(cards, pool, rule_scores, sim_labels, topic, written: WeakSet | None = None) -> dict[str, WeakSet]:
    """The cumulative training sets of the ablation: cards, +written, +rules, +similarity, +topic."""
    card_set = build_card_examples(cards)
    hand = join_weak_sets(card_set, written) if written is not None and written.texts else card_set
    rules = build_rule_labels(rule_scores, cards)
    with_sim = [r | s for r, s in zip(rules, sim_labels)]
    with_topic = [labs | ({topic[i]} if i in topic and topic[i] in {c.id for c in cards} else set()) for i, labs in enumerate(with_sim)]
    return {
        "cards": card_set,
        "cards+written": hand,
        "cards+rules": merge_weak_set(card_set, pool, rules, "rules"),
        "cards+written+rules": merge_weak_set(hand, pool, rules, "rules"),
        "cards+written+rules+similarity": merge_weak_set(hand, pool, with_sim, "similarity"),
        "cards+written+rules+similarity+topic": merge_weak_set(hand, pool, with_topic, "topic"),
    }


def join_weak_sets(first: WeakSet, second: WeakSet) -> WeakSet:
    """The rows of ``first`` then those of ``second``."""
    return WeakSet(first.texts + second.texts, first.labels + second.labels, first.weights + second.weights,
                   first.sources + second.sources, {**first.paragraph_examples, **second.paragraph_examples})


def compute_similarity_labels(cards, pool: list[str], threads: int) -> list[set[str]]:
    """Embed pool and card sentences with the untouched backbone; label by nearest examples."""
    import numpy as np

    from nlp.classify.model import HeadConfig, build_multitask_model
    from nlp.classify.pipeline import ClassifierPipeline
    from nlp.classify.registry import load_backbone

    encoder, tokenizer, _ = load_backbone(None)
    embedder = ClassifierPipeline(build_multitask_model(encoder, HeadConfig()), tokenizer, device="cpu", threads=threads, batch_size=64)

    def unit(texts):
        vecs = embedder.embed(texts) if texts else np.zeros((0, 384), dtype="float32")
        return vecs / np.linalg.norm(vecs, axis=1, keepdims=True).clip(min=1e-9) if len(vecs) else vecs

    card_vecs = {c.id: unit([c.description] + c.examples) for c in cards}
    counter_vecs = {c.id: unit(c.counter_examples) for c in cards}
    return build_similarity_labels(unit(pool), card_vecs, counter_vecs, cards)


@dataclass
class ThemeTraining:
    """Everything the theme head is trained from: cards, weak sets per ablation step, LF counts."""

    cards: list[ThemeCard]
    weak_sets: dict[str, WeakSet]
    label_counts: dict[str, dict[str, int]]

    def default_variant(self) -> str:
        """FINAL_VARIANT when written examples are in, else FALLBACK_VARIANT."""
        return FINAL_VARIANT if "written" in self.weak_sets[FINAL_VARIANT].sources else FALLBACK_VARIANT


def build_theme_training(themes_dir: Path | None = None, data_dir: Path | None = None, seed: int = 13, threads: int = 2,
                         cache: Path | None = None, paragraphs: bool = False) -> ThemeTraining:
    """Load cards and the unlabelled pool, then weak-label the pool (rules, similarity, topics).
    ``paragraphs``: the labelled paragraphs of ``corpora/eval/splits.yaml`` join the written examples
    (for the default eight themes only: they were judged on those).
    ``cache``: a pickle reused when present (the weak labels take minutes on 2 CPU cores)."""
    import pickle

    from nlp.settings import CORPORA_DIR, shared_data_dir

    if cache and cache.is_file():
        return pickle.loads(cache.read_bytes())

    cards = load_theme_cards(themes_dir or CORPORA_DIR / "themes")
    pool, _sources, topic = load_unlabelled_pool(data_dir or shared_data_dir(), CORPORA_DIR / "sample", seed)
    log.info("%d cards, %d unlabelled texts", len(cards), len(pool))
    rule_scores = build_rule_scorer(cards, themes_dir)(pool)
    sim_labels = compute_similarity_labels(cards, pool, threads)
    counts = {
        "card_examples": compute_label_counts(build_card_examples(cards).labels),
        "rules": compute_label_counts(build_rule_labels(rule_scores, cards)),
        "similarity": compute_label_counts(sim_labels),
        "topic": compute_label_counts([{t} for t in topic.values()]),
    }
    written = build_written_set(load_written_examples(CORPORA_DIR / "theme_examples", [c.id for c in cards]))
    if paragraphs and {c.id for c in cards} <= WRITTEN_THEMES:
        from nlp.classify.paragraphs import load_paragraph_examples

        written = join_weak_sets(written, build_paragraph_set(load_paragraph_examples(CORPORA_DIR / "eval")))
    counts["written"] = compute_label_counts(written.labels)
    training = ThemeTraining(cards, build_weak_sets(cards, pool, rule_scores, sim_labels, topic, written), counts)
    if cache:
        cache.write_bytes(pickle.dumps(training))
    return training


def compute_theme_features(model, tokenizer, texts: list[str], threads: int):
    """The model's own pooled vectors (the theme head's input) for ``texts``."""
    from nlp.classify.pipeline import ClassifierPipeline

    return ClassifierPipeline(model, tokenizer, device="cpu", threads=threads, batch_size=64).embed(texts)


def run_theme_stage(init_dir: Path, out_dir: Path, themes_dir: Path | None = None, data_dir: Path | None = None,
                    seed: int = 13, threads: int = 2, variant: str | None = None, cache: Path | None = None,
                    finetune=None, rehearsal: int = 0, device: str = "cpu", paragraphs: bool = False) -> dict:
    """Weak-label, train the theme head on the frozen model at ``init_dir``, save to ``out_dir``.
    ``finetune`` (TrainSettings): then fine-tune the whole model on the weak labels with
    ``rehearsal`` sentiment examples of the default mix (see finetune_theme_model)."""
    from nlp.classify.model import load_model_dir, save_model_dir
    from nlp.classify.registry import load_tokenizer
    from nlp.classify.train import save_model_card

    training = build_theme_training(themes_dir, data_dir, seed, threads, cache, paragraphs)
    variant = variant or training.default_variant()
    weak = training.weak_sets[variant]
    model = load_model_dir(init_dir)
    tokenizer = load_tokenizer(str(init_dir))
    theme_ids = [c.id for c in training.cards]
    stats = train_theme_head(model, compute_theme_features(model, tokenizer, weak.texts, threads), weak, theme_ids, seed=seed)
    if finetune is not None:
        stats["linear_head_thresholds"] = stats.pop("thresholds")
        stats["finetune"] = finetune_theme_model(model, tokenizer, weak, theme_ids, _rehearsal(data_dir, rehearsal, seed),
                                                 finetune, threads, device)
        stats["finetune_settings"] = {**finetune.__dict__, "rehearsal": rehearsal}
    stats["weak_label_counts"] = training.label_counts
    model.heads.extra["theme_training"] = {**stats, "variant": variant, "seed": seed, "paragraphs": paragraphs}
    save_model_dir(model, tokenizer, out_dir)
    save_model_card(out_dir)
    return stats


def _rehearsal(data_dir: Path | None, n: int, seed: int) -> list:
    """A seeded sample of ``n`` examples of the default sentiment mix."""
    import random

    from nlp.classify.datasets import load_sentiment_training_set
    from nlp.settings import shared_data_dir

    if n <= 0:
        return []
    pool = load_sentiment_training_set(data_dir or shared_data_dir())
    return random.Random(seed).sample(pool, min(n, len(pool)))


def compute_label_counts(labels: Sequence[set[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for labs in labels:
        for theme in labs:
            counts[theme] = counts.get(theme, 0) + 1
    return dict(sorted(counts.items()))
