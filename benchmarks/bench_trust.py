"""Trust metrics (issue 14): deletion and insertion (32 steps), faithfulness correlation and
max-sensitivity for 8 methods on one MobileNetV2 224x224 image, three ways:

* ours: one ``xw.metrics.evaluate`` call (maps of the 8 methods, their metrics, batched);
* the bound: the same number of forward and forward+backward rows through a plain compiled
  batched function (bench_explainers.Reference), nothing else;
* Quantus 0.6 on the same work: PixelFlipping (its deletion curve, 32 steps; Quantus has no
  insertion curve, so this half of the work is left out of its time), FaithfulnessCorrelation
  and MaxSensitivity, with our explainers as its ``explain_func`` (the same maps).

    .venv/bin/python benchmarks/bench_trust.py            # ~5-10 min on 2 loaded cores
    .venv/bin/python benchmarks/bench_trust.py --quick    # 2 methods

MobileNetV2 has random weights (no download): a timing workload, not an accuracy one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

METHODS = {  # method -> (options, forward rows, forward+backward rows) per explained image
    "saliency": ({}, 0, 1),
    "gradient_x_input": ({}, 0, 1),
    "integrated_gradients": ({"steps": 16}, 1, 16),
    "smoothgrad": ({"samples": 8}, 1, 8),
    "gradcam": ({}, 0, 1),
    "gradcam_plus_plus": ({}, 0, 1),
    "occlusion": ({"patch": 32, "stride": 16}, 170, 0),
    "smoothgrad_squared": ({"samples": 8, "squared": True}, 1, 8),
}
# evaluate() names each method once, with one set of options: smoothgrad_squared (smoothgrad
# with squared=True) cannot sit beside smoothgrad in one call, so 7 methods are timed
STEPS, SUBSETS, SUBSET_SIZE, SAMPLES, RADIUS = 32, 64, 224, 8, 0.02


def log(*args):
    print(*args, file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-quantus", action="store_true")
    args = parser.parse_args()
    import keras

    import xai_widgets as xw
    from bench_explainers import Reference

    names = list(METHODS)[:2] if args.quick else list(METHODS)
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None)
    x = np.random.default_rng(0).uniform(-1, 1, (1, 224, 224, 3)).astype(np.float32)
    target = int(xw.adapt(model).scores(x).argmax())
    # smoothgrad_squared is smoothgrad with squared=True: evaluate names methods once each
    methods = [n for n in names if n != "smoothgrad_squared"]
    options = {n: METHODS[n][0] for n in methods}

    # the explainers' own time, on both sides (the same calls: what the metrics cost beyond
    # them is what differs)
    explain_s = {"ours": 0.0, "quantus": 0.0}
    plain_explain = xw.metrics.explain

    def timed_explain(*a, **kw):
        start = time.perf_counter()
        try:
            return plain_explain(*a, **kw)
        finally:
            explain_s["ours"] += time.perf_counter() - start

    xw.metrics.explain = timed_explain

    def ours():
        return xw.metrics.evaluate(model, x, methods=methods, targets=[target], steps=STEPS,
                                   subsets=SUBSETS, subset_size=SUBSET_SIZE, samples=SAMPLES,
                                   radius=RADIUS, randomization_layers=None,
                                   random_logit_check=False, options=options)

    log("warming up ours ...")
    ours()
    xw.adapt(model).compile_pending()
    explain_s["ours"] = 0.0
    start = time.perf_counter()
    df = ours()
    ours_s = time.perf_counter() - start
    xw.metrics.explain = plain_explain
    log(f"ours: {ours_s:.1f} s")

    # the bound: the same rows, batched, nothing else
    forward = len(methods) * 2 * (STEPS + 1) + SUBSETS + 1
    backward = 0
    for n in methods:
        _, f, b = METHODS[n]
        forward += f * (1 + SAMPLES)
        backward += b * (1 + SAMPLES)
    reference = Reference(model, (224, 224, 3), 32)
    bound_s = reference.run(forward, False) + reference.run(backward, True)
    log(f"bound: {bound_s:.1f} s ({forward} forward rows, {backward} forward+backward rows)")

    quantus_s, quantus_note = None, "not run"
    if not args.no_quantus:
        try:
            import quantus

            def explain_func(model, inputs, targets, method=None, **kw):
                start = time.perf_counter()
                try:
                    return _explain_func(model, inputs, targets, method)
                finally:
                    explain_s["quantus"] += time.perf_counter() - start

            def _explain_func(model, inputs, targets, method):
                inputs = np.asarray(inputs, np.float32)
                if inputs.shape[1] == 3:  # channel-first from Quantus
                    inputs = np.moveaxis(inputs, 1, -1)
                exp = xw.explain(model, inputs, method=method, target=np.asarray(targets),
                                 **options[method])
                return exp.heatmaps[:, None]

            y = np.array([target])
            common = dict(model=model, x_batch=x, y_batch=y, channel_first=False)
            start = time.perf_counter()
            for n in methods:
                a = explain_func(model, x, y, method=n)
                quantus.PixelFlipping(features_in_step=224 * 224 // STEPS, perturb_baseline="black",
                                      disable_warnings=True)(a_batch=a, softmax=True, **common)
                quantus.FaithfulnessCorrelation(nr_runs=SUBSETS, subset_size=SUBSET_SIZE,
                                                perturb_baseline="black", disable_warnings=True)(
                    a_batch=a, softmax=False, **common)
                quantus.MaxSensitivity(nr_samples=SAMPLES, lower_bound=RADIUS,
                                       disable_warnings=True)(
                    a_batch=a, explain_func=explain_func, explain_func_kwargs={"method": n},
                    **common)
                log(f"quantus {n}: {time.perf_counter() - start:.1f} s so far")
            quantus_s = time.perf_counter() - start
            quantus_note = "deletion only (no insertion curve in Quantus)"
        except Exception as exc:  # report, do not hide
            quantus_note = f"failed: {type(exc).__name__}: {exc}"
    with open("/proc/loadavg") as f:
        load = f.read().strip()
    print(f"# bench_trust: MobileNetV2(weights=None), one 224x224 image, methods {methods}")
    print(f"# deletion+insertion {STEPS} steps, faithfulness {SUBSETS} subsets of {SUBSET_SIZE} px,"
          f" max-sensitivity {SAMPLES} samples; loadavg {load}")
    print(f"ours (evaluate, all of it)          {ours_s:8.1f} s   of which the explainers {explain_s['ours']:.1f} s")
    print(f"bound (same rows, plain batched)    {bound_s:8.1f} s   ours/bound {ours_s / bound_s:.2f}")
    if quantus_s is not None:
        print(f"Quantus 0.6 ({quantus_note}) {quantus_s:8.1f} s   of which the explainers {explain_s['quantus']:.1f} s")
        print(f"Quantus/ours, all of it              {quantus_s / ours_s:8.1f}x")
        mine, theirs = ours_s - explain_s["ours"], quantus_s - explain_s["quantus"]
        print(f"Quantus/ours, the metrics without the explainers' calls "
              f"({theirs:.1f} s / {mine:.1f} s) {theirs / mine:8.1f}x")
    else:
        print(f"Quantus 0.6: {quantus_note}")
    print(df[["method", "deletion_auc", "insertion_auc", "faithfulness_correlation",
              "max_sensitivity", "sparseness"]].round(4).to_string(index=False))


if __name__ == "__main__":
    main()
