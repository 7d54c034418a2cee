"""anywidget classes: traitlets + message handlers; the computing is in explainers/."""

from .dataset import DatasetExplorer
from .image import ImageExplainer
from .layers import LayerBrowser
from .tabular import FeatureImportance
from .text import TextExplainer

__all__ = ["DatasetExplorer", "FeatureImportance", "ImageExplainer", "LayerBrowser", "TextExplainer"]
