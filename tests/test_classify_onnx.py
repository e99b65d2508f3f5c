"""The ONNX Runtime backend on a tiny model built here (no download): export, cache, same labels."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from nlp.classify import onnx_backend  # noqa: E402
from nlp.classify.onnx_backend import build_export_key, compute_entity_logits  # noqa: E402
from nlp.classify.pipeline import ClassifierPipeline, resolve_quantize  # noqa: E402
from nlp.errors import NarrativeError  # noqa: E402

TEXTS = ["acme shares rose sharply after earnings", "fed cut rates", "the new ohio factory plant",
         "loss", "profit fell after the fed cut rates sharply , acme shares fell"]
SPAN_WORDS = [["acme"], [], ["ohio", "factory"], [], ["acme"]]
SPANS = [[(t.find(w), t.find(w) + len(w)) for w in words] for t, words in zip(TEXTS, SPAN_WORDS)]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NARRATIVE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "onnx"


def test_resolve_quantize_auto_is_onnx_int8_on_cpu_when_installed(monkeypatch):
    monkeypatch.setattr(onnx_backend, "find_spec", lambda name: object())
    assert resolve_quantize("auto", "cpu") == "onnx-int8" and resolve_quantize("auto", "cuda") is None
    monkeypatch.setattr(onnx_backend, "find_spec", lambda name: None)
    assert resolve_quantize("auto", "cpu") is None  # without ONNX Runtime: torch
    assert resolve_quantize(None, "cpu") is None and resolve_quantize("none", "cuda") is None
    assert resolve_quantize("ONNX-INT8", "cpu") == "onnx-int8"  # availability is checked when loading


@pytest.mark.parametrize("requested, device", [("onnx", "cuda"), ("onnx-int8", "mps"), ("int8", "cuda:0"), ("int4", "cpu")])
def test_resolve_quantize_rejects_gpu_and_unknown(requested, device):
    with pytest.raises(NarrativeError):
        resolve_quantize(requested, device)


def test_export_key_changes_with_weights_mode_and_torch():
    key = build_export_key("abc", "onnx", "2.1")
    assert key == build_export_key("abc", "onnx", "2.1")
    others = {build_export_key("abd", "onnx", "2.1"), build_export_key("abc", "onnx-int8", "2.1"), build_export_key("abc", "onnx", "2.2")}
    assert key not in others and len(others) == 3
    with pytest.raises(NarrativeError):
        build_export_key("abc", "onnx-fp8", "2.1")


def test_missing_onnxruntime_is_one_clear_error(tiny, monkeypatch, cache):
    monkeypatch.setattr(onnx_backend, "find_spec", lambda name: None)
    model, tokenizer = tiny
    with pytest.raises(NarrativeError, match=r"needs ONNX Runtime: pip install 'narrative\[onnx\]'"):
        ClassifierPipeline(model, tokenizer, device="cpu", quantize="onnx-int8")
    assert ClassifierPipeline(model, tokenizer, device="cpu", quantize="auto").quantize is None  # falls back to torch
    assert not cache.exists()


def test_entity_head_in_numpy_matches_torch(tiny):
    model, _ = tiny
    hidden, pooled = torch.randn(2, 5, 32), torch.randn(2, 32)
    rows, masks = torch.tensor([1, 0, 1]), torch.tensor([[0, 1, 1, 0, 0], [0, 0, 0, 1, 0], [1, 1, 1, 1, 1]])
    span_vec = (hidden[rows] * masks[..., None]).sum(1) / masks.sum(1, keepdim=True)
    expected = model.entity_head(torch.cat([pooled[rows], span_vec], -1)).detach().numpy()
    got = compute_entity_logits(hidden.numpy(), pooled.numpy(), rows.numpy(), masks.float().numpy(),
                                model.entity_head.weight.detach().numpy(), model.entity_head.bias.detach().numpy())
    assert got == pytest.approx(expected, abs=1e-5)


def test_onnx_fp32_matches_torch_in_input_order(tiny, cache):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model, tokenizer = tiny
    reference = ClassifierPipeline(model, tokenizer, device="cpu", batch_size=2)(TEXTS, SPANS)
    pipe = ClassifierPipeline(model, tokenizer, device="cpu", batch_size=2, quantize="onnx")
    got = pipe(TEXTS, SPANS)
    assert pipe.quantize == "onnx" and len(list(cache.glob("*-onnx.onnx"))) == 1
    assert [r["label"] for r in got] == [r["label"] for r in reference]
    for a, b in zip(got, reference):
        assert a["probs"] == pytest.approx(b["probs"], abs=2e-4)
        assert a["theme_probs"] == pytest.approx(b["theme_probs"], abs=2e-4)
        assert [s["label"] for s in a["spans"]] == [s["label"] for s in b["spans"]]
        assert [s["probs"] for s in a["spans"]] == [pytest.approx(s["probs"], abs=2e-4) for s in b["spans"]]
    vectors = pipe.embed(TEXTS)
    expected = ClassifierPipeline(model, tokenizer, device="cpu", batch_size=2).embed(TEXTS)
    assert vectors.shape == expected.shape and abs(vectors - expected).max() < 1e-4


def test_onnx_int8_is_cached_and_reused(tiny, cache, monkeypatch):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    model, tokenizer = tiny
    first = ClassifierPipeline(model, tokenizer, device="cpu", quantize="onnx-int8", model_digest="d1")(TEXTS, SPANS)
    assert sorted(p.name.rsplit("-", 1)[-1] for p in cache.glob("*.onnx")) == ["int8.onnx", "onnx.onnx"]
    assert [len(r["spans"]) for r in first] == [len(s) for s in SPANS]
    onnx = pytest.importorskip("onnx")
    nodes = onnx.load(str(next(cache.glob("*-onnx-int8.onnx")))).graph.node
    ops = [n.op_type for n in nodes]
    assert ops.count("MatMulInteger") == 2 * 6 + 2  # 6 weight MatMuls per layer, sentence and theme heads
    assert "DequantizeLinear" not in ops  # the embedding tables stay fp32
    assert all(sum(r["probs"].values()) == pytest.approx(1, abs=1e-3) for r in first)

    def no_export(*args, **kwargs):
        raise AssertionError("exported again despite a cached file")

    monkeypatch.setattr(onnx_backend, "save_onnx_export", no_export)
    monkeypatch.setattr(onnx_backend, "save_int8_quantized", no_export)
    again = ClassifierPipeline(model, tokenizer, device="cpu", quantize="onnx-int8", model_digest="d1")(TEXTS, SPANS)
    assert again == first
    with pytest.raises(AssertionError, match="exported again"):  # new weights digest: a new export
        ClassifierPipeline(model, tokenizer, device="cpu", quantize="onnx-int8", model_digest="d2")


def test_load_classifier_defaults_to_onnx_int8_on_cpu_when_installed(tiny, tmp_path, cache, monkeypatch):
    from nlp.classify.model import save_model_dir
    from nlp.classify.registry import load_classifier, resolve_classifier_backend

    model, tokenizer = tiny
    save_model_dir(model, tokenizer, tmp_path / "m")
    expected = "onnx-int8" if onnx_backend.onnxruntime_available() else None
    # One name for the default on every device (no torch import to look for a GPU; --device cpu and auto agree)
    assert {resolve_classifier_backend(d) for d in ("cpu", "auto", "cuda")} == {"auto" if expected else None}
    assert load_classifier(str(tmp_path / "m"), device="cpu").quantize == expected
    assert load_classifier(str(tmp_path / "m"), device="cpu", quantize="none").quantize is None
    monkeypatch.setattr(onnx_backend, "find_spec", lambda name: None)
    assert resolve_classifier_backend("cpu") is None and resolve_classifier_backend("cpu", "int8") == "int8"
    assert load_classifier(str(tmp_path / "m"), device="cpu").quantize is None  # silently torch without onnxruntime


@pytest.mark.parametrize("onnx_installed", [True, False])
def test_default_backend_gives_one_pipeline_version_whatever_the_device(monkeypatch, onnx_installed):
    from nlp.extract.fingerprint import load_pipeline_fingerprint

    monkeypatch.setattr(onnx_backend, "find_spec", lambda name: object() if onnx_installed else None)
    versions = {tuple(sorted(load_pipeline_fingerprint("abc", quantize, device).items()))
                for quantize in (None, "auto") for device in ("auto", "cpu", "cuda")}
    assert len(versions) == 1  # `extract --device cpu` and `extract` must not redo each other's work
    assert load_pipeline_fingerprint("abc", "onnx-int8", "cpu") != load_pipeline_fingerprint("abc", None, "cpu")
