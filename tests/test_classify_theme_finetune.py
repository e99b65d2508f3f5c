"""Theme labels in the shared training loop: weak rows -> examples, pos_weight, and a fine-tune
that moves the theme head (and only trains on rows that carry theme labels)."""

from __future__ import annotations

import copy
import json

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
    assert (settings.epochs, settings.learning_rate, settings.max_length, seen["rehearsal"]) == (3.0, 2e-5, 96, 8000)
    result = CliRunner().invoke(app, ["train", "themes", "--model", str(tmp_path / "m"), "--finetune", "--lr", "1e-5", "--device", "cpu"])
    assert result.exit_code == 0 and seen["finetune"].learning_rate == 1e-5
    CliRunner().invoke(app, ["train", "themes", "--model", str(tmp_path / "m"), "--device", "cpu"])
    assert seen["finetune"] is None and seen["rehearsal"] == 0  # the linear head alone


def test_written_examples_parse_hand_labels_and_name_a_bad_line():
    from nlp.classify.theme_examples import parse_written_examples
    from nlp.classify.themes_weak import WRITTEN_EXAMPLE_REPEAT, build_written_set
    from nlp.errors import NarrativeError

    lines = ['{"text": "A new Ohio plant will make what came from Shenzhen.", "themes": ["reshoring"]}', "",
             '{"text": "Crop rotation helped the farm.", "themes": []}']
    weak = build_written_set(parse_written_examples(lines))
    assert weak.labels == [{"reshoring"}, set()]
    assert weak.weights == [float(WRITTEN_EXAMPLE_REPEAT)] * 2 and weak.sources == ["written"] * 2
    with pytest.raises(NarrativeError, match="x.jsonl line 2"):
        parse_written_examples([lines[0], '{"text": "t", "themes": ["nonsense"]}'], "x.jsonl")
    with pytest.raises(NarrativeError, match="line 1"):
        parse_written_examples(["not json"])


def test_written_examples_skip_eval_texts_and_foreign_card_sets(tmp_path):
    from nlp.classify.theme_examples import PREFIX_CHARS, WRITTEN_THEMES, load_written_examples

    examples, evals = tmp_path / "theme_examples", tmp_path / "eval"
    examples.mkdir()
    evals.mkdir()
    seen = "An evaluation paragraph about a bond sale that must never be trained on, word for word."
    (evals / "dev.jsonl").write_text(json.dumps({"text": seen}) + "\n")
    rows = [{"text": seen, "themes": ["capital_markets"]}, {"text": "The Fed held rates.", "themes": ["monetary_policy"]}]
    (examples / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    texts = [t for t, _ in load_written_examples(examples, ["monetary_policy", "capital_markets"])]
    assert texts == ["The Fed held rates."] and seen[:PREFIX_CHARS] not in {t[:PREFIX_CHARS] for t in texts}
    # A card the examples were not judged on: its positives among them are unknown, so none are used...
    assert load_written_examples(examples, ["monetary_policy", "space_tourism"]) == []
    # ...unless a row says it was judged on that theme too.
    judged = sorted(WRITTEN_THEMES | {"space_tourism"})
    (examples / "b.jsonl").write_text(json.dumps({"text": "Tickets to orbit sold out.", "themes": ["space_tourism"], "judged": judged}))
    assert load_written_examples(examples, ["monetary_policy", "space_tourism"]) == [("Tickets to orbit sold out.", {"space_tourism"})]


def test_written_examples_sharing_eight_words_with_an_eval_text_are_dropped(tmp_path):
    from nlp.classify.theme_examples import load_written_examples

    (tmp_path / "theme_examples").mkdir()
    (tmp_path / "eval").mkdir()
    story = "restart the shuttered nuclear plant in Iowa with the search company buying its output"
    (tmp_path / "eval" / "blind.jsonl").write_text(json.dumps({"title": "Deal", "text": f"Two firms agreed to {story}."}) + "\n")
    rows = [{"text": f"In a new twist, utilities plan to {story} for two decades.", "themes": ["power_demand"]},
            {"text": "Utilities plan to restart a reactor.", "themes": ["power_demand"]}]
    (tmp_path / "theme_examples" / "a.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    assert [t for t, _ in load_written_examples(tmp_path / "theme_examples", ["power_demand"])] == [rows[1]["text"]]


def test_thresholds_are_calibrated_on_hand_labels_when_there_are_written_rows():
    from nlp.classify.themes_weak import select_calibration_rows

    weak = make_weak(200)
    assert {t for t, _ in select_calibration_rows(weak)} == {t for t in weak.texts if is_held_out(t)}
    written = [f"a written paragraph about rates {i}" for i in range(60)]
    mixed = WeakSet(weak.texts + written, weak.labels + [{"monetary_policy"}] * 60, weak.weights + [2.0] * 60,
                    weak.sources + ["written"] * 60)
    rows = select_calibration_rows(mixed)
    assert rows and all(is_held_out(t) for t, _ in rows)
    hand = {t for t, s in zip(mixed.texts, mixed.sources) if s in ("card", "written")}
    assert {t for t, _ in rows} == {t for t in hand if is_held_out(t)}


def test_default_variant_is_hand_labels_with_written_rows_else_rule_labels():
    from nlp.classify.themes_weak import FALLBACK_VARIANT, FINAL_VARIANT, ThemeTraining, build_weak_sets, parse_theme_card

    cards = [parse_theme_card({"id": "reshoring", "examples": ["A new Ohio plant."], "counter_examples": ["Shore up."]})]
    pool, scores = ["tariffs push a factory home", "nothing here"], [{"reshoring": 0.9}, {}]
    written = WeakSet(["Output moves from China to Texas."], [{"reshoring"}], [2.0], ["written"])
    with_written = ThemeTraining(cards, build_weak_sets(cards, pool, scores, [set(), set()], {}, written), {})
    assert with_written.default_variant() == FINAL_VARIANT
    assert with_written.weak_sets[FINAL_VARIANT].texts == ["A new Ohio plant.", "Shore up.", "Output moves from China to Texas."]
    assert with_written.weak_sets["cards+written+rules"].labels[-2] == {"reshoring"}  # the pool's rule label
    without = ThemeTraining(cards, build_weak_sets(cards, pool, scores, [set(), set()], {}), {})
    assert without.default_variant() == FALLBACK_VARIANT
