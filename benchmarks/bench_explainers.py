"""Speed of the xai_widgets explainers, their efficiency against a plain batched reference,
and a side-by-side comparison with tf-keras-vis.

    .venv/bin/python benchmarks/bench_explainers.py            # full run (~5-8 min, 2 cores)
    .venv/bin/python benchmarks/bench_explainers.py --quick    # ~1-2 min
    .venv/bin/python benchmarks/bench_explainers.py --json results.json
    .venv/bin/python benchmarks/bench_explainers.py --cold     # cold start, fresh processes

Models: MobileNetV2 (random weights, 224x224x3, 1000 classes) on random images, and the
digits CNN of ``xai_widgets.demo``. See benchmarks/README.md for what is measured and how.
tf-keras-vis is used only if it is importable, e.g. after benchmarks/setup_tf_keras_vis.sh
installed it into .bench-deps/ (put on sys.path below); it is never a project dependency.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
import traceback
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ROOT = Path(__file__).resolve().parent.parent
BENCH_DEPS = ROOT / ".bench-deps"
if BENCH_DEPS.is_dir():
    sys.path.append(str(BENCH_DEPS))  # appended: it can never shadow the project or .venv
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

METHODS = (
    # (row label, registered method, extra options)
    ("saliency", "saliency", {}),
    ("gradient_x_input", "gradient_x_input", {}),
    ("integrated_gradients", "integrated_gradients", {}),
    ("smoothgrad", "smoothgrad", {"squared": False}),
    ("smoothgrad_squared", "smoothgrad", {"squared": True}),
    ("gradcam", "gradcam", {}),
    ("gradcam_plus_plus", "gradcam_plus_plus", {}),
    ("occlusion", "occlusion", {}),
)


def log(*args):
    print(*args, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- helpers
def median(values):
    return float(statistics.median(values)) if values else float("nan")


def fmt(value):
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not math.isfinite(value):
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.3f}"
    if abs(value) >= 1e-3:
        return f"{value:.4f}"
    return f"{value:.2e}"


def table(headers, rows, align=None):
    """Plain-text table with aligned columns; numbers right-aligned, text left-aligned."""
    cells = [[fmt(c) if not isinstance(c, str) else c for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h)
              for i, h in enumerate(headers)]
    if align is None:
        align = ["l"] + ["r"] * (len(headers) - 1)
    # The last column is free text (errors, notes): never pad it.
    def line(values):
        out = []
        for i, (v, w) in enumerate(zip(values, widths)):
            if i == len(values) - 1:
                out.append(v)
            elif align[i] == "r":
                out.append(v.rjust(w))
            else:
                out.append(v.ljust(w))
        return "  ".join(out).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in cells])


def short_error(exc: BaseException, limit: int = 110) -> str:
    text = f"{type(exc).__name__}: {exc}".replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def spearman(a, b) -> float:
    from scipy.stats import spearmanr

    a, b = np.asarray(a, np.float64).ravel(), np.asarray(b, np.float64).ravel()
    if a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def per_image(fn, a, b):
    """fn over each image's maps; returns (mean, min)."""
    values = [fn(a[i], b[i]) for i in range(len(a))]
    return float(np.nanmean(values)), float(np.nanmin(values))


def max_rel_diff(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    scale = max(np.abs(a).max(), np.abs(b).max(), 1e-30)
    return float(np.abs(a - b).max() / scale)


# --------------------------------------------------------------------------- reference
class Reference:
    """The plain batched computation a user would write: tf.function + GradientTape on
    model(x), with a None batch dimension (one trace), fed numpy batches of ``batch_size``."""

    def __init__(self, model, input_shape, batch_size, seed=0):
        import tensorflow as tf

        self.batch_size = batch_size
        spec = tf.TensorSpec((None,) + tuple(input_shape), tf.float32)
        ints = tf.TensorSpec((None,), tf.int32)

        @tf.function(input_signature=[spec, ints])
        def forward_backward(x, target):
            with tf.GradientTape() as tape:
                tape.watch(x)
                out = model(x, training=False)
                score = tf.gather(out, target, batch_dims=1)
            return tape.gradient(score, x)

        @tf.function(input_signature=[spec])
        def forward(x):
            return model(x, training=False)

        self.forward_backward, self.forward = forward_backward, forward
        rng = np.random.default_rng(seed)
        self.rows = rng.uniform(0, 1, (batch_size,) + tuple(input_shape)).astype(np.float32)
        self.targets = np.zeros(batch_size, np.int32)
        self.forward_backward(self.rows, self.targets).numpy()  # trace + warm up
        self.forward(self.rows).numpy()

    def run(self, evaluations: int, backward: bool) -> float:
        start = time.perf_counter()
        for lo in range(0, evaluations, self.batch_size):
            k = min(self.batch_size, evaluations - lo)
            if backward:
                self.forward_backward(self.rows[:k], self.targets[:k]).numpy()
            else:
                self.forward(self.rows[:k]).numpy()
        return time.perf_counter() - start


# --------------------------------------------------------------------------- ours
# methods compared with the plain reference: label -> reference includes the backward pass
REFERENCED = {"saliency": True, "integrated_gradients": True, "smoothgrad": True,
              "smoothgrad_squared": True, "occlusion": False}


def bench_ours(model, x, targets, settings, repeats, reference):
    """Per method: cold first call (compiled functions cleared, so tracing is included),
    then ``repeats`` timed calls; trace_count must not change during them nor for a call
    with a different number of images. For the methods in REFERENCED, each timed call is
    followed by one run of the plain reference over the same number of evaluations, so both
    see the same machine conditions (timings on shared 2-core machines drift)."""
    import xai_widgets as xw

    adapter = xw.adapt(model)
    results = {}
    for label, method, extra in METHODS:
        opts = dict(settings["common"])
        opts.update(settings.get(method, {}))
        opts.update(extra)
        log(f"  ours: {label} ...")
        adapter.functions.clear()  # cold start: every compiled function is traced again
        traces0 = adapter.trace_count
        start = time.perf_counter()
        exp = xw.explain(model, x, method=method, target=targets, **opts)
        warm_wall = time.perf_counter() - start
        # what the kernel does once idle: compile what ran eagerly (small calls)
        start = time.perf_counter()
        idle_compiled = adapter.compile_pending()
        idle_s = time.perf_counter() - start
        traces_warm = adapter.trace_count - traces0
        n = len(x)
        evaluations = exp.params.get("evaluations")
        if evaluations is None:
            evaluations = n * {"integrated_gradients": opts.get("steps", 1),
                               "smoothgrad": opts.get("samples", 1)}.get(method, 1)
        before = adapter.trace_count
        walls, computes, refs = [], [], []
        for _ in range(repeats):
            start = time.perf_counter()
            exp = xw.explain(model, x, method=method, target=targets, **opts)
            walls.append(time.perf_counter() - start)
            computes.append(exp.seconds)
            if label in REFERENCED:
                refs.append(reference.run(int(evaluations), REFERENCED[label]))
        retraced_repeats = adapter.trace_count - before
        # a different number of images (a new batch size) must not retrace either
        n_other = max(1, len(x) // 2)
        xw.explain(model, x[:n_other], method=method, target=targets[:n_other], **opts)
        retraced_other_n = adapter.trace_count - before - retraced_repeats
        results[label] = {
            "method": method,
            "options": {k: v for k, v in exp.params.items() if k not in ("output", "head")},
            "images": n,
            "evaluations": int(evaluations),
            "warmup_wall_s": warm_wall,
            "idle_compile_s": idle_s,
            "idle_compiled": idle_compiled,
            "traces_in_warmup": traces_warm,
            "wall_s": median(walls),
            "wall_s_all": walls,
            "compute_s": median(computes),
            "wall_s_per_image": median(walls) / n,
            "compute_s_per_image": median(computes) / n,
            "retraces_during_repeats": retraced_repeats,
            "retraces_for_other_n": retraced_other_n,
            "explanation": exp,
        }
        if refs:
            results[label]["reference_s_all"] = refs
            results[label]["efficiency"] = {
                "evaluations": int(evaluations),
                "reference": "forward+backward" if REFERENCED[label] else "forward",
                "reference_s": median(refs),
                "ours_wall_s": median(walls),
                "ours_compute_s": median(computes),
                # median over the interleaved (ours, reference) pairs
                "ratio_wall": median([r / w for r, w in zip(refs, walls)]),
                "ratio_compute": median([r / c for r, c in zip(refs, computes)]),
            }
    return results


# --------------------------------------------------------------------------- tf-keras-vis
def load_tf_keras_vis():
    try:
        import tf_keras_vis
        from tf_keras_vis.gradcam import Gradcam
        from tf_keras_vis.gradcam_plus_plus import GradcamPlusPlus
        from tf_keras_vis.saliency import Saliency
        from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
        from tf_keras_vis.utils.scores import CategoricalScore
    except Exception as exc:  # not installed, or fails to import on this TF/Keras
        return None, short_error(exc)
    return {
        "version": tf_keras_vis.__version__, "Saliency": Saliency, "Gradcam": Gradcam,
        "GradcamPlusPlus": GradcamPlusPlus, "ReplaceToLinear": ReplaceToLinear,
        "CategoricalScore": CategoricalScore,
    }, None


def bench_theirs(tkv, model, x, targets, layer, settings, repeats, ours):
    """Time tf-keras-vis on the same model, images, targets, layer and sample counts.

    Each method is tried on the model as given; if that fails (Keras 3 incompatibilities),
    the error is recorded and, for a Sequential model, the same method is tried once more on
    a functional view ``keras.Model(model.inputs, model.outputs)`` (same layers and weights),
    so that the rest of the comparison can still be made. Their code is not patched.
    """
    import keras
    import tensorflow as tf

    samples = settings["smoothgrad"]["samples"]
    noise = settings["smoothgrad"]["noise"]
    score = tkv["CategoricalScore"]([int(t) for t in targets])
    cam_kw = dict(penultimate_layer=layer, seek_penultimate_conv_layer=False)
    specs = {
        # label: (class, timed call kwargs, agreement call kwargs)
        "saliency": ("Saliency", dict(normalize_map=False),
                     dict(normalize_map=False)),
        "smoothgrad": ("Saliency",
                       dict(smooth_samples=samples, smooth_noise=noise, keepdims=True,
                            gradient_modifier=None, normalize_map=False), None),
        "smoothgrad_squared": ("Saliency",
                               dict(smooth_samples=samples, smooth_noise=noise, keepdims=True,
                                    gradient_modifier=tf.math.square, normalize_map=False),
                               None),
        "gradcam": ("Gradcam", dict(normalize_cam=False, **cam_kw),
                    dict(normalize_cam=False, expand_cam=False, **cam_kw)),
        "gradcam_plus_plus": ("GradcamPlusPlus", dict(normalize_cam=False, **cam_kw),
                              dict(normalize_cam=False, expand_cam=False, **cam_kw)),
    }
    functional_view = None
    results = {}
    for label, (cls_name, kwargs, agree_kwargs) in specs.items():
        log(f"  tf-keras-vis: {label} ...")
        cls = tkv[cls_name]
        entry = {"class": cls_name, "kwargs": {k: (v if isinstance(v, (int, float, str, bool, type(None)))
                                                   else getattr(v, "__name__", str(v)))
                                               for k, v in kwargs.items()}}
        attempts = [("as given", model)]
        if isinstance(model, keras.Sequential):
            attempts.append(("functional view", None))
        for how, target_model in attempts:
            try:
                if target_model is None:
                    if functional_view is None:
                        functional_view = keras.Model(model.inputs, model.outputs)
                    target_model = functional_view
                np.random.seed(0)
                start = time.perf_counter()
                vis = cls(target_model, model_modifier=tkv["ReplaceToLinear"](), clone=True)
                setup = time.perf_counter() - start
                start = time.perf_counter()
                out = vis(score, x, **kwargs)
                first = time.perf_counter() - start
                walls = []
                for _ in range(repeats):
                    start = time.perf_counter()
                    out = vis(score, x, **kwargs)
                    walls.append(time.perf_counter() - start)
                entry.update({
                    "ran_on": how, "setup_s": setup, "first_call_s": first,
                    "wall_s": median(walls), "wall_s_all": walls,
                    "wall_s_per_image": median(walls) / len(x),
                })
                entry["agreement"] = agreement(label, ours, vis, score, x, agree_kwargs, out)
                break
            except Exception as exc:
                key = "error" if how == "as given" else "error_" + how.replace(" ", "_")
                entry[key] = short_error(exc)
                entry.setdefault("traceback", traceback.format_exc(limit=4))
        results[label] = entry
    return results


def agreement(label, ours, vis, score, x, agree_kwargs, timed_out):
    """Numeric cross-check of one tf-keras-vis method against ours (same targets)."""
    exp = ours[label]["explanation"]
    if label == "saliency":
        theirs = np.asarray(vis(score, x, **agree_kwargs))
        mine = exp.heatmaps
        mean_r, min_r = per_image(spearman, mine, theirs)
        return {"max_rel_diff": max_rel_diff(mine, theirs), "spearman_mean": mean_r,
                "spearman_min": min_r,
                "text": f"max rel diff {max_rel_diff(mine, theirs):.1e}, "
                        f"Spearman {mean_r:.4f} (min {min_r:.4f})"}
    if label in ("smoothgrad", "smoothgrad_squared"):
        # different random noise on each side: compare with our own seed-to-seed agreement
        theirs = np.asarray(timed_out)
        mine = exp.attributions
        mean_r, min_r = per_image(spearman, mine, theirs)
        floor = ours[label].get("seed_floor")
        text = f"Spearman {mean_r:.3f} (min {min_r:.3f})"
        if floor is not None:
            text += f"; ours seed 0 vs seed 1: {floor:.3f}"
        return {"spearman_mean": mean_r, "spearman_min": min_r, "ours_seed_vs_seed": floor,
                "text": text}
    if label in ("gradcam", "gradcam_plus_plus"):
        theirs = np.asarray(vis(score, x, **agree_kwargs))
        mine = exp.attributions
        mean_r, min_r = per_image(spearman, mine, theirs)
        pearson = per_image(lambda a, b: float(np.corrcoef(a.ravel(), b.ravel())[0, 1])
                            if a.std() > 0 and b.std() > 0 else float("nan"), mine, theirs)[0]
        # scale-free comparison (tf-keras-vis' Grad-CAM++ multiplies by exp(score))
        mine_n = mine / np.maximum(mine.reshape(len(mine), -1).max(1), 1e-30)[:, None, None]
        theirs_n = theirs / np.maximum(theirs.reshape(len(theirs), -1).max(1), 1e-30)[:, None, None]
        rel = max_rel_diff(mine_n, theirs_n)
        return {"max_rel_diff_after_max_norm": rel, "spearman_mean": mean_r,
                "spearman_min": min_r, "pearson_mean": pearson,
                "text": f"max-normalised max diff {rel:.1e}, Spearman {mean_r:.3f} "
                        f"(min {min_r:.3f}), Pearson {pearson:.3f}"}
    return None


# --------------------------------------------------------------------------- per model
def bench_model(name, model, x, settings, repeats, tkv, tkv_error, theirs_repeats):
    import xai_widgets as xw

    adapter = xw.adapt(model)
    all_scores = adapter.scores(x)
    targets = all_scores.argmax(axis=1).astype(np.int32)
    target_scores = all_scores[np.arange(len(x)), targets]
    layer_info = adapter.default_spatial_layer()
    log(f"[{name}] {len(x)} images, targets {targets.tolist()[:8]}..., "
        f"CAM layer {layer_info.name}")
    log(f"[{name}] reference (plain tf.function + GradientTape on model(x)), traced once")
    ref = Reference(model, adapter.input_shape, settings["common"]["batch_size"])
    ours = bench_ours(model, x, targets, settings, repeats, ref)

    # our SmoothGrad with another seed: how much two noise draws agree (for the cross-check)
    for label, squared in (("smoothgrad", False), ("smoothgrad_squared", True)):
        other = xw.explain(model, x, method="smoothgrad", target=targets,
                           **{**settings["common"], **settings["smoothgrad"],
                              "squared": squared, "seed": 1})
        ours[label]["seed_floor"] = per_image(spearman, ours[label]["explanation"].attributions,
                                              other.attributions)[0]

    efficiency = {label: ours[label].pop("efficiency") for label in REFERENCED}

    theirs = None
    if tkv is not None:
        theirs = bench_theirs(tkv, model, x, targets, layer_info.name, settings,
                              theirs_repeats, ours)

    ig = ours["integrated_gradients"]["explanation"]
    n = np.arange(len(x))
    gap = np.abs(adapter.scores(x)[n, targets] - adapter.scores(ig.baselines)[n, targets])
    ours["integrated_gradients"]["completeness"] = {
        "max_abs_delta": float(np.abs(ig.completeness_delta).max()),
        "max_rel_delta": float((np.abs(ig.completeness_delta) / np.maximum(gap, 1e-12)).max()),
    }
    for entry in ours.values():
        entry.pop("explanation")
    return {
        "model": name, "images": len(x), "input_shape": list(adapter.input_shape),
        "targets": targets.tolist(), "cam_layer": layer_info.name,
        "score": adapter.score_kind, "ours": ours,
        "target_score_abs_mean": float(np.abs(target_scores).mean()),
        "score_spread_across_images": float(np.ptp(all_scores, axis=0).max()), "efficiency": efficiency,
        "tf_keras_vis": theirs, "tf_keras_vis_error": tkv_error if tkv is None else None,
    }


# --------------------------------------------------------------------------- report
def report(result, settings, repeats, theirs_repeats) -> str:
    name = result["model"]
    common = settings["common"]
    occ = settings["occlusion"]
    lines = [
        "",
        f"=== {name}: {result['images']} image(s) of {tuple(result['input_shape'])}, "
        f"explained score: {result['score']}, CAM layer: {result['cam_layer']} ===",
        f"target scores ~{result['target_score_abs_mean']:.2g}, largest spread of a class score "
        f"across the images {result['score_spread_across_images']:.2g}"
        + (" (random weights: the scores hardly depend on the input; timings are valid, the "
           "agreement numbers below compare tiny values)"
           if result["score_spread_across_images"] < 1e-6 else ""),
        f"settings: batch_size={common['batch_size']}, IG steps={settings['integrated_gradients']['steps']} "
        f"({settings['integrated_gradients']['rule']}, baseline zeros), SmoothGrad "
        f"samples={settings['smoothgrad']['samples']} noise={settings['smoothgrad']['noise']}, "
        f"occlusion patch={occ['patch']} stride={occ['stride']} fill={occ['fill']}; "
        f"median of {repeats} timed call(s) after one warm-up call",
        "wall = the whole xw.explain() call; compute = exp.seconds (without input checks and "
        "the forward pass that picks the targets, where there is one); warm-up = first call "
        "with the adapter's functions cleared (eager when its calls are small, else tracing "
        "included); idle = then compile_pending() (what the kernel compiles once idle); traces "
        "= both; retraces = trace_count change over the timed calls plus one call with half "
        "as many images",
        "",
    ]
    rows = []
    for label, r in result["ours"].items():
        retrace = r["retraces_during_repeats"] + r["retraces_for_other_n"]
        rows.append([
            label, r["evaluations"], r["warmup_wall_s"], r["idle_compile_s"],
            r["traces_in_warmup"], r["wall_s_per_image"], r["compute_s_per_image"],
            "none" if retrace == 0 else f"RETRACED x{retrace}",
        ])
    lines.append(table(
        ["method", "evals", "warm-up s (cold)", "idle s", "traces", "s/img (wall)",
         "s/img (compute)", "retraces after warm-up"], rows))
    comp = result["ours"]["integrated_gradients"]["completeness"]
    lines.append(f"IG completeness: max |sum(attr) - (f(x) - f(baseline))| = "
                 f"{comp['max_abs_delta']:.3g} ({comp['max_rel_delta']:.2%} of |f(x) - f(baseline)|)")
    lines += [
        "",
        "efficiency = T(plain tf.function + GradientTape on model(x), same number of "
        "evaluations, same batch size) / T(ours); goal >= 0.8; ratios are medians over "
        "interleaved (ours, reference) pairs",
    ]
    rows = []
    for label, e in result["efficiency"].items():
        rows.append([
            label, e["evaluations"], e["reference"], e["reference_s"], e["ours_wall_s"],
            e["ours_compute_s"], e["ratio_wall"], e["ratio_compute"],
            "ok" if e["ratio_wall"] >= 0.8 else ("ok (compute only)" if e["ratio_compute"] >= 0.8
                                                   else "BELOW 0.8"),
        ])
    lines.append(table(
        ["method", "evals", "reference", "ref s", "ours s (wall)", "ours s (compute)",
         "ratio (wall)", "ratio (compute)", "goal"], rows))

    theirs = result["tf_keras_vis"]
    lines.append("")
    if theirs is None:
        lines.append(f"tf-keras-vis: not run ({result['tf_keras_vis_error']}); install it with "
                     "benchmarks/setup_tf_keras_vis.sh")
        return "\n".join(lines)
    lines.append(f"tf-keras-vis comparison (ReplaceToLinear + CategoricalScore, same targets, "
                 f"layer {result['cam_layer']!r}, same sample counts; their calls run eagerly "
                 f"on the whole batch; median of {theirs_repeats} after one first call)")
    rows = []
    notes = []
    for label, t in theirs.items():
        ours_r = result["ours"][label]
        if "wall_s" in t:
            theirs_s = t["wall_s_per_image"]
            speedup = theirs_s / ours_r["wall_s_per_image"]
            first = t["first_call_s"]
            agree = (t.get("agreement") or {}).get("text", "-")
        else:
            theirs_s = speedup = first = None
            agree = "-"
        status = "ok"
        if "error" in t:
            status = f"fails on Keras 3: {t['error']}"
            if "wall_s" in t:
                status += " (timed on keras.Model(model.inputs, model.outputs) instead)"
            elif "error_functional_view" in t:
                status += f"; functional view also fails: {t['error_functional_view']}"
        rows.append([label, ours_r["wall_s_per_image"], theirs_s if theirs_s is not None else
                     ("fails" if "error" in t else "-"), speedup, first, status])
        notes.append(f"  {label}: {agree}")
    lines.append(table(["method", "ours s/img", "theirs s/img", "speedup (theirs/ours)",
                        "theirs 1st call s", "status"], rows))
    lines.append("agreement with ours (per image; SmoothGrad: signed mean gradient, "
                 "different noise draws):")
    lines += notes
    return "\n".join(lines)


# --------------------------------------------------------------------------- cold start
# One fresh process per row (``--cold``): import, build MobileNetV2(weights=None), then time
# the first calls, as a user meets them. Each scenario runs in its own process; the rounds
# go through every scenario in turn (ours and tf-keras-vis side by side in time), and each
# step is reported as the median over the rounds.
COLD_SCENARIOS = {
    "keras": "the model's own first call, model(x) eagerly, then a second one (what any first "
             "use of the model pays, ours or not)",
    "ours:script": "xw.explain(model, x, method=...) for each method in turn, back to back: a "
                   "script, no idle time between calls",
    "ours:idle": "the same, with the kernel's idle work after each call (the functions that "
                 "ran eagerly are compiled and run once on zeros: adapter.compile_pending(), "
                 "what the kernel does in a background thread after the cell)",
    "ours:gradcam+idle": "Grad-CAM first, then the others, idle work after each",
    "theirs:saliency": "tf-keras-vis: Saliency first (constructor with clone=True, then the "
                       "call), then each other class's first call",
    "theirs:gradcam": "tf-keras-vis: Gradcam first",
    "ours:predicted": "model(x) once first (a user who looked at the prediction: the process's "
                      "first-use costs are paid), then our first saliency, then Grad-CAM",
    "theirs:predicted": "the same for tf-keras-vis (Saliency, then Gradcam)",
    "widget": "ImageExplainer(model, x) with its default method (integrated_gradients): "
              "constructor to w.explanation ready; idle work; then the first w.method = m of "
              "each other method in the menu, idle work after each",
    "widget:saliency": "ImageExplainer(model, x, method='saliency'), then the same",
    "widget:gradcam": "ImageExplainer(model, x, method='gradcam'), then the same",
    "instances": "a second MobileNetV2 instance (same architecture, other weights) after the "
                 "first one was explained and compiled: its own first calls",
    "kernel": "in a real IPython kernel (jupyter_client), as in a notebook: a cell makes "
              "ImageExplainer(model, x) (default method); then each click as the browser "
              "sends it (w.set_state({'method': m}), answered in the widget's worker thread), "
              f"{3.0:g} s of think time after each; the kernel compiles in the background "
              "when idle. s = measured inside the kernel",
    "kernel:saliency": "the same with ImageExplainer(model, x, method='saliency')",
}
THINK_S = 3.0  # seconds a user looks at a heatmap before the next click (kernel scenarios)
COLD_ORDER = ("saliency", "gradient_x_input", "integrated_gradients", "smoothgrad",
              "gradcam", "gradcam_plus_plus", "occlusion")


def _cold_model(seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    return keras.applications.MobileNetV2(weights=None)


def cold_kernel(scenario: str, images: int) -> dict:
    """A kernel scenario: this process drives a fresh IPython kernel through jupyter_client
    and reads the times the cells measure inside the kernel."""
    from jupyter_client.manager import start_new_kernel

    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2")
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT), env=env)

    def cell(code: str) -> dict:
        out = []

        def hook(msg):
            if msg["msg_type"] == "stream" and msg["content"]["name"] == "stdout":
                out.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                out.append("ERROR " + "\n".join(msg["content"]["traceback"]))

        reply = kc.execute_interactive(code, timeout=600, output_hook=hook)
        text = "".join(out)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"cell failed: {text[-2000:]}")
        line = [ln for ln in text.splitlines() if ln.startswith("STEP ")]
        return json.loads(line[-1][5:]) if line else {}

    try:
        first = scenario.partition(":")[2] or None
        t0 = time.perf_counter()
        cell(f"""
import json, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, keras, xai_widgets as xw
from xai_widgets import _idle
keras.utils.set_random_seed(0)
model = keras.applications.MobileNetV2(weights=None)
x = np.random.default_rng(0).uniform(-1, 1, ({images}, 224, 224, 3)).astype(np.float32)
adapter = xw.adapt(model)
def step(label, seconds):
    print("STEP " + json.dumps({{"step": label, "s": seconds, "traces": adapter.trace_count,
                                 "pending": adapter.pending}}))
""")
        setup_s = time.perf_counter() - t0
        steps = []
        kwargs = f"method={first!r}" if first else ""
        steps.append(cell(f"""
t = time.perf_counter(); w = xw.ImageExplainer(model, x[:1], {kwargs}); w.explanation
step("constructor -> explanation", time.perf_counter() - t)
"""))
        log(f"    {steps[-1]}")
        method = first or "integrated_gradients"
        for other in COLD_ORDER:
            if other == method:
                continue
            time.sleep(THINK_S)
            before = cell("step('before', 0.0)")
            steps.append(cell(f"""
t = time.perf_counter(); w.set_state({{"method": {other!r}}}); w.wait()
assert w.explanation.method == {other!r}, w.error
step("click {other}", time.perf_counter() - t)
"""))
            steps[-1]["traces_before"] = before.get("traces")
            steps[-1]["pending_before"] = before.get("pending")
            log(f"    {steps[-1]}")
        time.sleep(THINK_S)
        steps.append(cell("_idle.wait(60); step('idle at the end', 0.0)"))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return {"scenario": scenario, "import_s": setup_s, "build_s": 0.0, "steps": steps}


def cold_child(scenario: str, images: int) -> dict:
    """Run one scenario in this (fresh) process; returns its steps."""
    import time as _time

    if scenario.startswith("kernel"):
        return cold_kernel(scenario, images)

    t0 = _time.perf_counter()
    import keras  # noqa: F401
    import tensorflow as tf  # noqa: F401

    import xai_widgets as xw
    import_s = _time.perf_counter() - t0
    t0 = _time.perf_counter()
    model = _cold_model(0)
    build_s = _time.perf_counter() - t0
    x = np.random.default_rng(0).uniform(-1, 1, (images, 224, 224, 3)).astype(np.float32)
    steps = []

    def timed(label, fn, adapter=None, idle=False, **extra):
        start = _time.perf_counter()
        out = fn()
        seconds = _time.perf_counter() - start
        step = {"step": label, "s": seconds, **extra}
        log(f"    {label}: {seconds:.3f} s" + (f" (traces {adapter.trace_count})"
                                                  if adapter is not None else ""))
        if adapter is not None:
            step["traces"] = adapter.trace_count
            if idle:
                start = _time.perf_counter()
                step["idle_compiled"] = adapter.compile_pending()
                step["idle_s"] = _time.perf_counter() - start
                step["traces_after_idle"] = adapter.trace_count
        steps.append(step)
        return out

    if scenario.endswith(":predicted"):
        timed("model(x) first", lambda: model(x, training=False))
        scenario = {"ours:predicted": "ours:pair", "theirs:predicted": "theirs:pair"}[scenario]
    if scenario == "keras":
        timed("model(x) first", lambda: model(x, training=False))
        timed("model(x) second", lambda: model(x, training=False))
    elif scenario == "ours:pair":
        adapter = xw.adapt(model)
        for method in ("saliency", "gradcam"):
            timed(method, lambda: xw.explain(model, x, method=method), adapter)
    elif scenario in ("ours:script", "ours:idle", "ours:gradcam+idle"):
        adapter = xw.adapt(model)
        order = list(COLD_ORDER)
        if scenario == "ours:gradcam+idle":
            order.remove("gradcam")
            order.insert(0, "gradcam")
        for method in order:
            timed(method, lambda: xw.explain(model, x, method=method), adapter,
                  idle=scenario != "ours:script")
    elif scenario.startswith("theirs:"):
        tkv, error = load_tf_keras_vis()
        if tkv is None:
            return {"error": error}

        score = tkv["CategoricalScore"](list(range(images)))
        layer = xw.adapt(model).default_spatial_layer().name
        cam_kw = dict(penultimate_layer=layer, seek_penultimate_conv_layer=False,
                      normalize_cam=False)
        specs = {
            "saliency": ("Saliency", dict(normalize_map=False)),
            "gradcam": ("Gradcam", cam_kw),
            "gradcam_plus_plus": ("GradcamPlusPlus", cam_kw),
            "smoothgrad": ("Saliency", dict(smooth_samples=32, smooth_noise=0.15,
                                            normalize_map=False)),
        }
        first = scenario.split(":")[1]
        labels = ["saliency", "gradcam"] if first == "pair" else \
            [first] + [k for k in specs if k != first]
        for label in labels:
            cls_name, kwargs = specs[label]
            vis = timed(f"{label} setup", lambda: tkv[cls_name](
                model, model_modifier=tkv["ReplaceToLinear"](), clone=True))
            timed(label, lambda: vis(score, x, **kwargs))
        del tf
    elif scenario.startswith("widget"):
        first = scenario.partition(":")[2] or None
        adapter = xw.adapt(model)
        kwargs = {"method": first} if first else {}
        w = timed("constructor -> explanation", lambda: (lambda w: (w, w.explanation))(
            xw.ImageExplainer(model, x[:1], **kwargs))[0], adapter, idle=True)
        for method in COLD_ORDER:
            if method == w.method:
                continue
            timed(f"w.method = {method!r}", lambda: setattr(w, "method", method), adapter,
                  idle=True)
    elif scenario == "instances":
        first = xw.adapt(model)
        timed("A saliency", lambda: xw.explain(model, x, method="saliency"), first, idle=True)
        timed("A integrated_gradients", lambda: xw.explain(model, x, method="integrated_gradients"),
              first)
        timed("A gradcam", lambda: xw.explain(model, x, method="gradcam"), first, idle=True)
        other = timed("build B = MobileNetV2 (seed 1)", lambda: _cold_model(1))
        second = xw.adapt(other)
        timed("B saliency", lambda: xw.explain(other, x, method="saliency"), second)
        timed("B integrated_gradients", lambda: xw.explain(other, x, method="integrated_gradients"),
              second)
        timed("B gradcam", lambda: xw.explain(other, x, method="gradcam"), second, idle=True)
        timed("B saliency again", lambda: xw.explain(other, x, method="saliency"), second)
    else:
        raise SystemExit(f"unknown cold scenario {scenario!r}")
    return {"scenario": scenario, "import_s": import_s, "build_s": build_s, "steps": steps}


def cold_main(args) -> int:
    import subprocess

    scenarios = [s.strip() for s in args.cold_scenarios.split(",")] if args.cold_scenarios \
        else list(COLD_SCENARIOS)
    if args.no_tf_keras_vis:
        scenarios = [s for s in scenarios if not s.startswith("theirs:")]
    runs = {name: [] for name in scenarios}
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    wall = time.perf_counter()
    loads = []
    for r in range(args.cold_repeats):
        for name in scenarios:
            log(f"[cold] round {r + 1}/{args.cold_repeats}: {name}")
            loads.append(os.getloadavg()[0])
            proc = subprocess.run(
                [sys.executable, __file__, "--cold-child", name,
                 "--cold-images", str(args.cold_images)],
                capture_output=True, text=True, env=env)
            line = [ln for ln in proc.stdout.splitlines() if ln.startswith("COLD ")]
            if proc.returncode != 0 or not line:
                log(proc.stderr[-3000:])
                runs[name].append({"error": f"exit {proc.returncode}"})
                continue
            runs[name].append(json.loads(line[-1][5:]))
    import keras
    import tensorflow as tf

    import xai_widgets as xw
    tkv, _ = load_tf_keras_vis()
    print(f"xai_widgets {xw.__version__} cold-start benchmark: TF {tf.__version__}, Keras "
          f"{keras.__version__}, tf-keras-vis {tkv['version'] if tkv else 'not available'}, "
          f"{os.cpu_count()} CPU core(s), {platform.machine()}")
    print(f"MobileNetV2(weights=None) 224x224x3, {args.cold_images} image(s), uniform in "
          f"[-1, 1]; one fresh process per scenario and round, {args.cold_repeats} rounds "
          f"(scenarios interleaved); median [min-max] over the rounds; 1-minute load average "
          f"at the start of each process: {min(loads):.2f}-{max(loads):.2f}")
    print("defaults: IG steps=32 (Gauss-Legendre), SmoothGrad samples=32 noise=0.15, "
          "occlusion patch=28 stride=14 (225 patches), batch_size=32; EAGER_ROWS="
          f"{xw.models.EAGER_ROWS}, EAGER_CALLS={xw.models.EAGER_CALLS}")
    print("traces = adapter.trace_count after the step (0: it ran eagerly); idle s = the "
          "work the kernel does once idle after the step (compile what ran eagerly + one run "
          "on zeros), and what it compiled")
    out = {"scenarios": {}, "images": args.cold_images, "repeats": args.cold_repeats,
           "load_average": [min(loads), max(loads)]}
    for name in scenarios:
        good = [run for run in runs[name] if "steps" in run]
        print(f"\n{name}: {COLD_SCENARIOS[name]}")
        if not good:
            errors = {run.get("error") for run in runs[name]}
            print(f"  failed: {sorted(map(str, errors))}")
            out["scenarios"][name] = {"errors": sorted(map(str, errors))}
            continue
        labels = [step["step"] for step in good[0]["steps"]]
        rows, summary = [], {}
        for i, label in enumerate(labels):
            values = [run["steps"][i]["s"] for run in good]
            step0 = good[0]["steps"][i]
            idle = [run["steps"][i]["idle_s"] for run in good if "idle_s" in run["steps"][i]]
            traces = sorted({run["steps"][i].get("traces") for run in good} - {None})
            compiled = step0.get("idle_compiled")
            note = ", ".join(compiled) if compiled else ("-" if compiled is None else "nothing")
            if "pending_before" in step0:  # kernel scenarios: what the click found
                waiting = sorted({name for run in good
                                  for name in run["steps"][i].get("pending_before") or []})
                note = ("at the click, still eager-only: " + ", ".join(waiting)) if waiting \
                    else "at the click, all used functions compiled"
            rows.append([
                label, median(values), f"{min(values):.3f}-{max(values):.3f}",
                "/".join(map(str, traces)) if traces else "-",
                median(idle) if idle else None, note,
            ])
            summary[label] = {"s": median(values), "s_all": values, "traces": traces,
                              "idle_s": median(idle) if idle else None,
                              "idle_compiled": compiled}
        print(table(["step", "s", "min-max", "traces", "idle s", "compiled when idle"], rows))
        imports = [run["import_s"] for run in good]
        if name.startswith("kernel"):
            print(f"  (kernel start, imports and model build {median(imports):.1f} s, not "
                  "counted)")
        else:
            print(f"  (import {median(imports):.1f} s, model build "
                  f"{median([run['build_s'] for run in good]):.2f} s, not counted)")
        out["scenarios"][name] = {"steps": summary, "import_s": median(imports)}
    summary = cold_summary(runs)
    if summary:
        print("\nfirst map of a new model, ours vs tf-keras-vis (median over the rounds; theirs: "
              "the call alone, and with its constructor, which clones the model; *:predicted: "
              "after one model(x), Grad-CAM after saliency)")
        print(table(["method", "ours s", "ours: where", "theirs call s", "theirs ctor+call s",
                     "ours / theirs call"], summary))
        out["summary"] = summary
    out["total_seconds"] = time.perf_counter() - wall
    print(f"\ntotal {out['total_seconds']:.0f} s")
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2, default=_json_default)
        print(f"results written to {args.json}")
    return 0


def cold_summary(runs) -> list:
    """Ours vs theirs for the first saliency and the first Grad-CAM of a fresh process."""
    def steps(name, label):
        return [next(st["s"] for st in run["steps"] if st["step"] == label)
                for run in runs.get(name, []) if "steps" in run]

    def with_setup(name, label):
        return [next(st["s"] for st in run["steps"] if st["step"] == label)
                + next(st["s"] for st in run["steps"] if st["step"] == f"{label} setup")
                for run in runs.get(name, []) if "steps" in run]

    rows = []
    for label, ours_name, theirs_name in (
            ("saliency", "ours:script", "theirs:saliency"),
            ("gradcam", "ours:gradcam+idle", "theirs:gradcam"),
            ("saliency", "ours:predicted", "theirs:predicted"),
            ("gradcam", "ours:predicted", "theirs:predicted")):
        ours, theirs = steps(ours_name, label), steps(theirs_name, label)
        if not ours or not theirs:
            continue
        rows.append([label, median(ours), ours_name, median(theirs),
                     median(with_setup(theirs_name, label)), median(ours) / median(theirs)])
    return rows


# --------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="1 MobileNet image, fewer steps/samples, fewer repeats")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    parser.add_argument("--no-tf-keras-vis", action="store_true",
                        help="skip the tf-keras-vis comparison")
    parser.add_argument("--models", default="mobilenet_v2,digits_cnn",
                        help="comma-separated subset of mobilenet_v2,digits_cnn")
    parser.add_argument("--cold", action="store_true",
                        help="cold-start table: one fresh process per scenario and round")
    parser.add_argument("--cold-repeats", type=int, default=3, metavar="N",
                        help="rounds of fresh processes (--cold; default 3)")
    parser.add_argument("--cold-images", type=int, default=1, metavar="N",
                        help="images per call (--cold; default 1, as in the widget)")
    parser.add_argument("--cold-scenarios", metavar="A,B",
                        help="a subset of the cold scenarios: " + ", ".join(COLD_SCENARIOS))
    parser.add_argument("--cold-child", metavar="SCENARIO", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cold_child:
        warnings.filterwarnings("ignore")
        result = cold_child(args.cold_child, args.cold_images)
        print("COLD " + json.dumps(result, default=_json_default), flush=True)
        return 0
    if args.cold:
        return cold_main(args)

    wall_start = time.perf_counter()
    warnings.filterwarnings("ignore")  # Keras' input-structure warnings from tf-keras-vis
    import keras
    import tensorflow as tf

    import xai_widgets as xw

    quick = args.quick
    steps, samples = (16, 8) if quick else (32, 16)
    plan = {
        "mobilenet_v2": dict(images=1 if quick else 4, patch=32, stride=16,
                             repeats=2 if quick else 5, theirs_repeats=1 if quick else 2),
        "digits_cnn": dict(images=64, patch=2, stride=1, repeats=5 if quick else 9,
                           theirs_repeats=3 if quick else 5),
    }
    tkv, tkv_error = (None, "disabled with --no-tf-keras-vis") if args.no_tf_keras_vis \
        else load_tf_keras_vis()
    env = {
        "python": platform.python_version(), "tensorflow": tf.__version__,
        "keras": keras.__version__, "xai_widgets": xw.__version__,
        "tf_keras_vis": tkv["version"] if tkv else None, "cpu_count": os.cpu_count(),
        "machine": platform.machine(), "quick": quick,
    }
    header = (f"xai_widgets {env['xai_widgets']} explainer benchmark "
              f"({'--quick' if quick else 'full'}): TF {env['tensorflow']}, Keras "
              f"{env['keras']}, tf-keras-vis {env['tf_keras_vis'] or 'not available'}, "
              f"{env['cpu_count']} CPU core(s), {env['machine']}")
    print(header, flush=True)

    out = {"environment": env, "models": {}}
    for name in [m.strip() for m in args.models.split(",") if m.strip()]:
        p = plan[name]
        if name == "mobilenet_v2":
            keras.utils.set_random_seed(0)
            log("[mobilenet_v2] building MobileNetV2(weights=None) ...")
            model = keras.applications.MobileNetV2(weights=None)
            x = np.random.default_rng(0).uniform(-1, 1, (p["images"], 224, 224, 3)) \
                .astype(np.float32)  # MobileNetV2's preprocessed range
        elif name == "digits_cnn":
            log("[digits_cnn] loading (trains ~10 s on first use) ...")
            model, (x_test, _), _ = xw.demo.digits_cnn()
            x = np.asarray(x_test[: p["images"]], np.float32)
        else:
            parser.error(f"unknown model {name!r}")
        model(x[:1], training=False)  # runtime/oneDNN warm-up, outside every measurement
        settings = {
            "common": {"batch_size": 32},
            "integrated_gradients": {"steps": steps, "rule": "gauss_legendre",
                                     "baseline": "zeros"},
            "smoothgrad": {"samples": samples, "noise": 0.15, "seed": 0},
            "occlusion": {"patch": p["patch"], "stride": p["stride"], "fill": 0.0},
        }
        start = time.perf_counter()
        result = bench_model(name, model, x, settings, p["repeats"], tkv, tkv_error,
                             p["theirs_repeats"])
        result["settings"] = settings
        result["repeats"] = {k: p[k] for k in ("repeats", "theirs_repeats")}
        result["bench_seconds"] = time.perf_counter() - start
        print(report(result, settings, p["repeats"], p["theirs_repeats"]), flush=True)
        print(f"({name}: {result['bench_seconds']:.0f} s)", flush=True)
        out["models"][name] = result

    out["total_seconds"] = time.perf_counter() - wall_start
    print(f"\ntotal {out['total_seconds']:.0f} s", flush=True)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        with open(args.json, "w") as fh:
            json.dump(out, fh, indent=2, default=_json_default)
        print(f"results written to {args.json}", flush=True)
    return 0


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
