"""Shared fixtures: an in-memory database, paths to bundled and shared data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory):
    """Derived files (ONNX exports of the classifier) go to a folder of this test session, never
    the user's cache; subprocesses inherit it."""
    previous = os.environ.get("NARRATIVE_CACHE_DIR")
    os.environ["NARRATIVE_CACHE_DIR"] = str(tmp_path_factory.mktemp("narrative-cache"))
    yield
    if previous is None:
        os.environ.pop("NARRATIVE_CACHE_DIR", None)
    else:
        os.environ["NARRATIVE_CACHE_DIR"] = previous


TINY_WORDS = "the shares of acme rose fell sharply after earnings profit loss fed cut rates factory ohio plant new".split()


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """(model, tokenizer): a 2-layer, 32-wide BERT with the narrative heads and a WordPiece vocabulary
    written here, so classifier tests never need a downloaded model."""
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from nlp.classify.model import HeadConfig, build_multitask_model

    vocab = tmp_path_factory.mktemp("tiny") / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", ",", "$"] + TINY_WORDS) + "\n")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab), do_lower_case=True)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=8 + len(TINY_WORDS), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    heads = HeadConfig(id2label={0: "positive", 1: "negative", 2: "neutral"}, theme_labels=["reshoring", "monetary_policy"], max_length=32)
    return build_multitask_model(BertModel(config), heads), tokenizer


@pytest.fixture
def db():
    from nlp.store import open_db

    return open_db(":memory:")


@pytest.fixture
def repo_root() -> Path:
    return REPO


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.skip("../shared/data is not beside the checkout")
    return SHARED_DATA
