"""ModelAdapter: wraps a Keras 3 model once for explanation.

The adapter finds, without modifying the user's model:

* the input shape and the output ("head") to explain, for single- and multi-output models
  (named by its index, its output name, its dict key or the name of the layer that makes it);
* what the head's numbers are (``value_kind``): probabilities (it ends in softmax or
  sigmoid), scores (several units without one: logits) or a value (a regression head: one
  unit without a final sigmoid; one unit with a sigmoid is a binary classifier);
* the pre-softmax score when the head ends in softmax (or sigmoid), so gradients are not
  squashed by the normalisation; ``output="probability"`` explains the probability instead;
* every layer, also inside nested models (a backbone used as a layer), so that Grad-CAM can
  read the activations of a layer deep inside a transfer-learning model.

It does this by running the model's own functional graph node by node (Keras'
``_run_through_graph`` with an operation hook): at the chosen nodes it records the output
(for CAM methods), descends into nested models, or calls the last layer without its
activation. The user's layers are called as they are; nothing is swapped in place.

Compiled functions (``tf.function`` with a ``None`` batch dimension, so a new batch size does
not retrace) are built once per adapter and kept in ``adapter.functions``; ``trace_count``
counts how often any of them was traced, for the tests that guard against retracing.

Cold start: tracing and optimising a large model's forward+backward graph costs several eager
passes (MobileNetV2, 2 cores: ~1-1.5 s against ~0.2-0.4 s for one image eagerly), while a
compiled call of many rows is much faster than an eager one. So each function runs eagerly
for its first small calls (at most ``EAGER_ROWS`` rows, ``EAGER_CALLS`` calls), and is traced
once: at its first larger call, at the next small call after those, or before, when the
kernel is idle (``xai_widgets._idle``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import threading
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from . import _idle
from .errors import ExplainError, InputRangeWarning

# A function runs eagerly while its calls have at most EAGER_ROWS rows (model evaluations),
# for its first EAGER_CALLS calls; it is compiled at a larger call, at the call after those,
# or while the kernel is idle. EAGER_ROWS = 0 compiles every function at its first call.
EAGER_ROWS = 8
EAGER_CALLS = 3

OUTPUT_KINDS = ("logit", "probability")
_NORMALISING_ACTIVATIONS = ("softmax", "sigmoid")


def _keras():
    import keras

    return keras


def _tf():
    import tensorflow as tf

    return tf


@dataclasses.dataclass(frozen=True)
class LayerInfo:
    """One layer of the model, nested models flattened in place.

    ``path`` holds the names from the outer model down to the layer, e.g.
    ``("mobilenetv2_1.00_224", "Conv_1")``; ``name`` is the last of them.
    """

    path: tuple[str, ...]
    layer: Any
    output_shape: tuple | None
    depth: int

    @property
    def name(self) -> str:
        return self.path[-1]

    @property
    def kind(self) -> str:
        return type(self.layer).__name__

    @property
    def is_spatial(self) -> bool:
        shape = self.output_shape
        return (
            shape is not None
            and self.kind != "InputLayer"
            and len(shape) == 4
            and shape[1] is not None
            and shape[2] is not None
            and shape[1] * shape[2] > 1
        )

    def __str__(self) -> str:
        return f"{'/'.join(self.path)} ({self.kind}, output {self.output_shape})"


def _functional_graph(model):
    """The Functional graph that runs ``model``, or None (subclassed or unbuilt models)."""
    keras = _keras()
    if isinstance(model, keras.Sequential):
        return getattr(model, "_functional", None)
    if hasattr(model, "_run_through_graph") and hasattr(model, "_nodes_by_depth"):
        return model
    return None


def _is_model(layer) -> bool:
    keras = _keras()
    return isinstance(layer, keras.Model)


def _activation_name(op) -> str | None:
    """Name of the normalising activation an operation applies at its end, if any."""
    name = type(op).__name__
    if name == "Softmax":  # keras.layers.Softmax and keras.ops.softmax in a functional graph
        return "softmax"
    if name == "Sigmoid":
        return "sigmoid"
    activation = getattr(op, "activation", None)
    act_name = getattr(activation, "__name__", None)
    if act_name in _NORMALISING_ACTIVATIONS:
        return act_name
    return None


def _output_shape(layer):
    try:
        shape = layer.output.shape
    except Exception:  # layer used several times, or never called symbolically
        return None
    return tuple(shape)


def _output_producer(graph, index):
    """The operation that produces output ``index`` of a functional graph."""
    tensor = graph.outputs[index]
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history.operation


class _WithoutActivation:
    """A read-only view of a layer whose ``activation`` is linear.

    Every other attribute (the weight variables above all) is read from the user's layer at
    call time, so later training is seen and nothing of the layer is copied or changed.
    """

    def __init__(self, layer):
        object.__setattr__(self, "_layer", layer)

    def __getattr__(self, name):
        if name == "activation":
            return _keras().activations.linear
        return getattr(self._layer, name)

    def __setattr__(self, name, value):
        raise AttributeError("read-only view of a user's layer")


class _PreActivation:
    """Calls a layer whose last step is a softmax/sigmoid without that step.

    Softmax layers (and ``keras.ops.softmax`` nodes) return their input. Layers with an
    ``activation`` attribute (Dense, Conv, ...) run their own ``call`` on a
    :class:`_WithoutActivation` view of themselves.
    """

    def __init__(self, op):
        self.op = op
        if type(op).__name__ in ("Softmax", "Sigmoid", "Activation"):
            self.view = None
        else:
            self.view = _WithoutActivation(op)

    def __call__(self, *args, **kwargs):
        if self.view is None:
            return args[0]
        kwargs = {k: v for k, v in kwargs.items() if k == "training"}
        return type(self.op).call(self.view, *args, **kwargs)


def activate(logits: np.ndarray, final_activation: str) -> np.ndarray:
    """What a head ending in ``final_activation`` ("sigmoid" or "softmax", over the last
    axis) outputs for the logits before it."""
    if final_activation == "sigmoid":
        return 1.0 / (1.0 + np.exp(-logits))
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def class_names_for(names, num_classes: int, final_activation: str | None,
                    regression_name: str | None = None) -> list[str]:
    """One display name per output unit of a head with ``num_classes`` units: the given
    ``names`` (checked) or "0", "1", ...; a regression head's one unit is called
    ``regression_name``; one sigmoid unit is the probability of class 1, so it is called
    "1", or the second of two names given."""
    k = num_classes
    if names is None:
        if regression_name is not None:
            return [regression_name]
        if k == 1 and final_activation == "sigmoid":
            return ["1"]
        return [str(i) for i in range(k)]
    names = [str(n) for n in names]
    if k == 1 and final_activation == "sigmoid" and len(names) == 2:
        return names[1:]
    if len(names) != k:
        raise ExplainError(f"class_names has {len(names)} names but the model has {k} "
                           "classes.")
    return names


def resolve_targets(target, n: int, num_classes: int, logits: np.ndarray | None = None,
                    unit: str = "input") -> np.ndarray:
    """Class index per input (int32): None = the top class of ``logits``; an int; or one
    per input (``unit`` names the inputs in the messages)."""
    k = num_classes
    if target is None:
        if logits is None:
            raise ValueError("logits are needed to pick the top class")
        return np.argmax(logits, axis=-1).astype(np.int32)
    if isinstance(target, (int, np.integer)) and not isinstance(target, bool):
        targets = np.full(n, int(target), dtype=np.int64)
    else:
        targets = np.asarray(target)
        if targets.ndim != 1 or targets.dtype.kind not in "iu":
            raise ExplainError(
                f"target must be None (the top class), an int, or one int per {unit}; got "
                f"{target!r}."
            )
        if len(targets) != n:
            raise ExplainError(
                f"target has {len(targets)} entries but there are {n} {unit}s; give one "
                f"class per {unit}, or a single int for all."
            )
    bad = targets[(targets < 0) | (targets >= k)]
    if bad.size:
        raise ExplainError(
            f"target {int(bad[0])} is out of range: the model's output has {k} "
            f"class(es), so targets must be in 0..{k - 1}."
        )
    return targets.astype(np.int32)


class ModelAdapter:
    """Wraps a keras.Model for explanation; see the module docstring.

    Parameters
    ----------
    model: a built Keras 3 model (Sequential, functional, or one that contains those).
    output: ``"logit"`` (default) explains the score before a final softmax/sigmoid, found
        without changing the model; ``"probability"`` explains the model's own output.
    head: for models with several outputs, which one to explain: its index, its output name
        (a dict key for dict outputs) or the name of the layer that makes it.
    """

    def __init__(self, model, output: str = "logit", head: int | str | None = None):
        keras = _keras()
        if not isinstance(model, keras.Model):
            raise ExplainError(
                f"expected a keras.Model, got {type(model).__name__}. Pass the Keras 3 model "
                "itself (keras.Sequential, a functional keras.Model, or a subclass)."
            )
        if output == "logits":
            output = "logit"
        if output not in OUTPUT_KINDS:
            raise ExplainError(
                f"unknown output={output!r}; valid values: 'logit' (the score before a final "
                "softmax, the default) or 'probability' (the model's output as it is)."
            )
        self.model = model
        self.output = output
        self.graph = _functional_graph(model)
        if self.graph is None and not model.built:
            raise ExplainError(
                f"the model {model.name!r} has not been built, so its input shape is unknown. "
                "Call it once on a batch of data, or start it with keras.Input(shape=...)."
            )
        self._check_inputs()
        self.head_index, self.head_name = self._resolve_head(head)
        self.trace_count = 0
        self.functions: dict[Any, Callable] = {}
        self._strip, self.score_kind, self.final_activation = self._find_pre_activation()
        self.num_classes = int(self._head_tensor_shape()[-1] or 1)
        self._range_warned = False  # the 0..255 warning is given once per model
        self._unsafe_names: bool | None = None
        self.value_kind = self._value_kind()
        self._layers: list[LayerInfo] | None = None

    # ----------------------------------------------------------------- structure
    def _check_inputs(self):
        inputs = getattr(self.model, "inputs", None)
        if not inputs:
            raise ExplainError(
                f"the model {self.model.name!r} has no symbolic inputs (a subclassed model?). "
                "Build it with keras.Input(shape=...) (Sequential or functional API)."
            )
        if len(inputs) != 1:
            raise ExplainError(
                f"the model has {len(inputs)} inputs; explainers handle models with one "
                "input tensor. Wrap the other inputs as constants in a functional model."
            )
        tensor = inputs[0]
        self.input_shape = tuple(int(d) if d is not None else None for d in tensor.shape[1:])
        self.input_dtype = str(tensor.dtype)
        if not ("float" in self.input_dtype):
            raise ExplainError(
                f"the model's input has dtype {self.input_dtype}; gradient-based explanations "
                "need a float input. Models that start with an Embedding of integer ids are "
                "not supported by these image methods."
            )

    @property
    def output_names(self) -> list[str]:
        """Keras' names of the outputs (for a Sequential model, the tensors' names)."""
        names = getattr(self.model, "output_names", None)
        if names:
            return list(names)
        return [getattr(t, "name", f"output_{i}") for i, t in enumerate(self.model.outputs)]

    @property
    def head_names(self) -> list[str]:
        """One display name per output: its dict key (dict outputs), else the name of the
        layer that makes it (a Sequential model's output is called "keras_tensor_27", its
        last layer "age"), else Keras' output name."""
        return [names[0] for names in self._head_aliases()]

    def _head_aliases(self) -> list[list[str]]:
        """For each output, the names ``head=`` accepts, the display name first."""
        outputs = list(getattr(self.model, "outputs", None) or [])
        keys: dict[int, str] = {}
        struct = getattr(self.model, "_outputs_struct", None)
        if isinstance(struct, dict):
            for key, tensor in struct.items():
                for i, t in enumerate(outputs):
                    if t is tensor:
                        keys[i] = str(key)
        keras_names = self.output_names
        aliases = []
        for i, tensor in enumerate(outputs):
            history = getattr(tensor, "_keras_history", None)
            layer = getattr(getattr(history, "operation", None), "name", None)
            names = [keys.get(i), layer, keras_names[i] if i < len(keras_names) else None,
                     getattr(tensor, "name", None)]
            aliases.append(list(dict.fromkeys(n for n in names if n)) or [f"output_{i}"])
        shown = [names[0] for names in aliases]
        for i, names in enumerate(aliases):  # one layer making two outputs: tell them apart
            if shown.count(names[0]) > 1:
                names.insert(0, f"{names[0]}[{i}]")
        return aliases

    def _resolve_head(self, head):
        aliases = self._head_aliases()
        n = len(aliases)
        names = [a[0] for a in aliases]
        if head is None:
            if n > 1:
                raise ExplainError(
                    f"the model has {n} outputs {names}; choose one with head=<name or index>."
                )
            return 0, names[0] if names else "output"
        if isinstance(head, (int, np.integer)) and not isinstance(head, bool):
            if not 0 <= head < n:
                raise ExplainError(
                    f"head={head} is out of range: the model has {n} output(s) {names}."
                )
            return int(head), names[int(head)]
        if isinstance(head, str):
            for i, accepted in enumerate(aliases):
                if head in accepted:
                    return i, names[i]
            raise ExplainError(f"no output named {head!r}; the model's outputs are {names} "
                               "(an output's index, its name or its layer's name).")
        raise ExplainError(f"head must be an output name or index, got {head!r}.")

    def _value_kind(self) -> str:
        """What the head's numbers are, for display (see the module docstring)."""
        if self.final_activation is not None:  # softmax, or sigmoid (one unit: binary)
            return "probability"
        return "value" if self.num_classes == 1 else "score"

    @property
    def is_regression(self) -> bool:
        """One output unit and no final sigmoid: the head predicts a value, not a class."""
        return self.value_kind == "value"

    def _head_tensor_shape(self):
        return tuple(self.model.outputs[self.head_index].shape)

    def _find_pre_activation(self):
        """Find the head's final softmax/sigmoid, following nested models.

        Returns ((path of ops, _PreActivation) or None, score kind, activation name or None).
        """
        graph, index, path = self.graph, self.head_index, []
        while graph is not None:
            op = _output_producer(graph, index)
            if op is None:
                break
            if _is_model(op):
                inner = _functional_graph(op)
                if inner is None or len(inner.outputs) != 1:
                    break
                path.append(op)
                graph, index = inner, 0
                continue
            act = _activation_name(op)
            if act is None:
                return None, "output", None  # the head already is a score (logits, regression)
            if self.output == "probability":
                return None, "probability", act
            path.append(op)
            return (tuple(path), _PreActivation(op)), f"logit (before {act})", act
        return None, "output", None

    def layers(self) -> list[LayerInfo]:
        """Every layer in order, nested models expanded in place after their own entry."""
        if self._layers is None:
            self._layers = []
            self._collect(self.model, (), 0)
        return self._layers

    def _collect(self, model, prefix, depth):
        for layer in model.layers:
            path = prefix + (layer.name,)
            self._layers.append(LayerInfo(path, layer, _output_shape(layer), depth))
            if _is_model(layer):
                self._collect(layer, path, depth + 1)

    def find_layer(self, name: str | Sequence[str]) -> LayerInfo:
        layers = self.layers()
        if not isinstance(name, str):
            name = "/".join(name)
        matches = [info for info in layers if info.name == name or "/".join(info.path) == name]
        if not matches:
            listing = ", ".join(info.name for info in layers if not _is_model(info.layer))
            raise ExplainError(f"no layer named {name!r} in the model; its layers are: {listing}")
        return matches[0]

    def default_spatial_layer(self) -> LayerInfo:
        """The last layer with a spatial (N, H, W, C) output, H*W > 1, also in nested models.

        A pooling layer at the end is passed over for the layer that feeds it, which has the
        finer map (the common choice: the last convolution block).
        """
        spatial = [info for info in self.layers() if info.is_spatial and not _is_model(info.layer)]
        if not spatial:
            listing = "; ".join(str(info) for info in self.layers())
            raise ExplainError(
                "Grad-CAM needs a layer with a spatial output (batch, height, width, channels), "
                f"and this model has none. Its layers: {listing}. Use an input-space method "
                "such as 'integrated_gradients' instead."
            )
        last = spatial[-1]
        if "Pooling" in last.kind and len(spatial) > 1:
            return spatial[-2]
        return last

    # ----------------------------------------------------------------- inputs
    def validate_inputs(self, inputs) -> np.ndarray:
        """A float32 (N, *input_shape) batch, or a clear ExplainError saying what is wrong."""
        x = np.asarray(inputs)
        expected = self.input_shape
        shown = "(N, " + ", ".join("?" if d is None else str(d) for d in expected) + ")"
        if x.dtype == object or x.dtype.kind not in "biuf":
            raise ExplainError(f"inputs must be a numeric numpy array, got dtype {x.dtype}.")
        if x.dtype.kind == "b":
            raise ExplainError("inputs are booleans; convert them to float32 first.")
        if x.ndim == len(expected) and _shape_fits(x.shape, expected):
            x = x[None]  # a single example: make it a batch of one
        if x.ndim != len(expected) + 1 or not _shape_fits(x.shape[1:], expected):
            hint = ""
            if x.ndim == len(expected) and _shape_fits(x.shape[1:] + (1,), expected):
                hint = " Add a channel axis: x[..., None]."
            elif x.ndim == len(expected) - 1 and _shape_fits(x.shape + (1,), expected):
                hint = (" This looks like one grayscale image without its channel axis: "
                        "add it with x[..., None].")
            raise ExplainError(
                f"inputs have shape {x.shape}, but the model expects {shown} "
                f"(a batch of N examples, or one example of shape {tuple(expected)}).{hint}"
            )
        if x.shape[0] == 0:
            raise ExplainError("inputs are an empty batch (N = 0); pass at least one example.")
        if x.dtype.kind in "iu":
            if not self.has_rescaling_layer() and x.max() > 1:
                raise ExplainError(
                    f"inputs are integers ({x.dtype}, values {x.min()}..{x.max()}), but the "
                    "model has no Rescaling or Normalization layer, so it most likely expects "
                    "floats in [0, 1]. Pass x.astype('float32') / 255 (or however the model "
                    "was trained)."
                )
        x = x.astype(np.float32, copy=False)
        self._check_range(x)
        finite = np.isfinite(x)
        if not finite.all():
            bad = np.argwhere(~finite)
            first = tuple(int(i) for i in bad[0])
            raise ExplainError(
                f"inputs contain {len(bad)} NaN or infinite value(s), the first at index "
                f"{first}; replace them (e.g. np.nan_to_num) before explaining."
            )
        return np.ascontiguousarray(x)

    def _check_range(self, x: np.ndarray):
        """Images with values far above 1 for a model with no Rescaling layer: most likely
        raw pixels (0..255) for a model trained on [0, 1]. Warned once per model."""
        if self._range_warned or len(self.input_shape) < 2 or x.size == 0:
            return
        finite = x[np.isfinite(x)]
        if finite.size == 0 or finite.min() < 0 or finite.max() <= 25 or finite.max() > 255:
            return
        if self.has_rescaling_layer():
            return
        self._range_warned = True
        warnings.warn(
            f"the inputs look like pixel values in 0..255 (max {float(finite.max()):.4g}), but "
            "the model has no Rescaling or Normalization layer: if it was trained on [0, 1], "
            "pass x / 255. If it was trained on 0..255, ignore this (warnings.filterwarnings("
            "'ignore', category=xw.InputRangeWarning)).", InputRangeWarning, stacklevel=4)

    def has_rescaling_layer(self) -> bool:
        return any(
            info.kind in ("Rescaling", "Normalization") for info in self.layers()[:8]
        )

    def class_names(self, names=None) -> list[str]:
        """One display name per output unit: the given ones (checked) or "0", "1", ...

        A regression head's one unit is named after the head; one sigmoid unit is the
        probability of class 1, so it is called "1", or the second of two names given."""
        return class_names_for(names, self.num_classes, self.final_activation,
                               self.head_name if self.is_regression else None)

    def resolve_targets(self, target, n: int, logits: np.ndarray | None = None) -> np.ndarray:
        """Class index per input: None = the top prediction; an int; or one per input."""
        return resolve_targets(target, n, self.num_classes, logits)

    # ----------------------------------------------------------------- compute
    def _scope_unsafe_names(self) -> bool:
        """Does a layer have a name TensorFlow refuses as a name scope ("my conv")? Then the
        model is run through its graph (see ``_keras_only_scope``), never called directly."""
        if self._unsafe_names is None:
            self._unsafe_names = self.graph is not None and any(
                not _TF_ROOT_SCOPE.match(info.name) for info in self.layers())
        return self._unsafe_names

    def forward(self, x, capture: Sequence[LayerInfo] = (), watch: Callable | None = None):
        """Symbolic/eager forward pass: (scores (N, K), [captured outputs]).

        Scores are pre-softmax when ``output="logit"`` and the head ends in softmax.
        Meant to run inside ``tf.function``; captured outputs are live tensors of the
        computation, so gradients can be taken with respect to them. ``watch`` is called
        on each captured output as soon as it is computed (``tape.watch``: a tape that
        watches nothing else records only what follows, so its backward pass stops there).
        """
        if not capture and self._strip is None and not self._scope_unsafe_names():
            return self._head_of(self.model(x, training=False)), []
        if self.graph is None:
            raise ExplainError(
                f"{type(self.model).__name__} is a subclassed model, whose layers cannot be "
                "reached. Build it with the Sequential or functional API to use this method."
            )
        captured: dict[int, Any] = {}
        descend = set()
        strip_op = None
        if self._strip is not None:
            strip_path, strip_op = self._strip
            descend.update(id(op) for op in strip_path[:-1])
        targets = {}
        for info in capture:
            model = self.model
            for name in info.path[:-1]:
                model = model.get_layer(name)
                descend.add(id(model))
            targets[id(info.layer)] = info
        out = self._head_of(_run_graph(self.model, x, descend, targets, captured, strip_op,
                                       watch))
        missing = [info.name for info in capture if id(info.layer) not in captured]
        if missing:
            raise ExplainError(
                f"layer(s) {missing} are not on the path from the input to the output; "
                "choose a layer the prediction depends on."
            )
        return out, [captured[id(info.layer)] for info in capture]

    def _head_of(self, outputs):
        """The explained head among a model call's outputs (a dict's values are in the
        order of ``model.outputs``: Keras flattens it by sorted keys)."""
        if isinstance(outputs, (dict, list, tuple)):
            return _keras().tree.flatten(outputs)[self.head_index]
        return outputs

    def function(self, key, build: Callable[[], Callable]):
        """The function stored under ``key``, built on first use."""
        fn = self.functions.get(key)
        if fn is None:
            fn = self.functions[key] = build()
        return fn

    def compile(self, python_fn, input_signature, rows: Callable | None = None):
        """``python_fn`` as an :class:`AdapterFunction`: eager for its first small calls,
        then a ``tf.function`` traced once (counted in ``trace_count``).

        ``rows(*args)`` says how many model evaluations a call makes (default: the longest
        leading dimension of its arguments)."""
        return AdapterFunction(self, python_fn, input_signature, rows)

    def _trace(self, python_fn, input_signature):
        """Trace ``python_fn`` once; its concrete function.

        Autograph is off: the traced code has no tensor-dependent Python control flow, and
        our ExplainErrors raised while tracing reach the caller as they are. The concrete
        function is what we call: it cannot retrace, and calling it skips tf.function's
        argument dispatch (about 0.3 ms a call, which matters for small models).
        """
        tf = _tf()

        def body(*args):
            self.trace_count += 1
            return python_fn(*args)

        body.__name__ = python_fn.__name__
        fn = tf.function(body, input_signature=input_signature, autograph=False)
        return fn.get_concrete_function()

    @property
    def pending(self) -> list[str]:
        """The functions that ran eagerly and are not compiled yet."""
        return [fn.name for fn in list(self.functions.values()) if fn.pending]

    def next_pending(self) -> "AdapterFunction | None":
        for fn in list(self.functions.values()):
            if fn.pending:
                return fn
        return None

    def compile_pending(self, warm_up: bool = True) -> list[str]:
        """Compile now every function that ran eagerly (what the kernel does when idle);
        with ``warm_up`` also run each once on a row of zeros (its graph optimisation)."""
        names = []
        while (fn := self.next_pending()) is not None:
            fn.compile(warm_up=warm_up, quiet=True)
            names.append(fn.name)
        return names

    def input_spec(self):
        tf = _tf()
        return tf.TensorSpec((None,) + self.input_shape, tf.float32)

    def scores(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """The explained score of every class, (N, K) float32, batched (one function,
        shared with occlusion)."""
        tf = _tf()

        def build():
            def scores_fn(xb):
                out, _ = self.forward(xb)
                return tf.cast(out, tf.float32)

            return self.compile(scores_fn, [self.input_spec()])

        fn = self.function("scores", build)
        parts = [fn(x[i : i + batch_size]).numpy() for i in range(0, len(x), batch_size)]
        return np.concatenate(parts).reshape(len(x), -1)

    def outputs(self, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """What the model's head outputs, for display: probabilities when it ends in softmax
        or sigmoid (recomputed from the explained logits, which is exact), else the raw
        output (scores or a value). ``value_kind`` says which."""
        return self.to_outputs(self.scores(x, batch_size))

    def to_outputs(self, scores: np.ndarray) -> np.ndarray:
        """Explained scores -> what the head outputs (see :meth:`outputs`)."""
        return scores if self._strip is None else activate(scores, self.final_activation)


class AdapterFunction:
    """One of an adapter's functions: eager for its first small calls, compiled after.

    Called like the compiled function (numpy or tensors in, tensors out). While it is not
    compiled, a call of at most ``EAGER_ROWS`` rows runs ``python_fn`` eagerly, for the first
    ``EAGER_CALLS`` calls (and, without waiting, while another thread compiles it); any other
    call compiles it first. Compiling is done once, under a lock, whichever thread asks.
    """

    def __init__(self, adapter, python_fn, input_signature, rows=None):
        self.adapter = adapter
        self.python_fn = python_fn
        self.input_signature = list(input_signature)
        self.name = python_fn.__name__
        self._rows = rows
        self.concrete = None  # the traced concrete function, once compiled
        self.eager_calls = 0
        self.failed = False  # compiling in the background failed: left to the next call
        self._warm = False
        self._lock = threading.Lock()

    @property
    def compiled(self) -> bool:
        return self.concrete is not None

    @property
    def pending(self) -> bool:
        """It ran eagerly and waits to be compiled."""
        return self.concrete is None and self.eager_calls > 0 and not self.failed

    def rows(self, args) -> int:
        if self._rows is not None:
            return int(self._rows(*args))
        return max((int(np.shape(a)[0]) for a in args if np.ndim(a) > 0), default=1)

    def __call__(self, *args):
        concrete = self.concrete
        if concrete is not None:
            return concrete(*args)
        if self.rows(args) <= EAGER_ROWS and (self.eager_calls < EAGER_CALLS
                                              or self._lock.locked()):
            out = self.eager(*args)
            self.eager_calls += 1
            _idle.note(self.adapter)
            return out
        return self.compile()(*args)

    def eager(self, *args):
        """Run the Python function eagerly on the arguments, as the compiled one would."""
        tf = _tf()
        tensors = [a if isinstance(a, tf.Tensor) else tf.convert_to_tensor(a, spec.dtype)
                   for a, spec in zip(args, self.input_signature)]
        return self.python_fn(*tensors)

    def compile(self, warm_up: bool = False, quiet: bool = False):
        """Trace now (once); with ``warm_up`` also run it on a row of zeros, so that its
        graph is optimised before the first real call. ``quiet``: a failure marks the
        function instead of raising (the next real call compiles it and raises)."""
        with self._lock:
            try:
                if self.concrete is None:
                    self.concrete = self.adapter._trace(self.python_fn, self.input_signature)
                if warm_up and not self._warm:
                    self._warm = True
                    self.concrete(*_zeros_like(self.input_signature))
            except Exception:
                if not quiet:
                    raise
                self.failed = self.concrete is None
            return self.concrete


def _zeros_like(signature):
    """Arguments of one row for a signature: zeros, with 1 for every unknown dimension."""
    return [np.zeros([1 if d is None else d for d in spec.shape.as_list()],
                     spec.dtype.as_numpy_dtype) for spec in signature]


def _shape_fits(shape, expected) -> bool:
    return len(shape) == len(expected) and all(
        e is None or int(s) == e for s, e in zip(shape, expected)
    )


# TensorFlow's rule for a name scope opened at the root of a graph (inside tf.function).
_TF_ROOT_SCOPE = re.compile(r"^[A-Za-z0-9.][A-Za-z0-9_.\\/>-]*$")


def _keras_only_scope(op):
    """A layer named with spaces or markup (Keras accepts "my conv <b>") cannot open its
    TensorFlow name scope inside tf.function: the first call fails with a raw scope error
    and leaves Keras' scope stack corrupted. Opening Keras' own (backend-neutral) scope for
    the layer first makes the layer's call reuse it, so TensorFlow never sees the name.
    The model is not changed."""
    name = getattr(op, "name", "")
    if not isinstance(name, str) or _TF_ROOT_SCOPE.match(name):
        return contextlib.nullcontext()
    from keras.src.backend.common.name_scope import name_scope

    return name_scope(name, caller=op)


def _run_graph(model, inputs, descend, targets, captured, strip_op, watch=None):
    """Run ``model``'s functional graph on ``inputs``, with the hooks described above."""
    graph = _functional_graph(model)

    def operation_fn(op):
        def call(*args, **kwargs):
            if "training" in getattr(op, "_call_context_args", ()):
                kwargs["training"] = False
            if id(op) in descend:
                out = _run_graph(op, args[0], descend, targets, captured, strip_op, watch)
                if isinstance(out, (list, tuple)) and len(out) == 1:
                    out = out[0]
            elif strip_op is not None and op is strip_op.op:
                out = strip_op(*args, **kwargs)
            else:
                with _keras_only_scope(op):
                    out = op(*args, **kwargs)
            if id(op) in targets:
                captured[id(op)] = out
                if watch is not None:
                    watch(out)
            return out

        return call

    flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    return graph._run_through_graph(flat, operation_fn=operation_fn)


_ADAPTERS = "_xai_widgets_adapters"  # the attribute that holds a model's adapters


class _Adapters(dict):
    """A model's adapters by (output, head), kept on the model itself.

    Not in a global ``WeakKeyDictionary``: an adapter refers to its model (and its compiled
    functions to the model's weights), and a dictionary's values are strong, so no adapted
    model was ever freed. Kept on the model, model and adapters form a cycle the garbage
    collector frees together, like Keras' own ``model.predict_function``. Set with
    ``object.__setattr__`` (Keras does not track it, it is not saved); a copy or a pickle of
    the model starts with none.
    """

    def __copy__(self):
        return _Adapters()

    def __deepcopy__(self, memo):
        return _Adapters()

    def __reduce__(self):
        return _Adapters, ()


def adapt(model, output: str = "logit", head=None) -> ModelAdapter:
    """The ModelAdapter for ``model`` (reused across calls, so compiled functions are too)."""
    if isinstance(model, ModelAdapter):
        return model
    key = ("logit" if output == "logits" else output, head)
    adapters = getattr(model, "__dict__", {}).get(_ADAPTERS)
    adapter = None if adapters is None else adapters.get(key)
    if adapter is not None and adapter.model is model:
        return adapter
    adapter = ModelAdapter(model, output, head)  # checks that it is a keras.Model
    if adapters is None or any(a.model is not model for a in adapters.values()):
        adapters = _Adapters()  # none yet, or a shallow copy's: the original model's
        try:
            object.__setattr__(model, _ADAPTERS, adapters)
        except (AttributeError, TypeError):  # no room for attributes: adapt afresh each time
            return adapter
    adapters[key] = adapter
    return adapter
