"""Errors raised for bad input. Each says what was wrong and what to do about it."""

from __future__ import annotations


class ExplainError(ValueError):
    """Bad input to an explainer: the message says what was wrong and how to fix it.

    Raised before any long computation starts.
    """


class Cancelled(RuntimeError):
    """A computation was cancelled between two batches (by the ``cancel`` callable)."""


class InputRangeWarning(UserWarning):
    """The inputs look like they are on another scale than the model expects (e.g. pixel
    values 0..255 for a model trained on [0, 1]). A warning, not an error: some models are
    trained on 0..255. Silence it with
    ``warnings.filterwarnings("ignore", category=xw.InputRangeWarning)``."""
