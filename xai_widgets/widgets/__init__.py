"""anywidget classes: traitlets + message handlers; the computing is in explainers/."""

from .image import ImageExplainer
from .layers import LayerBrowser
from .tabular import FeatureImportance

__all__ = ["FeatureImportance", "ImageExplainer", "LayerBrowser"]
