"""LIME and KernelSHAP on superpixels, checked against what is true: a linear model's
Shapley values and LIME weights are known in closed form; a nonlinear model's Shapley values
come from enumerating every coalition here; and LIME agrees with the ``lime`` package's
``lime_image`` on the same segmentation and number of samples."""

import itertools
import math

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError
from xai_widgets.explainers import superpixels


def linear_model(keras, shape=(6, 6, 2), classes=3, seed=2):
    model = keras.Sequential([keras.Input(shape), keras.layers.Flatten(),
                              keras.layers.Dense(classes)])
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def segment_sums(model, x, labels, target, fill):
    """Each segment's contribution to a linear score: sum over its pixels of w (x - fill)."""
    w = model.layers[-1].get_weights()[0][:, target].reshape(x.shape)
    per_pixel = (w * (x - fill)).sum(axis=-1)
    return np.bincount(labels.ravel(), per_pixel.ravel())


def test_grid_segments_cover_the_image_in_about_the_asked_number():
    labels = superpixels.grid_segments(6, 6, 9)
    assert labels.shape == (6, 6) and sorted(np.unique(labels)) == list(range(9))
    assert (np.bincount(labels.ravel()) == 4).all()
    assert len(np.unique(superpixels.grid_segments(8, 16, 8))) == 8


@pytest.mark.parametrize("segments, exact", [(9, True), (16, False)])
def test_kernel_shap_of_a_linear_model_is_each_segments_share(keras, segments, exact):
    model = linear_model(keras)
    x = np.random.default_rng(0).random((2, 6, 6, 2)).astype(np.float32)
    e = xw.explain(model, x, method="kernel_shap", target=[1, 2], segmentation="grid",
                   segments=segments, fill=0.25, samples=64)
    assert e.params["exact"] == [exact, exact]
    for i in range(2):
        want = segment_sums(model, x[i], e.params["segments"][i], [1, 2][i], 0.25)
        assert len(want) == segments
        np.testing.assert_allclose(e.params["segment_weights"][i], want, rtol=1e-4, atol=1e-4)
        # efficiency: they add up to f(x) - f(every segment hidden)
        np.testing.assert_allclose(e.attributions[i].sum(), e.scores[i] -
                                   e.params["base_values"][i], rtol=1e-4, atol=1e-4)
        # the heatmap is painted by segment: each pixel shows its segment's weight; the
        # attributions share it among the segment's pixels and channels
        labels = e.params["segments"][i]
        np.testing.assert_allclose(e.heatmaps[i], want[labels], rtol=1e-4, atol=1e-4)
        share = (want / np.bincount(labels.ravel()))[labels] / 2
        np.testing.assert_allclose(e.attributions[i], np.stack([share, share], -1),
                                   rtol=1e-4, atol=1e-5)
    # a linear game is fitted exactly by sampled KernelSHAP: no sampling error
    assert np.max(e.params["standard_errors"]) < 1e-4


def brute_force_shapley(model, image, filled, labels, target):
    """Shapley values from the permutation-free subset formula, every coalition scored by
    the model directly."""
    d = int(labels.max()) + 1
    coalitions = list(itertools.product([0, 1], repeat=d))
    keep = np.array([np.array(c)[labels] for c in coalitions], np.float32)[..., None]
    rows = filled[None] + keep * (image - filled)[None]
    v = dict(zip(coalitions, model.predict(rows, verbose=0)[:, target].astype(np.float64)))
    phi = np.zeros(d)
    for c, value in v.items():
        for i in range(d):
            if c[i]:
                continue
            s = sum(c)
            with_i = c[:i] + (1,) + c[i + 1:]
            phi[i] += (math.factorial(s) * math.factorial(d - s - 1) / math.factorial(d)
                       * (v[with_i] - value))
    return phi


def nonlinear_model(keras):
    model = keras.Sequential([keras.Input((6, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(2)])
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(size=w.shape).astype(np.float32)
                       for w in model.get_weights()])
    return model


def test_kernel_shap_equals_brute_force_shapley_values_of_a_nonlinear_model(keras):
    model = nonlinear_model(keras)
    x = np.random.default_rng(1).random((1, 6, 8, 1)).astype(np.float32)
    exact = xw.explain(model, x, method="kernel_shap", target=1, segmentation="grid",
                       segments=8, fill="mean")
    labels = exact.params["segments"][0]
    filled = superpixels.fill_image(x[0], labels, "mean", None)
    # the mean fill: every pixel of a segment shows the segment's mean
    np.testing.assert_allclose(filled[..., 0], (np.bincount(labels.ravel(), x[0].ravel())
                                                / np.bincount(labels.ravel()))[labels],
                               rtol=1e-6)
    truth = brute_force_shapley(model, x[0], filled, labels, 1)
    np.testing.assert_allclose(exact.params["segment_weights"][0], truth, rtol=1e-4,
                               atol=1e-5)
    # beyond 11 segments: sampled, within its standard errors of the truth
    sampled = xw.explain(model, x, method="kernel_shap", target=1, segmentation="grid",
                         segments=12, fill="mean", samples=1024, seed=3)
    assert sampled.params["exact"] == [False]
    labels = sampled.params["segments"][0]
    truth = brute_force_shapley(model, x[0], superpixels.fill_image(x[0], labels, "mean",
                                                                    None), labels, 1)
    phi, se = sampled.params["segment_weights"][0], sampled.params["standard_errors"][0]
    assert (se > 0).all()
    assert (np.abs(phi - truth) <= 4 * se + 1e-4).all(), (phi - truth) / se
    assert np.abs(phi - truth).max() < 0.1 * np.abs(truth).max()


def test_lime_of_a_linear_model_recovers_the_segment_shares(keras):
    model = linear_model(keras)
    x = np.random.default_rng(2).random((1, 6, 6, 2)).astype(np.float32)
    e = xw.explain(model, x, method="lime", target=0, segmentation="grid", segments=9,
                   fill=0.0, samples=500)
    want = segment_sums(model, x[0], e.params["segments"][0], 0, 0.0)
    # a weighted ridge fit (alpha 1) of an exactly linear response: R^2 1, slight shrinkage
    assert e.params["r2"][0] > 0.999
    np.testing.assert_allclose(e.params["segment_weights"][0], want, rtol=0.03,
                               atol=0.03 * np.abs(want).max())
    again = xw.explain(model, x, method="lime", target=0, segmentation="grid", segments=9,
                       fill=0.0, samples=500)
    np.testing.assert_array_equal(again.params["segment_weights"][0],
                                  e.params["segment_weights"][0])  # seeded


def test_lime_agrees_with_lime_image(shapes):
    lime_image = pytest.importorskip("lime.lime_image")
    from scipy.stats import spearmanr

    model, x = shapes[0], shapes[1][0]
    image = x[3:4]
    ours = xw.explain(model, image, method="lime", samples=1000, fill="mean")
    labels = ours.params["segments"][0]
    target = int(ours.targets[0])
    assert ours.params["n_segments"][0] >= 15
    adapter = xw.models.adapt(model)
    theirs = lime_image.LimeImageExplainer(random_state=0).explain_instance(
        image[0].astype(np.float64), lambda rows: adapter.scores(rows.astype(np.float32)),
        labels=(target,), top_labels=None, hide_color=None, num_samples=1000,
        batch_size=100, segmentation_fn=lambda img: labels, random_seed=0)
    their_weights = np.zeros(len(ours.params["segment_weights"][0]))
    for seg, weight in theirs.local_exp[target]:
        their_weights[seg] = weight
    rho = spearmanr(ours.params["segment_weights"][0], their_weights).statistic
    assert rho > 0.8, rho
    assert abs(ours.params["r2"][0] - theirs.score) < 0.1  # the fits' R^2


@pytest.mark.slow
def test_the_default_blur_fill_points_at_the_deciding_object(shapes):
    """A slic segment that follows the object has the object's colour as its mean: hidden
    with the mean fill, nothing changes. The default (blur) finds the object."""
    model, (x, _, masks) = shapes[0], shapes[1]
    x, masks = x[:12], masks[:12].astype(bool)
    hits = {}
    for fill in ("blur", "mean"):
        e = xw.explain(model, x, method="lime", fill=fill, samples=300)
        assert e.params["fill"] == fill
        tops = [np.unravel_index(np.argmax(h), h.shape) for h in e.heatmaps]
        hits[fill] = np.mean([m[t] for m, t in zip(masks, tops)])
    assert hits["blur"] >= 0.8 and hits["mean"] <= 0.5, hits


def test_segmentations_and_fills_run_and_bad_options_fail_first(digits):
    model, (x, _), _ = digits
    for kwargs in [dict(segmentation="slic"), dict(segmentation="quickshift"),
                   dict(segmentation="grid", fill="blur")]:
        e = xw.explain(model, x[:1], method="kernel_shap", **kwargs)
        labels = e.params["segments"][0]
        assert labels.shape == (8, 8) and labels.min() == 0
        assert sorted(np.unique(labels)) == list(range(e.params["n_segments"][0]))
        assert np.isfinite(e.heatmaps).all()
    with pytest.raises(ExplainError, match="more than the image's 8x8 pixels"):
        xw.explain(model, x[:1], method="lime", segments=100)
    with pytest.raises(ExplainError, match=r"segmentation='watershed' .* valid values"):
        xw.explain(model, x[:1], method="lime", segmentation="watershed")
    with pytest.raises(ExplainError, match="fill='median'"):
        xw.explain(model, x[:1], method="kernel_shap", fill="median")


def test_progress_counts_every_coalition_and_cancel_stops_between_calls(keras):
    model = linear_model(keras, shape=(6, 6), classes=2)  # (N, H, W) images, no channels
    x = np.random.default_rng(3).random((3, 6, 6)).astype(np.float32)
    seen = []
    e = xw.explain(model, x, method="kernel_shap", segmentation="grid", segments=4,
                   fill=0.0, batch_size=5, progress=lambda done, total: seen.append(
                       (done, total)))
    assert seen[-1] == (3 * 16, 3 * 16) and all(t == 48 for _, t in seen)
    for i in range(3):  # still the exact shares, without a channel axis
        np.testing.assert_allclose(
            e.params["segment_weights"][i],
            segment_sums(model, x[i][..., None], e.params["segments"][i], e.targets[i], 0.0),
            rtol=1e-4, atol=1e-4)
    calls = []
    with pytest.raises(xw.Cancelled, match="cancelled after 20 of 300"):
        xw.explain(model, x, method="lime", samples=100, batch_size=10,
                   cancel=lambda: calls.append(1) or len(calls) > 2)


def test_the_image_explainer_names_the_superpixel_registration(digits):
    model, (x, _), names = digits
    w = xw.ImageExplainer(model, x[:1], class_names=names, method="kernel_shap")
    assert w.methods["kernel_shap"]["label"] == "KernelSHAP (superpixels)"
    assert w.heatmap_info["caption"].startswith("KernelSHAP (superpixels) for class")


def test_segment_borders_travel_with_the_heatmap_and_draw_on_request(digits):
    from xai_widgets._encode import decode_payload
    from xai_widgets.payloads import segment_borders

    labels = np.array([[0, 0, 1], [0, 0, 1], [2, 2, 2]])
    np.testing.assert_array_equal(segment_borders(labels), [[0, 1, 0], [1, 1, 1], [0, 0, 0]])
    model, (x, _), names = digits
    w = xw.ImageExplainer(model, x[:1], class_names=names, method="lime",
                          options={"segmentation": "grid", "segments": 4})
    segments = w.explanation.params["segments"][0]
    border = decode_payload(w.heatmap_info["borders"]).astype(bool)
    np.testing.assert_array_equal(border, segment_borders(segments))
    assert border.any() and w.heatmap_info["segment_count"] == len(np.unique(segments))
    plain = w.to_png()
    w.show_segments = True  # the view's "Segment borders" switch (view-only)
    assert w.to_png() != plain
    w.method = "saliency"  # no segments: no borders sent
    assert "borders" not in w.heatmap_info
    w.close()
