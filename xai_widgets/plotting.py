"""Static matplotlib figures of explanations (notebooks, papers, PNG export)."""

from __future__ import annotations

import numpy as np

SIGNED_CMAP = "RdBu_r"  # diverging, centred at zero, colour-blind safe
MAGNITUDE_CMAP = "viridis"  # sequential, perceptually uniform, colour-blind safe


def figure_png(fig, path=None) -> bytes:
    """A matplotlib figure as PNG bytes, also written to ``path`` if given (the widgets'
    ``to_png``)."""
    import io
    from pathlib import Path

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = buffer.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def display_image(image: np.ndarray) -> tuple[np.ndarray, str | None]:
    """An input as matplotlib can show it: grey for one channel, min-max scaled to [0, 1]."""
    img = np.asarray(image, dtype=np.float32)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    lo, hi = float(img.min()), float(img.max())
    img = (img - lo) / (hi - lo) if hi > lo else np.zeros_like(img)
    return img, ("gray" if img.ndim == 2 else None)


def overlay(ax, image, heatmap, signed: bool, alpha: float = 0.7, cmap=None):
    """Draw ``image`` with ``heatmap`` over it; returns the heatmap's AxesImage (colorbar).

    The heatmap's opacity grows with |value| (up to ``alpha``), so the image shows through
    where the attribution is near zero. Signed maps use a diverging colormap centred at 0.
    """
    heat = np.asarray(heatmap, dtype=np.float32)
    limit = float(np.abs(heat).max()) or 1.0
    img, img_cmap = display_image(image)
    interpolation = "nearest" if max(heat.shape) < 64 else "bilinear"
    ax.imshow(img, cmap=img_cmap, interpolation="nearest")
    im = ax.imshow(
        heat,
        cmap=cmap or (SIGNED_CMAP if signed else MAGNITUDE_CMAP),
        vmin=-limit if signed else 0.0,
        vmax=limit,
        alpha=np.clip(np.abs(heat) / limit, 0.0, 1.0) * alpha,
        interpolation=interpolation,
    )
    ax.axis("off")
    return im


def plot_explanation(exp, class_names=None, max_images: int = 8, cmap=None, alpha: float = 0.7):
    import matplotlib.pyplot as plt

    if exp.heatmaps is None:
        raise ValueError("this explanation has no image heatmaps to plot (non-image inputs)")
    n = min(len(exp.targets), max_images)
    fig, axes = plt.subplots(1, n, figsize=(2.4 * n, 2.8), squeeze=False)
    for i, ax in enumerate(axes[0]):
        im = overlay(ax, exp.inputs[i], exp.heatmaps[i], exp.signed, alpha, cmap)
        target = int(exp.targets[i])
        name = class_names[target] if class_names is not None else str(target)
        ax.set_title(f"{name} ({exp.scores[i]:.2f})", fontsize=9)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
    fig.suptitle(f"{exp.method} ({exp.params.get('score', '')})", fontsize=10)
    fig.tight_layout()
    return fig


# Bars of signed contributions: the same colours as the widgets' --xw-pos / --xw-neg.
POSITIVE, NEGATIVE, MUTED = "#b2182b", "#2166ac", "#bbbbbb"
ACCENT = "#1769aa"  # unsigned bars (global importance), the widgets' --xw-accent


def importance_bars(ax, names, values, errors=None, *, sort="importance", top_k=None,
                    threshold=0.0, title=""):
    """Horizontal bars of global importance; bars below ``threshold`` x the largest |value|
    are grey (the FeatureImportance widget's global chart, as a static figure)."""
    values = np.asarray(values, dtype=np.float64)
    # the top_k most important (NaN last), then ordered by `sort`; as the browser does
    order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")[: top_k or len(values)]
    if sort == "name":
        order = np.array(sorted(order, key=lambda j: (str(names[j]).lower(), j)), dtype=int)
    elif sort == "data":
        order = np.sort(order)
    largest = np.nanmax(np.abs(values)) if len(values) else 0.0
    greyed = [np.isnan(values[j]) or (threshold > 0 and values[j] < threshold * largest)
              for j in order]
    colours = [MUTED if grey else ACCENT for grey in greyed]
    y = np.arange(len(order))[::-1]
    ax.barh(y, values[order], color=colours,
            xerr=None if errors is None else np.asarray(errors)[order], ecolor="#444444")
    ax.set_yticks(y, [str(names[j]) for j in order], fontsize=8)
    ax.axvline(0, color="#666666", linewidth=0.8)
    ax.locator_params(axis="x", nbins=5)
    ax.set_title(title, fontsize=9)


def waterfall(ax, names, values, base, prediction, *, max_steps=12, title=""):
    """Bars that walk from ``base`` to ``prediction``, largest |value| first, the rest folded
    into one step (the widget's local chart). ``base=None``: plain bars from 0."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(-np.abs(values), kind="stable")
    shown, rest = order[:max_steps], order[max_steps:]
    labels = [str(names[j]) for j in shown]
    steps = list(values[shown])
    if len(rest):
        labels.append(f"{len(rest)} other features")
        steps.append(float(values[rest].sum()))
    y = np.arange(len(steps))[::-1]
    start = 0.0 if base is None else float(base)
    lefts = []
    for v in steps:
        lefts.append(start if base is not None else 0.0)
        start = start + v if base is not None else start
    ax.barh(y, steps, left=lefts, color=[POSITIVE if v >= 0 else NEGATIVE for v in steps])
    ax.set_yticks(y, labels, fontsize=8)
    ends = np.array(lefts + [a + b for a, b in zip(lefts, steps)] + [0.0 if base is None
                                                                    else base])
    lo, hi = float(ends.min()), float(ends.max())
    pad = 0.06 * (hi - lo or 1.0)
    ax.set_xlim(lo - pad, hi + pad)
    if base is not None:
        ax.axvline(base, color="#666666", linewidth=0.8, linestyle="--",
                   label=f"start {base:.3g}")
        ax.axvline(prediction, color="#111111", linewidth=0.8, label=f"end {prediction:.3g}")
        ax.legend(fontsize=7, loc="best")
    else:
        ax.axvline(0, color="#666666", linewidth=0.8)
    ax.locator_params(axis="x", nbins=5)
    ax.set_title(title, fontsize=9)


def draw_heatmap(ax, image, heatmap, *, signed, colormap="auto", absolute=False,
                 threshold=0.0, opacity=0.6, heatmap_only=False):
    """The widget's view as a static picture (placeholder until the shared overlay rule)."""
    names = {"RdBu": "RdBu_r", "PuOr": "PuOr_r", "viridis": "viridis", "cividis": "cividis",
             "inferno": "inferno"}
    heat = np.asarray(heatmap, dtype=np.float32)
    signed = signed and not absolute
    if not signed:
        heat = np.abs(heat)
    limit = float(np.abs(heat).max()) or 1.0
    if threshold > 0:
        heat = np.where(np.abs(heat) < np.percentile(np.abs(heat), threshold), np.nan, heat)
    cmap = names.get(colormap) or (SIGNED_CMAP if signed else MAGNITUDE_CMAP)
    if not heatmap_only:
        img, img_cmap = display_image(image)
        ax.imshow(img, cmap=img_cmap, interpolation="nearest")
    fade = np.sqrt(np.clip(np.nan_to_num(np.abs(heat)) / limit, 0.0, 1.0))
    im = ax.imshow(heat, cmap=cmap, vmin=-limit if signed else 0.0, vmax=limit,
                   alpha=1.0 if heatmap_only else opacity * fade,
                   interpolation="nearest" if max(heat.shape) < 64 else "bilinear")
    ax.axis("off")
    return im
