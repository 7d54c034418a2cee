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
