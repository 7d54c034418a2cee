"""Guided backpropagation and deconvnet: gradients with the ReLUs' backward pass modified.

* guided backprop (Springenberg et al. 2015): a ReLU passes back only positive gradients,
  and only where its input was positive: ``g_in = relu(g_out) * (x > 0)``;
* deconvnet (Zeiler & Fergus 2014): a ReLU passes back the positive gradients, whatever its
  input was: ``g_in = relu(g_out)``.

The modified ReLU gradient is used inside our own compiled function only: while it traces
the model's forward pass, TensorFlow's ``gradient_override_map`` marks the ``Relu``
operations it creates in that graph, and ``tf.gradients`` (which honours the mark; a
``GradientTape`` does not) builds the backward pass. The user's model, its layers and their
activations are never changed, cloned or rebuilt; a ReLU reached through ``keras.ops.relu``
(Dense/Conv ``activation="relu"``, ``layers.ReLU()`` with its defaults,
``layers.Activation("relu")``) is a ``Relu`` operation. Other activations (leaky ReLU, ELU,
GELU, ReLU6...) keep their true gradient; ``params["relus"]`` counts the ReLUs modified.

The function is always traced (never run eagerly: ``tf.gradients`` needs a graph); it takes a
``None`` batch dimension, so repeated calls never retrace.
"""

from __future__ import annotations

import numpy as np

from ..errors import ExplainError
from .base import input_heatmaps, register

_GRADIENT_NAMES = {"guided": "XaiWidgetsGuidedRelu", "deconvnet": "XaiWidgetsDeconvRelu"}
_registered = False


def _register_gradients(tf):
    """The two ReLU gradients, registered with TensorFlow once (under names of our own)."""
    global _registered
    if _registered:
        return

    @tf.RegisterGradient(_GRADIENT_NAMES["guided"])
    def _guided(op, grad):
        return tf.nn.relu(grad) * tf.cast(op.inputs[0] > 0, grad.dtype)

    @tf.RegisterGradient(_GRADIENT_NAMES["deconvnet"])
    def _deconv(op, grad):
        return tf.nn.relu(grad)

    _registered = True


def modified_gradients(adapter, x, targets, runner, rule: str):
    """The modified-ReLU gradient of each target score with respect to the inputs, batched;
    with the inputs' scores (N, K), targets (-1 = top class, picked in the same pass) and the
    number of ReLU operations modified in the traced graph."""
    import tensorflow as tf

    _register_gradients(tf)
    relus = {}

    def build():
        def modified_relu_gradients(xb, target):
            graph = tf.compat.v1.get_default_graph()
            with graph.gradient_override_map({"Relu": _GRADIENT_NAMES[rule]}):
                out, _ = adapter.forward(xb)
            relus["count"] = sum(op.type == "Relu" for op in graph.get_operations())
            out = tf.cast(out, tf.float32)
            top = tf.argmax(out, axis=-1, output_type=tf.int32)
            resolved = tf.where(target < 0, top, target)
            score = tf.gather(out, resolved, batch_dims=1)
            (grads,) = tf.gradients(score, [xb])
            if grads is None:
                raise ExplainError(
                    f"the model's output {adapter.head_name!r} has no gradient with respect to "
                    "its input: an operation between them is not differentiable. "
                    "'occlusion' needs only forward passes.")
            return tf.cast(grads, tf.float32), out, resolved

        fn = adapter.compile(modified_relu_gradients,
                             [adapter.input_spec(), tf.TensorSpec((None,), tf.int32)])
        fn.compile()  # traced before its first call: the override needs a graph
        fn.relus = relus.get("count", 0)
        return fn

    fn = adapter.function(("modified_relu_gradients", rule), build)
    runner.plan(len(x))
    grads = np.empty_like(x)
    logits = np.empty((len(x), adapter.num_classes), np.float32)
    resolved = np.empty(len(x), np.int32)
    for start, stop in runner.chunks(len(x)):
        g, out, picked = fn(x[start:stop], targets[start:stop])
        grads[start:stop] = g.numpy()
        logits[start:stop] = out.numpy().reshape(stop - start, -1)
        resolved[start:stop] = picked.numpy()
    return grads, logits, resolved, fn.relus


def _result(grads, logits, targets, relus):
    return {"attributions": grads, "heatmaps": input_heatmaps(grads), "logits": logits,
            "targets": targets, "params": {"relus": int(relus)}}


@register(
    "guided_backprop", "Guided backprop",
    "the gradient of the class score with each ReLU passing back only positive gradients "
    "where its input was positive (Springenberg et al. 2015); sharp, but largely "
    "class-insensitive (Adebayo et al. 2018). Heatmap: the sum over channels.",
    signed=True, inputs=("image",), own_scores=True)
def guided_backprop(adapter, x, targets, runner):
    return _result(*modified_gradients(adapter, x, targets, runner, "guided"))


@register(
    "deconvnet", "Deconvnet",
    "the gradient of the class score with each ReLU passing back the positive gradients "
    "whatever its input was (Zeiler & Fergus 2014). Heatmap: the sum over channels.",
    signed=True, inputs=("image",), own_scores=True)
def deconvnet(adapter, x, targets, runner):
    return _result(*modified_gradients(adapter, x, targets, runner, "deconvnet"))
