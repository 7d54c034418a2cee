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
