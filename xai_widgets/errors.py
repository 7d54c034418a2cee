"""Errors raised for bad input. Each says what was wrong and what to do about it."""

from __future__ import annotations


class ExplainError(ValueError):
    """Bad input to an explainer: the message says what was wrong and how to fix it.

    Raised before any long computation starts.
    """


class Cancelled(RuntimeError):
    """A computation was cancelled between two batches (by the ``cancel`` callable)."""
