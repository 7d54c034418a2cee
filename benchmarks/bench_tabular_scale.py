"""FeatureImportance on 100,000 rows (issue 17): constructor under 1 s, the global panel
under 10 s with its sampling stated, the confusion matrix and partial dependence on all rows.

    .venv/bin/python benchmarks/bench_tabular_scale.py      # ~1 min on 2 CPU cores

The breast_cancer demo MLP and a 100,000-row pandas DataFrame made from its held-out rows
(resampled with 1% noise per feature, seeded), labels from the model's own decision with 5%
flipped. Each step is timed from Python (the widget's lanes run in background threads, as
when the browser asks; `wait()` blocks until a lane is done). The browser never receives the
rows: only the row count, the first row's values, and results (bars, curves, counts).
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np


def main() -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import pandas as pd

    import xai_widgets as xw

    model, (X, _), names, classes = xw.demo.breast_cancer_mlp()
    rng = np.random.default_rng(0)
    rows = X[rng.integers(0, len(X), 100_000)]
    rows = rows * (1 + rng.normal(0, 0.01, rows.shape)).astype(np.float32)
    frame = pd.DataFrame(rows, columns=names)
    y = model.predict(rows, verbose=0, batch_size=8192).argmax(axis=1)
    flip = rng.random(len(y)) < 0.05
    y[flip] = 1 - y[flip]
    load = os.getloadavg()[0]
    model.predict(rows[:10], verbose=0)  # the model's own first call, not ours to count

    t0 = time.perf_counter()
    f = xw.FeatureImportance(model, frame, y=y, class_names=classes)
    constructor = time.perf_counter() - t0
    lanes = {}
    for lane in ("local", "errors", "effects", "global"):
        f._lane(lane).done.wait()
        lanes[lane] = time.perf_counter() - t0
    view = f.importance
    sampled = (view.get("permutation") or {}).get("rows")
    print(f"FeatureImportance on a 100,000-row DataFrame ({len(names)} features), breast_cancer "
          f"demo MLP, {os.cpu_count()} CPU cores, 1-minute load {load:.2f}; seconds from the "
          "constructor's start until each part is ready:")
    print(f"  constructor returns          {constructor:6.2f}   (goal < 1 s)")
    print(f"  this row explained (local)   {lanes['local']:6.2f}")
    print(f"  confusion matrix, all rows   {lanes['errors']:6.2f}   ({f.errors['rows']} rows, "
          f"accuracy {f.errors['accuracy']:.3f})")
    print(f"  PD/ICE/ALE of one feature    {lanes['effects']:6.2f}   (PD on all "
          f"{f.effects['rows']} rows x 20 grid points)")
    print(f"  global panel                 {lanes['global']:6.2f}   (goal < 10 s; permutation "
          f"on a sample of {sampled} rows, mean |SHAP| on {f._shap_rows}; the view says so)")
    f.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
