"""Knowledge distillation: a shallower, faster student of a trained narrative model.

On a CPU the classifier's cost is the encoder's layers, so a student with half of them runs about
twice as fast. The student starts as a copy of the teacher that keeps one layer in each block of
layers (for 6 -> 3: layers 2, 4 and 6, so the top layer, whose output the heads read, stays) and
is trained on the teacher's own outputs over the same permissively licensed texts:

- document sentiment: KL divergence to the teacher's distribution at temperature T (times T^2),
  mixed with cross-entropy on the gold label where there is one (weight ``alpha`` on the teacher);
- span (ticker) sentiment: the same, per labelled span;
- themes: BCE against the teacher's theme probabilities, on every text (the theme pool's texts
  carry no sentiment label and are there for this term).

The teacher runs in the same batch, on the same padded ids and span masks, so no target ever
refers to a token the student does not see. The theme thresholds are the teacher's: the student
is trained to reproduce its probabilities.
"""

from __future__ import annotations

import copy
import logging

from nlp.classify.datasets import Example

log = logging.getLogger(__name__)

TEMPERATURE = 2.0
TEACHER_WEIGHT = 0.5  # alpha: the teacher's share of the sentiment and span losses


def compute_kept_layers(n_teacher: int, n_student: int) -> list[int]:
    """The teacher layers a student keeps: the last layer of each of ``n_student`` equal blocks."""
    if not 1 <= n_student <= n_teacher:
        raise ValueError(f"a student needs between 1 and {n_teacher} layers, not {n_student}")
    return [round((k + 1) * n_teacher / n_student) - 1 for k in range(n_student)]


def build_student(teacher, n_layers: int):
    """A deep copy of ``teacher`` whose encoder keeps ``compute_kept_layers`` of its layers."""
    from torch import nn

    student = copy.deepcopy(teacher)
    stack = student.encoder.encoder.layer
    kept = compute_kept_layers(len(stack), n_layers)
    student.encoder.encoder.layer = nn.ModuleList([stack[i] for i in kept])
    student.encoder.config.num_hidden_layers = len(kept)
    student.heads.extra["distilled_from_layers"] = kept
    return student


def compute_distill_loss(student_out: dict, teacher_out: dict, labels, span_labels, temperature: float = TEMPERATURE,
                         alpha: float = TEACHER_WEIGHT):
    """The student's loss for one batch (see the module docstring); tensors in, a scalar tensor out."""
    import torch
    from torch.nn import functional as F

    def soft_and_hard(s_logits, t_logits, gold):
        soft = F.kl_div(F.log_softmax(s_logits / temperature, -1), F.softmax(t_logits / temperature, -1),
                        reduction="batchmean") * temperature ** 2
        hard = F.cross_entropy(s_logits, gold, ignore_index=-100) if (gold >= 0).any() else soft * 0
        return alpha * soft + (1 - alpha) * hard

    loss = soft_and_hard(student_out["sentiment_logits"], teacher_out["sentiment_logits"], labels)
    if "entity_logits" in student_out and "entity_logits" in teacher_out:
        loss = loss + 0.5 * soft_and_hard(student_out["entity_logits"], teacher_out["entity_logits"], span_labels)
    s_themes, t_themes = student_out["theme_logits"], teacher_out["theme_logits"]
    if s_themes.shape[-1]:
        loss = loss + F.binary_cross_entropy_with_logits(s_themes, torch.sigmoid(t_themes))
    return loss


def train_distill(student, teacher, tokenizer, examples: list[Example], settings, device: str = "cpu") -> dict:
    """Train ``student`` in place on the teacher's outputs (and gold labels) over ``examples``."""
    import torch

    from nlp.classify.train import encode_examples, run_training_loop, seed_everything

    seed_everything(settings.seed, settings.threads)
    teacher.to(device).eval()

    def batch_loss(batch_rows, ids, mask, labels, span_rows, span_masks, span_labels):
        with torch.no_grad():
            teacher_out = teacher(ids, mask, span_masks, span_rows)
        return compute_distill_loss(student(ids, mask, span_masks, span_rows), teacher_out, labels, span_labels)

    return run_training_loop(student, tokenizer, encode_examples(tokenizer, examples, settings.max_length), settings,
                             batch_loss, device)


def run_distill_stage(teacher_dir, out_dir, n_layers: int, settings, data_dir=None, theme_texts: list[str] | None = None,
                      device: str = "cpu") -> dict:
    """Load the teacher at ``teacher_dir``, distil a ``n_layers`` student on the default sentiment
    mix plus ``theme_texts`` (unlabelled), save it with a model card under ``out_dir``."""
    from nlp.classify.datasets import load_sentiment_training_set
    from nlp.classify.model import load_model_dir, save_model_dir
    from nlp.classify.registry import load_tokenizer
    from nlp.classify.train import save_model_card
    from nlp.settings import shared_data_dir

    teacher = load_model_dir(teacher_dir)
    tokenizer = load_tokenizer(str(teacher_dir))
    student = build_student(teacher, n_layers)
    examples = load_sentiment_training_set(data_dir or shared_data_dir())
    examples += [Example(text, None, [], "theme_pool") for text in theme_texts or []]
    log.info("distilling %d -> %d layers on %d examples", len(teacher.encoder.encoder.layer), n_layers, len(examples))
    stats = train_distill(student, teacher, tokenizer, examples, settings, device=device)
    student.to("cpu")
    student.heads.extra["distillation"] = {**settings.__dict__, **stats, "teacher": str(teacher_dir), "n_examples": len(examples),
                                           "temperature": TEMPERATURE, "teacher_weight": TEACHER_WEIGHT}
    save_model_dir(student, tokenizer, out_dir)
    save_model_card(out_dir)
    return stats
