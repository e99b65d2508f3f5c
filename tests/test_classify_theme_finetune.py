"""Theme labels in the shared training loop: weak rows -> examples, pos_weight, and a fine-tune
that moves the theme head (and only trains on rows that carry theme labels)."""

from __future__ import annotations

import copy

import pytest

torch = pytest.importorskip("torch")

from nlp.classify.datasets import Example  # noqa: E402
from nlp.classify.themes_weak import (  # noqa: E402
    WeakSet,
    build_theme_examples,
    compute_theme_pos_weight,
    finetune_theme_model,
    is_held_out,
)
from nlp.classify.train import TrainSettings, collate_themes, encode_examples, train_sentiment  # noqa: E402


def make_weak(n: int = 40) -> WeakSet:
    texts = [f"acme {'tariffs factory' if i % 2 else 'fed rates'} {i}" for i in range(n)]
    labels = [{"reshoring"} if i % 2 else ({"monetary_policy"} if i % 4 == 0 else set()) for i in range(n)]
    return WeakSet(texts, labels, [3.0 if i == 1 else 1.0 for i in range(n)], ["card" if i == 1 else "rules" for i in range(n)])


def test_theme_examples_keep_held_in_rows_and_repeat_by_weight():
    weak = make_weak()
    examples = build_theme_examples(weak)
    held_in = [t for t in weak.texts if not is_held_out(t)]
    assert {e.text for e in examples} == set(held_in)
    assert all(e.label is None and isinstance(e.themes, tuple) for e in examples)
    if not is_held_out(weak.texts[1]):
        assert sum(e.text == weak.texts[1] for e in examples) == 3
    assert {e.text for e in build_theme_examples(weak, held_in=False)} == set(weak.texts) - set(held_in)


def test_pos_weight_is_negatives_per_positive_capped():
    weak = WeakSet(["a", "b", "c", "d"], [{"x"}, set(), set(), set()], [1.0] * 4, ["rules"] * 4)
    pos_weight = compute_theme_pos_weight(weak, ["x", "y"])
    held_in = [labels for t, labels in zip(weak.texts, weak.labels) if not is_held_out(t)]
    n_pos = sum("x" in labels for labels in held_in)
    assert pos_weight[0].item() == pytest.approx(min(20.0, (len(held_in) - n_pos) / max(n_pos, 1)))
    assert pos_weight[1].item() == pytest.approx(min(20.0, float(len(held_in))))


def test_collate_themes_marks_only_labelled_rows(tiny):
    _, tokenizer = tiny
    rows = encode_examples(tokenizer, [Example("fed rates", None, themes=("monetary_policy",)), Example("acme rose", "positive")], 16)
    targets, labelled = collate_themes(rows, ["reshoring", "monetary_policy"])
    assert targets.tolist() == [[0.0, 1.0], [0.0, 0.0]]
    assert labelled.tolist() == [True, False]


def test_training_with_theme_ids_moves_the_theme_head_and_without_does_not(tiny):
    model, tokenizer = copy.deepcopy(tiny[0]), tiny[1]
    examples = [Example("tariffs factory", None, themes=("reshoring",)), Example("fed rates", None, themes=()),
                Example("acme rose", "positive")] * 4
    settings = TrainSettings(epochs=1, batch_size=4, learning_rate=1e-3, max_length=16, threads=1)
    before = model.theme_head.weight.detach().clone()
    train_sentiment(model, tokenizer, examples, settings)
    assert torch.equal(model.theme_head.weight, before)  # no theme ids: the theme head gets no gradient
    train_sentiment(model, tokenizer, examples, settings, theme_ids=list(model.heads.theme_labels))
    assert not torch.equal(model.theme_head.weight, before)


def test_finetune_sets_thresholds_from_held_out_rows(tiny):
    model, tokenizer = copy.deepcopy(tiny[0]), tiny[1]
    weak = make_weak(60)
    settings = TrainSettings(epochs=1, batch_size=8, learning_rate=1e-3, max_length=16, threads=1)
    stats = finetune_theme_model(model, tokenizer, weak, ["reshoring", "monetary_policy"], [Example("acme rose", "positive")], settings, threads=1)
    assert set(stats["thresholds"]) == {"reshoring", "monetary_policy"}
    assert all(0.0 < t < 1.0 for t in stats["thresholds"].values())
    assert model.heads.theme_thresholds == stats["thresholds"]
    assert stats["n_rehearsal"] == 1 and stats["n_theme_examples"] == len(build_theme_examples(weak))


def test_cli_finetune_uses_the_measured_defaults_unless_told(monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from nlp.classify import themes_weak
    from nlp.cli import app

    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "config.json").write_text("{}")
    seen = {}

    def fake_stage(init, target, **kwargs):
        seen.update(kwargs)
        return {"n_train": 1}

    monkeypatch.setattr(themes_weak, "run_theme_stage", fake_stage)
    result = CliRunner().invoke(app, ["train", "themes", "--model", str(tmp_path / "m"), "--finetune", "--device", "cpu"])
    assert result.exit_code == 0, result.output
    settings = seen["finetune"]
    assert (settings.epochs, settings.learning_rate, settings.max_length, seen["rehearsal"]) == (1.0, 2e-5, 96, 8000)
    result = CliRunner().invoke(app, ["train", "themes", "--model", str(tmp_path / "m"), "--finetune", "--lr", "1e-5", "--device", "cpu"])
    assert result.exit_code == 0 and seen["finetune"].learning_rate == 1e-5
    CliRunner().invoke(app, ["train", "themes", "--model", str(tmp_path / "m"), "--device", "cpu"])
    assert seen["finetune"] is None and seen["rehearsal"] == 0  # the linear head alone
