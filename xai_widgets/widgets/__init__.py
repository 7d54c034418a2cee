"""anywidget classes: traitlets + message handlers; the computing is in explainers/."""

from .image import ImageExplainer
from .layers import LayerBrowser

__all__ = ["ImageExplainer", "LayerBrowser"]
