"""KernelSHAP throughput on the breast_cancer MLP (30 features: sampled KernelSHAP).

    .venv/bin/python benchmarks/bench_tabular.py

Model evaluations per second inside ``explain(method="kernel_shap")`` (coalitions x background
rows, batched) against the model's own batched throughput on the same number of rows and the
same batch size (the compiled scores function, and keras' ``model.predict``). Goal from the
FeatureImportance issue: >= 0.8 of the model's own throughput.
"""

from __future__ import annotations

import statistics
import time

import numpy as np


def main():
    from xai_widgets.explainers import methods

    global BATCH
    BATCH = methods()["kernel_shap"]["options"]["batch_size"]["default"]  # the same batch
    import xai_widgets as xw

    model, (X, y), features, classes = xw.demo.breast_cancer_mlp()
    background = X[:50]
    x = X[50:52]
    samples = 2048
    adapter = xw.adapt(model, output="probability")
    xw.explain(model, x[:1], method="kernel_shap", background=background, samples=64,
               output="probability")  # warm-up: tracing
    runs = []
    for _ in range(3):
        t0 = time.perf_counter()
        exp = xw.explain(model, x, method="kernel_shap", background=background,
                         samples=samples, output="probability")
        runs.append(time.perf_counter() - t0)
    evaluations = len(x) * exp.params["coalitions"] * len(background)
    ours = evaluations / statistics.median(runs)

    rows = np.repeat(background, evaluations // len(background) + 1, axis=0)[:evaluations]
    adapter.scores(rows[:BATCH], batch_size=BATCH)
    t0 = time.perf_counter()
    adapter.scores(rows, batch_size=BATCH)
    compiled = evaluations / (time.perf_counter() - t0)
    model.predict(rows[:BATCH], batch_size=BATCH, verbose=0)
    t0 = time.perf_counter()
    model.predict(rows, batch_size=BATCH, verbose=0)
    predict = evaluations / (time.perf_counter() - t0)

    print(f"KernelSHAP on breast_cancer_mlp: {len(features)} features (sampled), {samples} "
          f"coalitions requested ({exp.params['coalitions']} evaluated incl. the empty and full "
          f"ones), {len(background)} background rows, {len(x)} instances")
    print(f"  {evaluations} model evaluations in {statistics.median(runs):.3f} s (median of 3)")
    print(f"  ours: {ours:,.0f} evaluations/s")
    print(f"  the compiled scores function on the same rows, batch {BATCH}: {compiled:,.0f} rows/s "
          f"-> ratio {ours / compiled:.2f}")
    print(f"  keras model.predict on the same rows, batch {BATCH}: {predict:,.0f} rows/s "
          f"-> ratio {ours / predict:.2f} (goal >= 0.8)")
    total = exp.attributions.sum(axis=1)
    expected = adapter.scores(background)[:, exp.targets].mean(axis=0)
    print(f"  efficiency check: max |sum(phi) - (f(x) - E f(background))| = "
          f"{np.abs(total - (exp.scores - expected)).max():.2e}")


if __name__ == "__main__":
    main()
