"""The Explanation result, the method registry and the batched chunk runner.

Every method is registered once here, with its options and defaults, so ``explain()``, the
widgets' method menus and the docs all read the same table (``xai_widgets.methods()``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from typing import Any, Callable

import numpy as np

from .. import _idle
from ..errors import Cancelled, ExplainError
from ..models import ModelAdapter, adapt

DEFAULT_BATCH_SIZE = 32


# --------------------------------------------------------------------------- result
@dataclasses.dataclass
class Explanation:
    """What an explainer returns.

    Attributes
    ----------
    method: registered method name, e.g. ``"integrated_gradients"``.
    params: every option used, defaults included, plus ``output``/``head``/``score``.
    inputs: the (N, ...) float32 inputs that were explained.
    targets: (N,) int class index explained for each input.
    scores: (N,) float32 model score for that class (pre-softmax by default; see
        ``params["score"]``).
    attributions: float32; input-space methods: same shape as ``inputs``; CAM methods: the
        map at the layer's resolution (N, h, w).
    heatmaps: (N, H, W) float32 at input resolution, for display (None for inputs that are
        not images).
    signed: True when heatmaps have meaningful signs (diverging colormap centred at 0).
    seconds: wall time of the computation.
    completeness_delta: IG only: sum(attributions) - (f(x) - f(baseline)) per input.
    baselines: IG only: the baseline inputs used.
    warnings: plain-language warnings about the result, e.g. a map that is (near) zero
        everywhere, with why and what to try; empty when there is nothing to say.
    """

    method: str
    params: dict
    inputs: np.ndarray
    targets: np.ndarray
    scores: np.ndarray
    attributions: np.ndarray
    heatmaps: np.ndarray | None
    signed: bool
    seconds: float
    completeness_delta: np.ndarray | None = None
    baselines: np.ndarray | None = None
    warnings: list = dataclasses.field(default_factory=list)

    def __repr__(self) -> str:
        heat = None if self.heatmaps is None else self.heatmaps.shape
        extra = ""
        if self.completeness_delta is not None:
            extra = f", max |completeness delta|={np.abs(self.completeness_delta).max():.3g}"
        if self.warnings:  # e.g. an empty map: read .warnings
            extra += f", warnings={len(self.warnings)}"
        return (
            f"Explanation(method={self.method!r}, n={len(self.targets)}, "
            f"targets={self.targets.tolist()}, attributions{self.attributions.shape}, "
            f"heatmaps{heat}, signed={self.signed}, seconds={self.seconds:.3f}{extra})"
        )

    def plot(self, class_names=None, max_images: int = 8, cmap=None, alpha: float = 0.6):
        """A static matplotlib figure: each input with its heatmap laid over it."""
        from ..plotting import plot_explanation

        return plot_explanation(self, class_names, max_images=max_images, cmap=cmap, alpha=alpha)


# --------------------------------------------------------------------------- options
TYPES = ("integer", "number", "boolean", "choice", "layer", "array")
INPUT_KINDS = ("image", "tabular", "text")


@dataclasses.dataclass(frozen=True)
class Option:
    """One option of a method: its default, what it means, and what values are valid.

    ``types`` are data types, not widgets: ``integer``, ``number``, ``boolean``, ``choice``
    (one of ``choices``), ``layer`` (a layer's name or path in the model) and ``array``
    (a numpy array); an option may accept several (``("number", "choice")``: a number or
    one of the choices). A view decides how to ask for each.
    """

    name: str
    default: Any
    doc: str
    types: tuple = ("number",)
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self):
        types = (self.types,) if isinstance(self.types, str) else tuple(self.types)
        unknown = [t for t in types if t not in TYPES]
        if unknown:
            raise ValueError(f"option {self.name!r}: unknown type(s) {unknown}; use {TYPES}")
        object.__setattr__(self, "types", types)

    def check(self, method: str, value):
        bad = f"option {self.name}={value!r} of {method!r} is invalid: "
        if value is None and self.default is None:
            return None  # "automatic", see the option's doc
        for kind in self.types:
            ok, checked = self._accepts(kind, value)
            if ok:
                break
        else:
            if self.types == ("choice",):
                raise ExplainError(bad + f"valid values are {list(self.choices)}.")
            raise ExplainError(bad + f"expected {self._expected()} ({self.doc}).")
        if self.minimum is not None and isinstance(checked, (int, float)) and checked < self.minimum:
            raise ExplainError(bad + f"must be >= {self.minimum}.")
        if self.maximum is not None and isinstance(checked, (int, float)) and checked > self.maximum:
            raise ExplainError(bad + f"must be <= {self.maximum}.")
        return checked

    def _accepts(self, kind: str, value) -> tuple[bool, Any]:
        is_bool = isinstance(value, (bool, np.bool_))
        if kind == "integer":
            ok = not is_bool and isinstance(value, (int, np.integer))
            return ok, int(value) if ok else value
        if kind == "number":
            ok = (not is_bool and isinstance(value, (int, float, np.number))
                  and math.isfinite(float(value)))
            return ok, float(value) if ok else value
        if kind == "boolean":
            return is_bool, bool(value) if is_bool else value
        if kind == "choice":
            return isinstance(value, str) and value in self.choices, value
        if kind == "layer":
            return isinstance(value, str) and value != "", value
        if kind == "array":
            return isinstance(value, np.ndarray) or hasattr(value, "__array__"), value
        return False, value

    def _expected(self) -> str:
        words = {"integer": "an integer", "number": "a finite number",
                 "boolean": "True or False", "layer": "a layer name", "array": "an array",
                 "choice": "one of " + ", ".join(repr(c) for c in self.choices or ())}
        return " or ".join(words[t] for t in self.types)

    def describe(self) -> dict:
        default = self.default if not isinstance(self.default, np.ndarray) else None
        out = {"default": default, "doc": self.doc, "types": list(self.types)}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


BATCH_SIZE = Option(
    "batch_size", DEFAULT_BATCH_SIZE, "model evaluations per compiled call", "integer",
    minimum=1
)


@dataclasses.dataclass
class Method:
    name: str
    label: str
    description: str
    signed: bool
    space: str  # "input" (attributions shaped like inputs) or "layer" (CAM maps)
    inputs: tuple[str, ...]  # the kinds of input it explains: "image", "tabular"
    options: dict[str, Option]
    compute: Callable
    function: Callable = None  # the public function, set by register()
    # the method's own pass at the inputs gives their scores and picks the top class (it
    # returns "logits" and "targets"): no separate forward pass before it
    own_scores: bool = False

    def describe(self) -> dict:
        return {
            "label": self.label,
            "description": self.description,
            "signed": self.signed,
            "space": self.space,
            "inputs": list(self.inputs),
            "options": {name: opt.describe() for name, opt in self.options.items()},
        }

    def resolve_options(self, given: dict) -> dict:
        unknown = sorted(set(given) - set(self.options))
        if unknown:
            raise ExplainError(
                f"unknown option(s) {unknown} for method {self.name!r}; its options are "
                f"{sorted(self.options)} (and target, output, head, progress, cancel)."
            )
        return {
            name: opt.check(self.name, given[name]) if name in given else opt.default
            for name, opt in self.options.items()
        }


# One name may be registered once per kind of input, with a computation of its own (the
# integrated gradients of a text model run on its embeddings, of an image model on its
# pixels): REGISTRY holds every (name, kind); METHODS each name's first registration, the one
# behind ``xw.<name>`` and behind ``methods()`` without a kind.
REGISTRY: dict[tuple[str, str], Method] = {}
METHODS: dict[str, Method] = {}


def register(name: str, label: str, description: str, signed: bool, space: str = "input",
             options: tuple[Option, ...] = (), *, inputs: tuple[str, ...],
             own_scores: bool = False, run: Callable | None = None):
    """Register ``compute(adapter, x, targets, runner, **options) -> dict`` as a method
    (``runner.logits`` holds the inputs' scores, so methods need not compute them again).
    ``own_scores``: the method's own pass at the inputs gives their scores; it gets a target
    of -1 for "the top class" and returns ``logits`` and ``targets``, and no forward pass
    runs before it (``runner.logits`` is None).

    Returns the public function ``method(model, inputs, targets=None, *, output, head,
    progress, cancel, **options) -> Explanation``.

    ``run``: the runner the public function calls, ``run(spec, model, inputs, targets, *,
    output, head, progress, cancel, **options)``; default :func:`run_method` (numeric
    arrays through a ``ModelAdapter``). Text methods bring their own (``explainers/text.py``).
    """

    unknown = [kind for kind in inputs if kind not in INPUT_KINDS]
    if not inputs or unknown:
        raise ValueError(f"method {name!r}: inputs must name kinds from {INPUT_KINDS}")
    taken = [kind for kind in inputs if (name, kind) in REGISTRY]
    if taken:
        raise ValueError(f"method {name!r} is already registered for {taken} inputs")

    def decorate(compute):
        # every method has batch_size; one whose evaluations are cheap rows (tabular,
        # forward only) declares a larger default of its own
        table = {BATCH_SIZE.name: BATCH_SIZE, **{opt.name: opt for opt in options}}
        spec = Method(name, label, description, signed, space, tuple(inputs), table, compute,
                      own_scores=own_scores)

        @functools.wraps(compute)
        def public(model, inputs, targets=None, *, output: str = "logit", head=None,
                   progress: Callable[[int, int], None] | None = None,
                   cancel: Callable[[], bool] | None = None, **opts) -> Explanation:
            return (run or run_method)(spec, model, inputs, targets, output=output, head=head,
                                       progress=progress, cancel=cancel, **opts)

        public.__doc__ = f"{label}: {description}\n\nOptions:\n" + "\n".join(
            f"    {o.name} = {o.default!r}: {o.doc}" for o in spec.options.values()
        )
        spec.function = public
        for kind in spec.inputs:
            REGISTRY[(name, kind)] = spec
        METHODS.setdefault(name, spec)
        return public

    return decorate


def get_method(name: str, kind: str | None = None) -> Method:
    """The registered method ``name``; with ``kind``, its registration for that kind of input
    (a name may have one per kind). Unknown names and kinds raise ``ExplainError``."""
    if name not in METHODS:
        raise ExplainError(f"unknown method {name!r}; valid methods are {sorted(METHODS)}.")
    if kind is None:
        return METHODS[name]
    _check_kind(kind)
    if (name, kind) not in REGISTRY:
        fitting = [n for (n, k) in REGISTRY if k == kind]
        raise ExplainError(f"method {name!r} does not explain {kind} inputs (it explains "
                           f"{' and '.join(_kinds_of(name))} inputs); methods for {kind} "
                           f"inputs: {fitting}.")
    return REGISTRY[(name, kind)]


def _kinds_of(name: str) -> list[str]:
    return [k for (n, k) in REGISTRY if n == name]


def _check_kind(kind: str):
    if kind not in INPUT_KINDS:
        raise ExplainError(f"unknown input kind {kind!r}; the kinds are {list(INPUT_KINDS)}.")


def methods(kind: str | None = None) -> dict[str, dict]:
    """The registered methods: label, description, the kinds of input each explains
    (``inputs``), and each option with its default and data types. ``kind="image"`` (or
    ``"tabular"``, ``"text"``) lists only the methods that explain that kind of input, with
    that kind's options; without a kind, a name registered for several kinds lists all of
    them in ``inputs`` and the options of its first registration."""
    if kind is not None:
        _check_kind(kind)
        return {name: spec.describe() for (name, k), spec in REGISTRY.items() if k == kind}
    return {name: {**spec.describe(), "inputs": _kinds_of(name)}
            for name, spec in METHODS.items()}


def method_for(name: str, inputs, options: dict | None = None) -> Method:
    """The registration of ``name`` that fits ``inputs``: strings (or a ``vocabulary`` or
    ``tokenizer`` option) are text; (N, features) arrays tabular; (N, H, W[, C]) images.
    When the name has no registration for that kind, its first one, which then explains
    what is wrong with the inputs."""
    kind = _kind_of_raw(inputs, options or {})
    if kind is not None and (name, kind) in REGISTRY:
        return REGISTRY[(name, kind)]
    if kind == "text":  # texts are never valid image or tabular inputs: say which methods fit
        return get_method(name, kind)
    return get_method(name)


def _kind_of_raw(inputs, options: dict) -> str | None:
    if "vocabulary" in options or "tokenizer" in options or isinstance(inputs, str):
        return "text"
    if isinstance(inputs, (list, tuple)) and inputs and isinstance(inputs[0], str):
        return "text"
    dtype = getattr(inputs, "dtype", None)
    if isinstance(dtype, np.dtype) and dtype.kind in "USO" and np.ndim(inputs) == 1:
        return "text"
    try:
        ndim = inputs.ndim if hasattr(inputs, "ndim") else np.ndim(inputs)
    except (TypeError, ValueError):  # ragged lists: the method's own validation says why
        return None
    return _KIND_BY_NDIM.get(ndim)


_KIND_BY_NDIM = {2: "tabular", 3: "image", 4: "image"}


def input_kind(x: np.ndarray) -> str | None:
    """The kind of a validated batch: (N, features) -> "tabular"; (N, H, W[, C]) ->
    "image"; anything else -> None (no method is refused on shape grounds)."""
    return _KIND_BY_NDIM.get(x.ndim)


def check_input_kind(spec: Method, x: np.ndarray):
    kind = input_kind(x)
    if kind is not None and kind not in spec.inputs:
        fitting = sorted(name for (name, k) in REGISTRY if k == kind)
        raise ExplainError(
            f"{spec.name!r} explains {' and '.join(spec.inputs)} inputs; these inputs "
            f"{tuple(x.shape)} are {kind} inputs. Methods for {kind} inputs: {fitting}.")


# --------------------------------------------------------------------------- running
class Runner:
    """Hands out chunks of model evaluations, reports progress and honours cancel.

    ``progress(done, total)`` is called after each model call; ``cancel()`` is checked once
    per call, and a True answer raises :class:`Cancelled` between batches. The first check
    comes right after the first call (before its progress), the others before their call:
    the first call of a model often runs eagerly (see ``ModelAdapter.compile``), and an
    error it finds (an output without a gradient) is raised before any progress or cancel.
    """

    def __init__(self, batch_size: int, progress=None, cancel=None, logits=None):
        self.batch_size = int(batch_size)
        self.logits = logits  # (N, K) explained scores of the inputs, already computed
        self.progress = progress
        self.cancel = cancel
        self.total = 0
        self.done = 0

    def plan(self, evaluations: int):
        self.total += int(evaluations)

    def chunks(self, n_rows: int, size: int | None = None):
        size = size or self.batch_size
        for start in range(0, n_rows, size):
            first = start == 0 and self.done == 0
            if not first:
                self._check_cancel()
            stop = min(start + size, n_rows)
            yield start, stop
            if first:
                self._check_cancel()
            self.done += stop - start
            if self.progress is not None:
                self.progress(self.done, max(self.total, self.done))

    def _check_cancel(self):
        if self.cancel is not None and self.cancel():
            raise Cancelled(f"cancelled after {self.done} of {self.total} model evaluations")


def run_method(spec: Method, model, inputs, targets=None, *, output="logit", head=None,
               progress=None, cancel=None, **opts) -> Explanation:
    """Validate everything, then compute: bad input fails before any long computation.

    The model's functions that ran eagerly are compiled once the kernel is idle (after this
    cell, or after this request from a widget's browser view): see ``xai_widgets._idle``."""
    with _idle.computing():
        explanation = _run_method(spec, model, inputs, targets, output=output, head=head,
                                  progress=progress, cancel=cancel, **opts)
    _idle.after_request()
    return explanation


def _run_method(spec: Method, model, inputs, targets=None, *, output="logit", head=None,
                progress=None, cancel=None, **opts) -> Explanation:
    options = spec.resolve_options(opts)
    adapter: ModelAdapter = adapt(model, output=output, head=head)
    x = adapter.validate_inputs(inputs)
    check_input_kind(spec, x)
    if spec.own_scores:  # the method's pass gives the scores; -1: the top class
        logits = None
        targets = (np.full(len(x), -1, np.int32) if targets is None
                   else adapter.resolve_targets(targets, len(x)))
    else:
        logits = adapter.scores(x)
        targets = adapter.resolve_targets(targets, len(x), logits)
    runner = Runner(options.pop("batch_size"), progress, cancel, logits)
    start = time.perf_counter()
    result = spec.compute(adapter, x, targets, runner, **options)
    seconds = time.perf_counter() - start
    if spec.own_scores:
        logits, targets = result.pop("logits"), result.pop("targets").astype(np.int32)
    scores = logits[np.arange(len(x)), targets].astype(np.float32)
    params = {**options, **result.pop("params", {}), "batch_size": runner.batch_size, "output": adapter.output,
              "head": adapter.head_name, "score": adapter.score_kind}
    warnings = list(result.pop("warnings", []))
    if not warnings:
        warnings = empty_map_warnings(spec, result.get("heatmaps"), result["attributions"],
                                      targets, params)
    return Explanation(
        method=spec.name,
        params=params,
        inputs=x,
        targets=targets,
        scores=scores,
        signed=result.pop("signed", spec.signed),
        seconds=seconds,
        warnings=warnings,
        **result,
    )


# a map whose largest |value| is below this is "empty": nothing to show, whatever the scale
EMPTY_ATOL = 1e-9


def empty_inputs(maps) -> np.ndarray:
    """Indices of the inputs whose map (N, ...) is zero everywhere (max |value| below
    ``EMPTY_ATOL``), or not finite."""
    flat = np.asarray(maps, dtype=np.float64).reshape(len(maps), -1)
    if flat.shape[1] == 0:
        return np.arange(len(flat))
    peak = np.abs(flat).max(axis=1)
    return np.flatnonzero(~(peak > EMPTY_ATOL))


def _which(indices, n: int) -> str:
    if n == 1:
        return "this input"
    shown = ", ".join(str(int(i)) for i in indices[:8])
    more = f" and {len(indices) - 8} more" if len(indices) > 8 else ""
    return f"input{'s' if len(indices) > 1 else ''} {shown}{more} (of {n})"


def empty_map_warnings(spec: Method, heatmaps, attributions, targets, params) -> list:
    """A warning when a method's map is zero everywhere for some inputs: an empty picture
    is not "nothing matters", it is a method that has nothing to say here."""
    maps = heatmaps if heatmaps is not None else attributions
    empty = empty_inputs(maps)
    if not len(empty):
        return []
    classes = sorted({int(targets[i]) for i in empty})
    cls = ("class " if len(classes) == 1 else "classes ") + ", ".join(
        str(c) for c in classes[:5]) + (", ..." if len(classes) > 5 else "")
    advice = ("the score's gradient is zero there (a saturated output, e.g. "
              "output='probability' near 0 or 1, or ReLUs that are all off); try "
              "output='logit', another class, or integrated_gradients")
    if spec.name == "integrated_gradients":
        advice = ("the inputs equal the baseline, or the gradient is zero along the path; try "
                  "another baseline (e.g. baseline='blur')")
    return [f"{spec.label} is zero everywhere for {cls} on {_which(empty, len(maps))}: "
            f"{advice}. An empty map does not mean that nothing matters."]


def input_heatmaps(attributions: np.ndarray, reduce: str = "sum") -> np.ndarray | None:
    """(N, H, W) display maps from input-shaped attributions.

    ``sum`` keeps signs (the channels' contributions add up); ``maxabs`` is the magnitude
    view used for raw gradients (Simonyan et al.: max over channels of |gradient|).
    """
    if attributions.ndim == 4:
        if reduce == "sum":
            return attributions.sum(axis=-1).astype(np.float32)
        return np.abs(attributions).max(axis=-1).astype(np.float32)
    if attributions.ndim == 3:
        return (attributions if reduce == "sum" else np.abs(attributions)).astype(np.float32)
    return None
