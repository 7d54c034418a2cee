"""Small demo models, trained in seconds on 2 CPU cores from data that ships in packages
(scikit-learn's digits, breast_cancer and wine) or that we generate (shapes). No downloads.

Each trainer is seeded (it calls ``keras.utils.set_random_seed``, which seeds Python, NumPy
and TensorFlow) and caches the trained model on disk, in ``$XAI_WIDGETS_CACHE`` or
``~/.cache/xai-widgets``; the held-out data is regenerated, deterministically, each time.

    model, (x, y), class_names = digits_cnn()                  # 8x8 digits, x in [0, 1]
    model, (x, y, masks), class_names = shapes_cnn()           # masks: the deciding object
    model, (X, y), feature_names, class_names = breast_cancer_mlp()   # raw feature values
    model, train, test, class_names = shortcut_shapes()   # right for the wrong reason
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

DEMO_VERSION = 3  # bump when a trainer changes, so stale cached models are not reused

SHAPE_CLASSES = ("circle", "square", "triangle")


def cache_dir() -> Path:
    path = Path(os.environ.get("XAI_WIDGETS_CACHE") or Path.home() / ".cache" / "xai-widgets")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _cached(name: str, seed: int, train):
    """Load the cached model ``name`` or train it with ``train()`` and cache it."""
    import keras

    path = cache_dir() / f"{name}-seed{seed}-v{DEMO_VERSION}-keras{keras.__version__}.keras"
    if path.exists():
        try:
            return keras.models.load_model(path, compile=False)
        except Exception:  # a corrupt or incompatible cache entry: train again
            path.unlink(missing_ok=True)
    keras.utils.set_random_seed(seed)
    model = train()
    # Write to a temporary file first so a concurrent reader never sees half a model.
    fd, tmp = tempfile.mkstemp(suffix=".keras", dir=path.parent)
    os.close(fd)
    try:
        model.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return model


def _split(n: int, test_fraction: float, seed: int, y=None):
    """Stratified (when y is given) train/test indices."""
    rng = np.random.default_rng(seed)
    if y is None:
        order = rng.permutation(n)
        cut = int(round(n * (1 - test_fraction)))
        return order[:cut], order[cut:]
    train, test = [], []
    for label in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == label))
        cut = int(round(len(idx) * (1 - test_fraction)))
        train.extend(idx[:cut])
        test.extend(idx[cut:])
    return rng.permutation(np.array(train)), np.sort(np.array(test))


# --------------------------------------------------------------------------- digits
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def digits_data(seed: int = 0):
    """scikit-learn's 8x8 digits as float32 (N, 8, 8, 1) in [0, 1]: (x_train, y_train),
    (x_test, y_test), class names."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int64)
    train, test = _split(len(x), 0.25, seed, y)
    return (x[train], y[train]), (x[test], y[test]), list(DIGIT_NAMES)


def digits_augmented(n: int = 10_000, seed: int = 0, source: str = "all",
                     noise: float = 0.05):
    """``n`` digits for data-set-scale demos and benchmarks, drawn from scikit-learn's
    (``source="test"``: only the held-out split ``digits_cnn`` never trained on; ``"train"``:
    only its training split; ``"all"``: every digit), each shifted by up to one pixel in each direction (what enters at the edge
    is blank) and given Gaussian noise of standard deviation ``noise``, clipped to [0, 1].
    Returns ``x`` (n, 8, 8, 1) float32, ``y`` (n,), class names."""
    (xa, ya), (xb, yb), names = digits_data()
    sources = {"test": (xb, yb), "train": (xa, ya),
               "all": (np.concatenate([xa, xb]), np.concatenate([ya, yb]))}
    if source not in sources:
        raise ValueError(f"source must be one of {sorted(sources)}, got {source!r}")
    x0, y0 = sources[source]
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, len(x0), n)
    dy, dx = rng.integers(-1, 2, (2, n))
    padded = np.pad(x0[pick], ((0, 0), (1, 1), (1, 1), (0, 0)))
    rows = np.arange(8)[None, :] + 1 - dy[:, None]  # (n, 8): shifted down by dy
    cols = np.arange(8)[None, :] + 1 - dx[:, None]
    x = padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]
    x = np.clip(x + rng.normal(0, noise, x.shape), 0, 1).astype(np.float32)
    return x, y0[pick], names


def digits_cnn(seed: int = 0):
    """A small CNN on scikit-learn digits (>= 95 % held-out accuracy), ending in softmax.

    Returns ``model, (x_test, y_test), class_names``; the test images were not trained on.
    """
    import keras
    from keras import layers

    (x_train, y_train), test, names = digits_data(seed)

    def train():
        model = keras.Sequential(
            [
                keras.Input((8, 8, 1), name="image"),
                layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1"),
                layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
                layers.MaxPooling2D(2, name="pool"),
                layers.Conv2D(64, 3, padding="same", activation="relu", name="conv3"),
                # a global-pooling head, so that Grad-CAM has something to show: with
                # Flatten -> Dense, Grad-CAM at conv3 was zero everywhere for 83 of the
                # first 100 test images (no channel's mean gradient raised the score)
                layers.GlobalAveragePooling2D(name="gap"),
                layers.Dropout(0.2, name="dropout"),
                layers.Dense(10, activation="softmax", name="probabilities"),
            ],
            name="digits_cnn",
        )
        model.compile(optimizer=keras.optimizers.Adam(3e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_train, y_train, epochs=40, batch_size=64, verbose=0)
        return model

    return _cached("digits_cnn", seed, train), test, names


# --------------------------------------------------------------------------- shapes
def _shape_mask(kind: str, size: int, cy: float, cx: float, r: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    if kind == "circle":
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= r**2
    if kind == "square":
        return (np.abs(yy - cy) <= r * 0.85) & (np.abs(xx - cx) <= r * 0.85)
    if kind == "triangle":  # apex up
        top, bottom = cy - r, cy + r * 0.8
        half_width = (yy - top) / (bottom - top) * r
        return (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half_width)
    raise ValueError(kind)


def shapes_dataset(n: int = 1200, size: int = 32, seed: int = 0):
    """Synthetic RGB images whose class is decided by one object, with its mask.

    Each image has textured noise, one object (circle, square or triangle: the class) at a
    random place, and one distractor bar (in every class, so it carries no information).
    Colours are random, so only the object's shape decides. Returns ``x`` (N, size, size, 3)
    float32 in [0, 1], ``y`` (N,), ``masks`` (N, size, size) bool, and the class names.
    """
    rng = np.random.default_rng(seed)
    x = np.empty((n, size, size, 3), np.float32)
    y = rng.integers(0, len(SHAPE_CLASSES), n)
    masks = np.zeros((n, size, size), bool)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5
    for i in range(n):
        img = rng.uniform(0.0, 0.25, (size, size, 3)).astype(np.float32)
        r = rng.uniform(0.11, 0.16) * size
        cy, cx = rng.uniform(r + 1, size - r - 1, 2)
        mask = _shape_mask(SHAPE_CLASSES[y[i]], size, cy, cx, r)
        # The distractor: a thin bar somewhere else, in another random colour.
        for _ in range(20):
            by, bx = rng.uniform(2, size - 2, 2)
            if (by - cy) ** 2 + (bx - cx) ** 2 > (r + 5) ** 2:
                break
        angle = rng.uniform(0, np.pi)
        along = (xx - bx) * np.cos(angle) + (yy - by) * np.sin(angle)
        across = -(xx - bx) * np.sin(angle) + (yy - by) * np.cos(angle)
        bar = (np.abs(along) <= size * 0.2) & (np.abs(across) <= 1.0) & ~mask
        img[bar] = rng.uniform(0.5, 1.0, 3)
        img[mask] = rng.uniform(0.5, 1.0, 3)
        x[i] = img
        masks[i] = mask
    return x, y.astype(np.int64), masks, list(SHAPE_CLASSES)


def shapes_cnn(seed: int = 0):
    """A CNN on the shapes set. Returns ``model, (x_test, y_test, masks_test), class_names``
    with held-out images and the ground-truth mask of the object that decides the class."""
    import keras
    from keras import layers

    x, y, masks, names = shapes_dataset(n=2400, seed=seed)
    train, test = np.arange(0, 2000), np.arange(2000, 2400)

    def train_model():
        model = keras.Sequential(
            [
                keras.Input((32, 32, 3), name="image"),
                layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
                layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2"),
                layers.MaxPooling2D(2, name="pool1"),
                layers.Conv2D(32, 3, padding="same", activation="relu", name="conv3"),
                layers.Conv2D(32, 3, padding="same", activation="relu", name="conv4"),
                layers.GlobalAveragePooling2D(name="gap"),
                layers.Dense(len(names), activation="softmax", name="probabilities"),
            ],
            name="shapes_cnn",
        )
        model.compile(optimizer=keras.optimizers.Adam(3e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x[train], y[train], epochs=12, batch_size=64, verbose=0)
        return model

    return _cached("shapes_cnn", seed, train_model), (x[test], y[test], masks[test]), names


# --------------------------------------------------------------------------- tabular
def _tabular_mlp(name: str, loader, seed: int):
    import keras
    from keras import layers

    data = loader()
    X = data.data.astype(np.float32)
    y = data.target.astype(np.int64)
    feature_names = [str(f) for f in data.feature_names]
    class_names = [str(c) for c in data.target_names]
    train, test = _split(len(X), 0.25, seed, y)

    def train_model():
        norm = layers.Normalization(name="standardize")
        norm.adapt(X[train])
        model = keras.Sequential(
            [
                keras.Input((X.shape[1],), name="features"),
                norm,
                layers.Dense(32, activation="relu", name="hidden"),
                layers.Dense(len(class_names), activation="softmax", name="probabilities"),
            ],
            name=name,
        )
        model.compile(optimizer=keras.optimizers.Adam(3e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(X[train], y[train], epochs=60, batch_size=32, verbose=0)
        return model

    model = _cached(name, seed, train_model)
    return model, (X[test], y[test]), feature_names, class_names


def breast_cancer_mlp(seed: int = 0):
    """An MLP on scikit-learn's breast_cancer (30 features), standardisation inside the model.

    Returns ``model, (X_test, y_test), feature_names, class_names`` with raw feature values.
    """
    from sklearn.datasets import load_breast_cancer

    return _tabular_mlp("breast_cancer_mlp", load_breast_cancer, seed)


def wine_mlp(seed: int = 0):
    """An MLP on scikit-learn's wine (13 features, 3 classes); same layout as breast_cancer."""
    from sklearn.datasets import load_wine

    return _tabular_mlp("wine_mlp", load_wine, seed)


def accuracy(model, x, y) -> float:
    """Held-out accuracy of a demo classifier."""
    probs = model.predict(x, verbose=0, batch_size=256)
    return float((probs.argmax(axis=-1) == y).mean())


from ._demo_decoy import decoy_digits  # noqa: E402,F401  (issue 14's shortcut demo)
from ._demo_reviews import reviews_model  # noqa: E402,F401  (the text demo, its own module)
from ._demo_shortcut import shortcut_dataset, shortcut_shapes  # noqa: E402,F401  (issue 19)
