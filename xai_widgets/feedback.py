"""Feedback that changes the model: "right for the right reasons" training (Ross, Hughes and
Doshi-Velez 2017).

The user marks, for some inputs, what should not matter (``masks``, True there). The model
is trained on

    cross-entropy + strength * mean over inputs of || mask * d(sum_k log p_k)/dx ||^2

so that the log-probabilities stop depending on the marked inputs. The input gradient is
taken in an inner GradientTape, the weights' gradient of the whole loss in an outer one; the
step is one ``tf.function`` traced once per model (fixed input signature) and reused by
later calls with a fresh optimizer state.
"""

from __future__ import annotations

import weakref

import numpy as np

from .errors import Cancelled, ExplainError
from .models import adapt


def _masks_for(x: np.ndarray, masks) -> np.ndarray:
    m = np.asarray(masks)
    if m.dtype.kind not in "biuf":
        raise ExplainError(f"masks must be boolean (or 0/1) arrays, got dtype {m.dtype}.")
    if m.shape == x.shape:
        return m.astype(np.float32)
    if m.shape == x.shape[:-1] and x.ndim >= 3:  # (N, H, W) regions of (N, H, W, C) images
        return np.broadcast_to(m[..., None], x.shape).astype(np.float32)
    raise ExplainError(
        f"masks must mark the inputs' pixels: shape {x.shape} or {x.shape[:-1]}, got "
        f"{m.shape}. True (1) marks what should not matter; all False for inputs without "
        "feedback.")


class _Step:
    """The compiled training step of one model (and its optimizer and strength)."""

    def __init__(self, step, terms, optimizer, lam):
        self.step, self.terms, self.optimizer, self.lam = step, terms, optimizer, lam


_STEPS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _build_step(model, optimizer, shape, probability) -> _Step:
    import tensorflow as tf

    weights = model.trainable_variables
    optimizer.build(weights)
    lam = tf.Variable(0.0, dtype=tf.float32, trainable=False)
    spec = tf.TensorSpec((None,) + tuple(shape), tf.float32)
    model_ref = weakref.ref(model)  # the cache lives on while the model does, not longer

    def log_probs(xb, training):
        out = model_ref()(xb, training=training)
        if isinstance(out, (list, tuple, dict)):
            raise ExplainError("fit_right_reasons trains single-output models.")
        out = tf.cast(out, tf.float32)
        if probability:
            return tf.math.log(tf.clip_by_value(out, 1e-7, 1.0))
        return tf.nn.log_softmax(out, axis=-1)

    def terms(xb, yb, mb, training):
        with tf.GradientTape() as inner:
            inner.watch(xb)
            logp = log_probs(xb, training)
            total = tf.reduce_sum(logp)
        grad = inner.gradient(total, xb)
        ce = -tf.reduce_mean(tf.gather(logp, yb, axis=1, batch_dims=1))
        masked = tf.reshape(mb * grad, (tf.shape(xb)[0], -1))
        penalty = tf.reduce_mean(tf.reduce_sum(tf.square(masked), axis=1))
        correct = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logp, -1, output_type=tf.int32),
                                                  yb), tf.float32))
        return ce, penalty, correct

    @tf.function(input_signature=[spec, tf.TensorSpec((None,), tf.int32), spec])
    def step(xb, yb, mb):
        with tf.GradientTape() as outer:
            ce, penalty, correct = terms(xb, yb, mb, True)
            loss = ce + lam * penalty
        grads = outer.gradient(loss, weights)
        optimizer.apply(grads, weights)
        return loss, ce, penalty, correct

    return _Step(step, terms, optimizer, lam)


def fit_right_reasons(model, x, y, masks, strength: float | None = None, epochs: int = 10,
                      batch_size: int = 32, validation_data=None, callbacks=None, *,
                      learning_rate: float = 1e-3, optimizer=None, seed: int = 0,
                      progress=None, cancel=None):
    """Train ``model`` (in place) with the right-for-the-right-reasons loss.

    ``x`` inputs, ``y`` integer labels (N,), ``masks`` True where the input should not
    matter (same shape as ``x``, or (N, H, W) for images). ``strength=None`` picks it so
    that the two loss terms start at a similar size (cross-entropy / penalty on the first
    batches, with the model as it is; if the penalty is 0 there, 1000). Works on
    Sequential and functional classifiers, ending in softmax or not (their log-softmax is
    used). ``progress(done, total)`` counts batches; ``cancel()`` is checked between
    batches (raises ``xw.Cancelled``; the model keeps the steps done).

    Returns the ``keras.callbacks.History``: per epoch ``loss``, ``cross_entropy``,
    ``penalty`` (the mean squared masked input gradient, before ``strength``), ``accuracy``
    and with ``validation_data=(x_val, y_val)`` ``val_accuracy``;
    ``history.params["strength"]`` is the strength used.
    """
    import keras
    import tensorflow as tf

    adapter = adapt(model)
    x = adapter.validate_inputs(x)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != len(x) or y.dtype.kind not in "iu":
        raise ExplainError(f"y must hold one integer label per input ({len(x)}), got shape "
                           f"{y.shape} and dtype {y.dtype}.")
    k = adapter.num_classes
    if k < 2 or adapter.is_regression:
        raise ExplainError("fit_right_reasons trains classifiers (two or more classes).")
    if y.min() < 0 or y.max() >= k:
        raise ExplainError(f"labels must be in 0..{k - 1} (the model has {k} classes), got "
                           f"{y.min()}..{y.max()}.")
    m = _masks_for(x, masks)
    if not m.any():
        raise ExplainError("masks mark nothing: mark at least one region that should not "
                           "matter (True), or train the model as usual.")
    for name, value in (("epochs", epochs), ("batch_size", batch_size)):
        if not isinstance(value, int) or value < 1:
            raise ExplainError(f"{name} must be a positive int, got {value!r}.")
    if strength is not None and not (np.isfinite(strength) and strength >= 0):
        raise ExplainError(f"strength must be a number >= 0 (or None: automatic), got "
                           f"{strength!r}.")
    if validation_data is not None:
        x_val, y_val = validation_data
        x_val, y_val = adapter.validate_inputs(x_val), np.asarray(y_val)
    probability = adapter.final_activation == "softmax" or adapter.value_kind == "probability"
    single_sigmoid = adapter.final_activation == "sigmoid"
    if single_sigmoid:
        raise ExplainError("fit_right_reasons needs a softmax (or logits) output with one "
                           "unit per class; this model ends in a sigmoid.")

    key = (x.shape[1:], probability)
    cached = _STEPS.get(model, {}).get(key) if optimizer is None else None
    if cached is None:
        cached = _build_step(model, optimizer or keras.optimizers.Adam(learning_rate),
                             x.shape[1:], probability)
        if optimizer is None:  # one traced step per model: no retracing on the next call
            _STEPS.setdefault(model, {})[key] = cached
    else:  # a fresh Adam: its state and step count back to zero, this learning rate
        for variable in cached.optimizer.variables:
            variable.assign(np.zeros(variable.shape, variable.dtype))
        cached.optimizer.learning_rate = learning_rate
    step, terms, lam = cached.step, cached.terms, cached.lam

    y32 = y.astype(np.int32)
    if strength is None:
        # the two terms' sizes with the model as it is, on (up to) 256 masked inputs
        rows = np.flatnonzero(m.reshape(len(m), -1).any(axis=1))[:256]
        ce0, pen0, _ = terms(tf.constant(x[rows]), tf.constant(y32[rows]),
                             tf.constant(m[rows]), False)
        ce0, pen0 = float(ce0), float(pen0)
        # the penalty counts over every input, masked or not: scale by the masked share
        share = len(np.flatnonzero(m.reshape(len(m), -1).any(axis=1))) / len(m)
        strength = ce0 / (pen0 * share) if pen0 * share > 1e-12 else 1000.0
    lam.assign(float(strength))

    callback_list = keras.callbacks.CallbackList(
        callbacks, add_history=True, model=model, epochs=epochs,
        steps=int(np.ceil(len(x) / batch_size)), strength=float(strength))
    rng = np.random.default_rng(seed)
    steps_per_epoch = int(np.ceil(len(x) / batch_size))
    total = epochs * steps_per_epoch
    done = 0
    callback_list.on_train_begin()
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        order = rng.permutation(len(x))
        sums = np.zeros(4)
        for b, start in enumerate(range(0, len(x), batch_size)):
            if cancel is not None and cancel():
                callback_list.on_train_end()
                raise Cancelled(f"training cancelled after {done} of {total} batches "
                                f"(epoch {epoch + 1} of {epochs}); the model keeps those steps")
            idx = order[start:start + batch_size]
            out = step(x[idx], y32[idx], m[idx])
            sums += np.array([float(v) for v in out]) * len(idx)
            done += 1
            callback_list.on_train_batch_end(b, {"loss": float(out[0])})
            if progress is not None:
                progress(done, total)
        logs = dict(zip(("loss", "cross_entropy", "penalty", "accuracy"), sums / len(x)))
        if validation_data is not None:
            pred = model.predict(x_val, verbose=0, batch_size=256).argmax(-1)
            logs["val_accuracy"] = float((pred == y_val).mean())
        callback_list.on_epoch_end(epoch, logs)
    callback_list.on_train_end()
    history = model.history
    history.params = {**(history.params or {}), "strength": float(strength)}
    return history
