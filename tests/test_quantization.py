"""int8 inference: per-token activations, per-channel weights, smoothing calibrated on train windows."""

import numpy as np
import pytest
import torch

from arabic_news_ie.models.quantization import CALIBRATION_FILE, int8_linear_class, quantize_dynamic

TEXTS = [
    "زار الرئيس الإيراني حسن روحاني موسكو أمس والتقى بوتين في الكرملين.",
    "وقالت وزارة الخارجية في طهران إن المحادثات ستستمر. وأعلنت الشركة عن صفقة جديدة.",
]


def _outlier_inputs(seed: int = 0) -> torch.Tensor:
    """(tokens, 64) activations like a LayerNorm's output: two channels run 40x larger than the rest."""
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(200, 64, generator=generator)
    x[:, [3, 17]] *= 40
    return x


def _relative_error(approx: torch.Tensor, exact: torch.Tensor) -> float:
    return float((approx - exact).norm() / exact.norm())


def test_smoothing_makes_outlier_channels_harmless_and_per_token_beats_one_scale_per_batch():
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 32)
    x = _outlier_inputs()
    exact = linear(x).detach()
    int8_linear = int8_linear_class()
    plain = int8_linear(linear)(x)
    smoothed = int8_linear(linear, x.abs().amax(0))(x)
    per_batch = quantize_dynamic(torch.nn.Sequential(linear), per_channel=True, keep_fp32=None)(x)
    assert _relative_error(smoothed, exact) < 0.01
    assert _relative_error(smoothed, exact) < _relative_error(plain, exact) / 2
    assert _relative_error(plain, exact) < _relative_error(per_batch, exact)
    assert smoothed.shape == exact.shape and smoothed.dtype == exact.dtype


def test_outlier_channels_kept_in_fp32_are_exact_and_the_rest_gets_finer():
    """With the calibrated outlier channels computed in fp32, a layer whose only inputs are those channels is
    exact, and the error on mixed inputs falls below the smoothed int8's."""
    torch.manual_seed(0)
    linear = torch.nn.Linear(64, 32)
    x = _outlier_inputs()
    peak = x.abs().amax(0)
    int8_linear = int8_linear_class()
    only_outliers = torch.zeros_like(x)
    only_outliers[:, [3, 17]] = x[:, [3, 17]]
    split = int8_linear(linear, peak, None, outliers=2)
    assert torch.allclose(split(only_outliers), linear(only_outliers).detach(), atol=1e-5)
    exact = linear(x).detach()
    assert _relative_error(split(x), exact) < _relative_error(int8_linear(linear)(x), exact) / 4


def test_a_run_saves_its_calibration_and_quantize_true_uses_it(tiny_run):
    from arabic_news_ie import Pipeline
    from arabic_news_ie.data.windows import Unit, word_spans
    from arabic_news_ie.text import sentences

    for task in ("ner", "events"):
        assert (tiny_run / task / CALIBRATION_FILE).exists()
    fp32 = Pipeline.from_pretrained(tiny_run, device="cpu")
    int8 = Pipeline.from_pretrained(tiny_run, device="cpu", quantize=True)
    layers = [m for m in int8.ner.model.modules() if type(m).__name__ == "Int8Linear"]
    assert layers and all(m.inverse_smooth is not None for m in layers)
    fp32_layers = {n for n, m in int8.ner.model.named_modules() if isinstance(m, torch.nn.Linear)}
    assert fp32_layers == {"classifier"}  # the encoder is int8; the token head stays fp32
    units = [Unit(i, s, e, word_spans(t, s, e)) for i, t in enumerate(TEXTS) for s, e in sentences(t)]
    features = fp32.ner.encode(TEXTS, units).features
    for exact, approx in zip(fp32.ner.logits(features, 8), int8.ner.logits(features, 8)):
        assert np.abs(approx - exact).max() < 0.05 * (np.abs(exact).max() + 1)
    for text, result in zip(TEXTS, int8(TEXTS)):
        assert all(text[e.start : e.end] == e.text for e in result.entities)


def test_save_pretrained_keeps_the_calibration(tiny_pipeline, tmp_path):
    tiny_pipeline.save_pretrained(tmp_path / "copy")
    assert (tmp_path / "copy" / "ner" / CALIBRATION_FILE).exists()
    assert (tmp_path / "copy" / "events" / CALIBRATION_FILE).exists()


def test_quantize_is_refused_off_cpu(tiny_run):
    from arabic_news_ie.inference.model_files import ModelLoadError, quantize_for_cpu

    with pytest.raises(ModelLoadError, match="CPU"):
        quantize_for_cpu(torch.nn.Linear(2, 2), tiny_run / "ner", "cuda")


def test_calibrate_command_adds_the_calibration_to_an_older_run(tiny_run, tmp_path, capsys):
    import shutil

    from arabic_news_ie.cli import main
    from arabic_news_ie.models.quantization import read_calibration

    run = tmp_path / "older"
    shutil.copytree(tiny_run, run)
    for task in ("ner", "events"):
        (run / task / CALIBRATION_FILE).unlink()
    assert main(["calibrate", str(run)]) == 0
    assert "int8_calibration.safetensors: written" in capsys.readouterr().out
    saved, original = read_calibration(run / "ner"), read_calibration(tiny_run / "ner")
    assert saved.keys() == original.keys()
    assert all(torch.allclose(saved[k], original[k], rtol=1e-4, atol=1e-5) for k in saved)


def test_int8_finds_what_fp32_finds_on_held_out_articles(tiny_run):
    """Not one memorised sentence: the tiny corpus' dev and test articles, analysed in full (entities, sentence
    events) by the fp32 and the int8 pipeline of a run that learned."""
    from conftest import DATA

    from arabic_news_ie import Pipeline
    from arabic_news_ie.data.authoring import read_ann

    texts = [a.text for a in read_ann(DATA / "tiny.ann").articles if a.split != "train"]
    fp32 = Pipeline.from_pretrained(tiny_run, device="cpu")(texts)
    int8 = Pipeline.from_pretrained(tiny_run, device="cpu", quantize=True)(texts)
    assert sum(len(r.entities) for r in fp32) > 0  # the run tags something to compare
    for exact, approx in zip(fp32, int8):
        assert [(e.start, e.end, e.label) for e in approx.entities] == [
            (e.start, e.end, e.label) for e in exact.entities
        ]
        assert [{t for t, _ in s.events} for s in approx.sentences] == [
            {t for t, _ in s.events} for s in exact.sentences
        ]


def test_sentences_near_the_event_threshold_are_rerun_in_fp32(tiny_run):
    assert_only_the_close_calls_are_rerun(tiny_run)  # separate encoders; test_shared_encoder.py: one shared


def assert_only_the_close_calls_are_rerun(run):
    """With the margin at the median distance of a sentence's int8 event probabilities from the threshold,
    the sentences within it get fp32's word and event probabilities and the others keep int8's own."""
    from conftest import DATA

    from arabic_news_ie import Pipeline
    from arabic_news_ie.data.authoring import read_ann

    texts = [a.text for a in read_ann(DATA / "tiny.ann").articles]
    _, exact = Pipeline.from_pretrained(run, device="cpu").results_and_probs(texts)
    assert Pipeline.from_pretrained(run, device="cpu", quantize=True).recheck_margin == 0.05
    int8 = Pipeline.from_pretrained(run, device="cpu", quantize=True, recheck_margin=0)
    _, plain = int8.results_and_probs(texts)
    distance = {
        (i, start): np.abs(p[1] - int8.events.threshold).min()
        for i, probs in enumerate(plain)
        for start, p in probs.items()
    }
    int8.recheck_margin = float(np.median(list(distance.values())))
    _, rechecked = int8.results_and_probs(texts)
    near = {key for key, d in distance.items() if d < int8.recheck_margin}
    assert 0 < len(near) < len(distance)
    for i, start in distance:
        expected = exact if (i, start) in near else plain
        for k in (0, 1):  # word probabilities, event probabilities
            assert np.allclose(rechecked[i][start][k], expected[i][start][k], atol=1e-5)
    assert max(np.abs(exact[i][s][k] - plain[i][s][k]).max() for i, s in near for k in (0, 1)) > 3e-5  # it tells
