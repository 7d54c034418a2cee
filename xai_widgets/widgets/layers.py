"""LayerBrowser: walk through a model's layers on your own input.

One compiled forward+backward pass (``ActivationProbe``, built once per model) records every
layer's output and its gradient for the target class; selecting a layer only quantises and
sends that layer's maps (uint8 with per-channel ranges), never all layers at once. Sorting,
how many channels to show, which channel is enlarged, the opacity and the histogram of the
layer's values are view-only: the browser draws them from data it has.

The histogram is drawn by the view itself rather than with bqplot: bqplot 0.13's frontend
(0.6.x) is shipped inside its Python wheel but not published on npm, where a notebook's HTML
export looks for it, so a bqplot chart would be blank in every static export.
"""

from __future__ import annotations

import numpy as np
import traitlets

from .._encode import png_bytes
from ..errors import ExplainError
from ..explainers import explain
from ..explainers.activations import ActivationProbe, decision_path, layer_table
from ..explainers.cam import resolve_layer
from ..models import adapt
from ..payloads import activation_view, heatmap_view, top_classes, weights_view
from ._base import ComputeWidget, bundle, check_target
from ._cache import LRUCache

# One pass (every layer's output and gradient for one target) is 1.3 MB for a 3-conv CNN at
# 224x224 (7 MB at 512x512) but 165 MB for MobileNetV2 at 224x224, and one forward+backward
# pass recomputes it (~0.4 s for MobileNetV2 on 2 cores): keep up to 16 targets in 128 MB
# (for a large model, only the target shown). A Grad-CAM payload (float16 heatmap at input
# resolution) is 0.1 MB at 224x224, 0.5 MB at 512x512: 64 (layer, target)s in 32 MB.
PASSES, PASS_BYTES = 16, 128 * 2**20
GRADCAMS, GRADCAM_BYTES = 64, 32 * 2**20


class LayerBrowser(ComputeWidget):
    """Walk through a model's layers on one input (traits: js/CONTRACT.md).

    >>> b = LayerBrowser(model, image, class_names=names)
    >>> b.layer = "conv2"      # set from Python; the view follows
    >>> b.activations          # the selected layer's numpy output
    """

    _esm = bundle("layer_browser.js")
    _css = bundle("layer_browser.css")

    image = traitlets.Bytes().tag(sync=True)
    image_size = traitlets.List(traitlets.Int()).tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    heads = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the model's outputs, by name
    head = traitlets.Unicode("").tag(sync=True)  # the explained one (fixed: see _fixed_head)
    top_classes = traitlets.List(traitlets.Dict()).tag(sync=True)
    target = traitlets.Int(-1).tag(sync=True)
    layers = traitlets.List(traitlets.Dict()).tag(sync=True)
    layer = traitlets.Unicode("").tag(sync=True)
    activation = traitlets.Dict().tag(sync=True)
    activation_info = traitlets.Dict().tag(sync=True)
    weights = traitlets.Dict().tag(sync=True)
    weights_info = traitlets.Dict().tag(sync=True)
    decision_path = traitlets.List(traitlets.Dict()).tag(sync=True)
    gradcam_layer = traitlets.Unicode("").tag(sync=True)
    gradcam = traitlets.Dict().tag(sync=True)
    gradcam_info = traitlets.Dict().tag(sync=True)
    # view only
    order = traitlets.Unicode("mean").tag(sync=True)
    count = traitlets.Int(32).tag(sync=True)
    channel = traitlets.Int(-1).tag(sync=True)
    opacity = traitlets.Float(0.6).tag(sync=True)
    height = traitlets.Int(760).tag(sync=True)  # explicit pixels: % heights collapse

    def __init__(self, model, image, class_names=None, *, target=None, layer=None,
                 output="logit", head=None):
        self._adapter = adapt(model, output=output, head=head)
        x = self._adapter.validate_inputs(image)
        if len(x) != 1:
            raise ExplainError(
                f"LayerBrowser reads the layers for one input; got a batch of {len(x)}. "
                "Pass one image, e.g. x[0]."
            )
        names = self._adapter.class_names(class_names)
        self._x = x
        self._probe = ActivationProbe(self._adapter, compiled=False)  # see its docstring
        self._rows = {row.path: row for row in layer_table(self._adapter)}
        self._passes = LRUCache(PASSES, PASS_BYTES)  # target -> (acts, grads, t)
        self._paths = LRUCache(PASSES, PASS_BYTES)  # target -> decision path (it does not
        # depend on the selected layer, and costs a pass over every layer's maps)
        self._gradcams = LRUCache(GRADCAMS, GRADCAM_BYTES)
        if target is not None:
            self._adapter.resolve_targets(target, 1, None)  # a clear error before computing
        first = -1 if target is None else int(target)
        acts, grads, scores, resolved = self._probe.run(x, None if first == -1 else first)
        self._passes[first] = (acts, grads, int(resolved[0]))
        outputs = self._adapter.to_outputs(scores)[0]
        if layer is None:
            try:
                layer = "/".join(self._adapter.default_spatial_layer().path)
            except ExplainError:
                layer = self._probe.paths[0]
        super().__init__(
            image=png_bytes(x[0]) if x.ndim in (3, 4) else b"",
            image_size=list(x.shape[1:3]) if x.ndim in (3, 4) else [],
            class_names=names,
            heads=self._adapter.head_names,
            head=self._adapter.head_name,
            top_classes=top_classes(outputs, names, value_kind=self._adapter.value_kind),
            target=-1 if target is None else int(target),
            layers=[row.as_dict() for row in self._rows.values()],
            layer=self._check_layer(layer),
        )
        self._run("layers", self._work)

    # -- reading back -------------------------------------------------------------------
    def _pass(self):
        return self._passes.get(self.target)

    def shown_activation(self) -> np.ndarray:
        """The selected layer's output as computed so far (does not wait: safe to call from
        observers, which may run on the worker thread)."""
        return self._pass()[0][self.layer][0]

    @property
    def activations(self) -> np.ndarray:
        """The selected layer's output for the input (without the batch axis)."""
        self.wait()
        return self.shown_activation()

    @property
    def gradients(self) -> np.ndarray:
        """d(target score)/d(selected layer's output), without the batch axis."""
        self.wait()
        return self._pass()[1][self.layer][0]

    # -- changes ------------------------------------------------------------------------
    def _check_layer(self, path: str) -> str:
        if path not in self._probe.paths:
            info = self._adapter.find_layer(path)  # a clear error for unknown names
            path = "/".join(info.path)
            if path not in self._probe.paths:
                raise ExplainError(f"layer {path!r} has no output to show (an input or a "
                                   "nested model: pick one of its layers).")
        return path

    @traitlets.validate("layer")
    def _validate_layer(self, proposal):
        try:
            return self._check_layer(proposal["value"])
        except ExplainError as exc:
            raise traitlets.TraitError(str(exc)) from None

    @traitlets.validate("head")
    def _fixed_head(self, proposal):
        if proposal["value"] != self._adapter.head_name:
            raise traitlets.TraitError(
                f"this LayerBrowser explains the output {self._adapter.head_name!r}; make "
                f"another with head={proposal['value']!r} to see that one.")
        return proposal["value"]

    @traitlets.validate("target")
    def _validate_target(self, proposal):
        return check_target(self._adapter, proposal["value"])

    @traitlets.observe("layer", "target", "gradcam_layer")
    def _changed(self, change):
        self._run("layers", self._work)

    # -- work ---------------------------------------------------------------------------
    def _work(self, progress, cancelled):
        target = self.target
        entry = self._passes.get(target)
        if entry is None:
            acts, grads, _, resolved = self._probe.run(self._x, None if target == -1 else target)
            entry = self._passes[target] = (acts, grads, int(resolved[0]))
        acts, grads, resolved = entry
        gradcam = self._gradcam(resolved, progress, cancelled) if self.gradcam_layer else None
        with self.hold_sync():
            self.activation, self.activation_info = self._activation_payload(acts, grads)
            self.weights, self.weights_info = self._weights_payload()
            path = self._paths.get(target)
            if path is None:
                path = self._paths[target] = decision_path(self._probe, acts, grads)
            self.decision_path = path
            if gradcam is None:
                self.gradcam, self.gradcam_info = {}, {}
            else:
                self.gradcam, self.gradcam_info = gradcam

    def _activation_payload(self, acts, grads):
        a, g = acts[self.layer][0], grads[self.layer][0]
        note = labels = None
        strip = self._adapter._strip
        if strip is not None and self._adapter.find_layer(self.layer).layer is strip[1].op:
            note = f"scores before the final {self._adapter.final_activation}"
        if self.layer == self._probe.paths[-1] and a.shape == (len(self.class_names),):
            labels = self.class_names  # the output's units are the classes
        payload, info = activation_view(a, g, labels=labels, note=note)
        return payload, {**info, "layer": self.layer}  # what the maps are of (shown vs asked)

    def _weights_payload(self):
        return weights_view(self._adapter.find_layer(self.layer).layer)

    def _gradcam(self, target, progress, cancelled):
        key = (self.gradcam_layer, target)
        cached = self._gradcams.get(key)
        if cached is None:
            resolve_layer(self._adapter, self.gradcam_layer)  # clear error if not spatial
            exp = explain(self._adapter, self._x, method="gradcam", target=target,
                          layer=self.gradcam_layer, progress=progress, cancel=cancelled)
            payload, info = heatmap_view(exp, self.class_names,
                                         label=f"Grad-CAM at {self.gradcam_layer}",
                                         value_kind=self._adapter.value_kind)
            if exp.warnings:  # an empty map says why, in its caption (the view shows it)
                info = {**info, "caption": " ".join([info.get("caption", ""), *exp.warnings])}
            cached = self._gradcams[key] = (payload, {**info, "layer": self.gradcam_layer,
                                                      "warnings": list(exp.warnings)})
        return cached

    def _release(self):
        shown = self._passes.get(self.target)  # what is shown stays readable
        for cache in (self._passes, self._paths, self._gradcams):
            cache.clear()
        if shown is not None:
            self._passes[self.target] = shown
