import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pytest


@pytest.fixture(scope="session")
def keras():
    import keras

    return keras


@pytest.fixture(scope="session")
def digits():
    """(model, (x_test, y_test), class_names) of the demo digits CNN (cached on disk)."""
    import xai_widgets as xw

    return xw.demo.digits_cnn()


@pytest.fixture(scope="session")
def shapes():
    import xai_widgets as xw

    return xw.demo.shapes_cnn()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(scope="session")
def reviews():
    """(model, (texts_test, y_test), class_names) of the demo reviews model (cached)."""
    import xai_widgets as xw

    return xw.demo.reviews_model()


@pytest.fixture(scope="session")
def reviews_truth(reviews):
    """The decisive words' indices of each test review (the demo's stated rule)."""
    from xai_widgets._demo_reviews import reviews_dataset

    _, (texts, _), _ = reviews
    _, _, decisive = reviews_dataset()
    return decisive[len(decisive) - len(texts):]


# The FeatureImportance's and the tabular explainers' tests share these two models with
# known answers (module scope, as before: each test module gets its own copy).
@pytest.fixture(scope="module")
def linear_regressor(keras):
    """f(x) = w.x + b, a regressor on 4 features with known attributions (PD of feature j:
    w_j * v + const): (model, X, y = f(X), w)."""
    w = np.array([2.0, -1.0, 0.5, 0.0], np.float32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, name="d")])
    model.get_layer("d").set_weights([w[:, None], np.array([0.25], np.float32)])
    X = np.random.default_rng(0).normal(size=(120, 4)).astype(np.float32)
    y = X @ w + 0.25
    return model, X, y, w


@pytest.fixture(scope="module")
def one_feature(keras):
    """Class 1 iff feature 2 > 0 (softmax of logits (0, 10 x2)); the others are ignored:
    (model, X, y)."""
    model = keras.Sequential([keras.Input((5,)),
                              keras.layers.Dense(2, activation="softmax", name="d")])
    kernel = np.zeros((5, 2), np.float32)
    kernel[2, 1] = 10.0
    model.get_layer("d").set_weights([kernel, np.zeros(2, np.float32)])
    X = np.random.default_rng(5).normal(size=(300, 5)).astype(np.float32)
    return model, X, (X[:, 2] > 0).astype(int)


# Image models with known answers, shared by the metrics', trust checks' and empty maps' tests.
@pytest.fixture(scope="module")
def pixel_model(keras):
    """Softmax over two classes whose logit difference is 20 x pixel (1, 2) - 10 (4x4x1
    images)."""
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax", name="dense")])
    kernel = np.zeros((16, 2), np.float32)
    kernel[1 * 4 + 2, 0] = 20.0
    model.get_layer("dense").set_weights([kernel, np.array([0.0, 10.0], np.float32)])
    return model


@pytest.fixture(scope="module")
def negative_head(keras):
    """conv (positive kernel and bias, ReLU: every activation > 0) -> flatten -> dense whose
    class-0 weights are all -1 and class-1 weights all +1. Every channel lowers class 0's
    score everywhere, so Grad-CAM (with its ReLU) is exactly zero for class 0 and positive
    for class 1: (model, three 6x6x1 images)."""
    model = keras.Sequential([
        keras.Input((6, 6, 1)),
        keras.layers.Conv2D(2, 3, padding="same", activation="relu", name="conv"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(2, name="head"),
    ])
    model.get_layer("conv").set_weights([np.full((3, 3, 1, 2), 0.1, np.float32),
                                         np.full((2,), 0.5, np.float32)])
    kernel = np.stack([-np.ones(72), np.ones(72)], axis=1).astype(np.float32)
    model.get_layer("head").set_weights([kernel, np.zeros(2, np.float32)])
    x = np.random.default_rng(0).uniform(size=(3, 6, 6, 1)).astype(np.float32)
    return model, x
