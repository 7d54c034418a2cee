"""Compiled functions are traced once per model and shape: repeated calls do not retrace.

A model's functions run eagerly for their first small calls and are compiled when the kernel
is idle (``adapter.compile_pending()`` here), at a larger call, or after ``EAGER_CALLS`` small
ones; the gradient methods share one traced function, the CAM methods another, and occlusion
uses the forward function that scores every explanation's inputs."""

import threading

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import _idle
from xai_widgets import models as xw_models

METHODS = [
    ("saliency", {}), ("gradient_x_input", {}), ("integrated_gradients", {"steps": 5}),
    ("smoothgrad", {"samples": 3}), ("smoothgrad", {"samples": 3, "squared": True}),
    ("gradcam", {}), ("gradcam_plus_plus", {}), ("occlusion", {"patch": 3}),
]


def small_cnn(keras, seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([
        keras.Input((8, 8, 3)),
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(3, activation="softmax"),
    ])


@pytest.fixture(scope="module")
def model(keras):
    return small_cnn(keras)


@pytest.mark.parametrize("method,options", [
    ("saliency", {}), ("gradient_x_input", {}), ("integrated_gradients", {"steps": 5}),
    ("smoothgrad", {"samples": 3}), ("gradcam", {}), ("gradcam_plus_plus", {}),
    ("occlusion", {"patch": 3}),
])
def test_no_retracing_on_repeated_calls(model, method, options):
    adapter = xw.adapt(model)
    x = np.random.default_rng(0).uniform(size=(5, 8, 8, 3)).astype(np.float32)
    # warm-up: the first call (eager while its calls are small), then what the kernel
    # compiles when it is idle
    xw.explain(model, x, method=method, batch_size=4, **options)
    adapter.compile_pending()
    traced = adapter.trace_count
    assert traced > 0
    # New values, a different number of inputs, other targets, other option values and
    # a last chunk of another size: the same compiled functions run again.
    xw.explain(model, x[:3] * 0.5, method=method, batch_size=4, target=1, **options)
    xw.explain(model, x, method=method, batch_size=4, target=[0, 1, 2, 0, 1], **options)
    if method == "integrated_gradients":
        xw.explain(model, x, method=method, batch_size=4, steps=9, rule="trapezoid")
    assert adapter.trace_count == traced


def test_explain_reuses_one_adapter_per_model_and_output(model):
    assert xw.adapt(model) is xw.adapt(model)
    assert xw.adapt(model, output="probability") is not xw.adapt(model)


def test_progress_reports_every_chunk_and_cancel_stops_between_batches(model):
    x = np.random.default_rng(0).uniform(size=(3, 8, 8, 3)).astype(np.float32)
    seen = []
    xw.explain(model, x, method="integrated_gradients", steps=10, batch_size=8,
               progress=lambda done, total: seen.append((done, total)))
    dones = [d for d, _ in seen]
    assert dones == sorted(dones) and dones[-1] == seen[-1][1] == 3 * 10

    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 2  # let two chunks run, then cancel

    with pytest.raises(xw.Cancelled, match=r"cancelled after 16 of 30 model evaluations"):
        xw.explain(model, x, method="integrated_gradients", steps=10, batch_size=8, cancel=cancel)


def test_methods_table_lists_options_with_defaults():
    table = xw.methods()
    assert set(table) >= {"saliency", "gradient_x_input", "integrated_gradients", "smoothgrad",
                          "gradcam", "gradcam_plus_plus", "occlusion"}
    ig = table["integrated_gradients"]["options"]
    assert ig["steps"]["default"] == 32 and ig["rule"]["default"] == "gauss_legendre"
    assert "batch_size" in table["gradcam"]["options"]


def test_params_record_every_option_used(model):
    x = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype(np.float32)
    exp = xw.explain(model, x, method="smoothgrad", samples=4)
    assert exp.params == {"samples": 4, "noise": 0.15, "squared": False, "seed": 0,
                          "batch_size": 32, "output": "logit", "head": exp.params["head"],
                          "score": "logit (before softmax)"}


def test_weights_changed_after_the_first_explanation_are_seen(keras):
    """The adapter reads the user's variables live (no snapshot of the softmax layer)."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax",
                                                                    name="head")])
    x = np.ones((1, 3), np.float32)
    model.get_layer("head").set_weights([np.zeros((3, 2), np.float32), np.zeros(2, np.float32)])
    before = xw.explain(model, x, method="saliency", target=1)
    np.testing.assert_allclose(before.attributions, 0.0)
    kernel = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
    model.get_layer("head").set_weights([kernel, np.zeros(2, np.float32)])
    after = xw.explain(model, x, method="saliency", target=1)
    np.testing.assert_allclose(after.attributions[0], kernel[:, 1])
    np.testing.assert_allclose(after.scores, [12.0])


def _fresh(keras):
    model = small_cnn(keras)
    return model, xw.adapt(model)


X5 = np.random.default_rng(0).uniform(size=(5, 8, 8, 3)).astype(np.float32)


def test_small_first_calls_run_eagerly_and_compile_when_idle(keras):
    model, adapter = _fresh(keras)
    first = xw.explain(model, X5[:1], method="integrated_gradients", steps=4)
    assert adapter.trace_count == 0  # the scores and the gradients ran eagerly
    assert adapter.pending == ["scores_fn", "point_gradients"]
    assert adapter.compile_pending() == ["scores_fn", "point_gradients"]
    assert adapter.trace_count == 2 and adapter.pending == []
    again = xw.explain(model, X5[:1], method="integrated_gradients", steps=4)
    assert adapter.trace_count == 2
    np.testing.assert_allclose(again.attributions, first.attributions, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("method", ["saliency", "gradient_x_input", "gradcam",
                                    "gradcam_plus_plus"])
def test_one_pass_methods_take_the_scores_and_top_classes_from_their_own_pass(keras, method):
    model, adapter = _fresh(keras)
    exp = xw.explain(model, X5, method=method, batch_size=2)
    assert "scores" not in adapter.functions  # no forward pass of its own before the method
    logits = adapter.scores(X5)
    np.testing.assert_array_equal(exp.targets, logits.argmax(axis=1))
    np.testing.assert_allclose(exp.scores, logits[np.arange(5), exp.targets], rtol=1e-5)
    given = xw.explain(model, X5, method=method, target=[2, 1, 0, 2, 1])
    assert given.targets.tolist() == [2, 1, 0, 2, 1]
    np.testing.assert_allclose(given.scores, logits[np.arange(5), [2, 1, 0, 2, 1]], rtol=1e-5)


def test_a_large_first_call_compiles_at_once(keras):
    model, adapter = _fresh(keras)
    xw.explain(model, X5[:1], method="integrated_gradients", steps=xw_models.EAGER_ROWS + 1)
    assert adapter.functions["point_gradients"].compiled
    assert adapter.functions["point_gradients"].eager_calls == 0
    assert not adapter.functions["scores"].compiled  # one row: eager


def test_small_calls_compile_after_eager_calls(keras):
    model, adapter = _fresh(keras)
    for _ in range(xw_models.EAGER_CALLS):
        adapter.scores(X5[:1])
    assert adapter.trace_count == 0
    adapter.scores(X5[:1])
    assert adapter.trace_count == 1 and adapter.functions["scores"].compiled


def test_methods_share_traced_functions(keras, monkeypatch):
    """Every first call compiles (EAGER_ROWS = 0): the four gradient methods trace one
    function (beside the forward pass that scores the inputs), Grad-CAM and Grad-CAM++
    one more, occlusion none."""
    monkeypatch.setattr(xw_models, "EAGER_ROWS", 0)
    model, adapter = _fresh(keras)
    traces = {}
    for method, options in METHODS:
        before = adapter.trace_count
        xw.explain(model, X5, method=method, batch_size=4, **options)
        traces[(method, options.get("squared"))] = adapter.trace_count - before
    # saliency takes its scores from its own pass; IG is the first to score its inputs
    assert traces == {("saliency", None): 1, ("gradient_x_input", None): 0,
                      ("integrated_gradients", None): 1, ("smoothgrad", None): 0,
                      ("smoothgrad", True): 0, ("gradcam", None): 1,
                      ("gradcam_plus_plus", None): 0, ("occlusion", None): 0}
    assert sorted(map(str, adapter.functions)) == [
        "('cam_gradients', ('conv',))", "point_gradients", "scores"]


@pytest.mark.parametrize("method,options", METHODS)
def test_eager_and_compiled_calls_agree(keras, monkeypatch, method, options):
    model, adapter = _fresh(keras)
    monkeypatch.setattr(xw_models, "EAGER_ROWS", 10**6)
    monkeypatch.setattr(xw_models, "EAGER_CALLS", 10**6)
    eager = xw.explain(model, X5, method=method, batch_size=4, target=[0, 1, 2, 0, 1],
                       **options)
    assert adapter.trace_count == 0
    adapter.compile_pending(warm_up=False)
    compiled = xw.explain(model, X5, method=method, batch_size=4, target=[0, 1, 2, 0, 1],
                          **options)
    assert adapter.trace_count > 0 and not adapter.pending
    np.testing.assert_allclose(compiled.attributions, eager.attributions, rtol=1e-5,
                               atol=1e-7)
    np.testing.assert_allclose(compiled.scores, eager.scores, rtol=1e-6)


def test_the_kernel_compiles_after_the_cell(keras, monkeypatch):
    """In IPython, functions that ran eagerly in a cell are compiled in a background thread
    after it (post_run_cell), never while an explanation is computing."""
    hooks = []

    class Events:
        def register(self, name, fn):
            hooks.append((name, fn))

    class Shell:
        events = Events()

    monkeypatch.setattr(_idle, "_shell", lambda: Shell())
    monkeypatch.setattr(_idle, "_hooked", False)
    monkeypatch.setattr(_idle, "DELAY", 0.0)
    model, adapter = _fresh(keras)
    xw.explain(model, X5[:1], method="integrated_gradients", steps=4)  # main thread: a cell
    assert [name for name, _ in hooks] == ["post_run_cell"]
    assert adapter.trace_count == 0  # nothing compiles during the cell
    with _idle.computing():  # an explanation is computing: the compiler waits
        hooks[0][1]()  # the cell has finished
        assert not _idle.wait(timeout=0.3)
        assert adapter.trace_count == 0
    assert _idle.wait(timeout=60)
    assert adapter.pending == [] and adapter.trace_count == 2
    assert all(fn.compiled for fn in adapter.functions.values())

    # a request answered in another thread (a widget's, from the browser): compiled after it
    xw.explain(model, X5[:1], method="gradcam")
    done = threading.Event()
    worker = threading.Thread(target=lambda: (xw.explain(model, X5[:1], method="occlusion",
                                                         patch=4, stride=4), done.set()))
    worker.start()
    worker.join(60)
    assert done.is_set() and _idle.wait(timeout=60)
    assert adapter.pending == [] and adapter.trace_count == 3
