"""xai-widgets: Jupyter widgets that explain TensorFlow/Keras 3 models.

    import xai_widgets as xw
    model, (x, y), class_names = xw.demo.digits_cnn()
    exp = xw.explain(model, x[:4], method="integrated_gradients")
    exp.plot(class_names)
"""

from __future__ import annotations

from . import demo, feedback, metrics, plotting, tables
from .errors import Cancelled, ExplainError, InputRangeWarning
from .explainers import Explanation, explain, methods
from .models import ModelAdapter, adapt
from .widgets import FeatureImportance, ImageExplainer, LayerBrowser

__version__ = "0.1.0"

__all__ = [
    "Cancelled", "ExplainError", "Explanation", "InputRangeWarning", "FeatureImportance", "ImageExplainer", "LayerBrowser", "ModelAdapter", "adapt", "demo", "explain",
    "feedback", "methods", "metrics", "plotting", "tables", "__version__",
]
