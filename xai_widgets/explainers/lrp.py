"""Layer-wise relevance propagation (LRP) for Keras 3 models, in one compiled function.

No LRP implementation runs on Keras 3 (iNNvestigate and signxai pin old TensorFlow; zennit is
PyTorch), so this is our own, following zennit's design: a *rule* says how one linear layer
hands the relevance of its outputs to its inputs, and a *composite* maps kinds of layer
(``"first"``: the first linear layer(s), ``"conv"``, ``"dense"``) to rules.

How it runs, without changing the user's model:

1. **Plan** (once per model and rule, before any computation): the model's functional graph
   (Sequential, functional, nested models flattened in place) is walked into a list of steps,
   each a supported operation: *linear* (Dense, Conv1D/2D/3D, DepthwiseConv2D, their
   activation split off into its own step), *elementwise* (activations, dropout,
   rescaling: relevance passes through unchanged), *routing* (flatten, reshape, padding,
   cropping, max pooling, concatenation, up-sampling: relevance follows the operation's
   gradient, so max pooling is winner-take-all and a concatenation splits it by slices),
   *sharing* (average pooling, Add, Average: each input gets relevance in proportion to its
   contribution to the sum). A BatchNormalization right after a Dense/Conv with a linear
   activation (and read by nothing else) is folded into that layer's weights; any other
   BatchNormalization is an elementwise linear layer under the epsilon rule. The head's
   final softmax/sigmoid is stripped (LRP explains the score before it). Anything else is
   refused with an ExplainError naming the layer and its type.
2. **One ``tf.function``** per model and rule: the forward pass over the steps (each step
   under its own gradient tape), then the relevance pass backwards. Every rule is a modified
   gradient (the "gradient trick"): ``z = layer(x)`` with the rule's weights, ``s = R /
   stab(z)``, ``R_in = x * grad(z, x, s)``; the epsilon rule reuses the forward pass's own
   tape, so LRP-epsilon costs one forward and one backward pass. The batch dimension is
   ``None`` and epsilon, gamma and the box bounds are tensors: repeated calls never retrace.

Rules (``W+``/``W-``: the positive/negative weights, ``x+``/``x-`` likewise):

* ``epsilon``: ``z = W x + b``, stabilised by ``epsilon * sign(z)``; epsilon -> 0 is LRP-0,
  which on ReLU networks equals gradient x input.
* ``zplus``: ``z = W+ x+ + W- x-`` (bias ignored): only what raises the neuron counts.
* ``alpha_beta`` (alpha=2, beta=1): alpha times the positive share minus beta times the
  negative share (``W+ x+ + W- x-`` against ``W- x+ + W+ x-``), bias ignored. On inputs
  known to be >= 0 (after a ReLU) the forward pass computes ``W+ x`` and ``W- x`` (their sum
  is the layer's output): two maps forward, two backward. On inputs of both signs it does
  not compute the four terms: from ``W x`` (the forward pass's own) and ``|W| |x|``, the
  parts are ``(W x +- |W| |x|) / 2`` and the relevance needs two transposed maps
  (``_alpha_beta_signed``): again two forward, two backward, against one and one for a plain
  forward+backward pass. A part under ``TINY`` (1e-5) times ``|W| |x|`` is taken as 0.
* ``gamma``: ``z = (W + gamma W+) x + (b + gamma b+)``: positive contributions favoured.
* ``zbox`` (zB, for the first layer): ``z = W x - W+ low - W- high`` with the inputs'
  bounds ``low``/``high``; relevance ``x*(W s) - low*(W+ s) - high*(W- s)``. The bounds are
  in the units the first linear layer sees (after any Rescaling/Normalization); by default
  each input's own smallest and largest value there.

Without biases, every rule conserves relevance: the input relevance adds up to the explained
score (up to the stabiliser). A bias absorbs its share, which is lost.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np

from ..errors import ExplainError
from ..models import _functional_graph, _is_model, _keras_only_scope
from .base import Option, input_heatmaps, register

ALPHA, BETA = 2.0, 1.0
TINY = 1e-5  # alpha-beta on inputs of both signs: a positive or negative part below TINY
# times the sum of the absolute contributions counts as 0 (see _alpha_beta_signed)
STABILIZER = 1e-6  # of every rule but epsilon (which uses its option); sharing steps (pooling,
# Add) use the smaller of it and epsilon, so that epsilon = 0 is exact LRP-0

# A composite maps a kind of layer to a rule ("first": the first linear layer(s) on the way
# from the input, which takes precedence; then "conv" or "dense").
COMPOSITES: dict[str, dict[str, str]] = {
    "epsilon": {"conv": "epsilon", "dense": "epsilon"},
    "zplus": {"conv": "zplus", "dense": "zplus"},
    "alpha_beta": {"conv": "alpha_beta", "dense": "alpha_beta"},
    "epsilon_plus": {"conv": "zplus", "dense": "epsilon"},
    "epsilon_gamma_box": {"first": "zbox", "conv": "gamma", "dense": "epsilon"},
    "epsilon_alpha2_beta1": {"conv": "alpha_beta", "dense": "epsilon"},
}

# params vector of the compiled function
EPS, GAMMA, LOW, HIGH, HAS_LOW, HAS_HIGH = range(6)

# layer classes by how relevance crosses them
_PASS = {  # elementwise: relevance passes through unchanged (forward: the layer, or nothing)
    "Activation", "ReLU", "LeakyReLU", "ELU", "PReLU", "Softmax",
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
    "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Identity",
    "Rescaling", "Normalization",
}
_IDENTITY_AT_INFERENCE = {
    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout",
    "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Identity",
}
_ROUTE = {  # relevance follows the gradient (each output value comes from one input value,
    # or is spread with weights that sum to one)
    "Flatten", "Reshape", "Permute", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
    "Cropping1D", "Cropping2D", "Cropping3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Concatenate",
    "UpSampling1D", "UpSampling2D", "UpSampling3D",
}
_SHARE = {  # relevance in proportion to each input's contribution to the sum
    "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
    "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
    "Add", "Average",
}
_LINEAR = {"Dense": "dense", "Conv1D": "conv", "Conv2D": "conv", "Conv3D": "conv",
           "DepthwiseConv2D": "conv"}
_NOT_ELEMENTWISE = ("softmax", "log_softmax")
_NONNEGATIVE = ("relu", "relu6", "sigmoid", "softplus", "hard_sigmoid", "exponential")


def _tf():
    import tensorflow as tf

    return tf


@dataclasses.dataclass
class Step:
    kind: str  # "linear", "pass", "act", "route", "share", "affine"
    op: Any
    name: str  # the layer's path, for messages
    ins: list  # keys of the input tensors
    outs: list  # keys of the output tensors
    node: Any = None  # the Keras node (to fill in the call's arguments)
    layer_kind: str | None = None  # linear: "dense" or "conv"
    first: bool = False  # linear: no linear layer between it and the input
    nonneg: bool = False  # linear: its input is known to be >= 0 (after a ReLU...)
    fold: Any = None  # linear: the BatchNormalization folded into it
    activation: Callable | None = None  # act: the function
    skip: bool = False  # act/pass: the stripped final softmax/sigmoid: identity


def _where(op) -> str:
    return f"layer {op.name!r} ({type(op).__name__})"


def _activation_name(fn) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


class Plan:
    """The steps of a model's forward pass, checked once (see the module docstring)."""

    def __init__(self, adapter):
        if adapter.graph is None:
            raise ExplainError(
                f"LRP needs the model's layers, and {type(adapter.model).__name__} is a "
                "subclassed model whose graph cannot be read. Build it with the Sequential or "
                "functional API.")
        if adapter.final_activation is not None and adapter._strip is None:
            raise ExplainError(
                "LRP explains the score before the final "
                f"{adapter.final_activation} (output='logit'); output='probability' is not "
                "supported: relevance is not defined through a normalisation.")
        self.steps: list[Step] = []
        self.alias: dict = {}
        self.input_key = ("input",)
        self._walk(adapter.graph, (), [self.input_key], ())
        head_tensor = adapter.graph.outputs[adapter.head_index]
        self.head_key = self._key((), head_tensor)
        self._fold_batchnorm()
        self._strip_head(adapter)
        self._mark_first_and_signs()
        if not any(st.kind == "linear" for st in self.steps):
            raise ExplainError("LRP needs at least one Dense or Conv layer between the input "
                               "and the output; this model has none.")

    # ------------------------------------------------------------------ walking
    def _key(self, prefix, tensor):
        k = (prefix, id(tensor))
        return self.alias.get(k, k)

    def _walk(self, graph, prefix, in_keys, path):
        for tensor, key in zip(graph.inputs, in_keys):
            self.alias[(prefix, id(tensor))] = key
        nodes = graph._nodes_by_depth
        for depth in sorted(nodes, reverse=True):
            for node in nodes[depth]:
                op = node.operation
                if not op or node.is_input:
                    continue
                ins = [self._key(prefix, t) for t in node.input_tensors]
                outs = [(prefix, id(t)) for t in node.outputs]
                name = "/".join(path + (op.name,))
                if _is_model(op):
                    inner = _functional_graph(op)
                    if inner is None:
                        raise ExplainError(
                            f"LRP cannot look inside {_where(op)}: a subclassed model. "
                            "Build it with the Sequential or functional API.")
                    sub = prefix + (id(node),)
                    self._walk(inner, sub, ins, path + (op.name,))
                    for t, inner_t in zip(node.outputs, inner.outputs):
                        self.alias[(prefix, id(t))] = self._key(sub, inner_t)
                    continue
                self._add(op, node, name, ins, outs)

    def _add(self, op, node, name, ins, outs):
        cls = type(op).__name__
        keras_layer = _is_keras_layer(op)
        if keras_layer and cls in _LINEAR:
            self._add_linear(op, node, name, ins, outs)
        elif keras_layer and cls in _PASS:
            act = getattr(op, "activation", None) if cls == "Activation" else None
            if cls == "Activation" and _activation_name(act) in _NOT_ELEMENTWISE:
                self.steps.append(Step("act", op, name, ins, outs, node, activation=act))
            else:
                self.steps.append(Step("pass", op, name, ins, outs, node))
        elif keras_layer and cls in _ROUTE:
            self.steps.append(Step("route", op, name, ins, outs, node))
        elif keras_layer and cls in _SHARE:
            self.steps.append(Step("share", op, name, ins, outs, node))
        elif keras_layer and cls == "BatchNormalization":
            self.steps.append(Step("affine", op, name, ins, outs, node))
        elif not keras_layer and cls == "Add" and len(ins) == 2:  # x + y in a functional graph
            self.steps.append(Step("share", op, name, ins, outs, node))
        elif not keras_layer and cls == "Softmax":  # keras.ops.softmax
            self.steps.append(Step("act", op, name, ins, outs, node))
        else:
            raise ExplainError(
                f"LRP cannot handle {_where(op)} at {name!r}: it has no relevance rule. "
                "Supported: Dense, Conv1D/2D/3D, DepthwiseConv2D, pooling (max, average, "
                "global), BatchNormalization, Add, Average, Concatenate, activations, dropout, "
                "Flatten/Reshape/Permute, padding/cropping/up-sampling, Rescaling/Normalization, "
                "and a final softmax. Use a gradient method (e.g. 'integrated_gradients').")

    def _add_linear(self, op, node, name, ins, outs):
        cls = type(op).__name__
        if len(ins) != 1:
            raise ExplainError(f"LRP: {_where(op)} is called on {len(ins)} tensors; expected 1.")
        if cls.startswith("Conv"):
            if getattr(op, "groups", 1) != 1:
                raise ExplainError(f"LRP cannot handle {_where(op)}: grouped convolutions "
                                   f"(groups={op.groups}) are not supported.")
            if op.padding == "causal":
                raise ExplainError(f"LRP cannot handle {_where(op)}: causal padding is not "
                                   "supported.")
        activation = getattr(op, "activation", None)
        act_name = _activation_name(activation) if activation is not None else "linear"
        if act_name == "linear":
            self.steps.append(Step("linear", op, name, ins, outs, node,
                                   layer_kind=_LINEAR[cls]))
            return
        mid = (name, "pre-activation")
        self.steps.append(Step("linear", op, name, ins, [mid], node, layer_kind=_LINEAR[cls]))
        self.steps.append(Step("act", op, name + " (activation)", [mid], outs,
                               activation=activation))

    # ------------------------------------------------------------------ rewriting
    def _consumers(self, key) -> int:
        return sum(st.ins.count(key) for st in self.steps)

    def _fold_batchnorm(self):
        producer = {k: st for st in self.steps for k in st.outs}
        kept = []
        for st in self.steps:
            if st.kind == "affine":
                prev = producer.get(st.ins[0])
                axis = st.op.axis if isinstance(st.op.axis, int) else None
                rank = len(st.node.input_tensors[0].shape)
                last = axis == -1 or (rank is not None and axis == rank - 1)
                if (prev is not None and prev.kind == "linear" and prev.fold is None and last
                        and prev.outs[0] != self.head_key
                        and self._consumers(st.ins[0]) == 1):
                    prev.fold = st.op
                    prev.outs = st.outs
                    prev.name = f"{prev.name} + {st.op.name}"
                    continue
            kept.append(st)
        self.steps = kept

    def _strip_head(self, adapter):
        for st in self.steps:
            if self.head_key not in st.outs:
                continue
            if st.kind in ("act", "pass") and adapter._strip is not None:
                st.skip = True  # the final softmax/sigmoid the adapter strips too
        for st in self.steps:
            fn_name = _activation_name(st.activation) if st.activation is not None else ""
            is_softmax = (type(st.op).__name__ == "Softmax" and st.kind in ("pass", "act")
                          and st.activation is None) or fn_name in _NOT_ELEMENTWISE
            if is_softmax and not st.skip:
                raise ExplainError(
                    f"LRP cannot handle the softmax of {_where(st.op)} at {st.name!r}: a "
                    "softmax is stripped only at the end of the explained output.")

    def _mark_first_and_signs(self):
        after_linear = {self.input_key: False}
        nonneg = {self.input_key: False}
        for st in self.steps:
            before = any(after_linear.get(k, True) for k in st.ins)
            ins_nonneg = all(nonneg.get(k, False) for k in st.ins)
            if st.kind == "linear":
                st.first = not before
                st.nonneg = ins_nonneg
                out_nonneg = False
            elif st.kind == "act":
                out_nonneg = _activation_name(st.activation) in _NONNEGATIVE and not st.skip
            elif st.kind == "pass":
                cls = type(st.op).__name__
                plain_relu = (cls == "ReLU" and not getattr(st.op, "negative_slope", 0)
                              and getattr(st.op, "threshold", 0) >= 0)
                out_nonneg = (ins_nonneg if cls in _IDENTITY_AT_INFERENCE
                              else plain_relu or (cls == "Activation" and _activation_name(
                                  st.op.activation) in _NONNEGATIVE))
            elif st.kind in ("route", "share"):
                out_nonneg = ins_nonneg
            else:
                out_nonneg = False
            for k in st.outs:
                after_linear[k] = before or st.kind == "linear"
                nonneg[k] = out_nonneg

    def describe(self) -> list[str]:
        return [f"{st.kind}: {st.name}" for st in self.steps]


def _is_keras_layer(op) -> bool:
    import keras

    return isinstance(op, keras.layers.Layer)


# ---------------------------------------------------------------------- the computation
def _call_op(st: Step, values):
    """Run a step's own Keras operation on ``values`` (its input tensors)."""
    tensor_dict = {id(t): v for t, v in zip(st.node.input_tensors, values)}
    args, kwargs = st.node.arguments.fill_in(tensor_dict)
    if "training" in getattr(st.op, "_call_context_args", ()):
        kwargs["training"] = False
    with _keras_only_scope(st.op):
        out = st.op(*args, **kwargs)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _weights(st: Step):
    """(kernel, bias or None) of a linear step, the folded BatchNormalization applied; read
    from the user's variables at call time (float32)."""
    tf = _tf()
    kernel = tf.cast(st.op.kernel, tf.float32)
    bias = tf.cast(st.op.bias, tf.float32) if getattr(st.op, "use_bias", False) else None
    bn = st.fold
    if bn is not None:
        var = tf.cast(bn.moving_variance, tf.float32)
        scale = tf.math.rsqrt(var + bn.epsilon)
        if bn.scale:
            scale = scale * tf.cast(bn.gamma, tf.float32)
        shift = -tf.cast(bn.moving_mean, tf.float32) * scale
        if bn.center:
            shift = shift + tf.cast(bn.beta, tf.float32)
        if type(st.op).__name__ == "DepthwiseConv2D":  # output channel c * multiplier + m
            kernel = kernel * tf.reshape(scale, tf.shape(kernel)[-2:])
        else:
            kernel = kernel * scale
        bias = shift if bias is None else bias * scale + shift
    return kernel, bias


def _add_bias(op, z, bias):
    """z + bias on the layer's channel axis."""
    if bias is None:
        return z
    if getattr(op, "data_format", "channels_last") == "channels_first":
        return z + _tf().reshape(bias, (1, -1) + (1,) * (len(z.shape) - 2))
    return z + bias


def _linear_fn(st: Step):
    """``lin(x, kernel, bias)``: the layer's linear map with the given weights."""
    import keras

    op = st.op
    cls = type(op).__name__
    if cls == "Dense":
        def lin(x, kernel, bias=None):
            return _add_bias(op, keras.ops.matmul(x, kernel), bias)
        return lin
    if cls == "DepthwiseConv2D":
        def lin(x, kernel, bias=None):
            z = keras.ops.depthwise_conv(x, kernel, strides=op.strides, padding=op.padding,
                                         data_format=op.data_format,
                                         dilation_rate=op.dilation_rate)
            return _add_bias(op, z, bias)
        return lin

    def lin(x, kernel, bias=None):
        z = keras.ops.conv(x, kernel, strides=op.strides, padding=op.padding,
                           data_format=op.data_format, dilation_rate=op.dilation_rate)
        return _add_bias(op, z, bias)
    return lin


def _stab(z, eps):
    # three elementwise ops (the relevance pass is dominated by elementwise ops on large
    # activations, not by the convolutions: MobileNetV2's 1x1 convolutions have 16-160 inputs)
    return z + _tf().where(z >= 0, eps, -eps)


def _share(relevance, z, eps):
    """relevance / stabilised z; 0 where that is 0 (no contributions, no relevance)."""
    return _tf().math.divide_no_nan(relevance, _stab(z, eps))


def _grad(tf, fn, xs, weight_of_z, eps):
    """z = fn(*xs); s = weight_of_z(z) / stab(z); the gradients of z at xs, weighted by s."""
    with tf.GradientTape(watch_accessed_variables=False) as tape:
        for x in xs:
            tape.watch(x)
        z = fn(*xs)
    s = _share(weight_of_z, z, eps)
    return tape.gradient(z, xs, output_gradients=s)


def _linear_relevance(tf, st, rule, x, relevance, lin, params, eps_rule, tape_z):
    kernel, bias = _weights(st)
    pos = lambda w: tf.maximum(w, 0.0)  # noqa: E731
    neg = lambda w: tf.minimum(w, 0.0)  # noqa: E731
    stab = STABILIZER
    if rule == "epsilon":
        tape, z = tape_z
        s = _share(relevance, z, eps_rule)
        return x * tape.gradient(z, x, output_gradients=s)
    if rule == "gamma":
        g = params[GAMMA]
        k2 = kernel + g * pos(kernel)
        b2 = None if bias is None else bias + g * pos(bias)
        (grad,) = _grad(tf, lambda a: lin(a, k2, b2), [x], relevance, stab)
        return x * grad
    if rule == "zplus":
        def nonneg_form():
            (grad,) = _grad(tf, lambda a: lin(a, pos(kernel)), [x], relevance, stab)
            return x * grad

        def split_form():
            xp, xn = pos(x), neg(x)
            gp, gn = _grad(tf, lambda a, b: lin(a, pos(kernel)) + lin(b, neg(kernel)),
                           [xp, xn], relevance, stab)
            return xp * gp + xn * gn

        return nonneg_form() if st.nonneg else _if_nonneg(tf, x, nonneg_form, split_form)
    if rule == "alpha_beta":
        if st.nonneg:  # the forward pass computed z as W+ x + W- x: its tape serves here
            # zp >= 0 >= zn: stabilised without the sign test (where zn = 0 its share meets
            # only zero contributions, whatever its sign)
            tape, (zp, zn) = tape_z
            s = [(ALPHA * relevance) / (zp + stab), (BETA * relevance) / (stab - zn)]
            return x * tape.gradient([zp, zn], x, output_gradients=s)

        def nonneg_form():
            (gp,) = _grad(tf, lambda a: lin(a, pos(kernel)), [x], relevance, stab)
            (gn,) = _grad(tf, lambda a: lin(a, neg(kernel)), [x], relevance, stab)
            return x * (ALPHA * gp - BETA * gn)

        def signed_form():  # see _alpha_beta_signed
            tape, z = tape_z
            return _alpha_beta_signed(tf, x, relevance, z, tape,
                                      lambda a: lin(a, tf.abs(kernel)))

        return _if_nonneg(tf, x, nonneg_form, signed_form)
    if rule == "zbox":
        axes = list(range(1, len(x.shape)))
        low = tf.where(params[HAS_LOW] > 0, params[LOW], tf.reduce_min(x, axis=axes,
                                                                       keepdims=True))
        high = tf.where(params[HAS_HIGH] > 0, params[HIGH], tf.reduce_max(x, axis=axes,
                                                                          keepdims=True))
        low = tf.minimum(low, x)  # the bounds hold the input (else the rule is not defined)
        high = tf.maximum(high, x)
        gx, gl, gh = _grad(
            tf, lambda a, lo, hi: lin(a, kernel) - lin(lo, pos(kernel)) - lin(hi, neg(kernel)),
            [x, low, high], relevance, stab)
        return x * gx + low * gl + high * gh  # gl, gh carry the minus signs of z
    raise AssertionError(rule)


def _alpha_beta_signed(tf, x, relevance, z, tape, abs_lin):
    """Alpha-beta on inputs of both signs in two linear maps forward and two backward (the
    plain form needs four of each: ``W+ x+``, ``W- x-``, ``W- x+``, ``W+ x-``).

    ``z = W x`` (bias-free, from the forward pass, recorded on ``tape``) and ``a = |W| |x|``
    give the positive and negative parts: ``z+ = (z + a) / 2``, ``z- = (z - a) / 2``. With
    ``s+ = R / z+``, ``s- = R / z-`` (stabilised), the rule's relevance
    ``x+ (alpha W+' s+ - beta W-' s-) + x- (alpha W-' s+ - beta W+' s-)`` equals
    ``(x W'(alpha s+ - beta s-) + |x| |W|'(alpha s+ + beta s-)) / 2`` (expand ``W+ = (W + |W|)
    / 2`` and so on), two transposed maps. A part smaller than ``TINY`` times ``a`` is
    rounding (``z`` and ``a`` are float32 sums; in the plain form such a part is exactly 0
    or a sum of contributions too small to resolve) and gets no relevance: without this, the
    huge share ``R / stab`` times rounding would leak into the inputs."""
    ax = tf.abs(x)
    with tf.GradientTape(watch_accessed_variables=False) as abs_tape:
        abs_tape.watch(ax)
        a = abs_lin(ax)
    # written for few elementwise ops on the (large) outputs: with zp2 = 2 z+ = a + z and
    # zn2 = -2 z- = a - z (both >= 0), p = alpha s+ / 2 and m = -beta s- / 2 are
    # alpha R / (zp2 + 2 stab) and beta R / (zn2 + 2 stab); a part under the floor divides
    # by infinity (no relevance)
    floor = TINY * a
    a2 = a + 2 * STABILIZER
    zp2, zn2 = a + z, a - z
    inf = float("inf")
    p = (ALPHA * relevance) / tf.where(zp2 > floor, a2 + z, inf)
    m = (BETA * relevance) / tf.where(zn2 > floor, a2 - z, inf)
    gx = tape.gradient(z, x, output_gradients=p + m)
    ga = abs_tape.gradient(a, ax, output_gradients=p - m)
    return x * gx + ax * ga


def _if_nonneg(tf, x, nonneg_form, split_form):
    """The cheaper form when no input value is negative (images in [0, 1]), else the split
    one; both give the same relevance there (the negative parts are zero)."""
    return tf.cond(tf.reduce_min(x) >= 0, nonneg_form, split_form)


def _rule_of(st: Step, composite: dict) -> str:
    if st.first and "first" in composite:
        return composite["first"]
    return composite[st.layer_kind]


def _lrp_function(adapter, rule: str):
    tf = _tf()

    def build():
        plan = Plan(adapter)  # raises before anything is computed
        composite = COMPOSITES[rule]
        lins = {id(st): _linear_fn(st) for st in plan.steps if st.kind == "linear"}
        split = {id(st) for st in plan.steps if st.kind == "linear" and st.nonneg
                 and _rule_of(st, composite) == "alpha_beta"}
        signed = {id(st) for st in plan.steps if st.kind == "linear" and not st.nonneg
                  and _rule_of(st, composite) == "alpha_beta"}

        def lrp(x, target, params):
            values = {plan.input_key: x}
            tapes = {}
            for st in plan.steps:
                ins = [values[k] for k in st.ins]
                if st.kind == "pass" and (st.skip or type(st.op).__name__
                                          in _IDENTITY_AT_INFERENCE):
                    outs = ins
                elif st.kind == "act":
                    outs = ins if st.skip else [st.activation(ins[0])]
                elif st.kind == "linear" and id(st) in split:
                    # alpha-beta on non-negative inputs: z = W+ x + W- x + b, the two parts
                    # kept for the relevance pass (no separate forward for them)
                    kernel, bias = _weights(st)
                    lin = lins[id(st)]
                    with tf.GradientTape(watch_accessed_variables=False) as tape:
                        tape.watch(ins[0])
                        zp = lin(ins[0], tf.maximum(kernel, 0.0))
                        zn = lin(ins[0], tf.minimum(kernel, 0.0))
                    tapes[id(st)] = (tape, (zp, zn))
                    z = zp + zn
                    outs = [_add_bias(st.op, z, bias)]
                elif st.kind == "linear" and id(st) in signed:
                    # alpha-beta on inputs of both signs: the bias-free z = W x on the tape
                    kernel, bias = _weights(st)
                    with tf.GradientTape(watch_accessed_variables=False) as tape:
                        tape.watch(ins[0])
                        z = lins[id(st)](ins[0], kernel)
                    tapes[id(st)] = (tape, z)
                    outs = [_add_bias(st.op, z, bias)]
                elif st.kind == "linear":
                    kernel, bias = _weights(st)
                    with tf.GradientTape(watch_accessed_variables=False) as tape:
                        tape.watch(ins[0])
                        z = lins[id(st)](ins[0], kernel, bias)
                    tapes[id(st)] = (tape, z)
                    outs = [z]
                elif st.kind == "pass":
                    outs = _call_op(st, ins)
                else:  # route, share, affine: their gradients are needed
                    with tf.GradientTape(watch_accessed_variables=False) as tape:
                        for t in ins:
                            tape.watch(t)
                        outs = _call_op(st, ins)
                    tapes[id(st)] = (tape, outs)
                for k, v in zip(st.outs, outs):
                    values[k] = v
            scores = tf.cast(values[plan.head_key], tf.float32)
            scores = tf.reshape(scores, (tf.shape(scores)[0], -1))
            top = tf.argmax(scores, axis=-1, output_type=tf.int32)
            resolved = tf.where(target < 0, top, target)
            explained = tf.one_hot(resolved, tf.shape(scores)[1]) * scores
            relevance = {plan.head_key: tf.reshape(explained, tf.shape(values[plan.head_key]))}

            for st in reversed(plan.steps):
                got = [relevance.pop(k, None) for k in st.outs]
                if all(r is None for r in got):
                    continue
                got = [tf.zeros_like(values[k]) if r is None else r
                       for k, r in zip(st.outs, got)]
                ins = [values[k] for k in st.ins]
                if st.kind in ("pass", "act"):
                    back = got
                elif st.kind == "linear":
                    back = [_linear_relevance(tf, st, _rule_of(st, composite), ins[0], got[0],
                                              lins[id(st)], params, params[EPS],
                                              tapes[id(st)])]
                elif st.kind == "route":
                    tape, outs = tapes[id(st)]
                    back = tape.gradient(outs, ins, output_gradients=got)
                else:  # share (in proportion), affine (epsilon rule)
                    tape, outs = tapes[id(st)]
                    eps = (params[EPS] if st.kind == "affine"
                           else tf.minimum(params[EPS], STABILIZER))
                    s = [_share(r, o, eps) for r, o in zip(got, outs)]
                    grads = tape.gradient(outs, ins, output_gradients=s)
                    back = [t * g for t, g in zip(ins, grads)]
                for k, r in zip(st.ins, back):
                    if r is None:
                        continue
                    relevance[k] = relevance[k] + r if k in relevance else r
            at_input = relevance.get(plan.input_key)
            if at_input is None:
                at_input = tf.zeros_like(x)
            return at_input, scores, resolved

        return adapter.compile(lrp, [adapter.input_spec(), tf.TensorSpec((None,), tf.int32),
                                     tf.TensorSpec((6,), tf.float32)],
                               rows=lambda x, *_: len(x))

    return adapter.function(("lrp", rule), build)


@register(
    "lrp", "LRP (layer-wise relevance)",
    "the score handed back layer by layer to the inputs, by a rule per kind of layer.",
    signed=True,
    options=(
        Option("rule", "epsilon_plus", "rule or composite", "choice",
               choices=tuple(COMPOSITES)),
        Option("epsilon", 1e-6, "epsilon stabiliser", "number", minimum=0.0),
        Option("gamma", 0.25, "gamma rule weight", "number",
               minimum=0.0),
        Option("low", None, "zB lowest input", "number"),
        Option("high", None, "zB highest input", "number"),
    ), inputs=("image", "tabular"), own_scores=True)
def lrp(adapter, x, targets, runner, rule, epsilon, gamma, low, high):
    if low is not None and high is not None and low > high:
        raise ExplainError(f"low={low} is above high={high}; the zB bounds must satisfy "
                           "low <= high.")
    fn = _lrp_function(adapter, rule)  # checks every layer before computing
    params = np.array([epsilon, gamma, 0.0 if low is None else low,
                       0.0 if high is None else high, low is not None, high is not None],
                      np.float32)
    runner.plan(len(x))
    relevance = np.empty_like(x)
    logits = np.empty((len(x), adapter.num_classes), np.float32)
    resolved = np.empty(len(x), np.int32)
    for start, stop in runner.chunks(len(x)):
        r, out, picked = fn(x[start:stop], targets[start:stop], params)
        relevance[start:stop] = r.numpy()
        logits[start:stop] = out.numpy()
        resolved[start:stop] = picked.numpy()
    return {"attributions": relevance, "heatmaps": input_heatmaps(relevance),
            "logits": logits, "targets": resolved}


def plan_of(model, output: str = "logit", head=None) -> list[str]:
    """The steps LRP runs for ``model`` (for inspection; raises what ``lrp`` would)."""
    from ..models import adapt

    return Plan(adapt(model, output=output, head=head)).describe()
