"""The multi-task classifier: one encoder forward feeds every head.

Heads on top of a mean-pooled transformer encoder:
- sentiment: negative / neutral / positive for the whole text (softmax);
- entity sentiment: the same three labels for a character span (a ticker mention), from the
  text vector concatenated with the mean of the span's token vectors, so per-ticker tone costs
  no extra forward pass;
- themes: one sigmoid per theme id (multi-label), with a calibrated threshold per theme.

Labels, thresholds and sizes live in the model directory's ``config.json`` (a regular
Hugging Face encoder config plus ``narrative_*`` keys), so code never hard-codes label order.
torch and transformers are imported lazily: importing this module is cheap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

SENTIMENT_LABELS = ("negative", "neutral", "positive")
CONFIG_PREFIX = "narrative_"


@dataclass
class HeadConfig:
    """What the heads predict; serialised into config.json next to the encoder config."""

    id2label: dict[int, str] = field(default_factory=lambda: dict(enumerate(SENTIMENT_LABELS)))
    theme_labels: list[str] = field(default_factory=list)
    theme_thresholds: dict[str, float] = field(default_factory=dict)
    max_length: int = 128
    entity_head: bool = True
    backbone: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def sentiment_labels(self) -> list[str]:
        return [self.id2label[i] for i in sorted(self.id2label)]

    def to_json_dict(self) -> dict:
        return {
            "id2label": {str(k): v for k, v in self.id2label.items()},
            "label2id": {v: k for k, v in self.id2label.items()},
            f"{CONFIG_PREFIX}theme_labels": list(self.theme_labels),
            f"{CONFIG_PREFIX}theme_thresholds": dict(self.theme_thresholds),
            f"{CONFIG_PREFIX}max_length": self.max_length,
            f"{CONFIG_PREFIX}entity_head": self.entity_head,
            f"{CONFIG_PREFIX}backbone": self.backbone,
            f"{CONFIG_PREFIX}extra": dict(self.extra),
        }


def parse_head_config(config: dict) -> HeadConfig:
    """Build a HeadConfig from a config.json dictionary (label order comes from id2label)."""
    id2label = config.get("id2label") or dict(enumerate(SENTIMENT_LABELS))
    p = CONFIG_PREFIX
    return HeadConfig(
        id2label={int(k): str(v) for k, v in id2label.items()},
        theme_labels=list(config.get(f"{p}theme_labels", [])),
        theme_thresholds={k: float(v) for k, v in config.get(f"{p}theme_thresholds", {}).items()},
        max_length=int(config.get(f"{p}max_length", 128)),
        entity_head=bool(config.get(f"{p}entity_head", True)),
        backbone=str(config.get(f"{p}backbone", "")),
        extra=dict(config.get(f"{p}extra", {})),
    )


def build_multitask_model(encoder, heads: HeadConfig):
    """Wrap a transformers encoder with the heads described by ``heads``."""
    import torch
    from torch import nn

    class MultiTaskClassifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = encoder
            self.heads = heads
            hidden = encoder.config.hidden_size
            self.dropout = nn.Dropout(0.1)
            self.sentiment_head = nn.Linear(hidden, len(heads.id2label))
            self.entity_head = nn.Linear(2 * hidden, len(heads.id2label)) if heads.entity_head else None
            self.theme_head = nn.Linear(hidden, max(len(heads.theme_labels), 1))

        def set_themes(self, theme_labels: list[str]) -> None:
            """Replace the theme head (new cards): weights start at zero."""
            self.heads.theme_labels = list(theme_labels)
            hidden = self.encoder.config.hidden_size
            self.theme_head = nn.Linear(hidden, max(len(theme_labels), 1))

        def forward(self, input_ids, attention_mask, span_masks=None, span_rows=None):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            pooled = mean_pool(hidden, attention_mask)
            dropped = self.dropout(pooled)
            out = {"pooled": pooled, "sentiment_logits": self.sentiment_head(dropped)}
            out["theme_logits"] = self.theme_head(pooled)[:, : len(self.heads.theme_labels)]
            if span_masks is not None and self.entity_head is not None and len(span_rows):
                span_vec = mean_pool(hidden[span_rows], span_masks)
                joint = torch.cat([pooled[span_rows], span_vec], dim=-1)
                out["entity_logits"] = self.entity_head(self.dropout(joint))
            return out

    return MultiTaskClassifier()


def mean_pool(hidden, mask):
    """Mean of token vectors where ``mask`` is 1 (padding and non-span tokens excluded)."""
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-6)


def load_model_dir(path: Path, dtype=None):
    """Load a narrative model directory (config.json + model.safetensors) without the network."""
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModel

    config_dict = json.loads((path / "config.json").read_text())
    enc_config = AutoConfig.from_pretrained(str(path), local_files_only=True)
    encoder = AutoModel.from_config(enc_config)
    model = build_multitask_model(encoder, parse_head_config(config_dict))
    state = load_file(str(path / "model.safetensors"))
    state = {k: v.float() for k, v in state.items()}
    model.load_state_dict(state, strict=False)
    model.eval()
    return model.to(dtype) if dtype is not None else model


def save_model_dir(model, tokenizer, path: Path, fp16: bool = True) -> None:
    """Write config.json (encoder config + narrative keys), fp16 weights and tokenizer files."""
    import torch
    from safetensors.torch import save_file

    path.mkdir(parents=True, exist_ok=True)
    config = model.encoder.config.to_dict()
    config.update(model.heads.to_json_dict())
    config["architectures"] = ["NarrativeMultiTaskClassifier"]
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    if fp16:
        state = {k: v.to(torch.float16) if v.is_floating_point() else v for k, v in state.items()}
    save_file(state, str(path / "model.safetensors"), metadata={"format": "pt"})
    (path / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True))
    tokenizer.save_pretrained(str(path))
