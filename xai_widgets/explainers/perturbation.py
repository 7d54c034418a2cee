"""Perturbation methods: occlusion (forward passes only, no gradients needed).

The occluded rows are built in numpy, a chunk at a time, and scored by the adapter's forward
function (``ModelAdapter.scores``), the one every explanation uses for its inputs' scores:
occlusion traces nothing of its own."""

from __future__ import annotations

import numpy as np

from ..errors import ExplainError
from .base import Option, register


def patch_positions(size: int, patch: int, stride: int) -> list[int]:
    """Top/left corners so that patches of ``patch`` pixels step by ``stride`` and the last
    one ends at the border (every pixel is covered when stride <= patch)."""
    last = max(size - patch, 0)
    positions = list(range(0, last + 1, stride))
    if positions[-1] != last:
        positions.append(last)
    return positions


def _occluded_rows(x, which, tops, lefts, patch, fills) -> np.ndarray:
    """One chunk of rows: image ``which[r]`` with the patch at ``(tops[r], lefts[r])``
    filled with ``fills[r]``."""
    rows = x[which]  # a copy
    for r in range(len(rows)):
        rows[r, tops[r]:tops[r] + patch, lefts[r]:lefts[r] + patch] = fills[r]
    return rows


@register(
    "occlusion", "Occlusion",
    "slides a patch filled with a constant over the image; a pixel's attribution is the "
    "average drop of the class score over the patches that cover it. Needs only forward "
    "passes.",
    signed=True,
    options=(
        Option("patch", None, "patch side in pixels (None: 1/8 of the shorter side)", "integer",
               minimum=1),
        Option("stride", None, "step between patches (None: half the patch)", "integer",
               minimum=1),
        Option("fill", 0.0, "value of occluded pixels: a number, or 'mean' (each image's "
               "mean)", ("number", "choice"), choices=("mean",)),
    ), inputs=("image",))
def occlusion(adapter, x, targets, runner, patch, stride, fill):
    if x.ndim not in (3, 4):
        raise ExplainError(
            f"occlusion slides patches over images (N, H, W[, C]); got inputs of shape "
            f"{x.shape}."
        )
    n, height, width = x.shape[:3]
    patch = patch or max(1, min(height, width) // 8)
    if patch > min(height, width):
        raise ExplainError(f"patch={patch} is larger than the image ({height}x{width}).")
    stride = stride or max(1, patch // 2)
    fills = (x.reshape(n, -1).mean(axis=1) if fill == "mean"
             else np.full(n, float(fill))).astype(np.float32)
    corners = [(t, l) for t in patch_positions(height, patch, stride)
               for l in patch_positions(width, patch, stride)]
    tops = np.array([c[0] for c in corners], np.int32)
    lefts = np.array([c[1] for c in corners], np.int32)
    per_input = len(corners)
    n_rows = n * per_input
    runner.plan(n_rows)
    # the rows are built here and scored by the adapter's forward function, the one that
    # scores every explanation's inputs: occlusion needs no function of its own
    scores = np.empty(n_rows, np.float32)
    for start, stop in runner.chunks(n_rows):
        rows = np.arange(start, stop)
        which, k = rows // per_input, rows % per_input
        occluded = _occluded_rows(x, which, tops[k], lefts[k], patch, fills[which])
        scores[start:stop] = adapter.scores(occluded, batch_size=len(rows))[
            np.arange(len(rows)), targets[which]]
    # Score drop of every (input, patch); each pixel averages the patches that cover it.
    base_scores = runner.logits[np.arange(n), targets]
    patch_drops = base_scores[:, None] - scores.reshape(n, per_input)
    drops = np.zeros((n, height, width), np.float64)
    counts = np.zeros((height, width), np.float64)
    for j, (top, left) in enumerate(corners):
        window = (slice(top, top + patch), slice(left, left + patch))
        drops[(slice(None),) + window] += patch_drops[:, j, None, None]
        counts[window] += 1.0
    counts = counts[None]
    heatmaps = (drops / np.maximum(counts, 1.0)).astype(np.float32)
    if x.ndim == 4:  # spread each pixel's drop evenly over its channels (sums are kept)
        attributions = np.repeat(heatmaps[..., None] / x.shape[-1], x.shape[-1], axis=-1)
    else:
        attributions = heatmaps.copy()
    return {
        "attributions": attributions.astype(np.float32),
        "heatmaps": heatmaps,
        "params": {"patch": patch, "stride": stride, "fill": fill, "evaluations": n_rows},
    }
