"""randomization_check and deletion_insertion's references on models with known answers
(issue 19): an empty map is undefined (NaN, with a reason), never a pass; |maps| of methods
that multiply by the input survive randomisation; brightness is a real yardstick."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.metrics import RandomizationResult, reference_heatmaps, spearman


def test_spearman_of_a_constant_map_is_undefined():
    assert np.isnan(spearman(np.zeros(9), np.arange(9.0)))
    assert np.isnan(spearman(np.arange(9.0), np.full(9, 3.0)))


@pytest.fixture(scope="module")
def linear(keras):
    """logits = W . flatten(x): gradient x input of class t is x * W[:, t] exactly. Inputs
    are half zeros (a dark background, as on digits) and half in [0.2, 1]."""
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, name="dense")])
    rng = np.random.default_rng(0)
    x = rng.uniform(0.2, 1.0, size=(6, 8, 8, 1)).astype(np.float32)
    x[rng.uniform(size=x.shape) < 0.5] = 0.0
    return model, x


def test_absolute_gradient_x_input_fails_the_check_and_the_signed_map_passes(linear):
    """After the only layer is re-drawn the model shares nothing with the original, yet
    |x * W'| keeps |x|'s zeros and so its ranks: the absolute map fails, as Adebayo et al.
    found; the signed map x * W' is unrelated to x * W and passes."""
    model, x = linear
    absolute = xw.metrics.randomization_check(model, x, method="gradient_x_input", absolute=True)
    signed = xw.metrics.randomization_check(model, x, method="gradient_x_input", absolute=False)
    assert absolute.layers == ["dense"] and absolute.threshold == 0.5
    assert absolute.final > 0.6 and absolute.passed is False
    assert "FAIL" in absolute.verdict and "below 0.5" in absolute.verdict
    assert abs(signed.final) < 0.3 and signed.passed is True
    assert "pass" in signed.verdict and "signed maps" in signed.verdict
    # the numbers are the rank correlations of the maps computed by hand
    assert np.all(np.isfinite(absolute.per_input))


def test_saliency_of_a_linear_model_is_the_weights_and_changes_with_them(linear):
    """Saliency = max over channels of |W[:, t]|: after re-drawing W it is |W'[:, t]|, an
    independent draw, so the correlation is near 0 (and never an artifact of empty maps)."""
    model, x = linear
    result = xw.metrics.randomization_check(model, x, method="saliency")
    assert result.passed is True and abs(result.final) < 0.4 and not result.reasons


def test_an_empty_map_is_undefined_with_a_reason_never_a_pass(negative_head):
    """Grad-CAM for class 0 is zero everywhere (every channel lowers the score): the old
    check scored it as correlation 0, a pass. Now it is NaN, undefined, and says why."""
    model, x = negative_head
    result = xw.metrics.randomization_check(model, x, method="gradcam", targets=0)
    assert np.all(np.isnan(result.per_input)) and np.all(np.isnan(result.correlations))
    assert result.passed is None
    assert "empty or constant for 3 of 3 inputs" in result.reasons[0]
    assert result.verdict.startswith("gradcam (|maps|): undefined")


def test_the_threshold_is_checked(linear):
    model, x = linear
    with pytest.raises(ExplainError, match="threshold"):
        xw.metrics.randomization_check(model, x, method="saliency", threshold=2.0)
    result = RandomizationResult("m", ["a"], np.array([0.3]), np.array([[0.3]]), threshold=0.2)
    assert result.passed is False


def test_brightness_reference_wins_when_the_deciding_pixel_is_the_brightest(pixel_model):
    """Pixel (1, 2) is the brightest: deleting by brightness removes it first, the score
    falls to ~0 after the first step (AUC 0.5/16), as good as the perfect map. Where it is
    the dimmest non-zero pixel... no: where it is darker than 8 others, brightness deletes it
    at step 9 of 16."""
    x = np.zeros((2, 4, 4, 1), np.float32)
    x[:, 1, 2, 0] = 1.0
    x[1, 2:, :, 0] = 1.5  # 8 brighter pixels that the model ignores
    perfect = np.zeros((2, 4, 4))
    perfect[:, 1, 2] = 1.0
    result = xw.metrics.deletion_insertion(pixel_model, x, perfect, targets=0, steps=16,
                                           references=("random", "brightness"))
    bright = result.references["brightness"]["deletion_auc"]
    assert result.deletion_auc[0] == pytest.approx(0.5 / 16, abs=1e-3)
    assert bright[0] == pytest.approx(0.5 / 16, abs=1e-3)
    # the curve is ~1 for steps 0..8 and ~0 from step 9: AUC = 8.5 / 16
    assert bright[1] == pytest.approx(8.5 / 16, abs=1e-3)
    assert set(result.references) == {"random", "brightness"} and "brightness" in repr(result)


def test_reference_heatmaps_and_bad_names(pixel_model):
    x = np.random.default_rng(0).uniform(size=(2, 4, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(reference_heatmaps(x, "brightness"), x.sum(axis=-1))
    assert reference_heatmaps(x, "random", seed=1).shape == (2, 4, 4)
    with pytest.raises(ExplainError, match="unknown reference"):
        xw.metrics.deletion_insertion(pixel_model, np.zeros((1, 4, 4, 1), np.float32),
                                      np.zeros((1, 4, 4)), references=("gradient",))
