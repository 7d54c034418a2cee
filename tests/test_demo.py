"""The demo models: offline data, held-out splits, seeded training and the disk cache."""

import numpy as np
import pytest

import xai_widgets as xw


def test_digits_test_split_is_held_out():
    (x_train, _), (x_test, _), names = xw.demo.digits_data()
    train_rows = {row.tobytes() for row in x_train.reshape(len(x_train), -1)}
    # scikit-learn's digits contain a few exact duplicate images; allow those, nothing more
    overlap = sum(row.tobytes() in train_rows for row in x_test.reshape(len(x_test), -1))
    assert overlap <= 3
    assert len(x_train) + len(x_test) == 1797 and names[7] == "seven"


def test_shapes_dataset_masks_mark_the_deciding_object():
    x, y, masks, names = xw.demo.shapes_dataset(n=60, seed=3)
    assert names == ["circle", "square", "triangle"] and set(y) == {0, 1, 2}
    areas = masks.reshape(60, -1).sum(axis=1)
    assert areas.min() > 10 and areas.max() < 0.15 * 32 * 32
    # the object is painted in one bright colour: its pixels are all alike and not background
    for img, mask in zip(x, masks):
        colours = img[mask]
        assert np.ptp(colours, axis=0).max() == 0 and colours.min() >= 0.5
    again = xw.demo.shapes_dataset(n=60, seed=3)
    np.testing.assert_array_equal(again[0], x)


def test_tabular_demo_keeps_raw_features_and_caches(tmp_path, monkeypatch, keras):
    monkeypatch.setenv("XAI_WIDGETS_CACHE", str(tmp_path))
    model, (X, y), features, classes = xw.demo.breast_cancer_mlp()
    assert X.shape[1] == 30 and len(features) == 30 and classes == ["malignant", "benign"]
    assert X.max() > 100  # raw values: standardisation is a layer inside the model
    assert any(l.__class__.__name__ == "Normalization" for l in model.layers)
    assert xw.demo.accuracy(model, X, y) >= 0.93
    assert len(list(tmp_path.glob("breast_cancer_mlp-seed0-*.keras"))) == 1

    def no_training(*args, **kwargs):
        raise AssertionError("the cached model should have been loaded, not trained again")

    monkeypatch.setattr(keras.Model, "fit", no_training)
    cached, _, _, _ = xw.demo.breast_cancer_mlp()
    for a, b in zip(model.get_weights(), cached.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_digits_augmented_shifts_with_blank_edges_and_adds_noise():
    """Each augmented digit is its source digit moved by (dy, dx) in {-1, 0, 1}, the row and
    column that enter blank (checked against np.roll with the wrapped edge cleared)."""
    x, y, names = xw.demo.digits_augmented(200, seed=3, source="test", noise=0.0)
    (_, _), (xt, yt), _ = xw.demo.digits_data()
    assert x.shape == (200, 8, 8, 1) and x.dtype == np.float32 and len(names) == 10
    shifts = set()
    for image, label in zip(x, y):
        found = False
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                ref = np.roll(xt[yt == label], (dy, dx), axis=(1, 2))
                if dy:
                    ref[:, 0 if dy == 1 else -1] = 0
                if dx:
                    ref[:, :, 0 if dx == 1 else -1] = 0
                if np.any(np.all(np.isclose(ref, image), axis=(1, 2, 3))):
                    found = True
                    shifts.add((dy, dx))
        assert found
    assert len(shifts) == 9  # every shift occurs
    noisy, _, _ = xw.demo.digits_augmented(200, seed=3, source="test", noise=0.05)
    assert 0.02 < np.std(noisy - x) < 0.06 and noisy.min() >= 0 and noisy.max() <= 1
