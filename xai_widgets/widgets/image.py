"""ImageExplainer: a live heatmap over the image, with controls.

View-only controls (opacity, threshold, colormap, signed/absolute, heatmap alone) are handled
in the browser from the data already there; their traits are synced back (debounced) so that
Python and ``to_png()`` see the current view. Controls that need the model (method, target,
options, image, compare) change traits here, which computes through ``explain()``; results are
cached per (image, method, target, options).
"""

from __future__ import annotations

import collections
from pathlib import Path

import numpy as np
import traitlets

from .._encode import heatmap_payload, percentile_cutoffs, png_bytes
from ..errors import ExplainError
from ..explainers import Explanation, explain, get_method, methods
from ..models import _is_model, adapt
from ._base import ComputeWidget, check_target

STATIC = Path(__file__).resolve().parent.parent / "static"
TOP_K = 5
CACHE_SIZE = 64

# Browser colormap names -> matplotlib names, for to_png (same orientation: red = positive).
MPL_COLORMAPS = {"RdBu": "RdBu_r", "PuOr": "PuOr_r", "viridis": "viridis",
                 "cividis": "cividis", "inferno": "inferno"}


def caption(label: str, class_name: str, score: float, score_kind: str, signed: bool) -> str:
    """The one-line reading of a heatmap, in plain words."""
    what = "probability" if score_kind == "probability" else "score"
    head = f"{label} for class '{class_name}' ({what} {score:.3g})"
    if signed:
        return f"{head}: warm pixels raise the {what}, cool ones lower it"
    return f"{head}: brighter pixels matter more"


class ImageExplainer(ComputeWidget):
    """Explain a Keras image model's decision, live, in the notebook.

    >>> w = ImageExplainer(model, images, class_names=names)
    >>> w.method = "gradcam"; w.target = 3
    >>> w.explanation            # the Explanation shown
    >>> w.to_png("figure.png")   # the current view with colorbar and caption
    """

    _esm = STATIC / "image_explainer.js"
    _css = STATIC / "image_explainer.css"

    # data (sent once)
    images = traitlets.List(traitlets.Bytes()).tag(sync=True)
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    methods = traitlets.Dict().tag(sync=True)
    layers = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # what to explain (kernel work)
    index = traitlets.Int(0).tag(sync=True)
    method = traitlets.Unicode("integrated_gradients").tag(sync=True)
    target = traitlets.Int(-1).tag(sync=True)  # -1: the top class
    options = traitlets.Dict().tag(sync=True)
    compare = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # results
    top_classes = traitlets.List(traitlets.Dict()).tag(sync=True)
    heatmap = traitlets.Dict().tag(sync=True)
    heatmap_info = traitlets.Dict().tag(sync=True)
    compare_heatmaps = traitlets.List(traitlets.Dict()).tag(sync=True)
    # view only (browser-side; synced back debounced)
    opacity = traitlets.Float(0.6).tag(sync=True)
    threshold = traitlets.Float(0.0).tag(sync=True)
    colormap = traitlets.Unicode("auto").tag(sync=True)
    absolute = traitlets.Bool(False).tag(sync=True)
    heatmap_only = traitlets.Bool(False).tag(sync=True)
    height = traitlets.Int(560).tag(sync=True)  # explicit pixels: % heights collapse

    def __init__(self, model, images, class_names=None, *, method="integrated_gradients",
                 target=None, options=None, output="logit", head=None, batch_size=32):
        self._adapter = adapt(model, output=output, head=head)
        x = self._adapter.validate_inputs(images)
        if x.ndim not in (3, 4):
            raise ExplainError(
                f"ImageExplainer shows images (N, H, W[, C]); the model's input is {x.shape}. "
                "Use FeatureImportance for tabular models."
            )
        names = self._adapter.class_names(class_names)
        get_method(method)
        self._x = x
        self._model = model
        self._batch_size = batch_size
        self._probabilities = self._adapter.probabilities(x)
        self._cache: collections.OrderedDict = collections.OrderedDict()
        self._current: Explanation | None = None
        self._compared: list[Explanation] = []
        spatial = [
            "/".join(info.path) for info in self._adapter.layers()
            if info.is_spatial and not _is_model(info.layer)
        ]
        super().__init__(
            images=[png_bytes(img) for img in x],
            class_names=names,
            methods=methods(),
            layers=spatial,
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
    def inputs(self) -> np.ndarray:
        return self._x

    # -- reacting to changes ------------------------------------------------------------
    @traitlets.validate("target")
    def _check_target(self, proposal):
        return check_target(self._adapter, proposal["value"])

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
        self._explain_now()

    @traitlets.observe("method", "target", "options", "compare")
    def _request_changed(self, change):
        if change["name"] == "method" and change["old"] != change["new"]:
            # options belong to a method: keep only those the new one knows
            known = get_method(change["new"]).options if change["new"] in self.methods else {}
            kept = {k: v for k, v in self.options.items() if k in known}
            if kept != self.options:
                self.options = kept  # fires this observer again, which does the work
                return
        self._explain_now()

    def _update_top_classes(self):
        probs = self._probabilities[self.index]
        order = np.argsort(probs)[::-1][:TOP_K]
        self.top_classes = [
            {"index": int(i), "name": self.class_names[i], "probability": float(probs[i])}
            for i in order
        ]

    # -- computing ----------------------------------------------------------------------
    def _explain_now(self):
        request = (self.index, self.method, self.target, dict(self.options), list(self.compare))
        self._run("explain", lambda progress, cancelled: self._explain(request, progress,
                                                                       cancelled))

    def _explanation(self, index, method, target, options, progress, cancelled) -> Explanation:
        key = (index, method, target, tuple(sorted((k, repr(v)) for k, v in options.items())))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        exp = explain(
            self._adapter, self._x[index:index + 1], method=method,
            target=None if target == -1 else target, progress=progress, cancel=cancelled,
            **{"batch_size": self._batch_size, **options},
        )
        self._cache[key] = exp
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return exp

    def _explain(self, request, progress, cancelled):
        index, method, target, options, compare = request
        current = self._explanation(index, method, target, options, progress, cancelled)
        compared = []
        for other in compare:
            opts = options if other == method else {}
            compared.append(self._explanation(index, other, target, opts, progress, cancelled))
        with self.hold_sync():
            self._current, self._compared = current, compared
            self.heatmap, self.heatmap_info = self._payload(current)
            self.compare_heatmaps = [
                {"heatmap": payload, "info": info}
                for payload, info in map(self._payload, compared)
            ]

    def _payload(self, exp: Explanation):
        heat = exp.heatmaps[0]
        payload, scale = heatmap_payload(heat)
        spec = get_method(exp.method)
        target = int(exp.targets[0])
        name = self.class_names[target]
        score = float(exp.scores[0])
        kind = exp.params.get("score", "")
        return payload, {
            "method": exp.method,
            "label": spec.label,
            "target": target,
            "class_name": name,
            "score": score,
            "score_kind": kind,
            "signed": bool(exp.signed),
            "scale": scale,
            "cutoffs": percentile_cutoffs(heat),
            "min": float(np.nanmin(heat)),
            "max": float(np.nanmax(heat)),
            "layer": exp.params.get("layer", ""),
            "seconds": exp.seconds,
            "caption": caption(spec.label, name, score, kind, exp.signed),
            "caption_magnitude": caption(spec.label, name, score, kind, False),
        }

    # -- static picture -----------------------------------------------------------------
    def to_png(self, path=None, dpi: int = 120) -> bytes:
        """The current view (heatmap(s) with colorbar and caption) as PNG bytes; also
        written to ``path`` if given."""
        import matplotlib.figure

        from ..plotting import SIGNED_CMAP, MAGNITUDE_CMAP, display_image, figure_png

        exps = [self.explanation] + list(self._compared)
        fig = matplotlib.figure.Figure(figsize=(4.2 * len(exps), 4.6), dpi=dpi)
        axes = fig.subplots(1, len(exps), squeeze=False)[0]
        for ax, exp in zip(axes, exps):
            heat = exp.heatmaps[0].astype(np.float32)
            signed = exp.signed and not self.absolute
            if not signed:
                heat = np.abs(heat)
            limit = float(np.abs(heat).max()) or 1.0
            if self.threshold > 0:
                cutoff = np.percentile(np.abs(heat), self.threshold)
                heat = np.where(np.abs(heat) < cutoff, np.nan, heat)
            name = self.colormap if self.colormap in MPL_COLORMAPS else (
                "RdBu" if signed else "viridis")
            cmap = MPL_COLORMAPS[name] if self.colormap != "auto" else (
                SIGNED_CMAP if signed else MAGNITUDE_CMAP)
            if not self.heatmap_only:
                img, img_cmap = display_image(exp.inputs[0])
                ax.imshow(img, cmap=img_cmap, interpolation="nearest")
            # As in the browser: over the image, opacity grows with sqrt(|value|).
            fade = np.sqrt(np.clip(np.nan_to_num(np.abs(heat)) / limit, 0.0, 1.0))
            im = ax.imshow(heat, cmap=cmap, vmin=-limit if signed else 0.0, vmax=limit,
                           alpha=1.0 if self.heatmap_only else self.opacity * fade,
                           interpolation="nearest" if max(heat.shape) < 64 else "bilinear")
            ax.axis("off")
            fig.colorbar(im, ax=ax, orientation="horizontal", fraction=0.05, pad=0.04)
            _, info = self._payload(exp)
            ax.set_title(info["caption"] if signed else info["caption_magnitude"],
                         fontsize=8, wrap=True)
        fig.tight_layout()
        return figure_png(fig, path)
