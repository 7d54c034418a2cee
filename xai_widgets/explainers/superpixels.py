"""LIME and KernelSHAP on superpixels: which regions of an image make the prediction.

The image is cut into segments (superpixels: scikit-image's ``slic`` or ``quickshift``, or a
plain grid). A coalition keeps some segments and hides the others, filled with a blurred copy
of the image (the default), the segment's mean colour, or a constant. The coalitions' images are built
inside one compiled call (only the coalition masks travel from numpy) and scored in batches;
the samples are drawn from a seeded generator.

* ``lime`` (Ribeiro et al. 2016, as ``lime_image`` does it): random coalitions (each segment
  kept with probability 1/2, the first one keeps all), weighted by the kernel
  ``sqrt(exp(-d^2 / width^2))`` of their cosine distance ``d`` to the full image, and a
  weighted ridge fit (alpha 1, with intercept) of the target score on the kept segments. The
  fit's weighted R^2 is reported (``params["r2"]``): a low one says the linear surrogate
  explains little.
* ``kernel_shap``: the segments' Shapley values for the game v(S) = score of the image with
  only S kept. Exact, by enumerating the 2^d coalitions, for 11 segments or fewer; beyond,
  KernelSHAP (paired coalitions sampled from the Shapley kernel, a least-squares fit with
  sum(phi) = v(all) - v(none)) with bootstrap standard errors (``params["standard_errors"]``).

The result: ``params["segments"]`` (N, H, W) the segment of each pixel, and
``params["segment_weights"]`` one array per image (its segments' weights or Shapley values).
The heatmap is painted by segment: each pixel shows its segment's weight (as occlusion's
heatmap shows the drop of the patches over a pixel). ``attributions`` share each segment's
weight evenly among its pixels and channels, so they add up to the segment weights (for
KernelSHAP: to v(all) - v(none)).
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ExplainError
from .base import Option, register
from .gradients import gaussian_blur
from .shapley import all_coalitions, exact_shapley, kernel_coalitions, kernel_fit

SEGMENTATIONS = ("slic", "quickshift", "grid")
EXACT_MAX_SEGMENTS = 11
# At most this many input floats are built per compiled call (32 MB), whatever batch_size
# says: 256 rows of 32x32x3 images, 55 of 224x224x3.
MAX_CALL_FLOATS = 1 << 23


def rows_per_call(runner, image_size: int) -> int:
    return max(1, min(runner.batch_size, MAX_CALL_FLOATS // max(1, image_size)))


# --------------------------------------------------------------------------- segmentation
def default_segments(height: int, width: int) -> int:
    """About sqrt(H * W) segments, between 4 and 50 (8 for 8x8 digits, 32 for 32x32)."""
    return int(min(50, max(4, round(math.sqrt(height * width)))))


def _unit_range(image: np.ndarray) -> np.ndarray:
    low, high = float(image.min()), float(image.max())
    return (image - low) / (high - low) if high > low else np.zeros_like(image)


def grid_segments(height: int, width: int, n_segments: int) -> np.ndarray:
    """A grid of about ``n_segments`` cells shaped like the image."""
    rows = max(1, min(height, round(math.sqrt(n_segments * height / width))))
    cols = max(1, min(width, round(n_segments / rows)))
    r = np.minimum(np.arange(height) * rows // height, rows - 1)
    c = np.minimum(np.arange(width) * cols // width, cols - 1)
    return (r[:, None] * cols + c[None, :]).astype(np.int32)


def segment(image: np.ndarray, method: str, n_segments: int, compactness: float,
            seed: int) -> np.ndarray:
    """(H, W) int32 segment labels 0..d-1 of one (H, W[, C]) image."""
    height, width = image.shape[:2]
    if method == "grid":
        labels = grid_segments(height, width, n_segments)
    else:
        import skimage.segmentation as seg

        img = _unit_range(image.astype(np.float64))
        if img.ndim == 3 and img.shape[-1] == 1:
            img = img[..., 0]
        if method == "slic":
            # on the image scaled to [0, 1], colours as they are (no Lab conversion: the
            # compactness means the same for grey and colour images)
            labels = seg.slic(img, n_segments=n_segments, compactness=compactness,
                              start_label=0, convert2lab=False,
                              channel_axis=-1 if img.ndim == 3 else None)
        else:  # quickshift needs three channels (as lime_image, grey is repeated)
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=-1)
            elif img.shape[-1] != 3:
                raise ExplainError(
                    f"segmentation='quickshift' needs grey or RGB images; these have "
                    f"{img.shape[-1]} channels. Use segmentation='slic' or 'grid'.")
            side = max(1.0, min(height, width) / math.sqrt(n_segments))
            labels = seg.quickshift(img, kernel_size=max(1.0, side / 4), max_dist=side,
                                    ratio=0.2, rng=seed)
    # consecutive labels 0..d-1 (slic and quickshift may skip some)
    _, labels = np.unique(labels, return_inverse=True)
    return labels.reshape(height, width).astype(np.int32)


def fill_image(image: np.ndarray, labels: np.ndarray, fill, blur_sigma) -> np.ndarray:
    """What a hidden segment shows: each segment's mean colour, a blurred copy, or a
    constant."""
    if fill == "mean":
        flat = image.reshape(labels.size, -1)
        counts = np.bincount(labels.ravel())
        means = np.stack([np.bincount(labels.ravel(), flat[:, c]) / counts
                          for c in range(flat.shape[1])], axis=1)
        return means[labels].reshape(image.shape).astype(np.float32)
    if fill == "blur":
        sigma = blur_sigma or max(1.0, 0.1 * max(image.shape[:2]))
        return gaussian_blur(image[None], sigma)[0]
    return np.full_like(image, float(fill), dtype=np.float32)


# --------------------------------------------------------------------------- scoring
def _coalition_function(adapter):
    """One compiled call: coalitions (M, d) of 0/1, one image, its fill image, its segment
    labels (H, W) and the target -> the target's score for each coalition's image, built in
    the graph (a pixel is kept when its segment is)."""
    import tensorflow as tf

    shape = tuple(adapter.input_shape)

    def build():
        def superpixel_scores(coalitions, image, filled, labels, target):
            keep = tf.gather(coalitions, labels, axis=1)  # (M, H, W)
            if len(shape) == 3:
                keep = keep[..., None]
            rows = filled[None] + keep * (image - filled)[None]
            out, _ = adapter.forward(rows)
            return tf.gather(tf.cast(out, tf.float32), target, axis=1)

        return adapter.compile(superpixel_scores, [
            tf.TensorSpec((None, None), tf.float32), tf.TensorSpec(shape, tf.float32),
            tf.TensorSpec(shape, tf.float32), tf.TensorSpec(shape[:2], tf.int32),
            tf.TensorSpec((), tf.int32)], rows=lambda coalitions, *_: len(coalitions))

    return adapter.function("superpixel_scores", build)


def coalition_scores(adapter, image, filled, labels, target, coalitions, runner) -> np.ndarray:
    """The target's score of every coalition's image (1 = segment kept), in batches (the
    caller plans the evaluations with the runner)."""
    fn = _coalition_function(adapter)
    out = np.empty(len(coalitions), np.float64)
    coalitions = coalitions.astype(np.float32)
    for start, stop in runner.chunks(len(coalitions), rows_per_call(runner, image.size)):
        out[start:stop] = fn(coalitions[start:stop], image, filled, labels,
                             np.int32(target)).numpy()
    return out


# --------------------------------------------------------------------------- fits
def lime_coalitions(d: int, samples: int, rng) -> np.ndarray:
    """``samples`` random coalitions, each segment kept with probability 1/2; the first keeps
    all (as lime_image)."""
    z = rng.integers(0, 2, size=(samples, d)).astype(np.float64)
    z[0] = 1.0
    return z


def lime_kernel(z: np.ndarray, width: float) -> np.ndarray:
    """sqrt(exp(-d^2 / width^2)) of the cosine distance d of each coalition to all-kept
    (an empty coalition is at distance 1)."""
    norms = np.sqrt(z.sum(axis=1))
    cosine = np.where(norms > 0, z.sum(axis=1) / (np.where(norms > 0, norms, 1.0)
                                                  * math.sqrt(z.shape[1])), 0.0)
    distance = 1.0 - cosine
    return np.sqrt(np.exp(-distance ** 2 / width ** 2))


def weighted_ridge(z, y, w, alpha: float = 1.0) -> tuple[np.ndarray, float, float]:
    """Ridge fit with intercept of y on z with sample weights w (as given, not rescaled:
    the penalty alpha weighs against their sum, as in scikit-learn's Ridge that lime uses):
    (coefficients, intercept, weighted R^2)."""
    p = w / w.sum()
    z_mean, y_mean = p @ z, p @ y
    zc, yc = z - z_mean, y - y_mean
    gram = (zc * w[:, None]).T @ zc
    coef = np.linalg.solve(gram + alpha * np.eye(z.shape[1]), (zc * w[:, None]).T @ yc)
    intercept = y_mean - z_mean @ coef
    residual = y - (z @ coef + intercept)
    total = p @ yc ** 2
    r2 = 1.0 - (p @ residual ** 2) / total if total > 0 else 1.0
    return coef, float(intercept), float(r2)


# --------------------------------------------------------------------------- methods
_OPTIONS = (
    Option("segmentation", "slic", "how the image is cut into segments: scikit-image's "
           "'slic' or 'quickshift', or a plain 'grid'", "choice", choices=SEGMENTATIONS),
    Option("segments", None, "about how many segments (None: sqrt(H * W), between 4 and 50)",
           "integer", minimum=1, maximum=1024),
    Option("compactness", 0.3, "slic's compactness on the image scaled to [0, 1] (higher: "
           "squarer segments)", "number", minimum=0.0),
    # "blur" by default, not lime_image's mean colour: a segment that follows an object's
    # outline has the object's colour as its mean, so hiding it changes nothing (on the
    # shapes demo the top segment fell on the object for 28% of images with "mean", 93% with
    # "blur", 100% with 0; see tests/test_superpixels.py)
    Option("fill", "blur", "what a hidden segment shows: a 'blur'red copy of the image, "
           "the segment's 'mean' colour (lime_image's choice), or a constant number",
           ("choice", "number"), choices=("blur", "mean")),
    Option("blur_sigma", None, "Gaussian sigma in pixels for fill='blur' (None: 10% of the "
           "image size)", "number", minimum=0.1),
    Option("seed", 0, "random seed of the coalitions (and of quickshift)", "integer",
           minimum=0),
    Option("batch_size", 256, "coalition images scored per compiled call (forward only; at "
           "most 32 MB of images are built per call)", "integer", minimum=1),
)


def _prepare(x, segmentation, segments, compactness, fill, blur_sigma, seed):
    if x.ndim not in (3, 4):
        raise ExplainError(f"superpixel methods explain images (N, H, W[, C]); got inputs of "
                           f"shape {x.shape}.")
    height, width = x.shape[1:3]
    n_segments = segments or default_segments(height, width)
    if n_segments > height * width:
        raise ExplainError(f"segments={n_segments} is more than the image's {height}x{width} "
                           "pixels.")
    labels = np.stack([segment(img, segmentation, n_segments, compactness, seed) for img in x])
    filled = np.stack([fill_image(img, lab, fill, blur_sigma) for img, lab in zip(x, labels)])
    return labels, filled


def _painted(x, labels, weights) -> tuple[np.ndarray, np.ndarray]:
    """Heatmaps (N, H, W): each pixel shows its segment's weight (the segments ranked as
    the fit ranks them); attributions shaped like x: each segment's weight shared evenly by
    its pixels and channels, so they add up to the segment weights."""
    heat = np.stack([w[lab] for lab, w in zip(labels, weights)]).astype(np.float32)
    share = np.stack([(w / np.bincount(lab.ravel()))[lab]
                      for lab, w in zip(labels, weights)]).astype(np.float32)
    if x.ndim == 4:
        return heat, np.repeat(share[..., None] / x.shape[-1], x.shape[-1], axis=-1)
    return heat, share


@register(
    "lime", "LIME (superpixels)",
    "a weighted linear fit of the class score on which segments (superpixels) are kept, "
    "over random coalitions near the image (Ribeiro et al. 2016); each segment's weight is "
    "painted over it. The fit's R^2 is reported: low means the linear surrogate is poor.",
    signed=True, options=_OPTIONS[:5] + (
        Option("samples", 1000, "random coalitions scored per image", "integer", minimum=2,
               maximum=100000),
        Option("kernel_width", 0.25, "width of the kernel on the coalitions' cosine distance "
               "to the full image", "number", minimum=1e-3),
    ) + _OPTIONS[5:], inputs=("image",))
def lime(adapter, x, targets, runner, segmentation, segments, compactness, fill, blur_sigma,
         samples, kernel_width, seed, batch_size=None):
    labels, filled = _prepare(x, segmentation, segments, compactness, fill, blur_sigma, seed)
    rng = np.random.default_rng(seed)
    runner.plan(samples * len(x))
    weights, r2s, intercepts = [], [], []
    for i in range(len(x)):
        d = int(labels[i].max()) + 1
        z = lime_coalitions(d, samples, rng)
        y = coalition_scores(adapter, x[i], filled[i], labels[i], targets[i], z, runner)
        coef, intercept, r2 = weighted_ridge(z, y, lime_kernel(z, kernel_width))
        weights.append(coef.astype(np.float32))
        r2s.append(r2)
        intercepts.append(intercept)
    heatmaps, attributions = _painted(x, labels, weights)
    return {"attributions": attributions, "heatmaps": heatmaps,
            "params": {"segments": labels, "segment_weights": weights, "r2": r2s,
                       "intercepts": intercepts, "n_segments": [len(w) for w in weights],
                       "evaluations": samples * len(x)}}


@register(
    "kernel_shap", "KernelSHAP (superpixels)",
    "each segment's (superpixel's) Shapley value for the class score, hidden segments "
    "filled in; exact by enumeration up to 11 segments, sampled (seeded, with standard "
    "errors) beyond. The values add up to f(image) - f(all segments hidden).",
    signed=True, options=_OPTIONS[:5] + (
        Option("samples", 2048, "coalitions sampled per image when there are more than 11 "
               "segments", "integer", minimum=2, maximum=100000),
    ) + _OPTIONS[5:], inputs=("image",))
def superpixel_kernel_shap(adapter, x, targets, runner, segmentation, segments, compactness,
                           fill, blur_sigma, samples, seed, batch_size=None):
    labels, filled = _prepare(x, segmentation, segments, compactness, fill, blur_sigma, seed)
    weights, errors, bases, exact, evaluations = [], [], [], [], 0
    sizes = [int(lab.max()) + 1 for lab in labels]
    runner.plan(sum(2 ** d if d <= EXACT_MAX_SEGMENTS else 2 * max(1, samples // 2) + 2
                    for d in sizes))
    for i in range(len(x)):
        d = int(labels[i].max()) + 1
        score = lambda z: coalition_scores(adapter, x[i], filled[i], labels[i],  # noqa: E731
                                           targets[i], z, runner)
        if d <= EXACT_MAX_SEGMENTS:
            v = score(all_coalitions(d).astype(np.float64))
            phi, error, base = exact_shapley(v, d), np.zeros(d), v[0]
        else:
            z = kernel_coalitions(d, samples, seed)
            ends = np.stack([np.zeros(d, bool), np.ones(d, bool)])
            v = score(np.concatenate([ends, z]).astype(np.float64))
            phi, error = kernel_fit(z, v[2:], v[0], v[1], seed)
            base = v[0]
        evaluations += len(v)
        weights.append(phi.astype(np.float32))
        errors.append(error.astype(np.float32))
        bases.append(float(base))
        exact.append(d <= EXACT_MAX_SEGMENTS)
    heatmaps, attributions = _painted(x, labels, weights)
    return {"attributions": attributions, "heatmaps": heatmaps,
            "params": {"segments": labels, "segment_weights": weights,
                       "standard_errors": errors, "base_values": bases, "exact": exact,
                       "n_segments": [len(w) for w in weights], "evaluations": evaluations}}
