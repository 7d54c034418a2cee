"""xw.explain_dataset: against analytic truth, against xw.explain, resume, refusals, bad
input, and on a Dask LocalCluster (equality, a worker killed mid-chunk)."""

import os
import threading

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import datasets
from xai_widgets.store import Store, open_store

H, W, C, K = 4, 4, 2, 3  # the analytic model's images and classes
N, CHUNK = 300, 64  # 5 chunks, the last one of 44 rows
ROWS = ("attributions", "heatmaps", "outputs", "predicted", "targets", "scores", "features")


@pytest.fixture(scope="module")
def linear(keras):
    """f_c(x) = W[:, c] . x + b_c before a softmax: saliency is W[:, c], integrated
    gradients from a zero baseline W[:, c] * x (exact for any quadrature)."""
    rng = np.random.default_rng(0)
    model = keras.Sequential([keras.Input((H, W, C)), keras.layers.Flatten(),
                              keras.layers.Dense(K, activation="softmax", name="dense")])
    weights = rng.normal(size=(H * W * C, K)).astype(np.float32)
    bias = rng.normal(size=K).astype(np.float32)
    model.get_layer("dense").set_weights([weights, bias])
    x = rng.uniform(0, 1, (N, H, W, C)).astype(np.float32)
    return model, weights, bias, x


@pytest.fixture
def count(monkeypatch):
    """How many chunks were computed (explain_chunk calls) in this process."""
    calls = []
    real = datasets.explain_chunk

    def counted(task, i, *args, **kwargs):
        calls.append(i)
        return real(task, i, *args, **kwargs)

    monkeypatch.setattr(datasets, "explain_chunk", counted)
    return calls


def logits_of(weights, bias, x):
    return x.reshape(len(x), -1).astype(np.float64) @ weights + bias


def assert_same_store(a, b, atol=1e-6):
    assert a.complete and b.complete
    for name in ROWS:
        if name in a or name in b:
            np.testing.assert_allclose(a[name][:], b[name][:], atol=atol, rtol=1e-5,
                                       err_msg=name)


# --------------------------------------------------------------------------- truth
def test_integrated_gradients_of_a_linear_model_are_w_times_x(linear, tmp_path):
    model, weights, bias, x = linear
    store = xw.explain_dataset(model, x, store=tmp_path / "ig.zarr", chunk=CHUNK, steps=4,
                               progress=False)
    assert isinstance(store, Store)
    assert store.complete and store.n_chunks == 5 and store["attributions"].chunks[0] == CHUNK
    logits = logits_of(weights, bias, x)
    top = logits.argmax(axis=1)
    np.testing.assert_array_equal(store["targets"][:], top)  # targets=None: predicted class
    np.testing.assert_array_equal(store["predicted"][:], top)
    w = weights[:, top].T.reshape(N, H, W, C)
    np.testing.assert_allclose(store["attributions"][:], w * x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(store["heatmaps"][:], (w * x).sum(axis=-1), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(store["scores"][:], logits[np.arange(N), top], rtol=1e-4,
                               atol=1e-5)
    softmax = np.exp(logits - logits.max(1, keepdims=True))
    softmax /= softmax.sum(1, keepdims=True)
    np.testing.assert_allclose(store["outputs"][:], softmax, rtol=1e-4, atol=1e-6)
    assert store.meta["method"] == "integrated_gradients" and store.meta["signed"] is True
    assert store.meta["options"]["steps"] == 4 and store.meta["score_kind"].startswith("logit")


@pytest.mark.parametrize("targets", [1, "array"])
def test_saliency_of_given_targets_is_the_weight_of_that_class(linear, tmp_path, targets):
    model, weights, bias, x = linear
    if targets == "array":
        targets = np.arange(N) % K
    store = xw.explain_dataset(model, x, method="saliency", store=tmp_path / "s.zarr",
                               targets=targets, chunk=CHUNK, progress=False)
    classes = np.broadcast_to(targets, (N,))
    np.testing.assert_array_equal(store["targets"][:], classes)
    np.testing.assert_allclose(store["attributions"][:],
                               weights[:, classes].T.reshape(N, H, W, C), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(store["scores"][:],
                               logits_of(weights, bias, x)[np.arange(N), classes], rtol=1e-4,
                               atol=1e-5)
    assert store.meta["signed"] is False  # saliency's heatmap is a magnitude


def test_the_store_equals_xw_explain_on_the_same_rows(digits, tmp_path):
    model, (x, _), _ = digits
    store = xw.explain_dataset(model, x[:150], store=tmp_path / "d.zarr", chunk=CHUNK,
                               steps=8, progress=False)
    for i in range(store.n_chunks):
        rows = store.chunk_rows(i)
        exp = xw.explain(model, x[rows], steps=8)
        np.testing.assert_allclose(store["attributions"][rows], exp.attributions, atol=1e-6)
        np.testing.assert_allclose(store["heatmaps"][rows], exp.heatmaps, atol=1e-6)
        np.testing.assert_array_equal(store["targets"][rows], exp.targets)
        np.testing.assert_allclose(store["scores"][rows], exp.scores, atol=1e-5)
    # Grad-CAM's maps are stored at the layer's resolution, its heatmaps at the input's
    cam = xw.explain_dataset(model, x[:70], method="gradcam", store=tmp_path / "g.zarr",
                             chunk=CHUNK, progress=False)
    exp = xw.explain(model, x[:64], method="gradcam")
    assert cam["attributions"].shape == (70, 4, 4) and cam.meta["options"]["layer"] == "conv3"
    np.testing.assert_allclose(cam["attributions"][:64], exp.attributions, atol=1e-5)
    np.testing.assert_allclose(cam["heatmaps"][:64], exp.heatmaps, atol=1e-5)


def test_numpy_tf_data_and_dask_inputs_give_the_same_store(linear, tmp_path):
    import dask.array as da
    import tensorflow as tf

    model, _, _, x = linear
    labels = np.arange(N) % K
    reference = xw.explain_dataset(model, x, store=tmp_path / "np.zarr", chunk=CHUNK,
                                   steps=4, progress=False)
    inputs = {
        "tf_rows": tf.data.Dataset.from_tensor_slices(x),
        "tf_xy_batched": tf.data.Dataset.from_tensor_slices((x, labels)).batch(50),  # last: 0
        "tf_partial_last_batch": tf.data.Dataset.from_tensor_slices(x).batch(70),  # last: 20
        "dask": da.from_array(x, chunks=(37, H, W, C)),  # rechunked to the store's chunks
    }
    for name, data in inputs.items():
        store = xw.explain_dataset(model, data, store=tmp_path / f"{name}.zarr", chunk=CHUNK,
                                   steps=4, progress=False)
        assert store.n == N, name
        assert_same_store(store, reference)


def test_the_features_are_the_penultimate_layer_in_the_same_pass_as_the_outputs(
        linear, keras, tmp_path, monkeypatch):
    """Flatten -> Dense: the input of the last weighted layer is the flattened image."""
    from xai_widgets import dataset_view

    model, weights, bias, x = linear
    store = xw.explain_dataset(model, x, method="saliency", store=tmp_path / "f.zarr",
                               chunk=CHUNK, progress=False)
    np.testing.assert_allclose(store["features"][:], x.reshape(N, -1), atol=1e-6)
    logits = logits_of(weights, bias, x)
    softmax = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(store["outputs"][:], softmax / softmax.sum(1, keepdims=True),
                               atol=1e-5)
    # a store of the same run written without features (an older store) resumes without them
    calls = []

    def no_forward(*args, **kwargs):
        calls.append(1)
        raise AssertionError("a forward pass for features although features=False")

    monkeypatch.setattr(dataset_view, "forward", no_forward)
    old = xw.explain_dataset(model, x, method="saliency", store=tmp_path / "o.zarr",
                             chunk=CHUNK, progress=False, features=False)
    assert "features" not in old and not calls  # features=False: not a single forward call
    monkeypatch.undo()
    open_store(tmp_path / "o.zarr", mode="r+").group["done"][1] = False
    again = xw.explain_dataset(model, x, method="saliency", store=tmp_path / "o.zarr",
                               chunk=CHUNK, progress=False)
    assert again.complete and "features" not in again
    with pytest.raises(xw.ExplainError, match="features must be True, False or None"):
        xw.explain_dataset(model, x, store=tmp_path / "b.zarr", features="yes", progress=False)


def test_features_true_on_a_model_without_a_penultimate_layer_is_refused(keras, tmp_path):
    # no layer with weights: no "input of the last weighted layer" to write
    model = keras.Sequential([keras.Input((H, W, C)), keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Softmax()])
    x = np.random.default_rng(0).uniform(0, 1, (10, H, W, C)).astype(np.float32)
    with pytest.raises(xw.ExplainError, match="no layer with weights"):
        xw.explain_dataset(model, x, method="saliency", store=tmp_path / "s.zarr",
                           features=True, progress=False)
    assert not os.path.exists(tmp_path / "s.zarr")  # refused before anything was written
    store = xw.explain_dataset(model, x, method="saliency", store=tmp_path / "s.zarr",
                               progress=False)  # default: written when reachable
    assert store.complete and "features" not in store


# --------------------------------------------------------------------------- control
def test_cancel_keeps_finished_chunks_and_a_second_run_computes_only_the_rest(
        linear, tmp_path, count):
    model, _, _, x = linear
    path = tmp_path / "c.zarr"
    stop = threading.Event()
    seen = []

    def progress(done, total):
        seen.append((done, total))
        if done == 2:
            stop.set()

    with pytest.raises(xw.Cancelled, match="2 of 5 chunks are done"):
        xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=4, progress=progress,
                           cancel=stop)
    assert seen == [(0, 5), (1, 5), (2, 5)] and count == [0, 1]
    assert open_store(path).done().tolist() == [True, True, False, False, False]
    count.clear()
    store = xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=4, progress=False)
    assert count == [2, 3, 4]  # only the chunks left
    reference = xw.explain_dataset(model, x, store=tmp_path / "r.zarr", chunk=CHUNK, steps=4,
                                   progress=False)
    assert_same_store(store, reference, atol=0)
    count.clear()  # a complete store: nothing to compute
    xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=4, progress=False)
    assert count == []


def test_a_kernel_interrupt_leaves_a_resumable_store(linear, tmp_path, monkeypatch):
    model, _, _, x = linear
    real = datasets.explain_chunk

    def interrupted(task, i, *args, **kwargs):
        if i == 3:
            raise KeyboardInterrupt
        return real(task, i, *args, **kwargs)

    monkeypatch.setattr(datasets, "explain_chunk", interrupted)
    path = tmp_path / "k.zarr"
    with pytest.raises(xw.Cancelled, match="interrupted.*3 of 5 chunks are done"):
        xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=4, progress=False)
    monkeypatch.setattr(datasets, "explain_chunk", real)
    assert xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=4,
                              progress=False).complete


def test_a_crash_between_a_chunks_rows_and_its_flag_recomputes_that_chunk(
        linear, tmp_path, monkeypatch, count):
    model, _, _, x = linear
    path = tmp_path / "crash.zarr"
    real = datasets._mark_done

    def crash(store, i):
        if i == 1:
            raise MemoryError("the process dies here")
        real(store, i)

    monkeypatch.setattr(datasets, "_mark_done", crash)
    with pytest.raises(MemoryError):
        xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=4, progress=False)
    half = open_store(path)
    assert half.done().tolist() == [True, False, False, False, False]
    assert np.abs(half["attributions"][CHUNK:2 * CHUNK]).max() > 0  # rows written, no flag
    monkeypatch.setattr(datasets, "_mark_done", real)
    count.clear()
    store = xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=4, progress=False)
    assert count == [1, 2, 3, 4] and store.complete


def test_a_store_of_another_model_method_or_target_is_refused_before_computing(
        linear, keras, tmp_path, count):
    model, weights, bias, x = linear
    path = tmp_path / "a.zarr"
    xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=4, progress=False)
    count.clear()
    other = keras.models.clone_model(model)
    other.get_layer("dense").set_weights([weights * 2, bias])
    with pytest.raises(xw.ExplainError, match="written by another run \\(model: "):
        xw.explain_dataset(other, x, store=path, chunk=CHUNK, steps=4, progress=False)
    with pytest.raises(xw.ExplainError, match="\\(method: 'integrated_gradients' there"):
        xw.explain_dataset(model, x, method="saliency", store=path, chunk=CHUNK,
                           progress=False)
    with pytest.raises(xw.ExplainError, match="options: "):
        xw.explain_dataset(model, x, store=path, chunk=CHUNK, steps=8, progress=False)
    with pytest.raises(xw.ExplainError, match="targets: 'predicted' there, 0 now"):
        xw.explain_dataset(model, x, store=path, targets=0, chunk=CHUNK, steps=4,
                           progress=False)
    with pytest.raises(xw.ExplainError, match="data: "):  # other rows, same shape
        xw.explain_dataset(model, x[::-1], store=path, chunk=CHUNK, steps=4, progress=False)
    assert count == []


def test_bad_input_is_refused_with_a_clear_error_before_computing(linear, tmp_path, count):
    import dask.array as da
    import tensorflow as tf

    model, _, _, x = linear
    path = tmp_path / "bad.zarr"
    bad = [
        (dict(data=x[..., :1]), "rows have shape \\(4, 4, 1\\).*model expects \\(N, 4, 4, 2\\)"),
        (dict(data=x[0]), "rows have shape"),
        (dict(data=x[:0]), "no rows"),
        (dict(data="x"), "numpy array, a tf.data.Dataset"),
        (dict(method="nope"), "unknown method 'nope'"),
        (dict(steps=0), "steps=0 .* must be >= 1"),
        (dict(stepz=3), "unknown option"),
        (dict(baseline=np.zeros((N, H, W, C), np.float32)), "one of a row's shape"),
        (dict(chunk=0), "chunk must be a positive"),
        (dict(chunk=2.5), "chunk must be a positive"),
        (dict(targets=np.zeros(N - 1, int)), "targets has shape \\(299,\\)"),
        (dict(targets=K), "out of range"),
        (dict(cancel="stop"), "cancel must be a threading.Event"),
        (dict(progress="yes"), "progress must be"),
        (dict(client="tcp://scheduler:8786"), "client must be a dask.distributed.Client"),
        (dict(data=tf.data.Dataset.from_tensor_slices(x).filter(lambda r: True)),
         "unknown cardinality.*assert_cardinality"),
        (dict(data=tf.data.Dataset.from_tensor_slices(x).repeat()), "infinite cardinality"),
        (dict(data=tf.data.Dataset.from_tensor_slices({"image": x})), "Map it to one"),
        (dict(data=tf.data.Dataset.from_tensor_slices(x).batch(70).apply(
            tf.data.experimental.assert_cardinality(9))), "Does its cardinality"),
        (dict(data=da.from_array(x)[da.from_array(np.ones(N, bool))]), "compute_chunk_sizes"),
        (dict(data=np.where(np.arange(N)[:, None, None, None] == 0, np.nan, x)), "NaN"),
    ]
    for kwargs, message in bad:
        kwargs = {"data": x, "store": path, "chunk": CHUNK, "progress": False, **kwargs}
        with pytest.raises(xw.ExplainError, match=message):
            xw.explain_dataset(model, **kwargs)
    with pytest.raises(xw.ExplainError, match="expected a keras.Model"):
        xw.explain_dataset(lambda v: v, x, store=path)
    assert count == [] and not os.path.exists(path)


def test_tabular_rows_get_attributions_and_no_heatmaps(keras, tmp_path):
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(2, name="d")])
    w = np.arange(10, dtype=np.float32).reshape(5, 2) / 10
    model.get_layer("d").set_weights([w, np.zeros(2, np.float32)])
    x = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    store = xw.explain_dataset(model, x, method="gradient_x_input", store=tmp_path / "t.zarr",
                               targets=1, chunk=16, progress=False)
    assert "heatmaps" not in store and store.meta["kind"] == "tabular"
    np.testing.assert_allclose(store["attributions"][:], x * w[:, 1], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(store["predicted"][:], (x @ w).argmax(axis=1))
    with pytest.raises(xw.ExplainError, match="does not explain tabular inputs"):
        xw.explain_dataset(model, x, method="gradcam", store=tmp_path / "g.zarr")


def test_progress_in_a_notebook_is_a_bar_and_a_text_label(monkeypatch):
    pytest.importorskip("ipywidgets")
    monkeypatch.setattr(datasets, "_in_kernel", lambda: True)
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: None)
    bar = datasets._Progress(True, 4, 40, 1, 10)
    bar.update(10)
    assert bar.bar.value == 2 and bar.bar.max == 4
    assert bar.label.value.startswith("2/4 chunks (20/40 rows)")
    bar.finish("done")
    assert bar.bar.bar_style == "success" and ": done after " in bar.label.value
    assert " left" not in bar.label.value


def test_progress_text_says_chunks_rows_rate_and_time_left():
    bar = datasets._Progress(False, 10, 1000, 2, 200)
    assert bar.text() == "2/10 chunks (200/1,000 rows)"
    bar.start -= 2.0
    bar.update(100)
    assert bar.text().startswith("3/10 chunks (300/1,000 rows), ")
    assert "rows/s" in bar.text() and bar.text().endswith("s left")


# --------------------------------------------------------------------------- distributed
@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each (each imports TensorFlow: seconds)."""
    distributed = pytest.importorskip("distributed")
    local = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=50)
    client = distributed.Client(local)
    yield client
    client.close()
    local.close(timeout=20)


@pytest.fixture(scope="module")
def digits_reference(digits, tmp_path_factory):
    model, (x, _), _ = digits
    path = tmp_path_factory.mktemp("ref") / "ref.zarr"
    return xw.explain_dataset(model, x[:192], store=path, chunk=32, steps=8, progress=False)


@pytest.mark.slow
def test_a_local_cluster_writes_the_same_store_as_one_process(cluster, digits,
                                                              digits_reference, tmp_path):
    import dask.array as da

    model, (x, _), _ = digits
    store = xw.explain_dataset(model, x[:192], store=tmp_path / "d.zarr", chunk=32, steps=8,
                               client=cluster, progress=False)
    assert os.path.exists(tmp_path / "d.model.keras")  # what the workers loaded
    assert_same_store(store, digits_reference, atol=1e-5)
    # a Dask array's blocks are read by the workers; the model file exists: used as it is
    store = xw.explain_dataset(model, da.from_array(x[:192], chunks=50),
                               store=tmp_path / "dask.zarr", chunk=32, steps=8,
                               client=cluster, progress=False,
                               model_path=tmp_path / "d.model.keras")
    assert_same_store(store, digits_reference, atol=1e-5)
    # a tf.data.Dataset is read by the client, a chunk at a time, each inside its task
    import tensorflow as tf

    store = xw.explain_dataset(model, tf.data.Dataset.from_tensor_slices(x[:192]).batch(40),
                               store=tmp_path / "tf.zarr", chunk=32, steps=8, client=cluster,
                               progress=False, model_path=tmp_path / "d.model.keras")
    assert_same_store(store, digits_reference, atol=1e-5)
    # each worker process loaded the model once for all three runs (its per-process cache)
    loaded = cluster.run(lambda: len(__import__("xai_widgets.datasets").datasets._MODELS))
    assert sorted(loaded.values()) == [1, 1]


@pytest.mark.slow
def test_cancel_on_a_cluster_cancels_pending_tasks_and_resumes(cluster, digits,
                                                               digits_reference, tmp_path):
    model, (x, _), _ = digits
    stop = threading.Event()
    path = tmp_path / "c.zarr"
    with pytest.raises(xw.Cancelled, match="chunks are done and kept"):
        xw.explain_dataset(model, x[:192], store=path, chunk=16, steps=8, client=cluster,
                           cancel=stop, progress=lambda done, total: done and stop.set())
    # tasks that were running finish (a thread cannot be stopped), the others are cancelled
    states = [state.status for key, state in cluster.futures.items()
              if str(key).startswith("xw-explain-chunk")]
    assert "pending" not in states
    done = int(open_store(path).done().sum())
    assert 1 <= done < 12  # 12 chunks of 16 rows
    store = xw.explain_dataset(model, x[:192], store=path, chunk=16, steps=8, client=cluster,
                               progress=False)
    assert_same_store(store, digits_reference, atol=1e-5)
    assert not [key for key, state in cluster.futures.items()
                if str(key).startswith("xw-explain-chunk") and state.status == "pending"]


@pytest.mark.slow
def test_a_model_file_of_another_model_is_refused_by_the_workers(cluster, digits, keras,
                                                                 tmp_path):
    model, (x, _), _ = digits
    wrong = tmp_path / "wrong.keras"
    keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                      keras.layers.Dense(10)]).save(wrong)
    with pytest.raises(xw.ExplainError, match="holds another model"):
        xw.explain_dataset(model, x[:64], store=tmp_path / "w.zarr", chunk=32, steps=4,
                           client=cluster, model_path=wrong, progress=False)


@pytest.mark.slow
def test_a_worker_killed_mid_chunk_loses_nothing_and_duplicates_nothing(
        cluster, digits, digits_reference, tmp_path):
    """Chunk 2's worker dies after writing its rows, before its done flag: Dask reruns the
    task on a worker that lives; the rows are written again (the same values) and the flag
    once. Nothing of the test's hook is in the package: it is patched into the workers."""
    model, (x, _), _ = digits
    marker = str(tmp_path / "killed")

    def arm(marker=marker):
        import os

        from xai_widgets import datasets as module

        real = getattr(module, "_real_mark_done", module._mark_done)
        module._real_mark_done = real

        def mark_done(path, i):
            if i == 2:
                try:  # the first worker to get here claims the marker, and dies
                    os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
                except FileExistsError:
                    pass
                else:
                    os._exit(1)
            real(path, i)

        module._mark_done = mark_done

    def disarm():
        from xai_widgets import datasets as module

        module._mark_done = getattr(module, "_real_mark_done", module._mark_done)

    before = set(cluster.scheduler_info()["workers"])
    cluster.run(arm)
    try:
        store = xw.explain_dataset(model, x[:192], store=tmp_path / "k.zarr", chunk=32,
                                   steps=8, client=cluster, progress=False)
    finally:
        cluster.run(disarm)
    assert os.path.exists(marker)  # a worker did die in chunk 2, after writing its rows
    assert store.done().tolist() == [True] * 6
    assert_same_store(store, digits_reference, atol=1e-5)
    cluster.wait_for_workers(2, timeout=60)  # the nanny started a new one
    assert set(cluster.scheduler_info()["workers"]) != before
