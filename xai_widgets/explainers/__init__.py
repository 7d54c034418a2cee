"""Pure explanation computations: Keras model + numpy arrays in, Explanation out.

Nothing below this package imports widgets or prints.
"""

from __future__ import annotations

from . import cam, gradients, perturbation, tabular  # noqa: F401  (registers the methods)
from .base import METHODS, Explanation, Method, Option, get_method, methods
from .cam import gradcam, gradcam_plus_plus
from .gradients import gradient_x_input, integrated_gradients, saliency, smoothgrad
from .perturbation import occlusion
from .tabular import global_surrogates, kernel_shap, permutation_importance


def explain(model, inputs, method: str = "integrated_gradients", target=None, **options):
    """Explain ``model``'s decision on ``inputs`` with a registered method.

    ``target``: None (each input's top class), one class index for all, or one per input.
    Other keywords: ``output`` ("logit" or "probability"), ``head`` (multi-output models),
    ``batch_size``, ``progress(done, total)``, ``cancel() -> bool``, and the method's own
    options (see ``methods()``).
    """
    return get_method(method).function(model, inputs, target, **options)


__all__ = [
    "METHODS", "Explanation", "Method", "Option", "explain", "get_method", "methods",
    "saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "gradcam",
    "gradcam_plus_plus", "occlusion", "kernel_shap", "permutation_importance", "global_surrogates",
]
