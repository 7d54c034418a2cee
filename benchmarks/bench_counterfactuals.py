"""Counterfactuals: ours against dice-ml's model-agnostic "random" method (issue 17).

    benchmarks/setup_dice.sh                                 # dice-ml into .bench-deps/ (once)
    .venv/bin/python benchmarks/bench_counterfactuals.py     # ~1-2 min on 2 CPU cores

The breast_cancer demo MLP (30 features, softmax over 2 classes); the data both methods draw
from and scale by is the whole data set (569 rows). For each of the first ``INSTANCES`` held-out
rows, ``N_CFS`` counterfactuals with the opposite class, from each method:

* ours: ``xw.explainers.counterfactuals(model, X, row, n=3)`` (defaults);
* dice-ml 0.12: ``Dice(data, model, method="random").generate_counterfactuals(row,
  total_CFs=3, desired_class="opposite", random_seed=0)``, the model wrapped with
  ``predict_proba`` (its "sklearn" backend), all features continuous.

Each returned row is judged the same way, here: **valid** when the model (called here, not by
either method) gives it the opposite class; **distance**: L1 over features scaled by their
median absolute deviation in the data; **sparsity**: features changed (|change| > 1e-6).
Time is wall time per instance, after one untimed warm-up instance each.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH_DEPS = ROOT / ".bench-deps"
if BENCH_DEPS.is_dir():
    sys.path.append(str(BENCH_DEPS))  # appended: it can never shadow the project or .venv

INSTANCES = 20
N_CFS = 3


def judge(model, X_all, instance, rows, original):
    mad = np.median(np.abs(X_all - np.median(X_all, axis=0)), axis=0)
    mad = np.where(mad > 0, mad, 1.0)
    if not len(rows):
        return dict(returned=0, valid=0, distance=[], sparsity=[])
    rows = np.asarray(rows, np.float32)
    pred = model.predict(rows, verbose=0).argmax(axis=1)
    valid = pred != original
    change = np.abs(rows - instance)
    return dict(returned=len(rows), valid=int(valid.sum()),
                distance=list((change / mad).sum(axis=1)[valid]),
                sparsity=list((change > 1e-6).sum(axis=1)[valid]))


def run_ours(model, X_all, rows):
    from xai_widgets.explainers import counterfactuals

    out = []
    counterfactuals(model, X_all, rows[0], n=N_CFS)  # warm-up
    for row in rows:
        t = time.perf_counter()
        cf = counterfactuals(model, X_all, row, n=N_CFS)
        out.append((time.perf_counter() - t, cf.rows))
    return out


def run_dice(model, X_all, y_all, names, rows):
    import dice_ml
    import pandas as pd

    class Wrapped:
        def predict_proba(self, frame):
            return model.predict(np.asarray(frame, np.float32), verbose=0, batch_size=4096)

        def predict(self, frame):
            return self.predict_proba(frame).argmax(axis=1)

    frame = pd.DataFrame(X_all.astype(np.float64), columns=names)  # pandas 3: float32 refuses
    # the float64 values dice-ml writes into it
    frame["target"] = y_all
    data = dice_ml.Data(dataframe=frame, continuous_features=list(names), outcome_name="target")
    dice = dice_ml.Dice(data, dice_ml.Model(model=Wrapped(), backend="sklearn"), method="random")

    def one(row):
        query = pd.DataFrame([row.astype(np.float64)], columns=names)
        result = dice.generate_counterfactuals(query, total_CFs=N_CFS, desired_class="opposite",
                                               random_seed=0, verbose=False)
        cfs = result.cf_examples_list[0].final_cfs_df
        return np.empty((0, len(names))) if cfs is None else cfs[names].to_numpy(np.float32)

    one(rows[0])  # warm-up
    out = []
    for row in rows:
        t = time.perf_counter()
        found = one(row)
        out.append((time.perf_counter() - t, found))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=INSTANCES)
    args = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    from sklearn.datasets import load_breast_cancer

    import xai_widgets as xw

    model, (X_test, _), names, _ = xw.demo.breast_cancer_mlp()
    data = load_breast_cancer()
    X_all, y_all = data.data.astype(np.float32), data.target
    rows = X_test[: args.instances]
    originals = model.predict(rows, verbose=0).argmax(axis=1)
    load = os.getloadavg()[0]
    results = {"ours": run_ours(model, X_all, rows)}
    try:
        results["dice-ml random"] = run_dice(model, X_all, y_all, names, rows)
    except ImportError:
        print("dice-ml is not installed: run benchmarks/setup_dice.sh", file=sys.stderr)

    print(f"Counterfactuals on the breast_cancer demo MLP ({len(names)} features), "
          f"{len(rows)} held-out instances, {N_CFS} asked each, the opposite class; keras "
          f"{keras.__version__}, {os.cpu_count()} CPU cores, 1-minute load {load:.2f}.")
    header = f"{'method':<16} {'returned':>9} {'valid':>7} {'distance (mean, median)':>24} " \
             f"{'features changed':>17} {'closest':>8} {'sparsest':>9} " \
             f"{'s/instance (median)':>20}"
    print(header)
    print("-" * len(header))
    for name, runs in results.items():
        judged = [judge(model, X_all, row, found, orig)
                  for row, (_, found), orig in zip(rows, runs, originals)]
        returned = sum(j["returned"] for j in judged)
        valid = sum(j["valid"] for j in judged)
        distance = np.concatenate([j["distance"] for j in judged]) if valid else np.array([np.nan])
        sparsity = np.concatenate([j["sparsity"] for j in judged]) if valid else np.array([np.nan])
        seconds = np.median([s for s, _ in runs])
        closest = np.mean([min(j["distance"]) for j in judged if j["valid"]])
        sparsest = np.mean([min(j["sparsity"]) for j in judged if j["valid"]])
        print(f"{name:<16} {returned:>9} {valid / max(returned, 1):>7.0%} "
              f"{distance.mean():>13.2f}, {np.median(distance):>8.2f} "
              f"{sparsity.mean():>17.1f} {closest:>8.2f} {sparsest:>9.1f} {seconds:>20.3f}")
    print("valid: share of the returned rows the model (called here) gives the opposite class; "
          "distance: L1 over MAD-scaled features (valid rows); features changed: mean over "
          "valid rows; closest / sparsest: per instance, the smallest distance / fewest "
          "features changed among its valid rows, averaged over the instances.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
