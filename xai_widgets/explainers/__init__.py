"""Pure explanation computations: Keras model + numpy arrays in, Explanation out.

Nothing below this package imports widgets or prints.
"""

from __future__ import annotations

from . import cam, gradients, perturbation, tabular  # noqa: F401  (registers the methods)
from . import lrp  # noqa: F401  (registers lrp; the module, so lrp.plan_of etc. stay reachable)
from . import text  # noqa: F401  (the text registrations: words of text models)
from . import guided, superpixels  # noqa: F401  (image methods of issue 16; after tabular)
from .base import METHODS, REGISTRY, Explanation, Method, Option, get_method, method_for, methods
from .cam import gradcam, gradcam_plus_plus, scorecam
from .counterfactual_search import Counterfactuals, counterfactuals
from .effects import accumulated_local_effects, partial_dependence
from .guided import deconvnet, guided_backprop
from .gradients import gradient_x_input, integrated_gradients, saliency, smoothgrad
from .perturbation import occlusion
from .tabular import global_surrogates, kernel_shap, permutation_importance


def explain(model, inputs, method: str = "integrated_gradients", target=None, **options):
    """Explain ``model``'s decision on ``inputs`` with a registered method.

    ``target``: None (each input's top class), one class index for all, or one per input.
    Other keywords: ``output`` ("logit" or "probability"), ``head`` (multi-output models),
    ``batch_size``, ``progress(done, total)``, ``cancel() -> bool``, and the method's own
    options (see ``methods(kind=...)``). A name registered for several kinds of input runs
    the registration that fits ``inputs`` (see ``method_for``).
    """
    return method_for(method, inputs, options).function(model, inputs, target, **options)


__all__ = [
    "METHODS", "REGISTRY", "Explanation", "Method", "Option", "explain", "get_method",
    "method_for", "methods",
    "saliency", "gradient_x_input", "integrated_gradients", "smoothgrad", "gradcam",
    "gradcam_plus_plus", "occlusion", "kernel_shap", "permutation_importance", "global_surrogates",
    "partial_dependence", "accumulated_local_effects", "counterfactuals", "Counterfactuals",
    "scorecam", "guided_backprop", "deconvnet",
]
