"""Static matplotlib figures of explanations (notebooks, papers, PNG export)."""

from __future__ import annotations

import numpy as np

from . import overlay as overlay_rule

# matplotlib names of the default maps (kept for callers; the overlay itself is drawn with
# xai_widgets.overlay's tables, the browser's colours).
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


def _colormap_name(colormap) -> str:
    """"auto" or one of overlay.COLORMAPS (matplotlib's "RdBu_r"/"PuOr_r" mean the same maps)."""
    name = "auto" if colormap is None else overlay_rule.ALIASES.get(colormap, colormap)
    if name != "auto" and name not in overlay_rule.COLORMAPS:
        raise ValueError(f"colormap {colormap!r} is not one of the overlay's maps: "
                         f"'auto', {', '.join(repr(n) for n in overlay_rule.COLORMAPS)}")
    return name


def draw_heatmap(ax, image, heatmap, *, signed: bool, colormap: str = "auto",
                 absolute: bool = False, threshold: float = 0.0, opacity: float = 0.6,
                 heatmap_only: bool = False):
    """Draw ``heatmap`` over ``image`` on ``ax`` as the browser composes it; returns a
    ScalarMappable for ``fig.colorbar``.

    The same rule as the widgets (xai_widgets/overlay_rule.json): ``signed`` is the method's
    (Explanation.signed); ``absolute`` shows |value|; ``colormap`` is "auto" or one of
    ``overlay.COLORMAPS`` (a diverging map on magnitudes shows its upper half, and so does the
    colorbar); ``threshold`` (percent, 0..100) hides that share of the smallest |value|;
    over the image each pixel's alpha grows with sqrt(|value| / max) and the whole heatmap is
    drawn at ``opacity``; ``heatmap_only`` draws the heatmap alone, opaque. ``image`` may be
    None (the heatmap alone). A heatmap smaller than 64 pixels is drawn with nearest
    interpolation, a larger one bilinear; the image always nearest. Turns the axis off.
    """
    import matplotlib.cm
    import matplotlib.colors

    name = _colormap_name(colormap)
    heat = np.asarray(heatmap, dtype=np.float32)
    if heat.ndim != 2:
        raise ValueError(f"heatmap must be 2-D (height, width), got shape {heat.shape}")
    view = overlay_rule.view_settings(signed, name, absolute, heatmap_only)
    vmax = overlay_rule.symmetric_max(heat)
    cutoff = overlay_rule.threshold_cutoff(overlay_rule.percentile_table(heat), threshold)
    rgba = overlay_rule.colorize(heat, view["cmap"], signed=view["signed"],
                                 absolute=view["absolute"], cutoff=cutoff, fade=view["fade"],
                                 vmax=vmax)
    height, width = heat.shape
    if image is not None:
        img, img_cmap = display_image(image)
        height, width = img.shape[:2]
        if not heatmap_only:
            ax.imshow(img, cmap=img_cmap, interpolation="nearest")
    # The heatmap stretched over the image's pixels (a low-resolution map covers it all).
    extent = (-0.5, width - 0.5, height - 0.5, -0.5)
    ax.imshow(rgba, alpha=1.0 if heatmap_only else float(opacity), extent=extent,
              interpolation="nearest" if max(heat.shape) < 64 else "bilinear")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.axis("off")
    mappable = matplotlib.cm.ScalarMappable(
        norm=matplotlib.colors.Normalize(-vmax if view["signed"] else 0.0, vmax),
        cmap=overlay_rule.matplotlib_colormap(view["cmap"], half=view["half"]))
    mappable.set_array(np.array([]))
    return mappable


def overlay(ax, image, heatmap, signed: bool, alpha: float = 0.7, cmap=None):
    """Draw ``image`` with ``heatmap`` over it; returns a ScalarMappable for a colorbar.

    The heatmap's opacity grows with sqrt(|value|) (up to ``alpha``), as in the widgets, so
    the image shows through where the attribution is near zero. Signed maps use a diverging
    colormap centred at 0. ``cmap``: "auto"/None or a name in ``overlay.COLORMAPS``.
    """
    return draw_heatmap(ax, image, heatmap, signed=signed, colormap=cmap or "auto",
                        opacity=alpha)


def plot_explanation(exp, class_names=None, max_images: int = 8, cmap=None, alpha: float = 0.7):
    """One panel per input: the image, its heatmap over it (the widgets' colours and fade),
    a colorbar and the target's name and score."""
    import matplotlib.pyplot as plt

    if exp.heatmaps is None:
        raise ValueError("this explanation has no image heatmaps to plot (non-image inputs)")
    n = min(len(exp.targets), max_images)
    fig, axes = plt.subplots(1, n, figsize=(2.4 * n, 2.8), squeeze=False)
    for i, ax in enumerate(axes[0]):
        mappable = overlay(ax, exp.inputs[i], exp.heatmaps[i], exp.signed, alpha, cmap)
        target = int(exp.targets[i])
        name = class_names[target] if class_names is not None else str(target)
        ax.set_title(f"{name} ({exp.scores[i]:.2f})", fontsize=9)
        fig.colorbar(mappable, ax=ax, fraction=0.046, pad=0.04)
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

