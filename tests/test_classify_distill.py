"""Distillation: which layers a student keeps, the loss, and a student that trains, saves and loads
with fewer layers (tiny model built in conftest, no download)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from nlp.classify.datasets import Example  # noqa: E402
from nlp.classify.distill import build_student, compute_distill_loss, compute_kept_layers, train_distill  # noqa: E402
from nlp.classify.model import load_model_dir, save_model_dir  # noqa: E402
from nlp.classify.train import TrainSettings  # noqa: E402


@pytest.mark.parametrize("n_teacher, n_student, kept", [(6, 3, [1, 3, 5]), (6, 2, [2, 5]), (6, 6, list(range(6))), (2, 1, [1]), (12, 4, [2, 5, 8, 11])])
def test_kept_layers_end_each_block_and_keep_the_top_layer(n_teacher, n_student, kept):
    assert compute_kept_layers(n_teacher, n_student) == kept


@pytest.mark.parametrize("n_student", [0, 7])
def test_kept_layers_rejects_impossible_students(n_student):
    with pytest.raises(ValueError):
        compute_kept_layers(6, n_student)


def test_loss_is_smaller_when_the_student_agrees_with_the_teacher():
    teacher = {"sentiment_logits": torch.tensor([[3.0, 0.0, -3.0]]), "theme_logits": torch.tensor([[2.0, -2.0]])}
    same = {k: v.clone() for k, v in teacher.items()}
    opposite = {"sentiment_logits": torch.tensor([[-3.0, 0.0, 3.0]]), "theme_logits": torch.tensor([[-2.0, 2.0]])}
    unlabelled = torch.tensor([-100])
    empty = torch.zeros(0, dtype=torch.long)
    agree = compute_distill_loss(same, teacher, unlabelled, empty)
    disagree = compute_distill_loss(opposite, teacher, unlabelled, empty)
    assert float(agree) < float(disagree)
    gold = torch.tensor([0])  # the gold label adds cross-entropy on top
    assert float(compute_distill_loss(same, teacher, gold, empty)) > float(agree)


def test_student_keeps_fewer_layers_trains_and_round_trips(tiny, tmp_path):
    teacher, tokenizer = tiny
    student = build_student(teacher, 1)
    assert len(student.encoder.encoder.layer) == 1 and len(teacher.encoder.encoder.layer) == 2
    assert student.encoder.config.num_hidden_layers == 1 and teacher.encoder.config.num_hidden_layers == 2
    before = [p.detach().clone() for p in teacher.parameters()]
    examples = [Example("acme shares rose", "positive", [(0, 4, "positive")]), Example("the fed cut rates", None)] * 4
    settings = TrainSettings(epochs=1, batch_size=4, learning_rate=1e-3, max_length=16, threads=1)
    stats = train_distill(student, teacher, tokenizer, examples, settings)
    assert stats["examples_seen"] == 8
    assert all(torch.equal(a, b) for a, b in zip(before, teacher.parameters()))  # the teacher never changes
    save_model_dir(student, tokenizer, tmp_path / "student")
    loaded = load_model_dir(tmp_path / "student")
    assert len(loaded.encoder.encoder.layer) == 1
    ids = torch.tensor([[2, 10, 11, 3]])
    mask = torch.ones_like(ids)
    assert torch.allclose(loaded(ids, mask)["sentiment_logits"], student(ids, mask)["sentiment_logits"], atol=1e-2)
