"""The explanation store's format (xai_widgets/store.py): layout, resume, refusal, reading."""

import json
import os

import numpy as np
import pytest

import xai_widgets as xw
from xai_widgets import store as st

META = {"method": "saliency", "options": {}, "output": "logit", "head": "out", "model": "abc",
        "n": 10, "chunk": 4, "input_shape": [3], "num_classes": 2, "score_kind": "logit",
        "signed": False, "class_names": None}
ARRAYS = {"attributions": ((10, 3), "float32"), "outputs": ((10, 2), "float32"),
          "predicted": ((10,), "int32"), "targets": ((10,), "int32"),
          "scores": ((10,), "float32")}


def test_create_lays_out_arrays_chunked_by_rows_with_a_done_flag_per_chunk(tmp_path):
    s = st.create_or_resume(tmp_path / "a.zarr", META, ARRAYS)
    assert s.n == 10 and s.chunk == 4 and s.n_chunks == 3
    assert [s.chunk_rows(i) for i in range(3)] == [slice(0, 4), slice(4, 8), slice(8, 10)]
    assert s["attributions"].shape == (10, 3) and s["attributions"].chunks == (4, 3)
    assert s["predicted"].dtype == np.int32 and s["scores"].dtype == np.float32
    assert s.done().tolist() == [False, False, False] and not s.complete
    assert s["done"].chunks == (1,)  # a flag per Zarr chunk: writers never share a file
    assert s.meta["format"] == st.FORMAT and s.meta["method"] == "saliency"
    assert "attributions" in s and "heatmaps" not in s
    with pytest.raises(xw.ExplainError, match="has no array 'heatmaps'"):
        s["heatmaps"]


def test_a_second_run_with_the_same_identity_resumes_and_keeps_what_was_written(tmp_path):
    path = tmp_path / "a.zarr"
    s = st.create_or_resume(path, META, ARRAYS)
    s["scores"][0:4] = np.arange(4, dtype=np.float32) + 1
    s["done"][0] = True
    # the same run, with a description that differs only outside the identity
    again = st.create_or_resume(path, {**META, "class_names": ["a", "b"]}, ARRAYS)
    assert again.done().tolist() == [True, False, False]
    np.testing.assert_array_equal(again["scores"][:4], [1, 2, 3, 4])
    reader = st.open_store(path)
    assert reader.done().sum() == 1 and "1/3 chunks done" in repr(reader)
    np.testing.assert_array_equal(reader.dask("scores")[:4].compute(), [1, 2, 3, 4])


@pytest.mark.parametrize("key,value", [("model", "other"), ("method", "integrated_gradients"),
                                       ("options", {"steps": 8}), ("n", 11), ("chunk", 5),
                                       ("targets", 3), ("data", "ffff")])
def test_a_store_written_by_another_run_is_refused_naming_what_differs(tmp_path, key, value):
    path = tmp_path / "a.zarr"
    st.create_or_resume(path, {**META, "targets": "predicted", "data": "0000"}, ARRAYS)
    with pytest.raises(xw.ExplainError, match=f"written by another run \\({key}: "):
        st.create_or_resume(path, {**META, "targets": "predicted", "data": "0000",
                                   key: value}, ARRAYS)


def test_a_store_without_the_later_identity_keys_still_resumes(tmp_path):
    """Format 1 stores written before "targets" and "data" joined the identity: those keys
    are absent there and absent in the new meta, so they compare equal (backward
    compatible)."""
    path = tmp_path / "a.zarr"
    st.create_or_resume(path, META, ARRAYS)
    assert st.create_or_resume(path, META, ARRAYS).n == 10


def test_open_store_says_what_is_wrong(tmp_path):
    with pytest.raises(xw.ExplainError, match="no explanation store at"):
        st.open_store(tmp_path / "missing.zarr")
    import zarr

    zarr.open_group(tmp_path / "plain.zarr", mode="w")
    with pytest.raises(xw.ExplainError, match="not one written by"):
        st.open_store(tmp_path / "plain.zarr")
    group = zarr.open_group(tmp_path / "future.zarr", mode="w")
    group.attrs[st.ATTR] = {**META, "format": 99}
    with pytest.raises(xw.ExplainError, match="format 99"):
        st.open_store(tmp_path / "future.zarr")


def test_metadata_is_plain_json(tmp_path):
    s = st.create_or_resume(tmp_path / "a.zarr", {**META, "n": np.int64(10),
                                                   "input_shape": np.array([3])}, ARRAYS)
    text = (tmp_path / "a.zarr" / "zarr.json").read_text()
    assert json.loads(text)["attributes"][st.ATTR]["n"] == 10
    assert s.meta["input_shape"] == [3]


def test_fingerprint_follows_weights_and_survives_a_keras_file(keras, tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")])
    first = st.fingerprint(model)
    model.save(tmp_path / "m.keras")
    assert st.fingerprint(keras.saving.load_model(tmp_path / "m.keras")) == first
    w, b = model.get_layer("d").get_weights()
    model.get_layer("d").set_weights([w + 1e-3, b])
    assert st.fingerprint(model) != first


def test_a_store_at_an_fsspec_url_is_written_resumed_and_read(keras, tmp_path):
    """memory:// (fsspec, in this process) and file:// (a local path) work as paths do."""
    from xai_widgets.errors import ExplainError
    from xai_widgets.store import open_store

    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(3, name="dense")])
    x = np.random.default_rng(0).uniform(0, 1, (20, 4, 4, 1)).astype(np.float32)
    url = f"memory://xw-test-{os.getpid()}/a.zarr"
    written = xw.explain_dataset(model, x, method="saliency", store=url, chunk=8, progress=False)
    assert written.path == url and written.complete
    local = xw.explain_dataset(model, x, method="saliency", store=tmp_path / "a.zarr", chunk=8,
                               progress=False)
    for name in ("attributions", "outputs", "features"):
        np.testing.assert_array_equal(open_store(url)[name][:], local[name][:])
    writable = open_store(url, mode="r+")
    writable.group["done"][1] = False
    again = xw.explain_dataset(model, x, method="saliency", store=url, chunk=8, progress=False)
    assert again.complete
    with pytest.raises(ExplainError, match="written by another run"):
        xw.explain_dataset(model, x, method="gradient_x_input", store=url, chunk=8,
                           progress=False)
    with pytest.raises(ExplainError, match="no explanation store"):
        open_store(f"memory://xw-test-{os.getpid()}/none.zarr")
    explorer = xw.DatasetExplorer(model, x, np.arange(20) % 3, store=url)  # reads the URL
    assert np.array_equal(explorer.predicted, local["predicted"][:])
    assert "embedding" in open_store(url)  # and caches its embedding there
    explorer.close()
    as_url = open_store("file://" + str(tmp_path / "a.zarr"))
    assert as_url.path == str(tmp_path / "a.zarr") and as_url.complete
    with pytest.raises(ExplainError, match="workers cannot write"):
        xw.explain_dataset(model, x, store=url, client=_FakeClient(), progress=False)


class _FakeClient:
    def submit(self, *args, **kwargs):
        raise AssertionError("nothing is submitted")

    def scheduler_info(self):
        return {"workers": {}}
