"""Decoy digits (issue 14): scikit-learn's digits with a shortcut in the training data.

In training, a swatch in the top-left corner has a grey level that encodes the label: a model
can read the label there and ignore the digit. In the test set the swatch's grey level is
that of a random class, so a model that took the shortcut fails there. ``masks`` mark the
swatch: what should not matter (for :func:`xai_widgets.feedback.fit_right_reasons`).
"""

from __future__ import annotations

import numpy as np

SWATCH = 2  # the swatch is SWATCH x SWATCH pixels in the top-left corner


def swatch_level(labels) -> np.ndarray:
    """The grey level that encodes each label: 0.1 (zero) .. 1.0 (nine)."""
    return (0.1 + 0.1 * np.asarray(labels)).astype(np.float32)


def decoy_digits(seed: int = 0):
    """``(x, y, masks), (x_test, y_test), class_names``.

    ``x`` (N, 8, 8, 1) float32 in [0, 1] with the label's swatch; ``masks`` (N, 8, 8) bool,
    True on the swatch (it should not matter); ``x_test`` has the swatch of a random class.
    The digits themselves are :func:`xai_widgets.demo.digits_data`'s split."""
    from .demo import digits_data

    (x, y), (x_test, y_test), names = digits_data(seed)
    rng = np.random.default_rng(seed + 14)
    x, x_test = x.copy(), x_test.copy()
    x[:, :SWATCH, :SWATCH, 0] = swatch_level(y)[:, None, None]
    x_test[:, :SWATCH, :SWATCH, 0] = swatch_level(rng.integers(0, 10, len(x_test)))[:, None, None]
    masks = np.zeros(x.shape[:3], bool)
    masks[:, :SWATCH, :SWATCH] = True
    return (x, y, masks), (x_test, y_test), names


def swatch_masks(n: int) -> np.ndarray:
    """(n, 8, 8) masks of the swatch."""
    masks = np.zeros((n, 8, 8), bool)
    masks[:, :SWATCH, :SWATCH] = True
    return masks
