"""DatasetExplorer (issue 18, part 2): its numbers against brute force and numpy, its store
reading, its messages, and its refusals. Small random-weight models: every check compares
with an independent computation, not with a trained model's quality."""

import json

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import dataset_view as dv
from xai_widgets.store import create_or_resume, fingerprint, open_store


@pytest.fixture(scope="module")
def small():
    """A random-weight CNN on 8x8x1 inputs (softmax over 4 classes), 90 inputs, labels."""
    import keras

    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(6, 3, padding="same", activation="relu", name="conv"),
        keras.layers.GlobalAveragePooling2D(name="gap"),
        keras.layers.Dense(4, activation="softmax", name="out"),
    ])
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (90, 8, 8, 1)).astype(np.float32)
    y = rng.integers(0, 4, 90)
    return model, x, y


def _brute_confusion(y, p, k):
    m = np.zeros((k, k), int)
    for a, b in zip(y, p):
        m[a, b] += 1
    return m


# -- pure functions --------------------------------------------------------------------------
def test_confusion_and_cells_against_brute_force():
    rng = np.random.default_rng(1)
    y, p = rng.integers(0, 5, 300), rng.integers(0, 5, 300)
    m = dv.confusion_matrix(y, p, 5)
    assert np.array_equal(m, _brute_confusion(y, p, 5))
    for t in range(5):
        for q in range(5):
            rows = dv.cell_rows(y, p, t, q)
            assert list(rows) == [i for i in range(300) if y[i] == t and p[i] == q]
            assert len(rows) == m[t, q]


def test_probabilities_confidence_loss():
    logits = np.array([[2.0, 0.0, -1.0], [0.0, 3.0, 1.0]])
    soft = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y = np.array([1, 1])
    # a softmax head: its outputs are the probabilities
    assert np.allclose(dv.loss(soft, y, "probability"), -np.log(soft[[0, 1], [1, 1]]))
    assert np.allclose(dv.confidence(soft, "probability"), soft.max(1))
    # a logits head: the loss of the softmax of the scores; confidence is the raw score
    assert np.allclose(dv.loss(logits, y, "score"), -np.log(soft[[0, 1], [1, 1]]))
    assert np.allclose(dv.confidence(logits, "score"), [2.0, 3.0])
    assert list(dv.predictions(logits, "score")) == [0, 1]
    # one sigmoid unit: two classes
    p = np.array([[0.2], [0.9]])
    assert list(dv.predictions(p, "probability")) == [0, 1]
    assert np.allclose(dv.loss(p, np.array([0, 0]), "probability"), -np.log([0.8, 0.1]))
    assert dv.class_count(1) == 2


def test_sorted_rows_puts_nan_last_and_breaks_ties_by_row():
    values = np.array([0.5, np.nan, 0.9, 0.5, 0.1])
    assert list(dv.sorted_rows([0, 1, 2, 3, 4], values, True)) == [2, 0, 3, 4, 1]
    assert list(dv.sorted_rows([0, 1, 2, 3, 4], values, False)) == [4, 0, 3, 2, 1]
    assert list(dv.sorted_rows([3, 1, 0], values, True)) == [0, 3, 1]


def test_class_means_chunked_equal_numpy():
    rng = np.random.default_rng(2)
    maps, labels = rng.normal(size=(50, 6, 5)), rng.integers(0, 4, 50)
    labels[labels == 3] = 2  # class 3 has no rows: mean zero, count 0
    means, counts = dv.class_means(maps, labels, 4)
    for c in range(3):
        assert np.allclose(means[c], maps[labels == c].mean(0), atol=1e-6)
    assert counts[3] == 0 and np.all(means[3] == 0)
    acc = dv.MeanAccumulator(4, (6, 5))
    for start in range(0, 50, 7):
        acc.add(maps[start:start + 7], labels[start:start + 7])
    assert np.allclose(acc.means(), means, atol=1e-6) and np.array_equal(acc.counts, counts)


def test_outside_mass():
    heat = np.zeros((3, 4, 4))
    masks = np.zeros((3, 4, 4), bool)
    masks[:, :2] = True
    heat[0, 0, 0] = 2.0; heat[0, 3, 3] = -2.0       # half the |mass| outside
    heat[1, 1, 1] = 5.0                              # all inside
    out = dv.outside_mass(heat, masks)
    assert out[0] == pytest.approx(0.5) and out[1] == 0.0 and np.isnan(out[2])


def test_thumbnails_and_heatmaps_share_a_size():
    x = np.random.default_rng(0).uniform(size=(3, 70, 50, 3)).astype(np.float32)
    thumbs = dv.thumbnails(x, side=32)
    heat, scales = dv.thumb_heatmaps(np.random.default_rng(1).normal(size=(3, 70, 50)), 32)
    assert thumbs.dtype == np.uint8 and heat.dtype == np.float16
    assert thumbs.shape[1:3] == heat.shape[1:] and max(heat.shape[1:]) <= 32
    assert np.allclose(np.abs(heat.astype(np.float32)).max(axis=(1, 2)), 1.0, atol=1e-3)
    assert thumbs.reshape(3, -1).max(1).tolist() == [255] * 3


def test_penultimate_features_of_sequential_functional_and_nested(keras):
    x = np.random.default_rng(0).uniform(size=(7, 8, 8, 1)).astype(np.float32)
    base = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(4, 3),
                             keras.layers.GlobalAveragePooling2D()], name="backbone")
    inp = keras.Input((8, 8, 1))
    out = keras.layers.Activation("softmax")(keras.layers.Dense(3)(base(inp)))
    functional = keras.Model(inp, out)  # backbone nested; Dense then a separate softmax
    inner = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(5, name="hidden"), keras.layers.Dropout(0.5),
                              keras.layers.Dense(3, name="last")], name="inner")
    nested = keras.Sequential([keras.Input((8, 8, 1)), inner, keras.layers.Softmax()])
    # the input of the last Dense is the dropout's output: at inference, "hidden"'s output
    cases = [(functional, base), (nested, keras.Model(inner.inputs, inner.get_layer("hidden").output))]
    for model, features_of in cases:
        outputs, feats = dv.forward(xw.adapt(model), x, batch_size=4)
        assert np.allclose(outputs, model.predict(x, verbose=0), atol=1e-5)
        assert np.allclose(feats, features_of.predict(x, verbose=0), atol=1e-5)
    coords, name = dv.embed_2d(np.random.default_rng(0).normal(size=(20, 6)))
    assert coords.shape == (20, 2) and name in ("PCA", "UMAP")


# -- the widget ------------------------------------------------------------------------------
def test_widget_computes_grid_maps_and_means(small):
    model, x, y = small
    w = xw.DatasetExplorer(model, x, y, class_names=["a", "b", "c", "<b>d</b>"])
    assert w.wait(60) and w.view.status == "idle", w.view.error
    predicted = model.predict(x, verbose=0).argmax(1)
    assert np.array_equal(w.predicted, predicted)
    assert np.array_equal(w.confusion, _brute_confusion(y, predicted, 4))
    # the heatmaps are Grad-CAM of each row's predicted class
    ref = xw.explain(model, x, method="gradcam", target=predicted).heatmaps
    assert np.allclose(w.heatmaps(), ref, atol=1e-5)
    for by, labels in (("true", y), ("predicted", predicted)):
        means, counts = w.class_means(by)
        for c in range(4):
            if counts[c]:
                assert np.allclose(means[c], ref[labels == c].mean(0), atol=1e-5)
            assert counts[c] == (labels == c).sum()
    probs = model.predict(x, verbose=0)
    assert np.allclose(w.loss, -np.log(probs[np.arange(90), y]), atol=1e-5)
    assert np.allclose(w.confidence, probs.max(1), atol=1e-6)
    assert w.view.key_info["confidence"]["unit"] == "probability"
    # a cell: its rows, in the gallery's order
    t, p = np.argwhere(w.confusion > 1)[0]
    rows = w.select_cell(int(t), int(p))
    assert sorted(rows) == [i for i in range(90) if y[i] == t and predicted[i] == p]
    assert list(w.gallery_rows()) == sorted(rows, key=lambda r: (-w.loss[r], r))
    assert w.view.cell == [int(t), int(p)]
    # user text stays text in the traits (the view uses textContent)
    assert w.view.class_names[3] == "<b>d</b>"
    png = w.to_png()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    w.close()  # every comm it opened is closed: the view, the figure and its parts
    assert w.view.comm is None and w.figure.comm is None and w.scatter.comm is None


def test_arrays_travel_as_binary(small):
    model, x, y = small
    w = xw.DatasetExplorer(model, x, y)
    w.wait(60)
    from ipywidgets.widgets.widget import _remove_buffers

    w.selection = [5, 1, 7]
    state = w.view.get_state()
    json_state, paths, buffers = _remove_buffers(state)
    text = json.dumps({k: v for k, v in json_state.items() if k not in ("_esm", "_css")})
    assert len(text) < 20_000  # no JSON lists of numbers: labels, keys, pictures are buffers
    assert sum(len(b) for b in buffers) > 90 * 64
    for name in ("labels", "sort_keys", "gallery", "means", "selection"):
        assert any(p[0] == name for p in paths), name
    sel = [p for p in paths if p[0] == "selection"]
    assert np.frombuffer(bytes(buffers[paths.index(sel[0])]), "<u4").tolist() == [5, 1, 7]
    # what bqplot's Uint32Array becomes when the browser sends it
    from xai_widgets.widgets.dataset import _selection_from_json

    raw = memoryview(np.array([3, 9], "<u4").tobytes())
    assert _selection_from_json(raw, None) == [3, 9] and _selection_from_json(None, None) is None
    w.close()


def test_large_data_set_sends_the_page_asked_for(small, monkeypatch):
    from xai_widgets.widgets import dataset as mod

    model, x, y = small
    monkeypatch.setattr(mod, "ALL_AT_ONCE_BYTES", 10)
    w = xw.DatasetExplorer(model, x, y)
    w.wait(60)
    assert w.view.gallery == {"mode": "page", "ready": True}
    sent = []
    monkeypatch.setattr(w.view, "send", lambda content, buffers=None: sent.append((content, buffers)))
    w.view._on_custom_message(w.view, {"type": "rows", "rows": [4, 2]}, [])
    content, buffers = sent[-1]
    assert content["rows"] == [4, 2] and len(buffers) == 3
    heat = np.frombuffer(bytes(buffers[1]), "<f2").reshape(content["arrays"]["heatmaps"]["shape"])
    scales = np.frombuffer(bytes(buffers[2]), "<f4")
    ref = w.heatmaps([4, 2])
    assert np.allclose(heat * scales[:, None, None], ref, atol=2e-3 * np.abs(ref).max())
    w.close()


def test_thumbnails_first_and_heatmaps_again_after_a_cancel(small, monkeypatch):
    from xai_widgets.widgets import dataset as mod

    model, x, y = small
    calls = []

    def cancelled_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise xw.Cancelled("cancelled")
        return xw.explain(*args, **kwargs)

    monkeypatch.setattr(mod, "explain", cancelled_once)
    w = xw.DatasetExplorer(model, x, y)
    w.wait(60)
    # cancelled: the grid, the thumbnails and the keys are there, the heatmaps are not
    assert w.view.status == "idle" and not w.view.gallery["ready"]
    assert "thumbs" in w.view.gallery and "heatmaps" not in w.view.gallery
    assert w.view.means == {}
    sent = []
    monkeypatch.setattr(w.view, "send", lambda content, buffers=None: sent.append(content))
    w._send_rows([1, 2])  # a page asked for meanwhile: nothing (never blocks the kernel)
    assert sent == []
    w.view._on_custom_message(w.view, {"type": "compute"}, [])  # the view's button
    w.wait(60)
    assert w.view.gallery["ready"] and "heatmaps" in w.view.gallery
    ref = xw.explain(model, x, method="gradcam", target=w.predicted).heatmaps
    assert np.allclose(w.heatmaps(), ref, atol=1e-5)
    w.close()


def _write_store(path, model, x, outputs, heatmaps, targets, chunk=32, method="saliency"):
    n = len(x)
    meta = {"method": method, "options": {}, "output": "logit", "head": None,
            "model": fingerprint(model), "n": n, "chunk": chunk,
            "input_shape": list(x.shape[1:]), "num_classes": outputs.shape[1],
            "score_kind": "logit (before softmax)", "signed": False, "class_names": None}
    arrays = {"attributions": ((n, *x.shape[1:]), "float32"),
              "heatmaps": ((n, *x.shape[1:3]), "float32"),
              "outputs": ((n, outputs.shape[1]), "float32"), "predicted": ((n,), "int32"),
              "targets": ((n,), "int32"), "scores": ((n,), "float32")}
    store = create_or_resume(path, meta, arrays)
    for i in range(store.n_chunks):
        rows = store.chunk_rows(i)
        store["heatmaps"][rows] = heatmaps[rows]
        store["outputs"][rows] = outputs[rows]
        store["predicted"][rows] = outputs[rows].argmax(1)
        store["targets"][rows] = targets[rows]
        store.group["done"][i] = True
    return store


def test_reads_predictions_and_heatmaps_from_a_store(small, tmp_path, monkeypatch):
    model, x, y = small
    rng = np.random.default_rng(5)
    # outputs unlike the model's own: the explorer must take them from the store
    outputs = rng.dirichlet(np.ones(4), size=90).astype(np.float32)
    heat = rng.normal(size=(90, 8, 8)).astype(np.float32)
    targets = outputs.argmax(1)
    _write_store(tmp_path / "s.zarr", model, x, outputs, heat, targets)
    w = xw.DatasetExplorer(model, x, y, store=tmp_path / "s.zarr")
    assert w.method == "saliency"
    assert np.array_equal(w.predicted, outputs.argmax(1))
    assert np.array_equal(w.confusion, _brute_confusion(y, outputs.argmax(1), 4))
    assert np.allclose(w.heatmaps([7, 3]), heat[[7, 3]])
    means, counts = w.class_means("predicted")
    for c in range(4):
        if counts[c]:
            assert np.allclose(means[c], heat[targets == c].mean(0), atol=1e-5)
    # the embedding is cached in the store: the next open makes no forward pass
    assert "embedding" in open_store(tmp_path / "s.zarr")
    first = w.embedding.copy()
    w.close()

    def no_forward(*args, **kwargs):
        raise AssertionError("forward pass although the store holds everything")

    monkeypatch.setattr(dv, "forward", no_forward)
    w2 = xw.DatasetExplorer(model, x, y, store=tmp_path / "s.zarr")
    assert np.allclose(w2.embedding, first)
    w2.close()


def test_a_store_not_finished_is_completed_here(small, tmp_path):
    """Chunks written are read; the others' predictions and heatmaps are computed here."""
    model, x, y = small
    rng = np.random.default_rng(6)
    outputs = rng.dirichlet(np.ones(4), size=90).astype(np.float32)
    heat = rng.normal(size=(90, 8, 8)).astype(np.float32)
    store = _write_store(tmp_path / "p.zarr", model, x, outputs, heat, outputs.argmax(1))
    store.group["done"][1] = False  # rows 32..63 not written (chunks of 32)
    w = xw.DatasetExplorer(model, x, y, store=tmp_path / "p.zarr")
    assert w.wait(60) and w.view.status == "idle", w.view.error
    missing = np.arange(32, 64)
    written = np.r_[0:32, 64:90]
    model_pred = model.predict(x, verbose=0).argmax(1)
    assert np.array_equal(w.predicted[written], outputs.argmax(1)[written])
    assert np.array_equal(w.predicted[missing], model_pred[missing])
    assert np.allclose(w.heatmaps(written), heat[written])
    ref = xw.explain(model, x[missing], method="saliency", target=model_pred[missing]).heatmaps
    assert np.allclose(w.heatmaps(missing), ref, atol=1e-5)
    assert np.allclose(w.heatmaps([70, 40, 3]), np.stack([heat[70], ref[8], heat[3]]), atol=1e-5)
    means, counts = w.class_means("true")
    full = heat.copy()
    full[missing] = ref
    for c in range(4):
        if counts[c]:
            assert np.allclose(means[c], full[y == c].mean(0), atol=1e-5)
    assert "1 of its 3 chunks not written yet" in w.view.info["source"]
    w.close()


def test_outside_mass_sort_with_masks(tmp_path):
    import keras

    from xai_widgets._demo_shortcut import shortcut_dataset

    x, y, objects, _, names = shortcut_dataset(n=24, seed=3)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, name="c"),
                              keras.layers.GlobalAveragePooling2D(),
                              keras.layers.Dense(3, activation="softmax")])
    w = xw.DatasetExplorer(model, x, y, class_names=names, masks=objects, method="saliency")
    w.wait(60)
    ref = dv.outside_mass(w.heatmaps(), objects)
    assert np.allclose(w.outside_mass, ref, equal_nan=True)
    assert "outside" in w.view.sort_keys
    w.selection = list(range(24))
    w.view.sort = "outside"
    order = w.gallery_rows()
    values = ref[order]
    assert np.all(np.diff(values[np.isfinite(values)]) <= 0)
    w.close()


def test_logits_and_one_sigmoid_unit(keras):
    """A logits head: confidence is a score (never called a probability), the loss is the
    cross-entropy of the softmax of the scores. One sigmoid unit: two classes, its maps
    explain the unit's score (class 1)."""
    rng = np.random.default_rng(4)
    x = rng.uniform(size=(40, 8, 8, 1)).astype(np.float32)
    keras.utils.set_random_seed(1)
    logits = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3),
                               keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3)])
    y = rng.integers(0, 3, 40)
    w = xw.DatasetExplorer(logits, x, y, method="saliency")
    w.wait(60)
    scores = logits.predict(x, verbose=0)
    p = np.exp(scores - scores.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    assert w.view.key_info["confidence"]["unit"] == "score"
    assert np.allclose(w.confidence, scores.max(1), atol=1e-5)
    assert np.allclose(w.loss, -np.log(p[np.arange(40), y]), atol=1e-5)
    w.close()
    sigmoid = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(3, 3),
                                keras.layers.GlobalAveragePooling2D(),
                                keras.layers.Dense(1, activation="sigmoid")])
    yb = rng.integers(0, 2, 40)
    w = xw.DatasetExplorer(sigmoid, x, yb, class_names=["no", "yes"], method="saliency")
    assert w.wait(60) and w.view.status == "idle", w.view.error
    prob = sigmoid.predict(x, verbose=0)[:, 0]
    assert np.array_equal(w.predicted, (prob > 0.5).astype(int))
    assert w.confusion.shape == (2, 2) and w.confusion.sum() == 40
    ref = xw.explain(sigmoid, x, method="saliency", target=0).heatmaps
    assert np.allclose(w.heatmaps(), ref, atol=1e-6)
    w.close()


def test_bad_input_is_refused_clearly(small, tmp_path, keras):
    model, x, y = small
    with pytest.raises(xw.ExplainError, match="labels for 90 images"):
        xw.DatasetExplorer(model, x, y[:10])
    with pytest.raises(xw.ExplainError, match="the model has 4 classes"):
        xw.DatasetExplorer(model, x, np.full(90, 7))
    with pytest.raises(xw.ExplainError, match="masks must be"):
        xw.DatasetExplorer(model, x, y, masks=np.zeros((90, 4, 4), bool))
    with pytest.raises(xw.ExplainError, match="does not explain images|Unknown|unknown"):
        xw.DatasetExplorer(model, x, y, method="permutation_importance")
    tab = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    with pytest.raises(xw.ExplainError, match="Tabular rows are not supported"):
        xw.DatasetExplorer(tab, np.zeros((4, 5), np.float32), [0, 1, 2, 0])
    # a store written by another model, and one not finished
    other = keras.models.clone_model(model)
    other.set_weights([w * 2 for w in model.get_weights()])
    outputs = np.full((90, 4), 0.25, np.float32)
    _write_store(tmp_path / "o.zarr", other, x, outputs, np.zeros((90, 8, 8), np.float32),
                 np.zeros(90, int))
    with pytest.raises(xw.ExplainError, match="another model"):
        xw.DatasetExplorer(model, x, y, store=tmp_path / "o.zarr")
    with pytest.raises(xw.ExplainError, match="90 rows"):
        xw.DatasetExplorer(model, x[:60], y[:60], store=tmp_path / "o.zarr")
    with pytest.raises(xw.ExplainError, match="no explanation store"):
        xw.DatasetExplorer(model, x, y, store=tmp_path / "missing.zarr")


# -- a store with the penultimate features (explain_dataset writes them) ---------------------
def _penultimate_reference(model, x):
    """The input of the last Dense layer, by a Keras sub-model (independent of dataset_view)."""
    import keras

    return keras.Model(model.inputs, model.get_layer("gap").output).predict(x, verbose=0)


def test_explain_dataset_writes_the_features_and_the_explorer_opens_with_no_model_call(
        small, tmp_path, monkeypatch):
    import dask.array as da
    from sklearn.decomposition import PCA

    model, x, y = small
    path = tmp_path / "f.zarr"
    xw.explain_dataset(model, x, method="saliency", store=path, chunk=32, progress=False)
    store = open_store(path)
    ref = _penultimate_reference(model, x)
    assert store["features"].shape == (90, 6)
    assert np.allclose(store["features"][:], ref, atol=1e-5)
    # the outputs come from the same pass: they are the model's
    assert np.allclose(store["outputs"][:], model.predict(x, verbose=0), atol=1e-5)

    def no_model(*args, **kwargs):
        raise AssertionError("a model call although the store holds everything")

    monkeypatch.setattr(dv, "forward", no_model)
    monkeypatch.setattr(dv, "penultimate_function", no_model)
    fitted = []
    real_chunks = dv.embed_2d_chunks
    monkeypatch.setattr(dv, "embed_2d_chunks", lambda chunks, seed=0: fitted.append(
        [len(b) for b in chunks()]) or real_chunks(chunks, seed))
    # x as a Dask array: thumbnails read chunk by chunk
    w = xw.DatasetExplorer(model, da.from_array(x, chunks=(20, 8, 8, 1)), y, store=path)
    assert fitted == [[32, 32, 26]]  # fitted from the store's chunks, never all rows at once
    assert w.embedding_method == "PCA"
    truth = PCA(n_components=2).fit_transform(ref.astype(np.float64))
    scale = np.abs(truth).max()
    assert np.allclose(w.embedding, truth, atol=1e-4 * scale)  # scikit-learn's PCA, signs too
    assert np.array_equal(w._thumbs, dv.thumbnails(x))
    assert np.allclose(w.heatmaps([5, 70]), store["heatmaps"].oindex[[5, 70]])
    w.close()


def test_pca_of_chunks_equals_a_pca_of_all_rows_and_wide_features_go_incremental(monkeypatch):
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(1)
    f = rng.normal(size=(41, 5)) * np.array([5, 3, 1, 0.5, 0.1]) + 100  # far from 0
    blocks = [f[:20], f[20:40], f[40:]]  # the last block: one row
    coords, name = dv.embed_2d_chunks(lambda: iter(blocks))
    truth = PCA(n_components=2).fit_transform(f)
    assert name == "PCA" and coords.shape == (41, 2)
    assert np.allclose(coords, truth, atol=1e-4)  # exact, signed as scikit-learn signs
    # wider than COVARIANCE_MAX_D: IncrementalPCA, approximate (close, up to sign)
    monkeypatch.setattr(dv, "COVARIANCE_MAX_D", 3)
    approx, name = dv.embed_2d_chunks(lambda: iter(blocks))
    assert name == "PCA" and np.allclose(np.abs(approx), np.abs(truth), atol=0.02, rtol=0.01)
    one, name = dv.embed_2d_chunks(lambda: iter([f[:2, :1]]))
    assert name == "features" and one.shape == (2, 2)


def test_a_dask_x_without_a_store_is_computed_by_chunk(small):
    import dask.array as da

    model, x, y = small
    w = xw.DatasetExplorer(model, da.from_array(x, chunks=(50, 8, 8, 1)), y, method="saliency")
    assert w.wait(60) and w.view.status == "idle", w.view.error
    assert np.array_equal(w.predicted, model.predict(x, verbose=0).argmax(1))
    ref = xw.explain(model, x, method="saliency", target=w.predicted).heatmaps
    assert np.allclose(w.heatmaps(), ref, atol=1e-5)
    w.close()


def test_a_dask_x_in_paged_mode_keeps_no_thumbnails_and_makes_a_page_when_asked(
        small, monkeypatch):
    import dask.array as da

    from xai_widgets.widgets import dataset as mod

    model, x, y = small
    monkeypatch.setattr(mod, "ALL_AT_ONCE_BYTES", 10)
    w = xw.DatasetExplorer(model, da.from_array(x, chunks=(30, 8, 8, 1)), y, method="saliency")
    assert w.wait(60) and w.view.status == "idle", w.view.error
    assert w._thumbs is None and w.view.gallery == {"mode": "page", "ready": True}
    full = dv.thumbnails(x)  # what a numpy x would keep
    for which, labels in (("true", y), ("predicted", w.predicted)):
        means, _ = dv.class_means(full.astype(np.float32), labels, 4)
        assert np.array_equal(w._mean_thumbs(which), np.round(means).astype(np.uint8))
    sent = []
    monkeypatch.setattr(w.view, "send", lambda content, buffers=None: sent.append((content, buffers)))
    w.view._on_custom_message(w.view, {"type": "rows", "rows": [40, 3, 77]}, [])
    content, buffers = sent[-1]
    thumbs = np.frombuffer(bytes(buffers[0]), np.uint8).reshape(content["arrays"]["thumbs"]["shape"])
    assert content["rows"] == [40, 3, 77] and np.array_equal(thumbs, full[[40, 3, 77]])
    w.close()
