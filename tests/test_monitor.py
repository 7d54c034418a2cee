"""TrainingMonitor: what it records during fit, checked against xw.explain() on checkpoints of
the same weights, drift against scipy's Spearman, save/load, Stop, and errors before training."""

from __future__ import annotations

import io

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets._encode import decode_payload
from xai_widgets.training import check_probes, rank_correlation

keras = pytest.importorskip("keras")


def _data(n=240, seed=0):
    from xai_widgets.demo import digits_data

    (x, y), (xt, yt), names = digits_data(seed)
    return x[:n], y[:n], xt, yt, names


def _sequential(softmax=True):
    from keras import layers

    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(8, 3, padding="same", activation="relu", name="conv1"),
        layers.Conv2D(12, 3, padding="same", activation="relu", name="conv"),
        layers.GlobalAveragePooling2D(),  # Grad-CAM = CAM: maps that mean something
        layers.Dense(10, activation="softmax" if softmax else None),
    ])
    model.compile(keras.optimizers.Adam(1e-2),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax),
                  metrics=["accuracy"])
    return model


def _functional():
    from keras import layers

    keras.utils.set_random_seed(2)
    inp = keras.Input((8, 8, 1))
    a = layers.Conv2D(4, 3, padding="same", activation="relu", name="conv_a")(inp)
    b = layers.Conv2D(4, 1, activation="relu", name="conv_b")(inp)
    merged = layers.Concatenate(name="merge")([a, b])
    out = layers.Dense(10, activation="softmax")(layers.Flatten()(merged))
    model = keras.Model(inp, out)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Checkpoints(keras.callbacks.Callback):
    """The weights at the start of training and at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights = {}

    def on_train_begin(self, logs=None):
        self.weights[0] = [w.copy() for w in self.model.get_weights()]

    def on_epoch_end(self, epoch, logs=None):
        self.weights[epoch + 1] = [w.copy() for w in self.model.get_weights()]


# ----------------------------------------------------------------------- fast: no training
def test_probes_are_checked_when_the_monitor_is_made():
    x = np.random.default_rng(0).random((4, 8, 8, 1), dtype=np.float32)
    with pytest.raises(xw.ExplainError, match="tabular rows will come"):
        xw.TrainingMonitor(np.zeros((4, 5), np.float32))
    with pytest.raises(xw.ExplainError, match="texts will come"):
        xw.TrainingMonitor(["a review", "another"])
    with pytest.raises(xw.ExplainError, match="1 to 32 probes"):
        xw.TrainingMonitor(np.zeros((33, 8, 8, 1), np.float32))
    with pytest.raises(xw.ExplainError, match="one class index per probe"):
        xw.TrainingMonitor(x, [1, 2])
    with pytest.raises(xw.ExplainError, match="unknown method 'anchors'"):
        xw.TrainingMonitor(x, method="anchors")
    # a name registered for several kinds: its image registration (superpixel KernelSHAP)
    assert xw.TrainingMonitor(x, method="kernel_shap").method_label == "KernelSHAP (superpixels)"
    with pytest.raises(xw.ExplainError, match="unknown option"):
        xw.TrainingMonitor(x, options={"steps": 3})
    with pytest.raises(xw.ExplainError, match="every must be"):
        xw.TrainingMonitor(x, every=0)
    _, y = check_probes(x, np.eye(10)[[1, 2, 3, 4]])  # one-hot labels
    assert y.tolist() == [1, 2, 3, 4]


def test_rank_correlation_is_spearmans():
    from scipy.stats import spearmanr

    rng = np.random.default_rng(3)
    a = rng.normal(size=(5, 6, 6))
    b = a + rng.normal(scale=0.8, size=a.shape)
    b[1] = np.round(b[1])  # ties
    got = rank_correlation(a, b)
    want = [spearmanr(a[i].ravel(), b[i].ravel()).statistic for i in range(5)]
    np.testing.assert_allclose(got, want, atol=1e-6)
    assert rank_correlation(a[:1], -a[:1])[0] == pytest.approx(-1.0)
    assert np.isnan(rank_correlation(np.zeros((1, 4, 4)), a[:1, :4, :4])[0])  # constant map


# ----------------------------------------------------------------------- training
@pytest.fixture(scope="module")
def run():
    """One small training: 4 epochs, every=1, validation data, checkpoints at every epoch."""
    x, y, xt, yt, names = _data()
    model = _sequential()
    mon = xw.TrainingMonitor(xt[:6], yt[:6], class_names=names, poll=False)
    ckpt = Checkpoints()
    calls = []
    model.fit(x, y, epochs=4, batch_size=60, validation_data=(xt[:60], yt[:60]),
              callbacks=[ckpt, mon], verbose=0)
    return model, mon, ckpt, (xt[:6], yt[:6]), calls


@pytest.mark.slow
def test_recorded_heatmaps_equal_explain_on_that_epochs_weights(run):
    model, mon, ckpt, (px, py), _ = run
    h = mon.history
    assert h["epochs"].tolist() == [0, 1, 2, 3, 4]
    clone = keras.models.clone_model(model)
    for i, epoch in enumerate(h["epochs"]):
        clone.set_weights(ckpt.weights[int(epoch)])
        exp = xw.explain(clone, px, method="gradcam", target=py)
        np.testing.assert_allclose(h["heatmaps"][i], exp.heatmaps, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(h["probabilities"][i], clone.predict(px, verbose=0),
                                   rtol=1e-4, atol=1e-6)
        assert h["targets"][i].tolist() == py.tolist()  # the true class is explained
    # the weights moved: the recording is not the same map five times
    assert not np.allclose(h["heatmaps"][0], h["heatmaps"][-1], atol=1e-3)


@pytest.mark.slow
def test_one_trace_and_logs_and_drift(run):
    model, mon, ckpt, _, _ = run
    adapter = mon._adapter
    assert mon.trace_count_after_first == 1
    assert adapter.trace_count == 1  # zero retraces after the first epoch
    h = mon.history
    assert h["logs"]["epoch"].tolist() == [1, 2, 3, 4]
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(h["logs"])
    np.testing.assert_allclose(h["logs"]["loss"], model.history.history["loss"], rtol=1e-6)
    assert np.isnan(h["drift"][0]).all()
    for i in range(1, len(h["epochs"])):
        np.testing.assert_allclose(h["drift"][i], rank_correlation(h["heatmaps"][i],
                                                                   h["heatmaps"][i - 1]))
    finite = np.isfinite(h["drift_final"][-1])
    assert finite.any() and np.allclose(h["drift_final"][-1][finite], 1.0)


@pytest.mark.slow
def test_each_epoch_is_one_compiled_call(monkeypatch):
    from xai_widgets.models import AdapterFunction

    calls = []
    real = AdapterFunction.__call__

    def counted(self, *args):
        calls.append((self.name, self.compiled, len(args[0])))
        return real(self, *args)

    monkeypatch.setattr(AdapterFunction, "__call__", counted)
    x, y, xt, yt, names = _data(120)
    mon = xw.TrainingMonitor(xt[:20], yt[:20], poll=False)
    _sequential().fit(x, y, epochs=3, batch_size=60, callbacks=[mon], verbose=0)
    # epoch 0 (initial weights) and 3 epochs: one call of all 20 probes each, compiled after
    # the first
    assert [c[2] for c in calls] == [20] * 4
    assert all(compiled for _, compiled, _ in calls[1:])


@pytest.mark.slow
def test_every_records_those_epochs_and_the_last(tmp_path):
    x, y, xt, yt, names = _data(120)
    mon = xw.TrainingMonitor(xt[:3], None, every=2, poll=False)
    model = _sequential()
    model.fit(x, y, epochs=5, batch_size=60, callbacks=[mon], verbose=0)
    assert mon.epochs == [0, 2, 4, 5]
    assert mon.history["logs"]["epoch"].tolist() == [1, 2, 3, 4, 5]
    # without labels the predicted class is explained
    h = mon.history
    assert (h["targets"] == h["predicted"]).all()
    # a second fit continues the history
    model.fit(x, y, epochs=2, batch_size=60, callbacks=[mon], verbose=0)
    assert mon.epochs == [0, 2, 4, 5, 6, 7]


@pytest.mark.slow
def test_save_load_round_trip(run, tmp_path):
    _, mon, _, _, _ = run
    path = mon.save(tmp_path / "run.npz")
    back = xw.TrainingMonitor.load(path)
    a, b = mon.history, back.history
    for key in ("epochs", "heatmaps", "probabilities", "targets", "predicted", "drift",
                "drift_final", "seconds"):
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)
    assert a["logs"].keys() == b["logs"].keys()
    for key in a["logs"]:
        np.testing.assert_array_equal(a["logs"][key], b["logs"][key])
    np.testing.assert_array_equal(back.probes, mon.probes)
    assert back.labels == mon.labels and back.class_names == mon.class_names
    assert back.epochs == mon.epochs and back.state == "finished"
    assert back.method_label == "Grad-CAM"
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a recording")
    with pytest.raises(xw.ExplainError, match="not a TrainingMonitor recording"):
        xw.TrainingMonitor.load(bad)


@pytest.mark.slow
def test_widget_traits_scrubbing_and_exports(run, tmp_path):
    _, mon, _, (px, _), _ = run
    frames = mon.frames
    heat = decode_payload(frames["heatmaps"]).astype(np.float32)
    scales = decode_payload(frames["scales"])
    assert heat.shape == (5, 6, 8, 8)
    np.testing.assert_allclose(heat * scales[..., None, None], mon.history["heatmaps"],
                               rtol=2e-3, atol=1e-6 + 2e-3 * scales.max())
    assert decode_payload(frames["probabilities"]).shape == (5, 6, 10)
    curves = mon.curves
    assert set(curves["series"]) >= {"loss", "val_loss"}
    assert mon.state == "finished" and mon.epochs_done == 4 and mon.total_epochs == 4
    assert len(mon.images) == 6 and mon.class_names[0] == "zero"
    mon.epoch = 2
    with pytest.raises(Exception, match="was not recorded"):
        mon.epoch = 9
    png = mon.to_png(tmp_path / "e2.png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and (tmp_path / "e2.png").exists()
    from PIL import Image

    gif = Image.open(io.BytesIO(mon.to_gif(tmp_path / "run.gif", dpi=40)))
    assert gif.format == "GIF" and gif.n_frames == 5
    apng = Image.open(io.BytesIO(mon.to_gif(tmp_path / "run.png", dpi=40)))
    assert apng.format == "PNG" and getattr(apng, "n_frames", 1) == 5
    mon.epoch = -1


@pytest.mark.slow
def test_probes_that_do_not_fit_fail_before_training():
    x, y, xt, yt, names = _data(60)
    model = _sequential()
    before = [w.copy() for w in model.get_weights()]
    for probes, labels, words in [
        (np.zeros((3, 6, 6, 1), np.float32), None, "do not fit the model"),
        (xt[:3], np.array([1, 2, 12]), "probe_y has class 12"),
    ]:
        mon = xw.TrainingMonitor(probes, labels, poll=False)
        with pytest.raises(xw.ExplainError, match=words):
            model.fit(x, y, epochs=1, callbacks=[mon], verbose=0)
        assert words.split()[0] in mon.error
    mon = xw.TrainingMonitor(xt[:3], class_names=["a", "b"], poll=False)
    with pytest.raises(xw.ExplainError, match="class_names has 2 names"):
        model.fit(x, y, epochs=1, callbacks=[mon], verbose=0)
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)  # not one step was trained


@pytest.mark.slow
def test_stop_ends_training_at_the_end_of_the_batch():
    x, y, xt, yt, names = _data(240)
    mon = xw.TrainingMonitor(xt[:2], yt[:2], poll=False)
    seen = []

    class Clicker(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if len(seen) == 6:  # the browser's message, as the kernel hands it over
                mon._on_message(mon, {"type": "stop"}, [])

    _sequential().fit(x, y, epochs=10, batch_size=60, callbacks=[Clicker(), mon], verbose=0)
    assert len(seen) == 6  # 4 batches an epoch: stopped in the second epoch, after batch 6
    assert mon.state == "stopped" and mon.epochs_done == 2
    assert mon.epochs == [0, 1, 2]  # the epoch it stopped in is recorded


@pytest.mark.slow
def test_dataset_class_weight_functional_model_and_logits():
    import tensorflow as tf

    x, y, xt, yt, names = _data(120)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(40)
    mon = xw.TrainingMonitor(xt[:4], yt[:4], method="saliency", poll=False)
    _functional().fit(ds, epochs=2, shuffle=False, class_weight={i: 1.0 + i / 10 for i in range(10)},
                      validation_data=ds.take(1), callbacks=[mon], verbose=0)
    assert mon.epochs == [0, 1, 2] and "val_loss" in mon.history["logs"]
    assert mon.probability_kind == "probability"
    # a model that ends in logits: its probabilities are the softmax of its scores
    logits = _sequential(softmax=False)
    mon = xw.TrainingMonitor(xt[:4], yt[:4], poll=False)
    logits.fit(x, y, epochs=1, batch_size=60, callbacks=[mon], verbose=0)
    probs = mon.history["probabilities"][-1]
    np.testing.assert_allclose(probs, tf.nn.softmax(logits.predict(xt[:4], verbose=0)).numpy(),
                               rtol=1e-4, atol=1e-6)
    assert mon.probability_kind == "softmax"


@pytest.mark.slow
def test_stop_reaches_a_busy_kernel():
    """The browser's Stop, as a comm message on the shell channel while the fit cell runs,
    reaches the widget (a kernel subshell with ipykernel >= 7): training ends early. And no
    other status message falls inside fit: JupyterLab shows the kernel's state from every
    one, so a stray "idle" (the subshell's control request, a view sync answered by the
    subshell) would show the kernel idle while it trains."""
    import os
    import time

    import jupyter_client

    km = jupyter_client.KernelManager(kernel_name="python3")
    km.start_kernel(env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=60)

        def run(code, timeout=120):
            """Execute and return (stdout, error) once the cell is done."""
            mid = kc.execute(code)
            out, error = "", None
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                msg = kc.get_iopub_msg(timeout=timeout)
                if msg["parent_header"].get("msg_id") != mid:
                    continue
                kind = msg["msg_type"]
                if kind == "stream":
                    out += msg["content"]["text"]
                elif kind == "error":
                    error = msg["content"]["evalue"]
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    return out, error
            raise TimeoutError(code)

        out, error = run(
            "import keras, xai_widgets as xw\n"
            "from keras import layers\n"
            "(x, y), (xt, yt), names = xw.demo.digits_data()\n"
            "model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3),"
            " layers.GlobalAveragePooling2D(), layers.Dense(10, activation='softmax')])\n"
            "model.compile('adam', 'sparse_categorical_crossentropy')\n"
            "mon = xw.TrainingMonitor(xt[:2], yt[:2])\n"
            "print(mon.comm.comm_id)")
        assert error is None, error
        comm_id = out.strip().splitlines()[-1]
        fit = kc.execute("model.fit(x, y, epochs=500, batch_size=64, callbacks=[mon], verbose=0)"
                         "\nprint(mon.state, mon.epochs_done, mon.listen_mode, mon.opacity)")
        statuses = []  # (state, parent msg_id) of every status from the fit's busy on

        def note(msg):
            if msg["msg_type"] == "status" and (statuses or msg["parent_header"].get("msg_id") == fit):
                statuses.append((msg["content"]["execution_state"],
                                 msg["parent_header"].get("msg_id")))

        # wait until the view would have seen two epochs; move a view-only slider (a state
        # sync), then click Stop
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            msg = kc.get_iopub_msg(timeout=120)
            note(msg)
            state = msg["content"].get("data", {}).get("state", {})
            if msg["msg_type"] == "comm_msg" and state.get("epochs_done", 0) >= 2:
                break
        sync = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {
            "method": "update", "state": {"opacity": 0.25}, "buffer_paths": []}})
        kc.shell_channel.send(sync)
        time.sleep(0.5)
        stop = kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {
            "method": "custom", "content": {"type": "stop"}}})
        kc.shell_channel.send(stop)
        out = ""
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            note(msg)
            if msg["parent_header"].get("msg_id") != fit:
                continue
            if msg["msg_type"] == "stream":
                out += msg["content"]["text"]
            assert msg["msg_type"] != "error", msg["content"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        state, done, mode, opacity = out.split()
        assert state == "stopped" and 2 <= int(done) < 500 and mode == "subshell", out
        # inside fit: the fit's busy, the Stop's own busy/idle (the subshell), the fit's idle
        stop_id = stop["header"]["msg_id"]
        assert statuses[0] == ("busy", fit) and statuses[-1] == ("idle", fit), statuses
        assert all(parent == stop_id for _, parent in statuses[1:-1]), statuses
        # the view sync waited for the cell's end (the main shell), then applied
        assert opacity == "0.6", out
        out, error = run("print(mon.opacity)")
        assert error is None and out.strip() == "0.25", (out, error)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_large_maps_reach_the_view_at_most_64_pixels_a_side():
    from xai_widgets.widgets.monitor import _view_maps

    rng = np.random.default_rng(0)
    maps = rng.random((3, 128, 96)).astype(np.float32)
    small = _view_maps(maps)
    assert small.shape == (3, 64, 48)
    # an area average: each view pixel is the mean of its 2x2 block
    np.testing.assert_allclose(small[1, 5, 7], maps[1, 10:12, 14:16].mean(), rtol=1e-5)
    assert _view_maps(maps[:, :64, :40]).shape == (3, 64, 40)  # small enough: unchanged


@pytest.mark.slow
def test_one_sigmoid_unit_is_a_binary_classifier():
    from keras import layers

    x, y, xt, yt, names = _data(120)
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(4, 3, activation="relu"),
                              layers.GlobalAveragePooling2D(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    odd = (y % 2).astype("float32")
    mon = xw.TrainingMonitor(xt[:4], yt[:4] % 2, class_names=["even", "odd"], poll=False)
    model.fit(x, odd, epochs=1, batch_size=60, callbacks=[mon], verbose=0)
    h = mon.history
    assert mon.class_names == ["even", "odd"] and h["probabilities"].shape == (2, 4, 2)
    p = model.predict(xt[:4], verbose=0)[:, 0]
    np.testing.assert_allclose(h["probabilities"][-1][:, 1], p, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(h["probabilities"][-1].sum(axis=1), 1.0, rtol=1e-6)
    # the maps explain the unit (class 1's score) whatever the label
    exp = xw.explain(model, xt[:4], method="gradcam", target=0)
    np.testing.assert_allclose(h["heatmaps"][-1], exp.heatmaps, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
def test_between_whole_pushes_only_the_newest_epoch_travels():
    """The whole recording (the `frames` trait) is sent when 1, 2, 4, 8, ... epochs are
    recorded and at the end; every other epoch travels alone, as one binary message, and
    appended in order it is the same recording (checked in js/test/monitor.test.mjs)."""
    x, y, xt, yt, names = _data(120)
    mon = xw.TrainingMonitor(xt[:4], yt[:4], poll=False)
    whole, single = [], []
    mon.observe(lambda change: whole.append(len(mon.epochs)), "frames")
    sent = mon.send

    def spy(content, buffers=None):
        if isinstance(content, dict) and content.get("type") == "frame":
            single.append((content["count"], sum(len(b) for b in buffers)))
        return sent(content, buffers)

    mon.send = spy
    model = _sequential()
    model.fit(x, y, epochs=9, batch_size=60, callbacks=[mon], verbose=0)
    assert mon.epochs == list(range(10))  # epoch 0 and 1..9
    assert [count for count, _ in single] == [3, 5, 6, 7, 9, 10]
    assert whole == [1, 2, 4, 8, 10]  # ... and the end: the saved notebook has all of it
    frames = mon.frames
    assert frames["heatmaps"]["shape"][0] == 10
    # one epoch's message is small: its 4 maps, rows and the drift to the final map
    per_epoch = 4 * 8 * 8 * 2 + 4 * (4 + 4 * 10 + 4 + 4) + 1 * 4
    assert all(size <= per_epoch + count * 4 * 4 for count, size in single)
