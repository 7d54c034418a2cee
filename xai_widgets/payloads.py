"""Results -> what the views receive: pure functions, numpy in, dicts of binary payloads out.

The widgets call these and assign the result to their traits; nothing here imports
ipywidgets, so each payload can be tested (and its size measured) without a widget. The wire
format (``{view, dtype, shape}`` arrays, PNG images) is in ``_encode.py`` and
``docs/architecture.md``.
"""

from __future__ import annotations

import numpy as np

from ._encode import array_payload, heatmap_payload, percentile_cutoffs
from .explainers import Explanation, get_method, method_for
from .explainers.activations import channel_contributions, quantize, weight_views

TOP_K = 5  # classes offered as buttons (the rest through the view's class menu)
VALUE_KINDS = ("probability", "score", "value")  # what a head's numbers are (value_kind)


def score_word(score_kind: str) -> str:
    """"probability" only when the explained output is one; otherwise "score"."""
    return "probability" if score_kind == "probability" else "score"


def subject(name: str, value_kind: str) -> str:
    """What an explanation is of: "class 'cow'", or "the predicted value of 'age'" for a
    regression head (``name`` is then the head's name)."""
    if value_kind == "value":
        return f"the predicted value of '{name}'"
    return f"class '{name}'"


def reading(name: str, score: float, score_kind: str, value_kind: str) -> str:
    """What is explained, with its number: "class 'cow' (score 12.3)", "class 'cow'
    (probability 0.931)", or "the predicted value of 'age' (54.2)" for a regression head."""
    if value_kind == "value":
        return f"{subject(name, value_kind)} ({score:.3g})"
    return f"{subject(name, value_kind)} ({score_word(score_kind)} {score:.3g})"


def caption(label: str, class_name: str, score: float, score_kind: str, signed: bool,
            value_kind: str = "score") -> str:
    """The one-line reading of a heatmap, in plain words. For a regression head
    (``value_kind="value"``) ``class_name`` is the head's name and ``score`` its value."""
    what = "value" if value_kind == "value" else score_word(score_kind)
    head = f"{label} for {reading(class_name, score, score_kind, value_kind)}"
    if signed:
        return f"{head}: warm pixels raise the {what}, cool ones lower it"
    return f"{head}: brighter pixels matter more"


def top_classes(values: np.ndarray, names: list[str], *, value_kind: str, k: int = TOP_K,
                shown: np.ndarray | None = None) -> list[dict]:
    """The ``k`` largest of a head's outputs as ``{index, name, value, value_kind}``, ordered
    by ``values``; the value printed is ``shown``'s (a what-if row's) if given.

    ``value_kind`` (the adapter's) says what the numbers are: "probability" (the head ends
    in softmax or sigmoid), "score" (logits: no softmax) or "value" (a regression head, one
    entry named after the head). The view formats each entry by it."""
    if value_kind not in VALUE_KINDS:
        raise ValueError(f"value_kind must be one of {VALUE_KINDS}, got {value_kind!r}")
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    order = np.argsort(-values, kind="stable")[:k]
    printed = values if shown is None else np.asarray(shown, dtype=np.float64).reshape(-1)
    return [{"index": int(i), "name": names[i], "value": float(printed[i]),
             "value_kind": value_kind} for i in order]


def segment_borders(labels: np.ndarray) -> np.ndarray:
    """(H, W) bool: pixels whose segment differs from their right or lower neighbour's (the
    superpixel methods' segments, drawn on request over the picture)."""
    labels = np.asarray(labels)
    border = np.zeros(labels.shape, bool)
    border[:, :-1] |= labels[:, :-1] != labels[:, 1:]
    border[:-1, :] |= labels[:-1, :] != labels[1:, :]
    return border


def heatmap_view(exp: Explanation, class_names: list[str], index: int = 0,
                 label: str | None = None, *, value_kind: str) -> tuple[dict, dict]:
    """One input's heatmap as float16 bytes scaled to [-1, 1], and what the view says of it
    (method, class, score and its kind, signs, the percentile cut-offs of |value|, caption).
    ``value_kind`` is the head's (ModelAdapter.value_kind): "value" says "the predicted
    value of '<head>'" instead of a class."""
    heat = exp.heatmaps[index]
    payload, scale = heatmap_payload(heat)
    # the registration that explained these inputs (kernel_shap has a tabular and an image one)
    label = label or method_for(exp.method, exp.inputs).label
    target = int(exp.targets[index])
    name = class_names[target]
    score = float(exp.scores[index])
    kind = exp.params.get("score", "")
    finite = heat[np.isfinite(heat)]
    return payload, {
        "method": exp.method,
        "label": label,
        "target": target,
        "class_name": name,
        "head": exp.params.get("head", ""),
        "value_kind": value_kind,
        "score": score,
        "score_kind": kind,
        "score_word": "value" if value_kind == "value" else score_word(kind),
        "reading": reading(name, score, kind, value_kind),  # "class 'cow' (score 12.3)"
        "signed": bool(exp.signed),
        "scale": scale,
        "cutoffs": percentile_cutoffs(heat),
        "min": float(finite.min()) if finite.size else 0.0,
        "max": float(finite.max()) if finite.size else 0.0,
        "layer": exp.params.get("layer") or "",
        "seconds": exp.seconds,
        "caption": caption(label, name, score, kind, exp.signed, value_kind),
        "caption_magnitude": caption(label, name, score, kind, False, value_kind),
        **_empty_captions(finite, label, reading(name, score, kind, value_kind)),
        **_borders(exp, index),
    }


def _borders(exp: Explanation, index: int) -> dict:
    """The superpixel methods' segment borders for the view (uint8 0/1 per pixel)."""
    segments = exp.params.get("segments")
    if segments is None or np.ndim(segments) != 3:
        return {}
    border = segment_borders(np.asarray(segments)[index])
    return {"borders": array_payload(border.astype(np.uint8), "uint8"),
            "segment_count": int(len(np.unique(np.asarray(segments)[index])))}


def _empty_captions(finite: np.ndarray, label: str, read: str) -> dict:
    """An empty map (zero everywhere) has no "brighter pixels": its caption says so."""
    from .explainers.base import EMPTY_ATOL

    if finite.size and np.abs(finite).max() > EMPTY_ATOL:
        return {"empty": False}
    text = (f"{label} for {read}: zero everywhere, nothing to show (an empty map does not "
            "mean that nothing matters)")
    return {"empty": True, "caption": text, "caption_magnitude": text}


# -- LayerBrowser ---------------------------------------------------------------------------
def activation_view(activation: np.ndarray, gradient: np.ndarray, *, labels=None,
                    note: str | None = None) -> tuple[dict, dict]:
    """One layer's output for one input (no batch axis) as uint8 with per-channel ranges,
    with each channel's mean and contribution (gradient x activation) to the class."""
    a, g = activation, gradient
    if a.ndim == 3:
        kind = "spatial"
    elif a.ndim == 1:
        kind = "vector"
    else:
        kind = "other"
        a, g = a.reshape(-1), g.reshape(-1)
    q, lo, hi = quantize(a)
    axes = tuple(range(a.ndim - 1))
    means = a.mean(axis=axes) if axes else a
    contributions = channel_contributions(a[None], g[None])[0]
    info = {}
    if note:
        info["note"] = note
    if labels is not None:
        info["labels"] = list(labels)  # e.g. the output's units are the classes
    return array_payload(q, "uint8"), {
        **info,
        "kind": kind,
        "shape": list(a.shape),
        "lo": array_payload(lo), "hi": array_payload(hi),
        "means": array_payload(means), "contributions": array_payload(contributions),
    }


def weights_view(layer) -> tuple[dict, dict]:
    """A layer's kernels (conv) or matrix (dense) as uint8 over one symmetric range."""
    view = weight_views(layer)
    if view["kind"] == "none":
        return {}, {"kind": "none"}
    values = view["kernels"] if view["kind"] == "conv" else view["matrix"]
    limit = float(np.abs(values).max()) or 1.0
    q = np.round((values + limit) / (2 * limit) * 255).astype(np.uint8)
    rgb = view["kind"] == "conv" and values.shape[-1] == 3
    return array_payload(q, "uint8"), {
        "kind": view["kind"], "shape": list(values.shape), "lo": -limit, "hi": limit,
        "rgb": rgb,
    }


# -- FeatureImportance ----------------------------------------------------------------------
def row_methods_view(result: dict, methods: tuple[str, ...]) -> dict:
    """explain_row()'s explanations, each with its registry label and binary values."""
    out = {}
    for method in methods:
        entry = result[method]
        extra = {k: array_payload(v) if isinstance(v, np.ndarray) else v
                 for k, v in entry.items() if k not in ("values", "base")}
        out[method] = {"label": get_method(method, "tabular").label,
                       "values": array_payload(entry["values"]),
                       "base": entry["base"],
                       "sums_to_prediction": entry["base"] is not None, **extra}
    return out


def importance_view(shap, shap_exp: Explanation | None, permutation, *, class_name: str,
                    rows: int, reasons: dict | None = None) -> dict:
    """Global importance: mean |SHAP| and permutation importance (with labels), each where it
    could be computed. ``reasons``: {"shap" | "permutation": why it is missing, in plain
    words}, sent as ``reasons`` for the view to show in its place. Permutation ``notes`` say
    what its numbers mean on degenerate data (one class in y, constant columns)."""
    importance = {}
    if shap is not None:
        importance["shap"] = {
            "mean_abs": array_payload(shap), "rows": int(len(shap_exp.targets)),
            "class_name": class_name,
            "exact": bool(shap_exp.params["exact"]),
            "coalitions": int(shap_exp.params["coalitions"])}
    if permutation is not None:
        importance["permutation"] = {
            "mean": array_payload(permutation.mean), "std": array_payload(permutation.std),
            "metric": permutation.metric, "baseline": permutation.baseline,
            "repeats": int(permutation.drops.shape[1]), "rows": int(rows),
            "notes": list(permutation.notes), "constant": list(permutation.constant)}
        if permutation.group_names:  # features shuffled together (groups=)
            importance["permutation"]["groups"] = {
                "names": list(permutation.group_names),
                "members": [list(m) for m in permutation.group_members],
                "mean": array_payload(permutation.group_mean),
                "std": array_payload(permutation.group_std)}
    missing = {k: str(v) for k, v in (reasons or {}).items() if v and k not in importance}
    if missing:
        importance["reasons"] = missing
    return importance


def _finite_or_none(value: float):
    """JSON has no NaN: an undefined number travels as null (the view prints "n/a")."""
    return float(value) if np.isfinite(value) else None


def surrogate_view(surrogates, coefficient_class: int, reason: str | None = None) -> dict:
    """The fitted tree and linear model: fidelity on held-out rows, rules, coefficients.

    No surrogates (``surrogates`` None): ``{"reason": why}`` for the view to show instead.
    A class the model never predicts on these rows has no linear coefficients: ``linear``
    then holds a ``reason`` instead of ``coefficients``."""
    if surrogates is None:
        return {"reason": reason or "The surrogates are not computed yet."}
    s = surrogates
    linear = {"fidelity": _finite_or_none(s.linear_fidelity)}
    classes = [int(c) for c in s.linear[-1].classes_] if s.kind == "classification" else []
    if s.kind == "classification" and coefficient_class not in classes:
        linear["reason"] = (
            "The model predicts this class for none of these rows, so the linear surrogate "
            "has no coefficients for it.")
    else:
        linear["coefficients"] = array_payload(s.coefficients_for(coefficient_class))
    return {
        "kind": s.kind,
        "fidelity_label": "agreement" if s.kind == "classification" else "R²",
        "fitted_rows": int(len(s.fitted_rows)), "held_out_rows": int(len(s.held_out)),
        "tree": {"fidelity": _finite_or_none(s.tree_fidelity), "depth": int(s.tree.get_depth()),
                 "rules": s.rules},
        "linear": linear,
    }
