"""ImageExplainer: a live heatmap over the image, with controls.

View-only controls (opacity, threshold, colormap, signed/absolute, heatmap alone) are handled
in the browser from the data already there; their traits are synced back (debounced) so that
Python and ``to_png()`` see the current view. Controls that need the model (head, method,
target, options, image, compare) change traits here, which computes through ``explain()``;
results are cached per (head, image, method, target, options).

What the numbers are travels with them: ``top_classes`` entries carry the head's
``value_kind`` ("probability" when it ends in softmax or sigmoid, "score" for logits, "value"
for a regression head, whose one entry is its predicted value, named after the head).
"""

from __future__ import annotations

import textwrap

import numpy as np
import traitlets

from .._encode import png_bytes
from ..errors import Cancelled, ExplainError
from ..explainers import Explanation, explain, get_method, methods
from ..models import _is_model, adapt
from ..payloads import heatmap_view, segment_borders, subject, top_classes
from ._base import ComputeWidget, bundle, check_target
from ._cache import LRUCache
from ._methods import MethodMenu
from ._trust import TrustMixin

# Cached explanations, per widget. An entry holds the input, the attributions, the heatmap
# (and IG's baseline): 0.8-1.9 MB at 224x224, 4-10 MB at 512x512. 64 MB keeps one compare
# of every image method on a 512x512 image (~53 MB), or 35-80 requests at 224x224.
CACHE_SIZE = 64
CACHE_BYTES = 64 * 2**20
# the traits that ask the kernel (the head first: restoring it resets the target)
REQUEST = ("head", "index", "method", "target", "options", "compare")
# The first view's method: saliency, one gradient per image, the cheapest method that is
# defined for every differentiable model, so the first heatmap of a large model comes in
# well under 1.5 s on a laptop CPU (MobileNetV2, 2 cores: ~0.5 s cold). Integrated gradients
# (32 gradients, ~2-3.5 s cold there) and the others are one click away, and cached.
DEFAULT_METHOD = "saliency"


class ImageExplainer(MethodMenu, TrustMixin, ComputeWidget):
    """Explain a Keras image model's decision, live, in the notebook.

    >>> w = ImageExplainer(model, images, class_names=names)
    >>> w.method = "gradcam"; w.target = 3
    >>> w.head = "age"           # another output of a multi-output model (see ``heads``)
    >>> w.explanation            # the Explanation shown
    >>> w.to_png("figure.png")   # the current view with colorbar and caption
    """

    _esm = bundle("image_explainer.js")
    _css = bundle("image_explainer.css")
    _METHOD_KIND, _METHOD_INPUTS = "image", "images"  # the method menu (MethodMenu)

    # data (sent once)
    images = traitlets.List(traitlets.Bytes()).tag(sync=True)
    image_sizes = traitlets.List(traitlets.List(traitlets.Int())).tag(sync=True)  # [H, W]
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    methods = traitlets.Dict().tag(sync=True)  # the registry's image methods
    heads = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the model's outputs, by name
    layers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # what is asked for (kernel work); after a cancel or a failure they go back to `shown`
    head = traitlets.Unicode("").tag(sync=True)  # the explained output; a change resets target
    index = traitlets.Int(0).tag(sync=True)
    method = traitlets.Unicode(DEFAULT_METHOD).tag(sync=True)
    target = traitlets.Int(-1).tag(sync=True)  # -1: the top class
    options = traitlets.Dict().tag(sync=True)
    compare = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # what is shown: the request the picture answers, and why it is not the newest one
    shown = traitlets.Dict().tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)
    # results
    top_classes = traitlets.List(traitlets.Dict()).tag(sync=True)
    heatmap = traitlets.Dict().tag(sync=True)
    heatmap_info = traitlets.Dict().tag(sync=True)
    compare_heatmaps = traitlets.List(traitlets.Dict()).tag(sync=True)  # other than `method`
    # view only (browser-side; synced back debounced)
    opacity = traitlets.Float(0.6).tag(sync=True)
    threshold = traitlets.Float(0.0).tag(sync=True)
    colormap = traitlets.Unicode("auto").tag(sync=True)
    absolute = traitlets.Bool(False).tag(sync=True)
    heatmap_only = traitlets.Bool(False).tag(sync=True)
    show_segments = traitlets.Bool(False).tag(sync=True)  # superpixel methods: their segments
    height = traitlets.Int(600).tag(sync=True)  # explicit pixels: % heights collapse

    def __init__(self, model, images, class_names=None, *, method=DEFAULT_METHOD,
                 target=None, options=None, output="logit", head=None, batch_size=32):
        self._adapter = adapt(model, output=output, head=head)
        self._output = output
        x = self._adapter.validate_inputs(images)
        if x.ndim not in (3, 4):
            raise ExplainError(
                f"ImageExplainer shows images (N, H, W[, C]); the model's input is {x.shape}. "
                "Use FeatureImportance for tabular models."
            )
        offered = methods(kind="image")
        self._check_method(method, offered)
        self._x = x
        self._model = model
        self._batch_size = batch_size
        self._heads: dict[str, tuple] = {}  # head -> (adapter, class names, outputs per image)
        self._class_names = self._check_class_names(class_names)
        names = self._head(self._adapter.head_name)[1]
        self._cache = LRUCache(CACHE_SIZE, CACHE_BYTES)
        self._current: Explanation | None = None
        self._compared: list[Explanation] = []
        self._shown_request: tuple | None = None
        self._restoring = False
        spatial = [
            "/".join(info.path) for info in self._adapter.layers()
            if info.is_spatial and not _is_model(info.layer)
        ]
        super().__init__(
            images=[png_bytes(img) for img in x],
            image_sizes=[list(img.shape[:2]) for img in x],
            class_names=names,
            methods=offered,
            layers=spatial,
            heads=self._adapter.head_names,
            head=self._adapter.head_name,
            method=method,
            target=-1 if target is None else int(target),
            options=dict(options or {}),
        )
        self._update_top_classes()
        self._explain_now()

    # -- reading back -------------------------------------------------------------------
    @property
    def explanation(self) -> Explanation | None:
        """The Explanation shown now (waits for work the browser asked for)."""
        self.wait()
        return self._current

    @property
    def compared(self) -> list[Explanation]:
        """The other methods' Explanations shown beside it in compare mode."""
        self.wait()
        return list(self._compared)

    @property
    def inputs(self) -> np.ndarray:
        return self._x

    # -- heads --------------------------------------------------------------------------
    def _check_class_names(self, class_names) -> dict:
        """{head: names}: a list names the head given; a dict names any of the outputs (by
        index or name). Counts are checked now, before anything is computed. The classes of
        a head without names are "0", "1", ..."""
        if class_names is None:
            return {}
        if not isinstance(class_names, dict):
            class_names = {self._adapter.head_name: class_names}
        named = {}
        for key, names in class_names.items():
            label = self._adapter.head_names[self._adapter._resolve_head(key)[0]]
            self._head_adapter(label).class_names(names)  # a clear error if they do not fit
            named[label] = names
        return named

    def _head_adapter(self, label: str):
        if label == self._adapter.head_name:
            return self._adapter
        return adapt(self._model, output=self._output, head=label)

    def _head(self, label: str) -> tuple:
        """(adapter, class names, the head's outputs for every image) of one output."""
        if label not in self._heads:
            adapter = self._head_adapter(label)
            names = adapter.class_names(self._class_names.get(label))
            self._heads[label] = (adapter, names, adapter.outputs(self._x))
        return self._heads[label]

    def _use_head(self, label: str):
        """Ask about another output: its classes, its top outputs; the target goes back to
        the top class (another head's class index means nothing here)."""
        if label == self._adapter.head_name:
            return
        adapter, names, _ = self._head(label)
        self._adapter = adapter
        restoring, self._restoring = self._restoring, True  # no request of their own
        try:
            with self.hold_sync():
                self.target = -1
                self.class_names = names
                self._update_top_classes()
        finally:
            self._restoring = restoring

    # -- reacting to changes ------------------------------------------------------------
    @traitlets.validate("target")
    def _check_target(self, proposal):
        return check_target(self._adapter, proposal["value"])

    @traitlets.validate("head")
    def _validate_head(self, proposal):
        if proposal["value"] not in self.heads:
            raise traitlets.TraitError(f"no output named {proposal['value']!r}; the model's "
                                       f"outputs are {self.heads}.")
        return proposal["value"]

    @traitlets.observe("head")
    def _head_changed(self, change):
        self._use_head(change["new"])
        if not self._restoring:
            self._explain_now()

    @traitlets.validate("index")
    def _check_index(self, proposal):
        value = proposal["value"]
        if not 0 <= value < len(self._x):
            raise traitlets.TraitError(f"index {value} is out of range: there are "
                                       f"{len(self._x)} images.")
        return value

    @traitlets.observe("index")
    def _index_changed(self, change):
        self._update_top_classes()
        if not self._restoring:
            self._explain_now()

    @traitlets.observe("method", "target", "options", "compare")
    def _request_changed(self, change):
        if self._restoring:
            return
        if self._drop_unknown_options(change):
            return  # the new options fire this observer again, which does the work
        self._explain_now()

    def _update_top_classes(self):
        adapter, names, outputs = self._head(self._adapter.head_name)
        self.top_classes = top_classes(outputs[self.index], names,
                                       value_kind=adapter.value_kind)

    # -- computing ----------------------------------------------------------------------
    def _request(self) -> tuple:
        return (self.head, self.index, self.method, self.target, dict(self.options),
                list(self.compare))

    def _explain_now(self):
        request = self._request()
        self._run("explain", lambda progress, cancelled: self._explain(request, progress,
                                                                       cancelled))

    def _explanation(self, head, index, method, target, options, progress,
                     cancelled) -> Explanation:
        key = (head, index, method, target,
               tuple(sorted((k, repr(v)) for k, v in options.items())))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        exp = explain(
            self._head(head)[0], self._x[index:index + 1], method=method,
            target=None if target == -1 else target, progress=progress, cancel=cancelled,
            **{"batch_size": self._batch_size, **options},
        )
        self._cache[key] = exp
        return exp

    def _explain(self, request, progress, cancelled):
        head, index, method, target, options, compare = request
        try:
            current = self._explanation(head, index, method, target, options, progress,
                                        cancelled)
            compared = [self._explanation(head, index, other, target, {}, progress, cancelled)
                        for other in compare if other != method]
        except BaseException as exc:
            if not self._superseded():  # a newer request replaced this one: nothing to undo
                self._restore_request(request, exc)
            raise
        adapter, names, _ = self._head(head)
        kind = adapter.value_kind
        with self.hold_sync():
            self._current, self._compared = current, compared
            self._shown_request = request
            self.heatmap, self.heatmap_info = heatmap_view(current, names, value_kind=kind)
            self.compare_heatmaps = [
                {"heatmap": payload, "info": info}
                for payload, info in (heatmap_view(exp, names, value_kind=kind)
                                      for exp in compared)
            ]
            self.shown = {
                "head": head, "index": index, "method": method, "target": target,
                "class_index": int(current.targets[0]), "options": dict(options),
                "compare": [exp.method for exp in compared],
                "label": get_method(method, "image").label,
            }
            # an empty map says why (Explanation.warnings), instead of a blank picture
            self.notice = " ".join(dict.fromkeys(
                text for exp in [current, *compared] for text in exp.warnings))

    def _restore_request(self, request, exc: BaseException):
        """The request failed or was cancelled: the controls go back to what is shown and
        the widget says so (the error itself is in ``error``)."""
        shown = self._shown_request
        if shown is None:
            return  # nothing shown yet (the first explanation): the error says it all
        asked = get_method(request[2], "image").label
        what = self.shown.get("label", shown[2])
        adapter, names, _ = self._head(shown[0])
        name = subject(names[self.shown.get("class_index", 0)], adapter.value_kind)
        verb = "cancelled" if isinstance(exc, Cancelled) else "failed"
        self._restoring = True
        try:
            with self.hold_sync():
                for key, value in zip(REQUEST, shown):
                    setattr(self, key, value)
                self.notice = (f"{asked} {verb}: still showing {what} for {name}"
                               f" (image {shown[1]}).")
        finally:
            self._restoring = False

    def _release(self):
        self._cache.clear()  # what is shown stays: w.explanation and to_png() still work

    # -- static picture -----------------------------------------------------------------
    def figure(self, dpi: int = 120):
        """The current view as a matplotlib Figure: each shown heatmap over its image, with
        its colorbar and caption, at the images' full resolution."""
        import matplotlib.figure

        from ..plotting import draw_heatmap

        exps = [self.explanation] + list(self._compared)
        adapter, names, _ = self._head(self._shown_request[0])
        height, width = exps[0].inputs.shape[1:3]
        # each panel at least as many pixels as the image has (a large image is not shrunk)
        side = max(4.2, max(height, width) / dpi + 0.6)
        # constrained layout makes room for the wrapped captions (tight_layout clipped them)
        fig = matplotlib.figure.Figure(figsize=(side * len(exps), side * 1.2), dpi=dpi,
                                       layout="constrained")
        axes = fig.subplots(1, len(exps), squeeze=False)[0]
        for ax, exp in zip(axes, exps):
            signed = exp.signed and not self.absolute
            mappable = draw_heatmap(
                ax, exp.inputs[0], exp.heatmaps[0], signed=exp.signed,
                colormap=self.colormap, absolute=self.absolute, threshold=self.threshold,
                opacity=self.opacity, heatmap_only=self.heatmap_only)
            segments = exp.params.get("segments")
            if self.show_segments and segments is not None:
                border = segment_borders(np.asarray(segments)[0])
                ax.imshow(np.ma.masked_where(~border, border), cmap="binary_r", vmin=0, vmax=1,
                          interpolation="nearest", alpha=0.9)
            fig.colorbar(mappable, ax=ax, orientation="horizontal", fraction=0.05, pad=0.02)
            _, info = heatmap_view(exp, names, value_kind=adapter.value_kind)
            text = info["caption"] if signed else info["caption_magnitude"]
            ax.set_title(textwrap.fill(text, 58), fontsize=8)
        return fig

    def to_png(self, path=None, dpi: int = 120) -> bytes:
        """The current view (heatmap(s) with colorbar and caption) as PNG bytes, at the
        images' full resolution; also written to ``path`` if given."""
        from ..plotting import figure_png

        return figure_png(self.figure(dpi), path)

