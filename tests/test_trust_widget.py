"""The ImageExplainer's region, Trust panel and feedback training, driven the way the
browser drives them (custom messages with binary buffers)."""

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import ExplainError


@pytest.fixture(scope="module")
def region_model(keras):
    """Two classes; class 0's logit reads only the 2x2 top-left corner."""
    model = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax", name="d")])
    kernel = np.zeros((64, 2), np.float32)
    for r in range(2):
        for c in range(2):
            kernel[r * 8 + c, 0] = 3.0
    kernel[:, 1] = 0.05
    model.get_layer("d").set_weights([kernel, np.zeros(2, np.float32)])
    return model


def _images():
    x = np.random.default_rng(0).uniform(0.2, 0.6, (2, 8, 8, 1)).astype(np.float32)
    x[:, :2, :2] = 1.0
    return x


def test_a_stroke_message_sets_the_region_and_python_draws_it(region_model):
    w = xw.ImageExplainer(region_model, _images(), method="saliency")
    assert w.region.shape == (2, 8, 8) and not w.region.any()
    mask = np.zeros((8, 8), np.uint8)
    mask[:2, :2] = 1
    w._handle_custom_msg({"type": "region_stroke", "index": 1, "shape": [8, 8]},
                         [memoryview(mask.tobytes())])
    assert w.region[1].sum() == 4 and w.region[1, :2, :2].all() and not w.region[0].any()
    payload = w.region_masks
    assert payload["shape"] == [2, 8, 8] and payload["dtype"] == "uint8"
    assert np.frombuffer(bytes(payload["view"]), np.uint8).sum() == 4
    version = payload["version"]
    w.region = np.eye(8, dtype=bool)  # one (H, W) region for every image
    assert w.region.sum() == 16 and w.region_masks["version"] == version + 1
    w._handle_custom_msg({"type": "region_clear"}, [])
    assert not w.region.any()
    with pytest.raises(ExplainError, match="region must be a boolean array of shape"):
        w.region = np.ones((3, 3), bool)
    # a malformed stroke (wrong size) changes nothing
    w._handle_custom_msg({"type": "region_stroke", "index": 0}, [memoryview(b"\x01\x01")])
    assert not w.region.any()


def test_trust_panel_evaluates_the_methods_shown_with_the_region(region_model):
    w = xw.ImageExplainer(region_model, _images(), method="saliency",
                          options={})
    w.compare = ["gradient_x_input"]
    region = np.zeros((2, 8, 8), bool)
    region[:, :2, :2] = True
    w.region = region
    df = w.evaluate_trust(steps=8, subsets=16, samples=2, randomization_layers=None,
                          random_logit_check=False)
    assert list(df.method) == ["saliency", "gradient_x_input"]
    # the model reads only the region: saliency (|weights|) points there with all its mass
    sal = df[df.method == "saliency"].iloc[0]
    assert sal.pointing_game and sal.relevance_mass == pytest.approx(1.0, abs=1e-6)
    rows = w.trust_rows
    assert [r["method"] for r in rows] == ["saliency", "gradient_x_input"]
    assert rows[0]["pointing_game"] is True and "relevance_mass" in w.trust_info["captions"]
    assert w.trust_info["deletion"]["shape"] == [2, 9]
    # the sanity check as maps: the one Dense layer re-drawn, correlation beside each map
    sanity = w.trust_info["sanity"]
    assert [s["info"]["method"] for s in sanity] == ["saliency", "gradient_x_input"]
    assert sanity[0]["heatmap"]["shape"] == [8, 8]
    assert sanity[0]["info"]["correlation"] == pytest.approx(df.randomization[0])
    assert abs(df.randomization[0]) < 0.5  # random weights: the map changed
    assert w.trust is df


@pytest.mark.slow
def test_train_with_feedback_moves_the_heatmap_off_the_region(region_model, keras):
    model = keras.models.clone_model(region_model)
    model.set_weights(region_model.get_weights())
    x = _images()
    w = xw.ImageExplainer(model, x, method="saliency", output="probability")
    with pytest.raises(ExplainError, match="paint a region"):
        w.train_with_feedback()
    rng = np.random.default_rng(1)
    xs = rng.uniform(0, 1, (64, 8, 8, 1)).astype(np.float32)
    ys = (xs[:, 4:, 4:, 0].mean(axis=(1, 2)) > 0.5).astype(int)  # what should matter
    w.use_feedback_data(xs, ys, validation_data=(xs, ys))
    region = np.zeros((8, 8), bool)
    region[:2, :2] = True
    w.region = region
    w.train_with_feedback(epochs=60, learning_rate=0.05)
    info = w.feedback_info
    assert info["after_accuracy"] > info["before_accuracy"]
    assert info["relevance_mass"]["after"] < 0.2 * info["relevance_mass"]["before"], info["relevance_mass"]
    assert "before" in info and "after" in info
    assert w.trust_rows == []  # an evaluation of the model before training is not shown
    assert w.explanation.heatmaps[0, :2, :2].max() < w.explanation.heatmaps[0].max()


def test_a_cancelled_training_still_refreshes_the_view(region_model, keras):
    model = keras.models.clone_model(region_model)
    model.set_weights(region_model.get_weights())
    w = xw.ImageExplainer(model, _images(), method="saliency")
    w.region = np.pad(np.ones((2, 2), bool), ((0, 6), (0, 6)))
    before = w.explanation
    calls = []

    def cancel_later():  # after two batches
        calls.append(1)
        return len(calls) > 2

    with pytest.raises(xw.Cancelled):
        w._feedback(lambda d, t: None, cancel_later, epochs=5, batch_size=1,
                    learning_rate=0.5)
    assert w.explanation is not before  # recomputed with the partly trained model
    assert not np.allclose(w.explanation.heatmaps, before.heatmaps)


def _captured_masks(w, monkeypatch):
    """Train without training: what the widget hands to fit_right_reasons."""
    seen = {}

    def fake(model, x, y, masks, **options):
        seen.update(x=x, masks=np.asarray(masks))
        raise xw.Cancelled("stop here")

    monkeypatch.setattr(xw.feedback, "fit_right_reasons", fake)
    with pytest.raises(xw.Cancelled):
        w._feedback(lambda d, t: None, lambda: False, epochs=1)
    return seen


def test_feedback_scope_each_gives_every_image_its_own_region(region_model, monkeypatch):
    x = np.concatenate([_images(), _images()[:1]])  # three images
    w = xw.ImageExplainer(region_model, x, method="saliency")
    assert w.feedback_scope == "each" and w.feedback_data == {}  # the default, own images
    region = np.zeros((3, 8, 8), bool)
    region[0, :2, :2] = True  # a different object on each of two images, none on the third
    region[1, 5:, 5:] = True
    w.region = region
    masks = _captured_masks(w, monkeypatch)["masks"]
    assert masks.shape == (3, 8, 8)
    np.testing.assert_array_equal(masks, region)  # image 1's region is not spread onto 0
    assert not masks[2].any()  # no region: no penalty (cross-entropy only)
    # "all": the union, the same on every image (a decoy at a fixed position)
    w.feedback_scope = "all"
    masks = _captured_masks(w, monkeypatch)["masks"]
    np.testing.assert_array_equal(masks, np.broadcast_to(region.any(axis=0), (3, 8, 8)))


def test_feedback_data_applies_the_union_to_all_its_images(region_model, monkeypatch):
    w = xw.ImageExplainer(region_model, _images(), method="saliency")
    region = np.zeros((2, 8, 8), bool)
    region[1, :2, :2] = True
    w.region = region
    xs = np.random.default_rng(3).uniform(size=(5, 8, 8, 1)).astype(np.float32)
    w.use_feedback_data(xs, np.arange(5) % 2)
    assert w.feedback_scope == "all" and w.feedback_data == {"rows": 5}
    seen = _captured_masks(w, monkeypatch)
    assert seen["x"].shape == (5, 8, 8, 1)
    np.testing.assert_array_equal(seen["masks"], np.broadcast_to(region[1], (5, 8, 8)))
    # "each" has no meaning there: said before any training
    w.feedback_scope = "each"
    with pytest.raises(ExplainError, match='set w.feedback_scope = "all"'):
        w._feedback(lambda d, t: None, lambda: False)
    with pytest.raises(Exception):
        w.feedback_scope = "some"  # only "each" or "all"
    # the browser's switch sets the trait like any synced one
    w.set_state({"feedback_scope": "all"})
    assert w.feedback_scope == "all"


def _context_decoys(n=128, seed=0):
    """8x8 images, two classes. The top-left 2x2 (A) shows the class on every image. On the
    even images (the context pixel (7, 0) on) the bottom-right 2x2 (B) shows it too and A is
    a decoy the user paints; on the odd ones A is what tells the class (B is noise)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 0.2, (n, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 2, n)
    decoyed = np.arange(n) % 2 == 0
    x[decoyed, 7, 0] = 1.0
    x[:, :2, :2, 0] = y[:, None, None]
    x[:, 6:, 6:, 0] = np.where(decoyed, y, rng.integers(0, 2, n))[:, None, None]
    region = np.zeros((n, 8, 8), bool)
    region[decoyed, :2, :2] = True
    return x, y, decoyed, region


def _penalised_gradient_on_a(model, x):
    """Per image, the quantity the training penalises on A: ||d sum_k log p_k / dA||^2."""
    import tensorflow as tf

    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        total = tf.reduce_sum(tf.math.log(model(xt)))
    grad = tape.gradient(total, xt).numpy()
    return (grad[:, :2, :2, 0] ** 2).sum(axis=(1, 2))


@pytest.mark.slow
def test_scope_each_moves_the_gradient_off_each_images_own_region_only(keras):
    """Each image's own region: the gradient on A drops on the painted (decoyed) images and
    stays on the others, where A is what tells the class. The union ("all", the behaviour
    before the scope existed) spreads the decoyed images' region onto the others and takes
    the gradient off A there too: the comparison below fails for it."""
    x, y, decoyed, region = _context_decoys()
    keras.utils.set_random_seed(0)
    base = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                             keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dense(2, activation="softmax")])
    base.compile(optimizer=keras.optimizers.Adam(0.003), loss="sparse_categorical_crossentropy")
    base.fit(x, y, epochs=20, batch_size=32, verbose=0)  # reads A everywhere: the shortcut
    before = _penalised_gradient_on_a(base, x)
    after = {}
    for scope in ("each", "all"):
        model = keras.models.clone_model(base)
        model.set_weights(base.get_weights())
        w = xw.ImageExplainer(model, x, method="saliency")
        w.region = region
        w.feedback_scope = scope
        w.train_with_feedback(epochs=40, batch_size=32, learning_rate=0.01, strength=10.0)
        assert w.feedback_info["scope"] == scope and w.feedback_info["painted"] == 64
        g = _penalised_gradient_on_a(model, x)
        after[scope] = (g[decoyed].mean(), g[~decoyed].mean())
        if scope == "each":  # still right on every image (its cross-entropy trains them all)
            assert (model.predict(x, verbose=0).argmax(-1) == y).mean() > 0.95
    each_painted, each_other = after["each"]
    union_painted, union_other = after["all"]
    assert each_painted < 0.05 * before[decoyed].mean(), (before[decoyed].mean(), after)
    # seed 0 gives ~9x and ~14x; seeds 1 and 2 (tried once) 3.1x/6.4x and 2.3x/4.0x
    assert each_other > 2 * each_painted, after  # the union: 0.5-1.1x (A gone everywhere)
    assert each_other > 3 * union_other, after  # the union took A off the other images too
