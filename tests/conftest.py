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
