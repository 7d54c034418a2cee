"""xai-widgets: Jupyter widgets that explain TensorFlow/Keras 3 models.

    import xai_widgets as xw
    model, (x, y), class_names = xw.demo.digits_cnn()
    exp = xw.explain(model, x[:4], method="integrated_gradients")
    exp.plot(class_names)
"""

from __future__ import annotations

from . import _startup

_startup.quiet_in_kernel()  # in a notebook: TensorFlow's start-up log lines stay out of it

from . import demo, feedback, metrics, plotting, tables  # noqa: E402
from .datasets import explain_dataset  # noqa: E402  (a data set's explanations into a Zarr store)
from .errors import Cancelled, ExplainError, InputRangeWarning
from .explainers import Explanation, explain, methods
from .export import export_html
from .models import ModelAdapter, adapt
from .widgets import FeatureImportance, ImageExplainer, LayerBrowser
from .widgets import TextExplainer
from .widgets import DatasetExplorer

__version__ = "0.1.0"

__all__ = [
    "Cancelled", "ExplainError", "Explanation", "InputRangeWarning", "FeatureImportance", "ImageExplainer", "LayerBrowser", "ModelAdapter", "adapt", "demo", "explain", "export_html",
    "feedback", "methods", "metrics", "plotting", "tables", "__version__",
    "TextExplainer", "TrainingMonitor",
    "explain_dataset", "DatasetExplorer",
]


def __getattr__(name):
    # TrainingMonitor is a keras.callbacks.Callback, so its module imports Keras (and
    # TensorFlow): loaded on first use, `import xai_widgets` stays fast
    if name == "TrainingMonitor":
        from .widgets.monitor import TrainingMonitor

        return TrainingMonitor
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
