"""Partial dependence and ALE speed on the breast_cancer demo (issue 17: all 30 features x 20
grid points x 1000 rows under 1 s).

    .venv/bin/python benchmarks/bench_effects.py

1000 rows: the demo's held-out rows repeated (the model sees 600,000 rows for PD). Each call
is timed 5 times after one untimed call (the compiled scores function's first trace);
median and range.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np


def main() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    import xai_widgets as xw
    from xai_widgets.explainers import accumulated_local_effects, partial_dependence

    model, (X, _), names, _ = xw.demo.breast_cancer_mlp()
    rows = np.resize(X, (1000, X.shape[1]))
    load = os.getloadavg()[0]
    cases = {
        "PD + ICE, 30 features x 20 grid x 1000 rows":
            lambda: partial_dependence(model, rows, None, grid=20, feature_names=names),
        "PD + ICE, 1 feature x 20 grid x 1000 rows":
            lambda: partial_dependence(model, rows, 0, grid=20, feature_names=names),
        "ALE, 1 feature, 20 bins, 1000 rows":
            lambda: accumulated_local_effects(model, rows, 0, bins=20, feature_names=names),
        "ALE, 30 features (one call each)":
            lambda: [accumulated_local_effects(model, rows, j, bins=20) for j in range(30)],
    }
    print(f"breast_cancer demo MLP, keras {keras.__version__}, {os.cpu_count()} CPU cores, "
          f"1-minute load {load:.2f}; seconds: median [min-max] of 5 after 1 untimed call")
    for label, run in cases.items():
        run()
        times = []
        for _ in range(5):
            t = time.perf_counter()
            run()
            times.append(time.perf_counter() - t)
        print(f"{label:<46} {np.median(times):.3f} [{min(times):.3f}-{max(times):.3f}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
