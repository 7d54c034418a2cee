"""Speed and agreement of the image methods of issue 16 (guided backprop, deconvnet, Score-CAM,
LIME and KernelSHAP on superpixels).

    .venv/bin/python benchmarks/bench_image_methods.py     # ~2-3 min on 2 CPU cores

* Score-CAM against tf-keras-vis 0.8.7's ``Scorecam`` (install it with
  benchmarks/setup_tf_keras_vis.sh; skipped when absent): same model (theirs on a functional
  view of the same layers, with ``ReplaceToLinear`` so both weigh the masks with the softmax
  of the logits), images, targets, layer and batch size; all channels (no Faster-Score-CAM).
  Agreement: Pearson of the maps at the layer's resolution, per image.
* LIME against the ``lime`` package's ``lime_image`` (a test-only dependency):
  (a) with its defaults (quickshift segmentation, 1000 samples, top_labels=5, batch_size=10,
  ``classifier_fn=model.predict``), as a user would call it, against ours with our defaults
  (slic, blur fill, 1000 samples); (b) the same work for both: our segmentation, the mean
  fill, 1000 samples, one label, the same compiled scoring function as classifier_fn,
  batch_size 256; agreement: Spearman rank correlation of the segment weights.
* Guided backprop and deconvnet against saliency (one forward+backward pass): they should
  cost the same.

Times are medians of the timed repeats after one warm-up call (tracing excluded); the machine
is shared, so the load average is printed with the results.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if (ROOT / ".bench-deps").is_dir():
    sys.path.append(str(ROOT / ".bench-deps"))

import numpy as np  # noqa: E402

import xai_widgets as xw  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def timed(fn, repeats):
    fn()  # warm-up: traces, caches
    walls = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        walls.append(time.perf_counter() - start)
    return statistics.median(walls)


def bench_scorecam(lines, name, model, x, layer, repeats):
    import keras

    ours = xw.explain(model, x, method="scorecam", layer=layer, batch_size=32)
    t_ours = timed(lambda: xw.explain(model, x, method="scorecam", layer=layer,
                                      batch_size=32), repeats)
    lines.append(f"Score-CAM, {name}: {len(x)} images, layer {layer} "
                 f"({ours.params['evaluations'] // len(x)} channels)")
    lines.append(f"  ours           {t_ours / len(x) * 1e3:9.1f} ms/image")
    try:
        from tf_keras_vis.scorecam import Scorecam
        from tf_keras_vis.utils.model_modifiers import ReplaceToLinear
        from tf_keras_vis.utils.scores import CategoricalScore
    except Exception as exc:  # not installed
        lines.append(f"  tf-keras-vis   not run ({type(exc).__name__}: {exc}); "
                     "bash benchmarks/setup_tf_keras_vis.sh")
        return
    view = keras.Model(model.inputs, model.outputs)
    vis = Scorecam(view, model_modifier=ReplaceToLinear(), clone=True)
    score = CategoricalScore([int(t) for t in ours.targets])

    def theirs():
        return np.asarray(vis(score, x, penultimate_layer=layer,
                              seek_penultimate_conv_layer=False, expand_cam=False,
                              normalize_cam=False, batch_size=32))

    maps = theirs()
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # model.predict's progress bars
        t_theirs = timed(theirs, max(1, repeats // 2))
    r = [np.corrcoef(a.ravel(), b.ravel())[0, 1] for a, b in zip(ours.attributions, maps)]
    lines.append(f"  tf-keras-vis   {t_theirs / len(x) * 1e3:9.1f} ms/image  "
                 f"(ours {t_theirs / t_ours:.1f}x faster)")
    lines.append(f"  agreement: Pearson per image min {np.min(r):.4f}, median "
                 f"{np.median(r):.4f} (goal >= 0.95)")


def bench_lime(lines, model, image, repeats):
    from lime import lime_image
    from scipy.stats import spearmanr

    adapter = xw.models.adapt(model)
    ours = xw.explain(model, image[None], method="lime")
    t_ours = timed(lambda: xw.explain(model, image[None], method="lime"), repeats)
    target = int(ours.targets[0])
    lines.append(f"LIME, shapes CNN (32x32x3), one image, class {target}")
    lines.append(f"  ours, defaults (slic, {ours.params['n_segments'][0]} segments, "
                 f"1000 samples)           {t_ours:7.3f} s   R^2 {ours.params['r2'][0]:.3f}")

    def theirs_defaults():
        return lime_image.LimeImageExplainer(random_state=0).explain_instance(
            image.astype(np.float64), lambda b: model.predict(b, verbose=0), random_seed=0)

    import contextlib
    import io

    start = time.perf_counter()
    with contextlib.redirect_stderr(io.StringIO()):  # lime's progress bar
        exp = theirs_defaults()
    t_def = time.perf_counter() - start
    n_def = len(np.unique(exp.segments))
    lines.append(f"  lime_image, defaults (quickshift, {n_def} segments, 1000 samples, "
                 f"top 5 labels) {t_def:7.3f} s   (ours {t_def / t_ours:.0f}x faster; goal "
                 ">= 10x)")
    labels = ours.params["segments"][0]

    def theirs_same():
        return lime_image.LimeImageExplainer(random_state=0).explain_instance(
            image.astype(np.float64), lambda b: adapter.scores(b.astype(np.float32)),
            labels=(target,), top_labels=None, hide_color=None, num_samples=1000,
            batch_size=256, segmentation_fn=lambda img: labels, random_seed=0)

    with contextlib.redirect_stderr(io.StringIO()):
        same = theirs_same()
        t_same = timed(theirs_same, max(1, repeats // 2))
    mean = xw.explain(model, image[None], method="lime", fill="mean")  # lime_image's fill
    t_mean = timed(lambda: xw.explain(model, image[None], method="lime", fill="mean"),
                   repeats)
    weights = np.zeros(len(mean.params["segment_weights"][0]))
    for seg, w in same.local_exp[target]:
        weights[seg] = w
    rho = spearmanr(mean.params["segment_weights"][0], weights).statistic
    lines.append(f"  ours, fill='mean' (lime_image's fill)                            "
                 f"{t_mean:7.3f} s   R^2 {mean.params['r2'][0]:.3f}")
    lines.append(f"  lime_image, the same work (our segments and scoring, 1 label)   "
                 f"{t_same:7.3f} s   (ours {t_same / t_mean:.1f}x faster)   R^2 {same.score:.3f}")
    lines.append(f"  agreement: Spearman of the segment weights {rho:.3f}")
    shap = xw.explain(model, image[None], method="kernel_shap")
    t_shap = timed(lambda: xw.explain(model, image[None], method="kernel_shap"), repeats)
    lines.append(f"  ours, kernel_shap ({shap.params['n_segments'][0]} segments, "
                 f"{'exact' if shap.params['exact'][0] else 'sampled'}, "
                 f"{shap.params['evaluations']} coalitions)   {t_shap:7.3f} s   max s.e. "
                 f"{np.max(shap.params['standard_errors'][0]):.3g}")


def bench_guided(lines, name, model, x, repeats):
    lines.append(f"Guided backprop / deconvnet vs saliency, {name}: {len(x)} images")
    base = None
    for method in ("saliency", "guided_backprop", "deconvnet"):
        t = timed(lambda: xw.explain(model, x, method=method, batch_size=32), repeats)
        base = base or t
        lines.append(f"  {method:16s} {t / len(x) * 1e3:8.2f} ms/image  ({t / base:.2f}x "
                     "saliency)")


def main():
    import tensorflow as tf

    lines = [f"xai-widgets image methods; TensorFlow {tf.__version__}; "
             f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()}"]
    digits, (dx, _), _ = xw.demo.digits_cnn()
    shapes = xw.demo.shapes_cnn()
    smodel, sx = shapes[0], shapes[1][0]
    log("Score-CAM ...")
    bench_scorecam(lines, "digits CNN (8x8x1)", digits, dx[:32], "conv3", 5)
    bench_scorecam(lines, "shapes CNN (32x32x3)", smodel, sx[:8],
                   xw.models.adapt(smodel).default_spatial_layer().name, 3)
    log("LIME ...")
    bench_lime(lines, smodel, sx[3], 3)
    log("guided ...")
    bench_guided(lines, "digits CNN", digits, dx[:64], 9)
    bench_guided(lines, "shapes CNN", smodel, sx[:32], 5)
    lines.append(f"load average after: {os.getloadavg()}")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
