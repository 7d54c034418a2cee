"""On the trained demo models: completeness, sanity checks, pointing game, faithfulness."""

import json
import os
from pathlib import Path

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets.metrics import spearman

pytestmark = pytest.mark.slow
ARTIFACTS = Path(os.environ.get("XAI_TEST_ARTIFACTS", "test-artifacts"))


def test_digits_cnn_is_accurate_on_held_out_images(digits):
    model, (x, y), names = digits
    assert xw.demo.accuracy(model, x, y) >= 0.95
    assert len(names) == 10 and x.shape[1:] == (8, 8, 1) and 0 <= x.min() and x.max() <= 1


def test_integrated_gradients_completeness_within_5_percent_at_default_steps(digits):
    model, (x, _), _ = digits
    exp = xw.explain(model, x[:100], method="integrated_gradients")
    change = exp.scores - xw.adapt(model).scores(exp.baselines)[np.arange(100), exp.targets]
    relative = np.abs(exp.completeness_delta) / np.abs(change)
    assert relative.max() < 0.05, f"worst relative completeness error {relative.max():.3f}"


@pytest.mark.parametrize("method", ["gradcam", "saliency"])
def test_randomising_the_digits_cnn_destroys_the_maps(digits, method):
    model, (x, _), _ = digits
    result = xw.metrics.randomization_check(model, x[:16], method=method)
    assert result.layers[0] == "probabilities" and result.layers[-1] == "conv1"
    assert result.correlations[-1] < 0.5, result
    assert result.correlations.min() < 0.5, result


def test_randomising_the_shapes_cnn_destroys_integrated_gradients(shapes):
    model, (x, _, _), _ = shapes
    result = xw.metrics.randomization_check(model, x[:16], method="integrated_gradients")
    assert result.correlations[-1] < 0.5, result


def test_another_class_gives_another_map(shapes):
    model, (x, _, _), _ = shapes
    top = xw.explain(model, x[:40], method="gradcam")
    other = xw.explain(model, x[:40], method="gradcam", target=(top.targets + 1) % 3)
    assert np.mean([spearman(a, b) for a, b in zip(top.heatmaps, other.heatmaps)]) < 0.6


def pointing_hits(heatmaps, masks):
    flat = heatmaps.reshape(len(heatmaps), -1).argmax(axis=1)
    rows, cols = np.unravel_index(flat, heatmaps.shape[1:])
    return masks[np.arange(len(masks)), rows, cols]


def test_pointing_game_on_shapes(shapes):
    """The heatmap's maximum falls on the object that decides the class far more often than
    the image centre does (the objects are placed at random)."""
    model, (x, y, masks), _ = shapes
    n = 200
    h, w = masks.shape[1:]
    rates = {"centre point": float(masks[:n, h // 2, w // 2].mean())}
    for method in ("gradcam", "gradcam_plus_plus", "integrated_gradients"):
        exp = xw.explain(model, x[:n], method=method, target=y[:n])
        rates[method] = float(pointing_hits(exp.heatmaps, masks[:n]).mean())
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "pointing_game.json").write_text(json.dumps(rates, indent=2))
    print("pointing game hit rates:", rates)
    assert rates["centre point"] < 0.2
    assert rates["gradcam"] >= 0.9 and rates["gradcam_plus_plus"] >= 0.9
    assert rates["integrated_gradients"] >= 0.75
    assert min(rates[m] for m in ("gradcam", "integrated_gradients")) > rates["centre point"] + 0.5


def test_faithfulness_beats_a_random_ranking(digits):
    """Deleting the pixels IG ranks first kills the class score faster than deleting random
    ones, and inserting them restores it faster."""
    model, (x, _), _ = digits
    exp = xw.explain(model, x[:40], method="integrated_gradients")
    random = np.random.default_rng(0).normal(size=exp.heatmaps.shape)
    ours = xw.metrics.deletion_insertion(model, x[:40], exp.heatmaps, exp.targets)
    chance = xw.metrics.deletion_insertion(model, x[:40], random, exp.targets)
    assert ours.deletion_auc.mean() < chance.deletion_auc.mean() - 0.2
    assert ours.insertion_auc.mean() > chance.insertion_auc.mean()


def test_explanation_plot_draws_every_image(digits, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    model, (x, _), names = digits
    exp = xw.explain(model, x[:3], method="integrated_gradients")
    fig = exp.plot(names)
    assert len(fig.axes) == 6  # three images, three colorbars
    fig.savefig(tmp_path / "ig.png")
    assert (tmp_path / "ig.png").stat().st_size > 1000
