"""anywidget classes: traitlets + message handlers; the computing is in explainers/."""

from .image import ImageExplainer

__all__ = ["ImageExplainer"]
