"""numpy -> binary payloads for the browser: never JSON lists of numbers.

Arrays travel as ``{"view": memoryview, "dtype": ..., "shape": [...]}``; ipywidgets sends the
memoryview as a binary buffer (and a saved notebook keeps it for static export). Images
travel once, as PNG bytes.
"""

from __future__ import annotations

import io

import numpy as np

from .overlay import percentile_table
from .plotting import display_image


def array_payload(array: np.ndarray, dtype: str = "float32") -> dict:
    """A C-contiguous little-endian copy of ``array`` in ``dtype``, as a binary payload."""
    if dtype not in ("float16", "float32", "uint8"):
        raise ValueError(f"unsupported dtype {dtype!r}")
    data = np.ascontiguousarray(np.asarray(array), dtype=np.dtype(dtype).newbyteorder("<"))
    return {"view": memoryview(data).cast("B"), "dtype": dtype, "shape": list(data.shape)}


def heatmap_payload(heatmap: np.ndarray) -> tuple[dict, float]:
    """A heatmap as float16 scaled to [-1, 1] (3 significant digits over its whole range,
    no float16 overflow or underflow), and the scale to multiply back in the browser."""
    heatmap = np.asarray(heatmap, dtype=np.float32)
    finite = heatmap[np.isfinite(heatmap)]
    scale = float(np.abs(finite).max()) if finite.size else 0.0
    scale = scale if scale > 0 else 1.0
    return array_payload(heatmap / scale, "float16"), scale


def percentile_cutoffs(heatmap: np.ndarray) -> dict:
    """The percentiles 0..100 of |heatmap| as a binary float32 payload: the browser's
    threshold slider reads its cut-off here instead of sorting the map (and to_png uses the
    same numbers)."""
    return array_payload(percentile_table(heatmap))


def png_bytes(image: np.ndarray) -> bytes:
    """An input image (H, W[, C]) as PNG, min-max scaled to 0..255 for display."""
    from PIL import Image

    img, _ = display_image(image)
    pixels = np.round(img * 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] not in (3, 4):
        pixels = pixels[..., :3] if pixels.shape[-1] > 3 else pixels.mean(axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def decode_payload(payload: dict) -> np.ndarray:
    """The inverse of :func:`array_payload` (for tests and round trips)."""
    dtype = np.dtype(payload["dtype"]).newbyteorder("<")
    return np.frombuffer(bytes(payload["view"]), dtype=dtype).reshape(payload["shape"])
