"""The ImageExplainer's Trust panel, the user's region and feedback training (issue 14).

A mixin, so the ImageExplainer's own file changes by one base class:
- ``w.region``: a boolean (N, H, W) array, painted in the browser (one binary message per
  stroke, sent on release: the image's whole mask after the stroke) or set from Python
  (which draws it);
- ``w.evaluate_trust()`` / the panel's "Evaluate" button: ``xw.metrics.evaluate`` for the
  methods shown (the method, or the compare grid) on the shown image; ``w.trust`` reads the
  DataFrame back. With a region, the pointing game and relevance mass join;
- ``w.train_with_feedback()`` / "Train with this feedback": right-for-the-right-reasons
  training with the painted region as "should not matter", then the view recomputes; the
  accuracy (on ``validation_data``) and the heatmap before and after are kept side by side.
  ``w.feedback_scope`` says which region each training image gets: "each" (the default on
  the widget's own images: image i its own region, images without one no penalty) or "all"
  (the union of the regions on every training image: a decoy at a fixed position; set by
  ``use_feedback_data``, whose images have no regions of their own).
"""

from __future__ import annotations

import numpy as np
import traitlets

from .._encode import array_payload, heatmap_payload, percentile_cutoffs
from ..errors import Cancelled, ExplainError
from ..explainers import get_method
from ..payloads import heatmap_view

SANITY_LAYERS = 2  # the Trust panel's sanity check re-draws the top 2 weighted layers
TRUST_COLUMNS = ("deletion_auc", "insertion_auc", "faithfulness_correlation",
                 "max_sensitivity", "sparseness", "random_logit", "randomization",
                 "pointing_game", "relevance_mass")


def _number(value):
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    value = float(value)
    return value if np.isfinite(value) else None


class TrustMixin(traitlets.HasTraits):
    # the user's region: uint8 (N, H, W) of 0/1 as a binary payload, with a version counter
    region_masks = traitlets.Dict().tag(sync=True)
    # the Trust panel: one row per method for the shown image, the captions, the curves
    trust_rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    trust_info = traitlets.Dict().tag(sync=True)
    # feedback training: accuracy and heatmaps before and after
    feedback_info = traitlets.Dict().tag(sync=True)
    # which region each training image gets: "each" (its own) or "all" (the union); the
    # panel's switch sets it, and nothing is computed until Train
    feedback_scope = traitlets.Enum(("each", "all"), default_value="each").tag(sync=True)
    # the training data: {} = the widget's own images, else {"rows": N} (use_feedback_data)
    feedback_data = traitlets.Dict().tag(sync=True)

    # -- the region ---------------------------------------------------------------------
    def _region_array(self) -> np.ndarray:
        if getattr(self, "_region", None) is None:
            self._region = np.zeros(self._x.shape[:3], bool)
            self._region_version = 0
        return self._region

    @property
    def region(self) -> np.ndarray:
        """The user's region, a boolean (N, H, W) array (a copy); set it to draw one."""
        return self._region_array().copy()

    @region.setter
    def region(self, value):
        shape = self._x.shape[:3]
        mask = np.asarray(value)
        if mask.ndim == 2 and mask.shape == shape[1:]:
            mask = np.broadcast_to(mask, shape)
        if mask.shape != shape or mask.dtype.kind not in "biuf":
            raise ExplainError(f"region must be a boolean array of shape {shape} (or {shape[1:]}"
                               f" for every image), got {mask.shape} {mask.dtype}.")
        self._region_array()
        self._region = mask.astype(bool).copy()
        self._publish_region()

    def _publish_region(self):
        self._region_version += 1
        self.region_masks = {**array_payload(self._region.astype(np.uint8), "uint8"),
                             "version": self._region_version}

    def _on_custom_message(self, widget, content, buffers):
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "region_stroke":
            self._stroke(content, buffers)
        elif kind == "region_clear":
            region = self._region_array()
            region[:] = False
            self._publish_region()
        elif kind == "trust":
            self._run("trust", lambda progress, cancelled: self._trust(progress, cancelled),
                      lane="trust", background=True)
        elif kind == "train_feedback":
            self._run("feedback", lambda progress, cancelled: self._feedback(
                progress, cancelled), lane="feedback", background=True)
        else:
            super()._on_custom_message(widget, content, buffers)

    def _stroke(self, content, buffers):
        """One stroke: the image's whole mask after it, (H, W) uint8, in one buffer."""
        index = content.get("index")
        region = self._region_array()
        if not isinstance(index, int) or not 0 <= index < len(region) or len(buffers) != 1:
            return  # a malformed message from the browser: nothing to apply
        data = np.frombuffer(bytes(buffers[0]), np.uint8)
        if data.size != region[index].size:
            return
        region[index] = data.reshape(region.shape[1:]) > 0
        self._publish_region()

    # -- the Trust panel ----------------------------------------------------------------
    @property
    def trust(self):
        """The last trust evaluation (a DataFrame, one row per method), or None."""
        self.wait()
        return getattr(self, "_trust_frame", None)

    def evaluate_trust(self, **options):
        """Evaluate the methods shown on the shown image now (``xw.metrics.evaluate``'s
        options pass through; ``sanity_layers``: how many top layers the sanity check
        re-draws, 0 skips it); returns the DataFrame (also ``w.trust``)."""
        self._run("trust", lambda progress, cancelled: self._trust(progress, cancelled,
                                                                   **options),
                  lane="trust", background=False)
        return self._trust_frame

    def _trust(self, progress, cancelled, **options):
        from .. import metrics

        shown = dict(self.shown or {})
        index = shown.get("index", self.index)
        method = shown.get("method", self.method)
        names = [method] + [m for m in shown.get("compare", []) if m != method]
        target = shown.get("class_index")
        region = self._region_array()[index:index + 1]
        # the sanity check comes below, as maps (randomized_maps) with their correlation
        sanity_layers = options.pop("sanity_layers", SANITY_LAYERS)
        settings = {"steps": 32, "subsets": 64, "samples": 8, "randomization_layers": None,
                    "options": {method: dict(shown.get("options", {}))} if shown.get(
                        "options") else None, **options}
        frame = metrics.evaluate(
            self._model, self._x[index:index + 1], methods=names,
            targets=None if target is None else [int(target)],
            masks=region if region.any() else None, head=self._adapter.head_name
            if len(self.heads) > 1 else None, output=self._output, progress=progress,
            cancel=cancelled, **settings)
        sanity = []
        if sanity_layers:
            for name in names:
                if cancelled():
                    raise Cancelled("trust evaluation cancelled")
                opts = dict(shown.get("options", {})) if name == method else {}
                opts["output"] = self._output  # what the widget explains
                if len(self.heads) > 1:
                    opts["head"] = self._adapter.head_name
                maps, corr = metrics.randomized_maps(
                    self._model, self._x[index:index + 1], method=name,
                    targets=None if target is None else [int(target)], layers=sanity_layers,
                    **opts)
                frame.loc[frame.method == name, "randomization"] = float(corr[0])
                payload, scale = heatmap_payload(maps[0])
                sanity.append({"heatmap": payload, "info": {
                    "scale": scale, "signed": bool(get_method(name, "image").signed),
                    "cutoffs": percentile_cutoffs(maps[0]), "method": name,
                    "label": get_method(name, "image").label, "correlation": _number(corr[0]),
                    "layers": sanity_layers}})
            frame.attrs["captions"]["randomization"] = metrics.METRIC_CAPTIONS["randomization"]
        curves = frame.attrs["curves"]
        self._trust_frame = frame
        with self.hold_sync():
            self.trust_rows = [
                {"method": row["method"], "label": self.methods.get(row["method"], {}).get(
                    "label", row["method"]),
                 **{c: _number(row[c]) for c in TRUST_COLUMNS if c in frame.columns}}
                for _, row in frame.iterrows()]
            self.trust_info = {
                "index": int(index), "methods": names,
                "captions": dict(frame.attrs["captions"]),
                "fractions": array_payload(curves["fractions"]),
                "deletion": array_payload(np.stack([curves[m]["deletion"][0] for m in names])),
                "insertion": array_payload(np.stack([curves[m]["insertion"][0] for m in names])),
                "region": bool(region.any()),
                "sanity": sanity,
            }

    # -- feedback training --------------------------------------------------------------
    def use_feedback_data(self, x, y, validation_data=None):
        """The data "Train with this feedback" trains on (default: the widget's images,
        labelled with the model's own predictions). These images have no regions of their
        own, so this sets ``feedback_scope = "all"``: the union of the painted regions is
        marked as "should not matter" in every training input (a decoy at a fixed position);
        ``validation_data=(x, y)`` gives the accuracy before and after."""
        x = self._adapter.validate_inputs(x)
        if x.shape[1:3] != self._x.shape[1:3]:
            raise ExplainError(f"feedback images must be {self._x.shape[1:3]} like the "
                               f"widget's, got {x.shape[1:3]}.")
        self._feedback_data = (x, np.asarray(y), validation_data)
        with self.hold_sync():
            self.feedback_data = {"rows": int(len(x))}
            self.feedback_scope = "all"

    def train_with_feedback(self, **options):
        """Train now with the painted region as "should not matter" (``feedback_scope``:
        each image its own region, or the union on every image; see
        ``use_feedback_data``); ``options`` go to ``xw.feedback.fit_right_reasons``.
        Returns the training history."""
        self._run("feedback", lambda progress, cancelled: self._feedback(
            progress, cancelled, **options), lane="feedback", background=False)
        return self._feedback_history

    def _refresh_after_training(self):
        """The model changed: every cached explanation and output is stale, and so is the
        Trust panel's evaluation (``w.trust`` keeps the last one, of the model before)."""
        self._cache.clear()
        with self.hold_sync():
            self.trust_rows, self.trust_info = [], {}
        self._heads = {}
        self._update_top_classes()
        shown = self._shown_request
        if shown is None:
            return
        names, kind = self.class_names, self._adapter.value_kind
        current = self._explanation(*shown[:5], None, None)
        self._current = current
        with self.hold_sync():
            self.heatmap, self.heatmap_info = heatmap_view(current, names, value_kind=kind)

    def _feedback(self, progress, cancelled, **options):
        from .. import feedback

        region = self._region_array()
        if not region.any():
            raise ExplainError("paint a region that should not matter first (the brush), "
                               "then train.")
        x, y, validation = getattr(self, "_feedback_data", (None, None, None))
        scope = self.feedback_scope
        if scope == "each" and x is not None:
            raise ExplainError(
                'feedback_scope "each" gives each of the widget\'s images its own region, and '
                "the training data of use_feedback_data has no regions of its own: set "
                'w.feedback_scope = "all" (the union of the regions, on every training image).')
        if x is None:
            x = self._x
            y = np.argmax(self._adapter.scores(x), axis=-1)
        painted = int(region.reshape(len(region), -1).any(axis=1).sum())
        # "each": image i with its own region (all False: no penalty, cross-entropy only);
        # "all": the union, the same on every training image
        masks = region.copy() if scope == "each" else np.broadcast_to(region.any(axis=0),
                                                                     x.shape[:3])
        accuracy = (lambda: None) if validation is None else (
            lambda: float((np.argmax(self._adapter.scores(self._adapter.validate_inputs(
                validation[0])), -1) == np.asarray(validation[1])).mean()))
        names = self.class_names
        kind = self._adapter.value_kind
        before_exp = self._current
        before = accuracy()
        settings = {"epochs": 10, "batch_size": 32, **options}
        try:
            history = feedback.fit_right_reasons(self._model, x, y, masks, progress=progress,
                                                 cancel=cancelled, **settings)
        except Cancelled:
            # the model keeps the steps done before the cancel: show what it is now
            self._refresh_after_training()
            raise
        self._feedback_history = history
        after = accuracy()
        self._refresh_after_training()
        shown = self._shown_request
        after_exp = self._explanation(*shown[:5], None, None) if shown else None
        if shown:
            compared = [self._explanation(shown[0], shown[1], other, shown[3], {}, None, None)
                        for other in shown[5] if other != shown[2]]
            self._current, self._compared = after_exp, compared
            with self.hold_sync():
                self.heatmap, self.heatmap_info = heatmap_view(after_exp, names,
                                                               value_kind=kind)
                self.compare_heatmaps = [
                    {"heatmap": p, "info": i} for p, i in
                    (heatmap_view(exp, names, value_kind=kind) for exp in compared)]
        pictures = {}
        for label, exp in (("before", before_exp), ("after", after_exp)):
            if exp is not None:
                payload, info = heatmap_view(exp, names, value_kind=kind)
                pictures[label] = {"heatmap": payload, "info": info}
        mass = {}
        for label, exp in (("before", before_exp), ("after", after_exp)):
            if exp is not None and region[shown[1]].any():
                from ..metrics import relevance_mass

                mass[label] = _number(relevance_mass(np.abs(exp.heatmaps),
                                                     region[shown[1]][None])[0])
        self.feedback_info = {
            "before_accuracy": before, "after_accuracy": after,
            "validation": validation is not None, "epochs": settings["epochs"],
            "strength": history.params["strength"], "rows": int(len(x)),
            "scope": scope, "painted": painted, "images": int(len(region)),
            "own": getattr(self, "_feedback_data", None) is None,
            "relevance_mass": mass, "index": None if not shown else int(shown[1]),
            **pictures,
        }
