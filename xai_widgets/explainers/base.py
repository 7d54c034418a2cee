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

    def __repr__(self) -> str:
        heat = None if self.heatmaps is None else self.heatmaps.shape
        extra = ""
        if self.completeness_delta is not None:
            extra = f", max |completeness delta|={np.abs(self.completeness_delta).max():.3g}"
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
@dataclasses.dataclass(frozen=True)
class Option:
    """One option of a method: its default, what it means, and what values are valid."""

    name: str
    default: Any
    doc: str
    kind: str = "float"  # "int" | "float" | "bool" | "choice" | "baseline" | "layer" | "fill"
    choices: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None

    def check(self, method: str, value):
        bad = f"option {self.name}={value!r} of {method!r} is invalid: "
        if value is None and self.default is None:
            return None  # "automatic", see the option's doc
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ExplainError(bad + f"expected an integer ({self.doc}).")
            value = int(value)
        elif self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
                raise ExplainError(bad + f"expected a number ({self.doc}).")
            value = float(value)
            if not math.isfinite(value):
                raise ExplainError(bad + "expected a finite number.")
        elif self.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise ExplainError(bad + "expected True or False.")
            value = bool(value)
        elif self.kind == "choice":
            if value not in self.choices:
                raise ExplainError(bad + f"valid values are {list(self.choices)}.")
        elif self.kind == "fill":
            if not (value == "mean" or (isinstance(value, (int, float, np.number)) and not isinstance(value, bool))):
                raise ExplainError(bad + "expected a number or 'mean'.")
        if self.minimum is not None and isinstance(value, (int, float)) and value < self.minimum:
            raise ExplainError(bad + f"must be >= {self.minimum}.")
        if self.maximum is not None and isinstance(value, (int, float)) and value > self.maximum:
            raise ExplainError(bad + f"must be <= {self.maximum}.")
        return value

    def describe(self) -> dict:
        out = {"default": self.default, "doc": self.doc, "kind": self.kind}
        if self.choices:
            out["choices"] = list(self.choices)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        return out


BATCH_SIZE = Option(
    "batch_size", DEFAULT_BATCH_SIZE, "model evaluations per compiled call", "int", minimum=1
)


@dataclasses.dataclass
class Method:
    name: str
    label: str
    description: str
    signed: bool
    space: str  # "input" (attributions shaped like inputs) or "layer" (CAM maps)
    options: dict[str, Option]
    compute: Callable
    function: Callable = None  # the public function, set by register()

    def describe(self) -> dict:
        return {
            "label": self.label,
            "description": self.description,
            "signed": self.signed,
            "space": self.space,
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


METHODS: dict[str, Method] = {}


def register(name: str, label: str, description: str, signed: bool, space: str = "input",
             options: tuple[Option, ...] = ()):
    """Register ``compute(adapter, x, targets, runner, **options) -> dict`` as a method
    (``runner.logits`` holds the inputs' scores, so methods need not compute them again).

    Returns the public function ``method(model, inputs, targets=None, *, output, head,
    progress, cancel, **options) -> Explanation``.
    """

    def decorate(compute):
        # every method has batch_size; one whose evaluations are cheap rows (tabular,
        # forward only) declares a larger default of its own
        table = {BATCH_SIZE.name: BATCH_SIZE, **{opt.name: opt for opt in options}}
        spec = Method(name, label, description, signed, space, table, compute)

        @functools.wraps(compute)
        def public(model, inputs, targets=None, *, output: str = "logit", head=None,
                   progress: Callable[[int, int], None] | None = None,
                   cancel: Callable[[], bool] | None = None, **opts) -> Explanation:
            return run_method(spec, model, inputs, targets, output=output, head=head,
                              progress=progress, cancel=cancel, **opts)

        public.__doc__ = f"{label}: {description}\n\nOptions:\n" + "\n".join(
            f"    {o.name} = {o.default!r}: {o.doc}" for o in spec.options.values()
        )
        spec.function = public
        METHODS[name] = spec
        return public

    return decorate


def get_method(name: str) -> Method:
    if name not in METHODS:
        raise ExplainError(f"unknown method {name!r}; valid methods are {sorted(METHODS)}.")
    return METHODS[name]


def methods() -> dict[str, dict]:
    """The registered methods: label, description, and each option with its default."""
    return {name: spec.describe() for name, spec in METHODS.items()}


# --------------------------------------------------------------------------- running
class Runner:
    """Hands out chunks of model evaluations, reports progress and honours cancel.

    ``progress(done, total)`` is called after each compiled call; ``cancel()`` is checked
    before each, and a True answer raises :class:`Cancelled` between batches.
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
            if self.cancel is not None and self.cancel():
                raise Cancelled(f"cancelled after {self.done} of {self.total} model evaluations")
            stop = min(start + size, n_rows)
            yield start, stop
            self.done += stop - start
            if self.progress is not None:
                self.progress(self.done, max(self.total, self.done))


def run_method(spec: Method, model, inputs, targets=None, *, output="logit", head=None,
               progress=None, cancel=None, **opts) -> Explanation:
    """Validate everything, then compute: bad input fails before any long computation."""
    options = spec.resolve_options(opts)
    adapter: ModelAdapter = adapt(model, output=output, head=head)
    x = adapter.validate_inputs(inputs)
    logits = adapter.scores(x)
    targets = adapter.resolve_targets(targets, len(x), logits)
    scores = logits[np.arange(len(x)), targets].astype(np.float32)
    runner = Runner(options.pop("batch_size"), progress, cancel, logits)
    start = time.perf_counter()
    result = spec.compute(adapter, x, targets, runner, **options)
    seconds = time.perf_counter() - start
    params = {**options, **result.pop("params", {}), "batch_size": runner.batch_size, "output": adapter.output,
              "head": adapter.head_name, "score": adapter.score_kind}
    return Explanation(
        method=spec.name,
        params=params,
        inputs=x,
        targets=targets,
        scores=scores,
        signed=result.pop("signed", spec.signed),
        seconds=seconds,
        **result,
    )


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
