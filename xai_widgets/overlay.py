"""The overlay rule in Python: the same pixels as the browser (js/src/common/colormap.js).

Both sides read ``overlay_rule.json`` (colormap stops, defaults, table size, fade exponent) and
do the same arithmetic: float64 on float32 values, round half up where JS uses ``Math.round``
or ``(x + 0.5) | 0`` (not numpy's round half to even). ``tests/test_overlay.py`` runs node on
shared cases and checks every channel agrees within 1.

numpy only (matplotlib is imported by :func:`matplotlib_colormap` alone); no widgets here.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np

RULE_PATH = Path(__file__).resolve().parent / "overlay_rule.json"
RULE = json.loads(RULE_PATH.read_text(encoding="utf-8"))

LUT_SIZE: int = RULE["lut_size"]
_TOP = LUT_SIZE - 1
FADE_EXPONENT: float = RULE["fade"]["exponent"]

#: name -> {"kind": "sequential" | "diverging", "label": str}, in the menu's order.
COLORMAPS: dict[str, dict] = {
    name: {"kind": spec["kind"], "label": spec["label"]} for name, spec in RULE["colormaps"].items()
}

# matplotlib names with the same orientation (red / orange = positive), accepted as aliases.
ALIASES = {"RdBu_r": "RdBu", "PuOr_r": "PuOr"}


def _round_half_up(x: np.ndarray) -> np.ndarray:
    """JS ``Math.round``: the nearest integer, ties towards +infinity (exact: x - floor(x)
    has no rounding error)."""
    r = np.floor(x)
    return r + (x - r >= 0.5)


def is_diverging(name: str) -> bool:
    return name in COLORMAPS and COLORMAPS[name]["kind"] == "diverging"


def default_colormap(signed: bool) -> str:
    """Diverging for signed values, sequential for magnitudes."""
    return RULE["defaults"]["signed" if signed else "magnitude"]


def resolve_colormap(name: str, signed: bool) -> str:
    """The map :func:`colorize` uses: ``name``, or for "auto" (or an unknown name) the default
    for signed values / magnitudes. A diverging map chosen for magnitudes is kept (its upper
    half is used). JS: ``resolveColormap``."""
    return name if isinstance(name, str) and name in COLORMAPS else default_colormap(signed)


@functools.lru_cache(maxsize=None)
def _lut(name: str) -> np.ndarray:
    if name not in COLORMAPS:
        raise ValueError(f"Unknown colormap {name!r}; one of {', '.join(COLORMAPS)}")
    stops = np.array([[int(h[i:i + 2], 16) for i in (1, 3, 5)]
                      for h in RULE["colormaps"][name]["stops"]], dtype=np.float64)
    m = len(stops) - 1
    t = (np.arange(LUT_SIZE, dtype=np.float64) / _TOP) * m
    j = np.minimum(np.floor(t), m - 1).astype(int)
    f = (t - j)[:, None]
    table = _round_half_up(stops[j] + (stops[j + 1] - stops[j]) * f).astype(np.uint8)
    table.flags.writeable = False
    return table


def lut(name: str) -> np.ndarray:
    """uint8 (lut_size, 3) RGB table of a colormap (read-only; ValueError on an unknown name).
    JS: ``lut`` (there a flat Uint8Array)."""
    return _lut(name)


def _fade_table() -> np.ndarray:
    r = np.arange(LUT_SIZE, dtype=np.float64) / _TOP
    powered = np.sqrt(r) if FADE_EXPONENT == 0.5 else r ** FADE_EXPONENT
    return _round_half_up(255 * powered).astype(np.uint8)


FADE = _fade_table()  # alpha for |v| / vmax in lut_size steps (JS: FADE)


def symmetric_max(values) -> float:
    """max |v| over finite values (NaN, +-inf ignored); 1.0 when none or 0. JS: symmetricMax."""
    a = np.abs(np.asarray(values, dtype=np.float32))
    a = a[np.isfinite(a)]
    m = float(a.max()) if a.size else 0.0
    return m if m > 0 else 1.0


def colorize(values, cmap: str = "auto", signed: bool = False, absolute: bool = False,
             cutoff: float = 0, fade: bool = False, vmax: float | None = None) -> np.ndarray:
    """Values (any shape) -> uint8 RGBA of shape values.shape + (4,), as the browser draws them.

    Values are taken as float32 (the browser holds heatmaps in a Float32Array).
    - absolute: |v|. The range is [-vmax, vmax] (0 at the table's centre) for signed values
      (signed and not absolute) and for any diverging map; otherwise [0, vmax]: magnitudes on
      a diverging map use its upper half. Out-of-range values clamp to the ends.
    - vmax: max finite |v| unless a positive finite number is given.
    - |v| < cutoff and NaN -> (0, 0, 0, 0); others alpha 255, or with fade,
      round(255 * (|v| / vmax) ** exponent) from the table (|v| >= vmax -> 255).
    """
    v = np.asarray(values, dtype=np.float32).astype(np.float64)
    name = resolve_colormap(cmap, signed and not absolute)
    centred = (signed and not absolute) or is_diverging(name)
    table = lut(name)
    if vmax is None or not (0 < float(vmax) < np.inf):  # NaN fails too, as in JS
        vmax = symmetric_max(v.astype(np.float32))
    vmax = float(vmax)
    lo = -vmax if centred else 0.0
    scale = _TOP / (2 * vmax if centred else vmax)
    a = np.abs(v)
    shown = a >= float(cutoff)  # False for NaN
    if absolute:
        v = a
    with np.errstate(invalid="ignore", over="ignore"):
        x = (v - lo) * scale
        k = np.where(x <= 0, 0, np.where(x >= _TOP, _TOP, np.floor(np.nan_to_num(x) + 0.5)))
        out = np.zeros(v.shape + (4,), dtype=np.uint8)
        out[..., :3] = table[k.astype(np.intp)]
        if fade:
            r = np.where(a >= vmax, 0.0, np.nan_to_num((a / vmax) * _TOP))
            alpha = np.where(a >= vmax, 255, FADE[np.floor(r + 0.5).astype(np.intp)])
        else:
            alpha = 255
    out[..., 3] = alpha
    out[~shown] = 0
    return out


def percentile_table(heatmap) -> np.ndarray:
    """The percentiles 0..100 of finite |heatmap| (float32, 101 values): what the kernel sends
    the browser as ``cutoffs`` for the threshold slider."""
    magnitudes = np.abs(np.asarray(heatmap, dtype=np.float32))
    magnitudes = magnitudes[np.isfinite(magnitudes)]
    if magnitudes.size == 0:
        magnitudes = np.zeros(1, np.float32)
    return np.percentile(magnitudes, np.arange(101)).astype(np.float32)


def threshold_cutoff(cutoffs, pct: float) -> float:
    """|value| below which ``pct`` percent of a heatmap lies (hidden with a strict <), from its
    :func:`percentile_table`: linear between integer percentiles; pct <= 0 (or NaN) -> 0,
    pct >= 100 -> inf. JS: ``thresholdCutoff`` in js/src/common/panel.js."""
    pct = float(pct)
    if not pct > 0:
        return 0.0
    if pct >= 100:
        return float("inf")
    c = np.asarray(cutoffs, dtype=np.float32)
    i = int(np.floor(pct))
    f = pct - i
    lo, hi = float(c[i]), float(c[i + 1])
    return lo + f * (hi - lo)


def view_settings(signed: bool, colormap: str = "auto", absolute: bool = False,
                  heatmap_only: bool = False) -> dict:
    """What a widget's view state means for colorize and the colorbar (JS: ``colourSettings``
    without the cut-off and vmax): {signed, cmap, absolute, fade, half}. ``signed`` is the
    method's (Explanation.signed); shown signed only when not ``absolute``."""
    shown_signed = bool(signed) and not absolute
    cmap = resolve_colormap(colormap, shown_signed)
    return {"signed": shown_signed, "cmap": cmap, "absolute": not shown_signed,
            "fade": not heatmap_only, "half": not shown_signed and is_diverging(cmap)}


def colorbar_rgba(name: str, width: int = LUT_SIZE, half: bool = False) -> np.ndarray:
    """uint8 (width, 4): one colorbar row, left = low end; ``half``: the upper half of a
    diverging map (0 -> vmax). JS: ``colorbarRGBA(name, width, {half})``."""
    table = lut(name)
    last = max(1, int(width) - 1)
    i = np.arange(width, dtype=np.int64)
    # round half up of TOP * i / last (half: TOP / 2 * (1 + i / last)), in integers as in JS
    k = (_TOP * (last + i) + last) // (2 * last) if half else (2 * _TOP * i + last) // (2 * last)
    out = np.full((width, 4), 255, dtype=np.uint8)
    out[:, :3] = table[k]
    return out


def matplotlib_colormap(name: str, half: bool = False):
    """A matplotlib ListedColormap of the same colours (the browser's 256-pixel colorbar row),
    for colorbars. ``name`` may be a matplotlib alias with the same orientation ("RdBu_r")."""
    from matplotlib.colors import ListedColormap

    name = ALIASES.get(name, name)
    return ListedColormap(colorbar_rgba(name, LUT_SIZE, half)[:, :3] / 255.0,
                          name=f"xw_{name}{'_half' if half else ''}")
