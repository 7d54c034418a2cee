"""The shortcut shapes: a demo where the model is right for the wrong reason (issue 19).

The shapes demo (a circle, a square or a triangle decides the class), plus one bar. In the
training images the bar's place gives the class away: circles have it along the top edge,
squares along the left edge, triangles on the diagonal. In the test images the bar's place
is drawn at random, independent of the class. A model that learned the bar instead of the
shape is near-perfect in training and falls in test; its explanations light up the bar;
measured against the masks (object vs bar), the attribution sits on the bar.

    model, train, test, names = shortcut_shapes()
    x, y, object_masks, bar_masks = test
"""

from __future__ import annotations

import numpy as np

from .demo import SHAPE_CLASSES, _cached, _shape_mask

BAR_PLACES = ("top edge", "left edge", "diagonal")  # the place that goes with each class


def _bar_mask(place: int, size: int, rng) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size]
    length = int(size * 0.55)
    start = int(rng.integers(1, size - length - 1))
    if place == 0:  # along the top edge
        row = int(rng.integers(1, 3))
        return (yy >= row) & (yy < row + 2) & (xx >= start) & (xx < start + length)
    if place == 1:  # along the left edge
        col = int(rng.integers(1, 3))
        return (xx >= col) & (xx < col + 2) & (yy >= start) & (yy < start + length)
    # the anti-diagonal near the bottom-right corner
    offset = int(rng.integers(0, 3))
    d = xx + yy - (2 * size - 8 - offset)
    return (np.abs(d) <= 1) & (xx >= size - length) & (yy >= size - length)


def shortcut_dataset(n: int = 1200, size: int = 32, seed: int = 0, shortcut: float = 1.0):
    """Images (N, size, size, 3) in [0, 1], labels (N,), object masks and bar masks (N, size,
    size) bool, class names. With probability ``shortcut`` the bar is at its class's place
    (``BAR_PLACES``); otherwise at a random one of the three."""
    rng = np.random.default_rng(seed)
    x = np.empty((n, size, size, 3), np.float32)
    y = rng.integers(0, len(SHAPE_CLASSES), n)
    objects = np.zeros((n, size, size), bool)
    bars = np.zeros((n, size, size), bool)
    for i in range(n):
        img = rng.uniform(0.0, 0.25, (size, size, 3)).astype(np.float32)
        r = rng.uniform(0.13, 0.17) * size
        # the object stays clear of the three bar places
        cy, cx = rng.uniform(r + 5, size - r - 6, 2)
        place = int(y[i]) if rng.uniform() < shortcut else int(rng.integers(0, 3))
        bar = _bar_mask(place, size, rng)
        obj = _shape_mask(SHAPE_CLASSES[y[i]], size, cy, cx, r) & ~bar
        img[bar] = rng.uniform(0.6, 1.0, 3)
        img[obj] = rng.uniform(0.5, 1.0, 3)
        x[i], objects[i], bars[i] = img, obj, bar
    return x, y.astype(np.int64), objects, bars, list(SHAPE_CLASSES)


def shortcut_shapes(seed: int = 0):
    """A small CNN (global-pooling head, so Grad-CAM works) trained on shortcut images.

    Returns ``model, (x_train, y_train, object_masks, bar_masks), (x_test, ...), class_names``:
    in training the bar's place gives the class away; in test it does not.
    """
    import keras
    from keras import layers

    x, y, objects, bars, names = shortcut_dataset(n=1200, seed=seed, shortcut=1.0)
    test = shortcut_dataset(n=300, seed=seed + 1000, shortcut=0.0)

    def train_model():
        model = keras.Sequential(
            [
                keras.Input((32, 32, 3), name="image"),
                layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
                layers.MaxPooling2D(2, name="pool1"),
                layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
                layers.Conv2D(32, 3, padding="same", activation="relu", name="conv3"),
                layers.GlobalAveragePooling2D(name="gap"),
                layers.Dense(len(names), activation="softmax", name="probabilities"),
            ],
            name="shortcut_cnn",
        )
        model.compile(optimizer=keras.optimizers.Adam(3e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.fit(x, y, epochs=6, batch_size=64, verbose=0)
        return model

    model = _cached("shortcut_cnn", seed, train_model)
    return model, (x, y, objects, bars), test[:4], names
