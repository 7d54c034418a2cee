"""The metrics themselves, on cases with known answers."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.metrics import spearman


def test_spearman_known_values():
    a = np.array([1.0, 2.0, 3.0, 4.0])
    assert spearman(a, a * 10 + 3) == pytest.approx(1.0)
    assert spearman(a, -a) == pytest.approx(-1.0)
    assert spearman(a, a**3) == pytest.approx(1.0)  # monotone: ranks only
    # ties share their average rank: [1, 1, 2] vs [1, 2, 3] -> ranks [0.5, 0.5, 2] vs [0, 1, 2]
    assert spearman(np.array([1.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])) == pytest.approx(
        np.corrcoef([0.5, 0.5, 2], [0, 1, 2])[0, 1])


def test_deletion_and_insertion_curves_on_a_one_pixel_model(pixel_model):
    x = np.zeros((1, 4, 4, 1), np.float32)
    x[0, 1, 2, 0] = 1.0  # class 0 wins: logits (20, 10)
    right = np.zeros((1, 4, 4))
    right[0, 1, 2] = 1.0  # ranks the deciding pixel first
    wrong = -right  # ranks it last
    good = xw.metrics.deletion_insertion(pixel_model, x, right, targets=0, steps=16)
    bad = xw.metrics.deletion_insertion(pixel_model, x, wrong, targets=0, steps=16)
    # Deleting the deciding pixel first drops p(class 0) from ~1 to ~0 after 1/16 of pixels.
    assert good.deletion[0, 0] == pytest.approx(1.0, abs=1e-4)
    assert good.deletion[0, 1] == pytest.approx(0.0, abs=1e-4)
    assert good.deletion_auc[0] == pytest.approx(0.5 / 16, abs=1e-3)
    assert bad.deletion_auc[0] == pytest.approx(1 - 0.5 / 16, abs=1e-3)
    assert good.insertion_auc[0] > 0.9 > 0.1 > bad.insertion_auc[0]
    np.testing.assert_allclose(good.fractions, np.linspace(0, 1, 17))


def test_deletion_insertion_checks_the_heatmap_shape(pixel_model):
    with pytest.raises(ExplainError, match=r"heatmaps must be \(N, H, W\) matching"):
        xw.metrics.deletion_insertion(pixel_model, np.zeros((1, 4, 4, 1), np.float32),
                                      np.zeros((1, 3, 3)))


def test_completeness_delta_recomputed_with_the_model_matches_the_reported_one(keras):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((5, 5, 1)), keras.layers.Conv2D(3, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(0).uniform(size=(3, 5, 5, 1)).astype(np.float32)
    exp = xw.explain(model, x, method="integrated_gradients", steps=4, baseline="blur")
    np.testing.assert_allclose(xw.metrics.completeness_delta(model, exp),
                               exp.completeness_delta, atol=1e-5)
    with pytest.raises(ExplainError, match="completeness applies to path methods"):
        xw.metrics.completeness_delta(model, xw.explain(model, x, method="saliency"))
