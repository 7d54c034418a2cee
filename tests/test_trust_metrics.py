"""The trust metrics (issue 14), each on a case with a known answer, and against Quantus 0.6
(a test-only dependency) wherever it has the same metric."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.metrics import spearman

H = W = 8


def _gini_pairs(values):
    """The Gini index from its definition: mean absolute difference over twice the mean."""
    v = np.abs(values).ravel()
    return np.abs(v[:, None] - v[None, :]).sum() / (2 * len(v) ** 2 * v.mean())


def test_sparseness_is_the_gini_index():
    assert xw.metrics.sparseness(np.ones((1, 4, 4)))[0] == pytest.approx(0.0)
    one = np.zeros((1, 4, 4))
    one[0, 2, 1] = 5.0
    assert xw.metrics.sparseness(one)[0] == pytest.approx(15 / 16)  # (n - 1) / n
    assert xw.metrics.sparseness(np.array([[[0, 0], [1, 3]]]))[0] == pytest.approx(0.625)
    maps = np.random.default_rng(0).normal(size=(3, 5, 6))
    np.testing.assert_allclose(xw.metrics.sparseness(maps), [_gini_pairs(m) for m in maps])
    assert xw.metrics.sparseness(np.zeros((1, 3, 3)))[0] == 0.0


def test_pointing_game_and_relevance_mass_on_a_region():
    region = np.zeros((2, H, W), bool)
    region[:, 2:4, 5:8] = True
    inside, outside = np.zeros((2, H, W)), np.zeros((2, H, W))
    inside[:, 3, 6] = 1.0
    outside[:, 0, 0] = 1.0
    assert xw.metrics.pointing_game(inside, region).tolist() == [True, True]
    assert xw.metrics.pointing_game(outside, region).tolist() == [False, False]
    # a uniform map puts the region's share of the pixels inside it
    assert xw.metrics.relevance_mass(np.ones((2, H, W)), region) == pytest.approx(6 / 64)
    # negative relevance does not count: only max(h, 0)
    mixed = np.where(region, 2.0, -1.0)
    mixed[:, 0, :2] = 1.0
    assert xw.metrics.relevance_mass(mixed, region) == pytest.approx(12 / 14)
    assert np.isnan(xw.metrics.relevance_mass(-np.ones((1, H, W)), region[:1]))[0]


def test_localisation_refuses_empty_or_misshapen_regions():
    with pytest.raises(ExplainError, match=r"region of input\(s\) \[1\] is empty"):
        xw.metrics.pointing_game(np.ones((2, 4, 4)), np.eye(4, dtype=bool)[None] * [[[1]], [[0]]])
    with pytest.raises(ExplainError, match="masks must be boolean"):
        xw.metrics.relevance_mass(np.ones((2, 4, 4)), np.ones((2, 3, 4), bool))


@pytest.fixture(scope="module")
def linear(keras):
    """Two logits: class 0's is w . x (w nonzero only in a region), class 1's is 0."""
    rng = np.random.default_rng(3)
    region = np.zeros((H, W), bool)
    region[1:4, 2:6] = True
    w = np.where(region, rng.uniform(0.5, 2.0, (H, W)), 0.0).astype(np.float32)
    model = keras.Sequential([keras.Input((H, W, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax", name="d")])
    kernel = np.zeros((H * W, 2), np.float32)
    kernel[:, 0] = w.ravel()
    model.get_layer("d").set_weights([kernel, np.array([0.0, 1.0], np.float32)])
    x = rng.uniform(0.2, 1.0, (3, H, W, 1)).astype(np.float32)
    return model, x, w, region


def test_faithfulness_correlation_is_one_for_the_exact_contributions(linear):
    model, x, w, _ = linear
    exact = w * x[..., 0]  # removing a set (to 0) drops the logit by exactly its sum
    fc = xw.metrics.faithfulness_correlation(model, x, exact, targets=0, subsets=32)
    np.testing.assert_allclose(fc, 1.0, atol=1e-5)
    np.testing.assert_allclose(
        xw.metrics.faithfulness_correlation(model, x, -exact, targets=0, subsets=32), -1.0,
        atol=1e-5)
    noise = np.random.default_rng(0).normal(size=exact.shape)
    assert np.abs(xw.metrics.faithfulness_correlation(
        model, x, noise, targets=0, subsets=256)).max() < 0.3
    with pytest.raises(ExplainError, match="heatmaps must be"):
        xw.metrics.faithfulness_correlation(model, x, exact[:, :4], targets=0)


def test_max_sensitivity_zero_for_a_constant_map_and_noise_size_for_the_identity(linear):
    model, x, _, _ = linear
    # saliency of a linear logit is its weights: noise cannot move it
    assert xw.metrics.max_sensitivity(model, x, "saliency", targets=0) == pytest.approx(0, abs=1e-6)
    # the map x itself, unnormalised: ||e|| / ||x||, with ||e||^2 ~ HW r^2 / 3 for uniform noise
    got = xw.metrics.max_sensitivity(model, x, lambda v, t: v[..., 0], targets=0, samples=64,
                                     radius=0.02, normalise=False)
    typical = np.sqrt(H * W / 3) * 0.02 / np.sqrt((x**2).sum(axis=(1, 2, 3)))
    assert np.all(got > typical) and np.all(got < 1.5 * typical)
    with pytest.raises(ExplainError, match="radius must be > 0"):
        xw.metrics.max_sensitivity(model, x, "saliency", radius=0)


def test_random_logit_is_the_rank_correlation_with_the_other_class(keras):
    rng = np.random.default_rng(5)
    kernel = rng.normal(size=(H * W, 2)).astype(np.float32)
    model = keras.Sequential([keras.Input((H, W, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, name="d")])
    model.get_layer("d").set_weights([kernel, np.zeros(2, np.float32)])
    x = rng.uniform(size=(2, H, W, 1)).astype(np.float32)
    got = xw.metrics.random_logit(model, x, "saliency", targets=0)
    # saliency = |weights| of the class; with two classes the other one is class 1
    expected = spearman(np.abs(kernel[:, 0]), np.abs(kernel[:, 1]))
    np.testing.assert_allclose(got, expected, atol=1e-6)
    kernel[:, 1] = -2 * kernel[:, 0]  # the same |map| for both classes: the check fails (1)
    model.get_layer("d").set_weights([kernel, np.zeros(2, np.float32)])
    np.testing.assert_allclose(xw.metrics.random_logit(model, x, "saliency", targets=0), 1.0)


def test_evaluate_on_a_model_that_reads_one_region(linear):
    model, x, w, region = linear
    done = []
    df = xw.metrics.evaluate(model, x, methods=["saliency", "gradient_x_input", "integrated_gradients"],
                             targets=0, masks=np.broadcast_to(region, (3, H, W)), steps=16,
                             subsets=32, samples=4, randomization_layers=None,
                             options={"integrated_gradients": {"steps": 4}},
                             progress=lambda d, t: done.append((d, t)))
    assert len(df) == 9 and list(df["method"][:3]) == ["saliency"] * 3
    sal = df[df.method == "saliency"]
    gxi = df[df.method == "gradient_x_input"]
    # saliency = |w|, only inside the region: it wins the pointing game, all its mass inside
    assert sal.pointing_game.all() and np.allclose(sal.relevance_mass, 1.0)
    # gradient x input = each pixel's exact contribution to the logit
    np.testing.assert_allclose(gxi.faithfulness_correlation, 1.0, atol=1e-5)
    np.testing.assert_allclose(sal.max_sensitivity, 0.0, atol=1e-6)
    # deleting the region first is what lowers p(class 0) fastest
    curves = xw.metrics.deletion_insertion(model, x, np.where(region, 1.0, 0.0)[None].repeat(3, 0),
                                           targets=0, steps=16)
    reverse = xw.metrics.deletion_insertion(model, x, np.where(region, 0.0, 1.0)[None].repeat(3, 0),
                                            targets=0, steps=16)
    assert np.all(curves.deletion_auc < reverse.deletion_auc)
    assert np.all(gxi.deletion_auc.to_numpy() <= reverse.deletion_auc + 1e-6)
    np.testing.assert_allclose(gxi.sparseness, xw.metrics.sparseness(w * x[..., 0]), atol=1e-5)
    assert set(df.attrs["captions"]) >= {"deletion_auc", "pointing_game", "relevance_mass"}
    assert done[-1][0] == done[-1][1] and len(done) > 3


def test_evaluate_checks_its_inputs_first_and_cancels(linear):
    model, x, _, _ = linear
    with pytest.raises(ExplainError, match="unknown method 'nope'"):
        xw.metrics.evaluate(model, x, methods=["saliency", "nope"])
    with pytest.raises(ExplainError, match="options given for"):
        xw.metrics.evaluate(model, x, methods=["saliency"], options={"smoothgrad": {}})
    with pytest.raises(ExplainError, match="masks must be boolean"):
        xw.metrics.evaluate(model, x, methods=["saliency"], masks=np.ones((3, 4, 4), bool))
    with pytest.raises(xw.Cancelled):
        xw.metrics.evaluate(model, x, methods=["saliency"], cancel=lambda: True)


# --------------------------------------------------------------------------- Quantus 0.6
@pytest.fixture(scope="module")
def quantus():
    return pytest.importorskip("quantus", minversion="0.6")


def test_agrees_with_quantus_on_sparseness_pointing_game_relevance_mass(quantus):
    rng = np.random.default_rng(0)
    a = rng.random((4, 1, 6, 6)).astype(np.float32)
    x = rng.random((4, 1, 6, 6)).astype(np.float32)
    s = (rng.random((4, 1, 6, 6)) > 0.6).astype(np.float32)
    a[1, 0, s[1, 0] > 0] += 1.0  # one sure hit
    kw = dict(model=None, x_batch=x, y_batch=np.zeros(4, int), a_batch=a)
    theirs = quantus.Sparseness(disable_warnings=True)(**kw, s_batch=None)
    np.testing.assert_allclose(xw.metrics.sparseness(a[:, 0]), theirs, atol=1e-5)
    theirs = quantus.PointingGame(disable_warnings=True)(**kw, s_batch=s)
    assert xw.metrics.pointing_game(a[:, 0], s[:, 0]).tolist() == [bool(v) for v in theirs]
    theirs = quantus.RelevanceMassAccuracy(disable_warnings=True)(**kw, s_batch=s)
    np.testing.assert_allclose(xw.metrics.relevance_mass(a[:, 0], s[:, 0]), theirs, rtol=1e-5)


def _logits_twin(keras, model):
    """The same model without its softmax (Quantus strips it only from functional models)."""
    twin = keras.Sequential([keras.Input((H, W, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(2, name="d")])
    twin.get_layer("d").set_weights(model.get_layer("d").get_weights())
    return twin


@pytest.mark.slow  # Quantus calls the model once per subset: ~15 s
def test_agrees_with_quantus_on_faithfulness_correlation(quantus, linear, keras):
    model, x, w, _ = linear
    model, x = _logits_twin(keras, model), x[:1].copy()
    x[:, 0, 0] = 0.0  # Quantus's "black" is the image's minimum: make it 0, our baseline
    a = (w * x[..., 0])[:, None] + np.random.default_rng(1).normal(size=(1, 1, H, W)) * 0.3
    np.random.seed(0)
    for sign in (1, -1):  # the exact contributions: +-1 for both
        theirs = quantus.FaithfulnessCorrelation(
            nr_runs=20, subset_size=6, perturb_baseline="black", disable_warnings=True,
            return_aggregate=False)(model=model, x_batch=x, y_batch=np.zeros(1, int),
                                    a_batch=sign * (w * x[..., 0])[:, None].astype(np.float32),
                                    channel_first=False, softmax=False)
        assert theirs[0] == pytest.approx(sign, abs=1e-4)
    theirs = quantus.FaithfulnessCorrelation(
        nr_runs=200, subset_size=6, perturb_baseline="black", disable_warnings=True,
        return_aggregate=False)(model=model, x_batch=x, y_batch=np.zeros(1, int),
                                a_batch=a.astype(np.float32), channel_first=False, softmax=False)
    ours = xw.metrics.faithfulness_correlation(model, x, a[:, 0], targets=0, subsets=4000,
                                               subset_size=6)
    # the same correlation, estimated from different random subsets: Quantus's 200 runs
    # have a standard error of ~0.05 at this value
    np.testing.assert_allclose(ours, theirs, atol=0.15)
    assert 0.3 < ours[0] < 0.9  # not a case where any two estimates agree


def test_agrees_with_quantus_on_max_sensitivity_and_random_logit(quantus, linear, keras):
    model, x, _, _ = linear
    model = _logits_twin(keras, model)

    def squares(model, inputs, targets, **kw):  # Quantus passes TF inputs channel-last
        return np.asarray(inputs)[..., 0][:, None] ** 2

    theirs = quantus.MaxSensitivity(nr_samples=100, lower_bound=0.02, disable_warnings=True)(
        model=model, x_batch=x, y_batch=np.zeros(3, int), a_batch=None, explain_func=squares,
        channel_first=False)
    ours = xw.metrics.max_sensitivity(model, x, lambda v, t: v[..., 0] ** 2, targets=0,
                                      samples=100, radius=0.02, normalise=False)
    np.testing.assert_allclose(ours, theirs, rtol=0.08)  # maxima of 100 draws each

    def saliency(model, inputs, targets, **kw):
        exp = xw.explain(model, np.asarray(inputs), method="saliency", target=np.asarray(targets))
        return exp.heatmaps[:, None]

    kernel = np.random.default_rng(7).normal(size=(H * W, 2)).astype(np.float32)
    model.get_layer("d").set_weights([kernel, np.zeros(2, np.float32)])  # both classes read x
    y = np.zeros(3, int)
    theirs = quantus.RandomLogit(num_classes=2, disable_warnings=True,
                                 similarity_func=quantus.similarity_func.correlation_spearman)(
        model=model, x_batch=x, y_batch=y, a_batch=saliency(model, x, y), explain_func=saliency,
        channel_first=False)
    np.testing.assert_allclose(xw.metrics.random_logit(model, x, "saliency", targets=0), theirs,
                               atol=1e-5)


def test_deletion_curve_agrees_with_quantus_pixel_flipping(quantus, keras):
    """Quantus's PixelFlipping is our deletion curve without its first point (nothing deleted)."""
    rng = np.random.default_rng(3)
    model = keras.Sequential([keras.Input((H, W, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax", name="d")])
    kernel = np.zeros((H * W, 2), np.float32)
    kernel[:, 0] = rng.uniform(-2, 2, H * W)
    model.get_layer("d").set_weights([kernel, np.array([0.0, 0.5], np.float32)])
    x = rng.uniform(size=(2, H, W, 1)).astype(np.float32)
    x[:, 0, 0] = 0.0  # Quantus's "black" is the image's minimum: 0, our deletion value
    maps = rng.normal(size=(2, H, W)).astype(np.float32)  # no ties: one order
    theirs = quantus.PixelFlipping(features_in_step=2, perturb_baseline="black",
                                   disable_warnings=True)(
        model=model, x_batch=x, y_batch=np.zeros(2, int), a_batch=maps[:, None],
        channel_first=False, softmax=True)
    ours = xw.metrics.deletion_insertion(model, x, maps, targets=0, steps=32)
    np.testing.assert_allclose(ours.deletion[:, 1:], np.array(theirs), atol=1e-5)


def test_randomized_maps_are_the_randomization_checks_step(keras):
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(4, 3, activation="relu"),
                              keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    x = np.random.default_rng(0).uniform(size=(2, 6, 6, 1)).astype(np.float32)
    check = xw.metrics.randomization_check(model, x, method="saliency", max_layers=2)
    maps, corr = xw.metrics.randomized_maps(model, x, method="saliency", layers=2)
    np.testing.assert_allclose(corr, check.per_input[1], atol=1e-6)
    assert maps.shape == (2, 6, 6)
    # the user's model is untouched
    again = xw.explain(model, x, method="saliency").heatmaps
    assert not np.allclose(np.abs(again), np.abs(maps))


def test_evaluate_explains_the_output_asked_for(keras):
    """output="probability": the maps are the probability's (a different gradient from the
    logit's once the softmax is not flat), as xw.explain gives them."""
    rng = np.random.default_rng(9)
    model = keras.Sequential([keras.Input((H, W, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, activation="softmax", name="d")])
    model.get_layer("d").set_weights([rng.normal(size=(H * W, 3)).astype(np.float32),
                                      np.zeros(3, np.float32)])
    x = rng.uniform(size=(2, H, W, 1)).astype(np.float32)
    kwargs = dict(methods=["gradient_x_input"], targets=0, steps=4, subsets=8, samples=2,
                  randomization_layers=None, random_logit_check=False)
    for output in ("logit", "probability"):
        df = xw.metrics.evaluate(model, x, output=output, **kwargs)
        expected = xw.explain(model, x, method="gradient_x_input", target=0, output=output)
        np.testing.assert_allclose(df.attrs["maps"]["gradient_x_input"], expected.heatmaps,
                                   rtol=1e-4, atol=1e-7)
    logit = xw.explain(model, x, method="gradient_x_input", target=0).heatmaps
    assert not np.allclose(expected.heatmaps, logit, rtol=1e-2)
