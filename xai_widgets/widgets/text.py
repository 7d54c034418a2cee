"""TextExplainer: the words of a text, each coloured by its attribution, live.

The text, the method, the class, the options and the methods compared ask the kernel
(``text`` re-predicts and re-explains); the colormap is the browser's. Results are cached
per (text, method, target, options); the newest request wins (see ``ComputeWidget``).
"""

from __future__ import annotations

import numpy as np
import traitlets

from ..errors import Cancelled, ExplainError
from ..explainers import explain, get_method, methods
from ..explainers.text import MODEL_OPTIONS, text_model
from ..payloads import subject, top_classes
from ..payloads_text import text_row
from ._base import ComputeWidget, bundle, check_target
from ._cache import LRUCache
from ._methods import MethodMenu

CACHE_SIZE = 256
CACHE_BYTES = 16 * 2**20
REQUEST = ("text", "method", "target", "options", "compare")


class TextExplainer(MethodMenu, ComputeWidget):
    """Explain a Keras text classifier's decision word by word, live, in the notebook.

    >>> t = TextExplainer(model, texts, class_names=names)
    >>> t.text = "not bad at all, really"      # re-predicts and re-explains
    >>> t.method = "occlusion"; t.target = 1
    >>> t.compare = ["occlusion", "kernel_shap"]  # more rows, one per method
    >>> t.explanation                            # the TextExplanation shown
    >>> t.to_png("words.png")
    """

    _esm = bundle("text_explainer.js")
    _css = bundle("text_explainer.css")
    _METHOD_KIND, _METHOD_INPUTS = "text", "text"  # the method menu (MethodMenu)

    # data (sent once)
    texts = traitlets.List(traitlets.Unicode()).tag(sync=True)  # the texts to pick from
    class_names = traitlets.List(traitlets.Unicode()).tag(sync=True)
    methods = traitlets.Dict().tag(sync=True)  # the registry's text methods
    # what is asked for (kernel work); after a cancel or a failure they go back to `shown`
    text = traitlets.Unicode("").tag(sync=True)
    method = traitlets.Unicode("integrated_gradients").tag(sync=True)
    target = traitlets.Int(-1).tag(sync=True)  # -1: the top class
    options = traitlets.Dict().tag(sync=True)
    compare = traitlets.List(traitlets.Unicode()).tag(sync=True)
    # what is shown
    shown = traitlets.Dict().tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)
    top_classes = traitlets.List(traitlets.Dict()).tag(sync=True)
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)  # payloads_text.text_row, each
    # view only
    colormap = traitlets.Unicode("auto").tag(sync=True)
    height = traitlets.Int(420).tag(sync=True)

    def __init__(self, model, texts, class_names=None, *, method="integrated_gradients",
                 target=None, options=None, output="logit", batch_size=32, compare=(),
                 **model_options):
        unknown = sorted(set(model_options) - set(MODEL_OPTIONS))
        if unknown:
            raise ExplainError(f"unknown argument(s) {unknown}; the model's text options are "
                               f"{list(MODEL_OPTIONS)}.")
        texts = [texts] if isinstance(texts, str) else [str(t) for t in texts]
        if not texts:
            raise ExplainError("texts is empty; pass a text or a list of texts.")
        self._tm = text_model(model, output=output, **model_options)
        self._model, self._output, self._batch_size = model, output, batch_size
        self._model_options = model_options
        offered = methods(kind="text")
        self._check_method(method, offered)
        names = self._tm.class_names(class_names)
        self._cache = LRUCache(CACHE_SIZE, CACHE_BYTES)
        self._current = None
        self._compared = []
        self._shown_request = None
        self._restoring = False
        super().__init__(texts=texts, class_names=names, methods=offered, text=texts[0],
                         method=method, target=-1 if target is None else int(target),
                         options=dict(options or {}), compare=list(compare))
        self._explain_now()

    # -- reading back -------------------------------------------------------------------
    @property
    def explanation(self):
        """The TextExplanation shown now (waits for work the browser asked for)."""
        self.wait()
        return self._current

    @property
    def compared(self) -> list:
        self.wait()
        return list(self._compared)

    # -- checks -------------------------------------------------------------------------
    @traitlets.validate("target")
    def _validate_target(self, proposal):
        return check_target(self._tm, proposal["value"])

    @traitlets.validate("text")
    def _validate_text(self, proposal):
        if not proposal["value"].split():
            raise traitlets.TraitError("the text has no words; type at least one.")
        return proposal["value"]

    @traitlets.observe("text", "method", "target", "options", "compare")
    def _request_changed(self, change):
        if self._restoring:
            return
        if self._drop_unknown_options(change):
            return  # the new options fire this observer again, which does the work
        self._explain_now()

    # -- computing ----------------------------------------------------------------------
    def _request(self) -> tuple:
        return (self.text, self.method, self.target, dict(self.options), list(self.compare))

    def _explain_now(self):
        request = self._request()
        self._run("explain", lambda progress, cancelled: self._explain(request, progress,
                                                                       cancelled))

    def _explanation(self, text, method, target, options, progress, cancelled):
        key = (text, method, target, tuple(sorted((k, repr(v)) for k, v in options.items())))
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        exp = explain(self._model, [text], method=method,
                      target=None if target == -1 else target, output=self._output,
                      progress=progress, cancel=cancelled,
                      **{"batch_size": self._batch_size, **self._model_options, **options})
        self._cache[key] = exp
        return exp

    def _explain(self, request, progress, cancelled):
        text, method, target, options, compare = request
        try:
            current = self._explanation(text, method, target, options, progress, cancelled)
            compared = [self._explanation(text, other, target, {}, progress, cancelled)
                        for other in compare if other != method]
        except BaseException as exc:
            if not self._superseded():
                self._restore_request(request, exc)
            raise
        names = self.class_names
        with self.hold_sync():
            self._current, self._compared = current, compared
            self._shown_request = request
            self.top_classes = top_classes(current.outputs[0], names,
                                           value_kind=current.value_kind)
            self.rows = [text_row(exp, names) for exp in [current] + compared]
            self.shown = {"text": text, "method": method, "target": target,
                          "class_index": int(current.targets[0]), "options": dict(options),
                          "compare": [exp.method for exp in compared],
                          "label": get_method(method, "text").label}
            self.notice = ""

    def _restore_request(self, request, exc: BaseException):
        shown = self._shown_request
        if shown is None:
            return
        asked = get_method(request[1], "text").label
        what = self.shown.get("label", shown[1])
        name = subject(self.class_names[self.shown.get("class_index", 0)],
                       self._tm.value_kind)
        verb = "cancelled" if isinstance(exc, Cancelled) else "failed"
        self._restoring = True
        try:
            with self.hold_sync():
                for key, value in zip(REQUEST, shown):
                    setattr(self, key, value)
                self.notice = f"{asked} {verb}: still showing {what} for {name}."
        finally:
            self._restoring = False

    def _release(self):
        self._cache.clear()

    # -- static picture -----------------------------------------------------------------
    def figure(self, dpi: int = 120, width_chars: int = 90):
        """The current view as a matplotlib Figure: one block per method, its caption, its
        words coloured by value (the view's colormap) and a colorbar of the values."""
        from ..plotting_text import text_figure

        exps = [self.explanation] + list(self._compared)
        return text_figure([(exp, 0) for exp in exps], self.class_names, colormap=self.colormap,
                           dpi=dpi,
                           width_chars=width_chars)

    def to_png(self, path=None, dpi: int = 120) -> bytes:
        """The current view (each method's coloured words with its caption) as PNG bytes;
        also written to ``path`` if given."""
        from ..plotting import figure_png

        return figure_png(self.figure(dpi), path)
