"""Closed widgets are freed: nothing (anywidget, threads, observers, caches, the adapter
cache) keeps a widget, or what it computed, alive after ``close()`` and ``del``.

Each test makes ``COUNT`` widgets of one kind, uses them from Python and the way the browser
does (``set_state``, which runs the work in a background thread), closes them, drops them and
requires every weak reference to be dead after ``gc.collect()``.
"""

import gc
import threading
import time
import weakref

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets.widgets import image as image_module
from xai_widgets.widgets import layers as layers_module

COUNT = 20


def small_cnn(keras, size=16, seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((size, size, 3))
    h = keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv0")(inputs)
    h = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu", name="conv1")(h)
    h = keras.layers.GlobalAveragePooling2D(name="gap")(h)
    outputs = keras.layers.Dense(3, activation="softmax", name="dense")(h)
    return keras.Model(inputs, outputs)


def small_mlp(keras, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dense(2, activation="softmax")])


@pytest.fixture(scope="module")
def cnn(keras):
    x = np.random.default_rng(0).random((2, 16, 16, 3), dtype=np.float32)
    return small_cnn(keras), x


@pytest.fixture(scope="module")
def mlp(keras):
    X = np.random.default_rng(1).normal(size=(60, 4)).astype(np.float32)
    return small_mlp(keras), X, (X[:, 0] > 0).astype(int)


def our_threads():
    return [t for t in threading.enumerate() if t.name.startswith("xai-widgets")]


def assert_freed(refs, what):
    deadline = time.monotonic() + 10
    while True:
        gc.collect()
        alive = [ref for ref in refs if ref() is not None]
        if not alive or time.monotonic() > deadline:
            break
        time.sleep(0.05)  # a worker thread may still be on its way out
    holders = []
    if alive:
        holders = sorted({type(r).__name__ for r in gc.get_referrers(alive[0]())})
    assert not alive, (f"{len(alive)} of {len(refs)} closed {what}s are still alive; "
                       f"the first is referred to by {holders}")


def use_image(w):
    w.method = "gradcam"
    w.target = 1
    assert w.explanation.method == "gradcam"
    w.compare = ["saliency"]
    w.to_png()
    w.set_state({"method": "gradient_x_input", "compare": []})  # as the browser asks: a thread
    assert w.explanation.method == "gradient_x_input"
    w.set_state({"index": 1})
    w.wait()


def use_layers(b):
    b.layer = "conv0"
    assert b.activations.shape == (16, 16, 4)
    b.target = 2
    b.gradcam_layer = "conv1"
    b.set_state({"layer": "dense", "target": 0})  # a background thread
    assert b.gradients.shape == (3,)


def use_importance(f):
    f.instance_values = [0.5, -0.5, 1.0, 0.0]
    assert set(f.local_explanation) >= {"kernel_shap"}
    assert f.global_importance["permutation_mean"] is not None
    f.set_state({"instance": 3})  # a background thread
    f.to_png()


def test_closed_image_explainers_are_freed(cnn):
    model, x = cnn
    refs = []
    for _ in range(COUNT):
        w = xw.ImageExplainer(model, x, method="saliency")
        use_image(w)
        refs.append(weakref.ref(w))
        w.close()
        del w
    assert_freed(refs, "ImageExplainer")


def test_closed_layer_browsers_are_freed(cnn):
    model, x = cnn
    refs = []
    for _ in range(COUNT):
        b = xw.LayerBrowser(model, x[0])
        use_layers(b)
        refs.append(weakref.ref(b))
        b.close()
        del b
    assert_freed(refs, "LayerBrowser")


def test_closed_feature_importances_are_freed(mlp):
    model, X, y = mlp
    refs = []
    for _ in range(COUNT):
        f = xw.FeatureImportance(model, X, y=y, repeats=1, background=10, shap_rows=5)
        use_importance(f)
        refs.append(weakref.ref(f))
        f.close()
        del f
    assert_freed(refs, "FeatureImportance")


def test_a_model_is_freed_with_its_widgets(keras):
    """The per-model adapter cache must not keep a model (and with it the widgets' compiled
    functions) alive once the user and the widgets let go of it."""
    refs = []
    for seed in range(3):
        model = small_cnn(keras, seed=seed)
        x = np.zeros((1, 16, 16, 3), np.float32)
        w = xw.ImageExplainer(model, x, method="gradcam")
        refs.append(weakref.ref(model))
        w.close()
        del w, model
    assert_freed(refs, "model")


def test_close_stops_background_work(mlp):
    """Closing a widget cancels its running work and lets its worker thread end."""
    model, X, y = mlp
    f = xw.FeatureImportance(model, X, y=y, repeats=1, background=10, shap_rows=5)
    f.wait()
    started = threading.Event()

    def slow(progress, cancelled):
        started.set()
        while not cancelled():
            time.sleep(0.01)

    f._run("slow", slow, lane="slow", background=True)
    assert started.wait(10)
    ref = weakref.ref(f)
    f.close()
    assert f.wait(5), "close() did not stop the running work"
    del f
    assert_freed([ref], "FeatureImportance")
    assert not [t for t in our_threads() if t.name == "xai-widgets slow"]


def test_a_closed_widget_still_shows_what_it_showed(cnn):
    model, x = cnn
    w = xw.ImageExplainer(model, x, method="saliency")
    w.method = "gradcam"
    w.close()
    assert len(w._cache) == 0  # the cache is freed ...
    assert w.explanation.method == "gradcam"  # ... what is shown is not
    assert w.to_png()[:4] == b"\x89PNG"
    b = xw.LayerBrowser(model, x[0])
    b.target = 1
    b.close()
    assert len(b._passes) == 1 and b.activations.shape == (8, 8, 8)


def test_widgets_send_the_committed_bundles_as_text():
    """anywidget keeps every widget whose _esm/_css is a Path (see bundle()): ours are text,
    the committed files' (which tests/test_bundle.py compares with a fresh build)."""
    from xai_widgets.widgets._base import STATIC

    for cls, stem in ((xw.ImageExplainer, "image_explainer"),
                      (xw.LayerBrowser, "layer_browser"),
                      (xw.FeatureImportance, "feature_importance")):
        for key, suffix in (("_esm", ".js"), ("_css", ".css")):
            value = cls.__dict__[key]
            assert type(value) is str, (cls.__name__, key, type(value))
            assert value == (STATIC / (stem + suffix)).read_text(encoding="utf-8")


def test_a_cache_keeps_to_its_entry_count_and_byte_budget():
    from xai_widgets.widgets._cache import LRUCache, nbytes

    array = np.zeros(100, np.float32)  # 400 bytes
    assert nbytes({"a": array, "b": [array, array[:10]], "c": b"xyz", "d": "text"}) == 443
    cache = LRUCache(max_entries=3, max_bytes=1000)
    for key in "abc":
        cache[key] = np.zeros(100, np.float32)
    assert len(cache) == 2 and "a" not in cache and cache.bytes == 800  # the bytes bind
    cache["b"]  # used: now the newest
    cache["d"] = np.zeros(75, np.float32)  # 1100 bytes: the least recently used goes
    assert "c" not in cache and "b" in cache and cache.bytes == 700
    for key in "efg":
        cache[key] = np.zeros(1, np.float32)
    assert len(cache) == 3  # the count binds
    cache["big"] = np.zeros(1000, np.float32)  # alone over the budget: the newest stays
    assert len(cache) == 1 and "big" in cache


def test_the_image_cache_keeps_to_its_byte_budget(cnn, monkeypatch):
    model, x = cnn
    from xai_widgets.widgets._cache import nbytes

    one = nbytes(xw.explain(model, x[:1], method="saliency"))
    monkeypatch.setattr(image_module, "CACHE_BYTES", int(2.5 * one))
    w = xw.ImageExplainer(model, x, method="saliency")
    for method in ("gradient_x_input", "smoothgrad", "saliency"):
        w.method = method
    assert len(w._cache) == 2 and w._cache.bytes <= 2.5 * one
    w.close()


def test_layer_passes_keep_to_their_byte_budget(cnn, monkeypatch):
    model, x = cnn
    b = xw.LayerBrowser(model, x[0])
    one = b._passes.bytes
    b.close()
    monkeypatch.setattr(layers_module, "PASS_BYTES", int(1.5 * one))
    b = xw.LayerBrowser(model, x[0])
    for target in (0, 1, 2):
        b.target = target
    assert list(b._passes._entries) == [2]
    b.close()


def test_adapters_live_with_their_model(keras):
    import copy
    import pickle

    model = small_mlp(keras)
    adapter = xw.adapt(model)
    assert xw.adapt(model) is adapter  # compiled functions are reused
    shallow = copy.copy(model)
    assert xw.adapt(shallow).model is shallow and xw.adapt(model) is adapter
    assert xw.adapt(pickle.loads(pickle.dumps(model))) is not adapter
    assert "_xai_widgets_adapters" not in {v.path for v in model.weights}
