"""TrainingMonitor overhead: how much longer an epoch takes with the monitor in the callbacks.

    .venv/bin/python benchmarks/bench_monitor.py            # ~2 min on 2 CPU cores
    .venv/bin/python benchmarks/bench_monitor.py --quick    # ~40 s

The digits demo's model and training (``xw.demo.digits_cnn``: the same layers, Adam 2e-3,
batch 64, scikit-learn's digits, 1347 training images) with the held-out images as
validation data, trained from scratch (seeded) with and without a ``TrainingMonitor`` at its
defaults (Grad-CAM, every epoch, probes from the held-out set), in alternating runs so that
the machine's load hits both alike. An epoch is timed from ``on_epoch_begin`` to the end of
every ``on_epoch_end`` (the monitor's explanation and its push to the view included); the
first epoch of each run (tracing) is left out. Also: the monitor's own explanation time per
epoch, the traces of its compiled function, and the bytes of the view's data after the run.

Goal from issue 15: explanation overhead at most 10 % of the epoch time at default settings.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def digits_model():
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input((8, 8, 1), name="image"),
        layers.Conv2D(32, 3, padding="same", activation="relu", name="conv1"),
        layers.Conv2D(32, 3, padding="same", activation="relu", name="conv2"),
        layers.MaxPooling2D(2, name="pool"),
        layers.Conv2D(64, 3, padding="same", activation="relu", name="conv3"),
        layers.Flatten(name="flatten"),
        layers.Dropout(0.3, name="dropout"),
        layers.Dense(10, activation="softmax", name="probabilities"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _time_callbacks(mon, spent):
    """Measure the monitor's own callbacks (wrapped on the instance)."""
    epoch_end, batch_end = mon.on_epoch_end, mon.on_train_batch_end

    def on_epoch_end(epoch, logs=None):
        t0 = time.perf_counter()
        epoch_end(epoch, logs)
        spent["epoch"].append(time.perf_counter() - t0)

    def on_train_batch_end(batch, logs=None):
        t0 = time.perf_counter()
        batch_end(batch, logs)
        spent["batch"] += time.perf_counter() - t0

    mon.on_epoch_end, mon.on_train_batch_end = on_epoch_end, on_train_batch_end


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and epochs")
    args = parser.parse_args()
    runs, epochs = (2, 5) if args.quick else (4, 8)

    import keras
    import numpy as np

    import xai_widgets as xw

    (x, y), (xt, yt), names = xw.demo.digits_data()

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []

        def on_epoch_begin(self, epoch, logs=None):
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):  # last in the list: after the monitor
            self.seconds.append(time.perf_counter() - self.t0)

    results = {}
    for probes in (16, 32):
        plain, monitored, explain, traces, payload = [], [], [], [], 0
        own, batch_time = [], []  # the monitor's own callbacks: per epoch end, per epoch of batches
        for run in range(runs):
            for with_monitor in (False, True) if run % 2 == 0 else (True, False):
                keras.utils.set_random_seed(run)
                model = digits_model()
                timer = EpochTimer()
                callbacks = [timer]
                if with_monitor:
                    mon = xw.TrainingMonitor(xt[:probes], yt[:probes], class_names=names)
                    spent = {"epoch": [], "batch": 0.0}
                    _time_callbacks(mon, spent)
                    callbacks = [mon, timer]
                model.fit(x, y, epochs=epochs, batch_size=64, validation_data=(xt, yt),
                          callbacks=callbacks, verbose=0)
                (monitored if with_monitor else plain).extend(timer.seconds[1:])
                if with_monitor:
                    explain.extend(mon.history["seconds"][2:])  # after epoch 0 and the first
                    own.extend(np.asarray(spent["epoch"][1:]))
                    batch_time.append(spent["batch"] / epochs)
                    traces.append(mon._adapter.trace_count)
                    payload = sum(len(p["view"]) for p in mon.frames.values())
                    mon.close()
                print(f"  {probes} probes, run {run + 1}/{runs}, monitor={with_monitor}: "
                      f"{statistics.median(timer.seconds[1:]) * 1e3:.0f} ms/epoch",
                      file=sys.stderr)
        results[probes] = (plain, monitored, explain, traces, payload, own, batch_time)

    load = open("/proc/loadavg").read().split()[:3] if os.path.exists("/proc/loadavg") else "?"
    print(f"TrainingMonitor overhead on the digits demo ({runs} runs x {epochs} epochs each way, "
          f"batch 64, validation on {len(xt)} images; load average {' '.join(load)})")
    print()
    print("| probes | epoch without | epoch with monitor | difference | monitor's own time "
          "per epoch | of which explanation | own time / epoch | traces | view data after "
          "the run |")
    print("|---|---|---|---|---|---|---|---|---|")
    for probes, (plain, monitored, explain, traces, payload, own, batch_time) in results.items():
        base = statistics.median(plain)
        with_mon = statistics.median(monitored)
        exp = statistics.median(explain)
        mine = statistics.median(own) + statistics.median(batch_time)
        print(f"| {probes} | {base * 1e3:.0f} ms | {with_mon * 1e3:.0f} ms "
              f"| {100 * (with_mon - base) / base:+.1f} % | {mine * 1e3:.1f} ms "
              f"| {exp * 1e3:.1f} ms | {100 * mine / base:.1f} % | {max(traces)} "
              f"| {payload / 1024:.1f} KiB |")
    print()
    print("difference: median epoch with the monitor vs without (epoch 1 of each run left out; "
          "under load this difference is mostly noise, see the own time); monitor's own time: "
          "its on_epoch_end (explanation of all probes in one compiled call, drift, payload to "
          "the view) plus its batch-end checks, median from epoch 2; traces: of the "
          "explanation's compiled function over the whole run.")


if __name__ == "__main__":
    main()
