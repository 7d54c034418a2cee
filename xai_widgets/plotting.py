"""Static matplotlib figures of explanations (notebooks, papers, PNG export)."""

from __future__ import annotations

import numpy as np

SIGNED_CMAP = "RdBu_r"  # diverging, centred at zero, colour-blind safe
MAGNITUDE_CMAP = "viridis"  # sequential, perceptually uniform, colour-blind safe


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
