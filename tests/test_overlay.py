"""One overlay rule on both sides: node (the browser's js/src/common/colormap.js) and
xai_widgets.overlay give the same RGBA for the same heatmap and settings, and the matplotlib
figures (plotting.draw_heatmap, plot_explanation) draw overlay.colorize's pixels.

The shared cases live in js/test/overlay_cases.json with Python's answers, so that the JS
tests (js/test/overlay.test.mjs) check the browser's side against them without Python.
Regenerate after changing the rule:  PYTHONPATH=. python tests/test_overlay.py
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "js"
CASES = JS / "test" / "overlay_cases.json"
SEED = 20240611

sys.path.insert(0, str(ROOT))
from xai_widgets import overlay  # noqa: E402

MAPS = ["auto", *overlay.COLORMAPS, "nope"]  # "nope": unknown names fall back to the default


# ----------------------------------------------------------------------------- the cases
def _number(x: float):
    """A JSON number (float32 values print exactly), non-finite as the fixture's strings."""
    x = float(x)
    if np.isnan(x):
        return "NaN"
    if np.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    if x.is_integer() and abs(x) < 2**53:
        return int(x)
    short = float(str(np.float32(x)))  # float32's shortest digits, when they give x back
    return short if np.float32(short) == np.float32(x) and np.float32(x) == x else x


def _random(rng) -> np.ndarray:
    """Random float32 values of one random scale (10^-3 .. 10^3)."""
    return (rng.standard_normal(12) * 10.0 ** rng.uniform(-3, 3)).astype(np.float32)


def _edges(vmax: float, cutoff: float) -> np.ndarray:
    """NaN, +-inf, +-0, +-vmax, beyond vmax, at and just below the cut-off."""
    edges = [np.nan, np.inf, -np.inf, 0.0, -0.0, vmax, -vmax, 2 * vmax, -3 * vmax]
    if cutoff > 0 and np.isfinite(cutoff):
        below = np.nextafter(np.float32(cutoff), np.float32(0))
        edges += [cutoff, -cutoff, below, -below]
    return np.array(edges, dtype=np.float32)


def make_cases(seed: int = SEED) -> dict:
    """Every colormap x signed x absolute x fade x cut-off (vmax given, automatic or invalid),
    ties of the round-half-up rule, the LUTs, colorbars, view settings and threshold cut-offs."""
    rng = np.random.default_rng(seed)
    colorize = []
    for cmap in MAPS:
        for signed in (False, True):
            for absolute in (False, True):
                for fade in (False, True):
                    for cut in ("none", "some", "inf"):
                        values = _random(rng)
                        top = float(np.abs(values).max())
                        vmax_kind = len(colorize) % 4  # automatic, given, 0 and NaN (automatic)
                        vmax = [None, float(np.float32(0.6 * top)), 0.0, float("nan")][vmax_kind]
                        if cut == "none":
                            cutoff = 0.0
                        elif cut == "inf":
                            cutoff = float("inf")
                        else:
                            cutoff = float(np.float32(rng.uniform(0.05, 0.5) * top))
                        given = vmax if vmax_kind == 1 else top
                        values = np.concatenate([values, _edges(given, cutoff)])
                        options = {"cmap": cmap, "signed": signed, "absolute": absolute,
                                   "fade": fade, "cutoff": cutoff}
                        if vmax is not None:
                            options["vmax"] = vmax
                        colorize.append({"values": values, "options": options})
    # Exact ties of (x + 0.5) | 0 and of the fade index: numpy's round would go to even.
    ties = np.arange(0, 255, dtype=np.float32) + np.float32(0.5)
    for cmap, signed, fade in (("viridis", False, False), ("RdBu", True, True)):
        values = (2 * ties - 255) if signed else ties  # signed: x = (v + 255) / 2
        colorize.append({"values": values.astype(np.float32),
                         "options": {"cmap": cmap, "signed": signed, "vmax": 255, "fade": fade}})
    table = overlay.percentile_table(rng.standard_normal((17, 13)).astype(np.float32) ** 3)
    pcts = [0, -1, float("nan"), 0.25, 1, 12.5, 33.3, 50, 99.9, 99.99, 100, 150]
    return {
        "seed": seed,
        "colorize": [{"values": [_number(v) for v in c["values"]],
                      "options": {k: _number(v) if isinstance(v, float) else v
                                  for k, v in c["options"].items()}} for c in colorize],
        "luts": list(overlay.COLORMAPS),
        "colorbars": [{"name": name, "width": width, "half": half}
                      for name in overlay.COLORMAPS for width in (1, 2, 7, 256)
                      for half in (False, True)],
        "settings": [{"signed": signed, "view": {"colormap": cmap, "absolute": absolute,
                                                  "heatmap_only": only}}
                     for signed in (False, True) for cmap in MAPS
                     for absolute in (False, True) for only in (False, True)],
        "cutoffs": [{"table": [_number(x) for x in table], "pct": _number(p)} for p in pcts],
    }


def _decode(x):
    return {"NaN": np.nan, "Infinity": np.inf, "-Infinity": -np.inf}.get(x, x) if isinstance(
        x, str) else x


def _hex_pixels(text: str, channels: int) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(text), dtype=np.uint8).reshape(-1, channels)


def python_answers(cases: dict) -> dict:
    """xai_widgets.overlay's answers, in the fixture's format."""
    out = {"colorize": [], "luts": {}, "colorbars": [], "settings": [], "cutoffs": []}
    for case in cases["colorize"]:
        options = {k: _decode(v) for k, v in case["options"].items()}
        values = np.array([_decode(v) for v in case["values"]], dtype=np.float32)
        out["colorize"].append(overlay.colorize(values, **options).tobytes().hex())
    for name in cases["luts"]:
        out["luts"][name] = overlay.lut(name).tobytes().hex()
    for bar in cases["colorbars"]:
        out["colorbars"].append(
            overlay.colorbar_rgba(bar["name"], bar["width"], bar["half"]).tobytes().hex())
    for s in cases["settings"]:
        view = s["view"]
        out["settings"].append(overlay.view_settings(s["signed"], view["colormap"],
                                                     view["absolute"], view["heatmap_only"]))
    for c in cases["cutoffs"]:
        table = np.array([_decode(x) for x in c["table"]], dtype=np.float32)
        cutoff = overlay.threshold_cutoff(table, _decode(c["pct"]))
        out["cutoffs"].append(cutoff if np.isfinite(cutoff) else _number(cutoff))
    return out


def write_cases(path: Path = CASES) -> None:
    cases = make_cases()
    path.write_text(json.dumps({"cases": cases, "expected": python_answers(cases)},
                               separators=(",", ":")) + "\n")


def run_node(cases: dict) -> dict:
    node = shutil.which("node")
    assert node, "Node.js is needed for the shared overlay fixture"
    proc = subprocess.run([node, "test/overlay_fixture.mjs", "--stdin"], cwd=JS,
                          input=json.dumps(cases), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def compare(node: dict, python: dict, cases: dict) -> list[str]:
    """Differences beyond 1/255 per channel (colours) or any at all (tables, settings)."""
    problems = []
    assert len(node["colorize"]) == len(python["colorize"]) == len(cases["colorize"])
    for i, (a, b) in enumerate(zip(node["colorize"], python["colorize"])):
        pa, pb = _hex_pixels(a, 4).astype(int), _hex_pixels(b, 4).astype(int)
        if pa.shape != pb.shape or np.abs(pa - pb).max() > 1:
            bad = np.flatnonzero(np.abs(pa - pb).max(axis=1) > 1) if pa.shape == pb.shape else []
            problems.append(f"colorize case {i} {cases['colorize'][i]['options']}: pixels "
                            f"{list(bad)[:5]} node {pa[bad[:3]].tolist() if len(bad) else pa.shape}"
                            f" python {pb[bad[:3]].tolist() if len(bad) else pb.shape}")
    for name in python["luts"]:
        if node["luts"].get(name) != python["luts"][name]:
            problems.append(f"lut {name}")
    for i, (a, b) in enumerate(zip(node["colorbars"], python["colorbars"])):
        if a != b:
            problems.append(f"colorbar {cases['colorbars'][i]}")
    for i, (a, b) in enumerate(zip(node["settings"], python["settings"])):
        if a != b:
            problems.append(f"settings {cases['settings'][i]}: node {a} python {b}")
    for i, (a, b) in enumerate(zip(node["cutoffs"], python["cutoffs"])):
        if _decode(a) != _decode(b):
            problems.append(f"cutoff {cases['cutoffs'][i]['pct']}: node {a} python {b}")
    return problems


# ----------------------------------------------------------------------------- node vs Python
@pytest.fixture(scope="module")
def shared():
    return json.loads(CASES.read_text())


def test_shared_cases_are_current(shared):
    """The committed cases are make_cases() with Python's current answers (else regenerate:
    PYTHONPATH=. python tests/test_overlay.py)."""
    cases = make_cases()
    assert shared["cases"] == json.loads(json.dumps(cases)), "cases changed: regenerate"
    assert shared["expected"] == json.loads(json.dumps(python_answers(cases))), (
        "xai_widgets.overlay gives other pixels than the committed ones: regenerate if the "
        "rule changed on purpose")


def test_cases_cover_every_combination(shared):
    seen = {(c["options"]["cmap"], c["options"]["signed"], c["options"].get("absolute"),
             c["options"]["fade"], c["options"].get("cutoff") not in (0, "Infinity", None))
            for c in shared["cases"]["colorize"]}
    assert len(seen - {s for s in seen if s[2] is None}) == len(MAPS) * 2 * 2 * 2 * 2
    values = {v for c in shared["cases"]["colorize"] for v in c["values"]}
    assert {"NaN", "Infinity", "-Infinity"} <= values


def test_node_and_python_give_the_same_rgba(shared):
    cases = shared["cases"]
    node, python = run_node(cases), python_answers(cases)
    assert not compare(node, python, cases)
    # Not only within 1/255: the same arithmetic gives the same bytes.
    assert node["colorize"] == python["colorize"]


def test_the_comparison_catches_a_wrong_fade_exponent(shared, monkeypatch):
    """The fixture can fail: Python with fade ** 0.6 instead of the rule's 0.5 differs."""
    cases = shared["cases"]
    node = run_node(cases)
    wrong = overlay._round_half_up(255 * (np.arange(256) / 255) ** 0.6).astype(np.uint8)
    monkeypatch.setattr(overlay, "FADE", wrong)
    problems = compare(node, python_answers(cases), cases)
    assert problems and all(p.startswith("colorize") for p in problems)
    faded = [i for i, c in enumerate(cases["colorize"]) if c["options"]["fade"]]
    assert {int(p.split()[2]) for p in problems} <= set(faded)


# ----------------------------------------------------------------------------- the rule itself
def test_rule_is_package_data_and_defaults():
    assert overlay.RULE_PATH.name == "overlay_rule.json"
    assert overlay.RULE_PATH.parent == ROOT / "xai_widgets"
    assert overlay.LUT_SIZE == 256 and overlay.FADE_EXPONENT == 0.5
    assert overlay.default_colormap(True) == "RdBu" and overlay.default_colormap(False) == "viridis"
    assert overlay.resolve_colormap("auto", True) == "RdBu"
    assert overlay.resolve_colormap("PuOr", False) == "PuOr"  # honoured, not replaced
    assert overlay.resolve_colormap("nope", False) == "viridis"
    assert overlay.lut("viridis").shape == (256, 3) and overlay.lut("viridis").dtype == np.uint8
    with pytest.raises(ValueError, match="Unknown colormap 'nope'"):
        overlay.lut("nope")
    assert overlay.FADE[0] == 0 and overlay.FADE[255] == 255 and overlay.FADE[64] == 128


def test_round_half_up_not_to_even():
    tie = np.array([126.5, 127.5], dtype=np.float32)  # unsigned, vmax 255: x = v
    rgba = overlay.colorize(tie, "viridis", vmax=255)
    assert (rgba[:, :3] == overlay.lut("viridis")[[127, 128]]).all()


def test_puor_absolute_uses_the_upper_half_on_both_sides():
    values = np.array([0.0, -0.5, 1.0, -1.0, 0.25], dtype=np.float32)
    options = {"cmap": "PuOr", "signed": True, "absolute": True}
    rgba = overlay.colorize(values, **options)
    table = overlay.lut("PuOr")
    # 0 at the centre (white), |v| = vmax at the orange end, never the purple half.
    assert (rgba[0, :3] == table[128]).all() and (rgba[2, :3] == table[255]).all()
    assert (rgba[1, :3] == table[191]).all() and (rgba[3, :3] == rgba[2, :3]).all()
    assert rgba[2, 0] > rgba[2, 2], "the orange end"
    assert (rgba[:, :3] != overlay.colorize(values, "viridis", absolute=True)[:, :3]).any()
    # Unsigned methods too, and the same in node.
    assert (overlay.colorize(values, "PuOr", absolute=True) == rgba).all()
    cases = {"colorize": [{"values": values.tolist(), "options": options}],
             "colorbars": [{"name": "PuOr", "width": 256, "half": True}]}
    node = run_node(cases)
    assert _hex_pixels(node["colorize"][0], 4).tolist() == rgba.tolist()
    # The colorbar: the upper half, white (0) -> orange (vmax).
    bar = _hex_pixels(node["colorbars"][0], 4)
    assert (bar == overlay.colorbar_rgba("PuOr", 256, half=True)).all()
    assert (bar[0, :3] == table[128]).all() and (bar[-1, :3] == table[255]).all()
    settings = overlay.view_settings(True, "PuOr", absolute=True)
    assert settings == {"signed": False, "cmap": "PuOr", "absolute": True, "fade": True,
                        "half": True}
    cmap = overlay.matplotlib_colormap("PuOr", half=True)
    assert np.allclose(np.array(cmap(0.0)[:3]) * 255, table[128], atol=0.5)
    assert np.allclose(np.array(cmap(1.0)[:3]) * 255, table[255], atol=0.5)


def test_threshold_cutoff_interpolates_the_percentile_table():
    table = np.arange(101, dtype=np.float32) * 2
    assert overlay.threshold_cutoff(table, 0) == 0 and overlay.threshold_cutoff(table, -3) == 0
    assert overlay.threshold_cutoff(table, float("nan")) == 0
    assert overlay.threshold_cutoff(table, 100) == np.inf
    assert overlay.threshold_cutoff(table, 12.5) == 25.0
    heat = np.array([[0, 1, 2, 3]], dtype=np.float32)
    assert overlay.percentile_table(heat).dtype == np.float32
    assert overlay.percentile_table(heat)[50] == 1.5


# ----------------------------------------------------------------------------- matplotlib
def _render(fig) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(int)


def _cell_centres(pixels, rows, cols):
    """The pixel at the centre of each heatmap cell of an axes filling the whole figure."""
    h, w = pixels.shape[:2]
    ys = ((np.arange(rows) + 0.5) * h / rows).astype(int)
    xs = ((np.arange(cols) + 0.5) * w / cols).astype(int)
    return pixels[ys][:, xs]


def _heatmap(rng, shape=(8, 10)):
    heat = rng.standard_normal(shape).astype(np.float32)
    heat[0, 0] = np.nan
    heat[1, 2] = 0.0
    return heat


@pytest.mark.parametrize("colormap,absolute", [("auto", False), ("PuOr", True), ("cividis", False)])
def test_draw_heatmap_only_draws_overlay_colorize(colormap, absolute):
    import matplotlib.figure

    from xai_widgets.plotting import draw_heatmap

    heat = _heatmap(np.random.default_rng(1))
    fig = matplotlib.figure.Figure(figsize=(5, 4), dpi=40)  # 20 px per cell
    ax = fig.add_axes((0, 0, 1, 1))
    image = np.random.default_rng(2).uniform(size=(8, 10, 3))
    mappable = draw_heatmap(ax, image, heat, signed=True, colormap=colormap, absolute=absolute,
                            threshold=30, heatmap_only=True)
    shown = overlay.view_settings(True, colormap, absolute, heatmap_only=True)
    cutoff = overlay.threshold_cutoff(overlay.percentile_table(heat), 30)
    rgba = overlay.colorize(heat, shown["cmap"], signed=shown["signed"],
                            absolute=shown["absolute"], cutoff=cutoff)
    assert ((rgba[..., 3] == 0) | (rgba[..., 3] == 255)).all() and (rgba[..., 3] == 0).sum() >= 24
    expected = np.where(rgba[..., 3:] == 255, rgba[..., :3], 255).astype(int)  # white figure
    got = _cell_centres(_render(fig), *heat.shape)
    assert np.abs(got - expected).max() <= 1
    # The colorbar's map is the same table (the upper half for PuOr on magnitudes).
    assert mappable.norm.vmin == (-np.nanmax(np.abs(heat)) if shown["signed"] else 0.0)
    bar = overlay.colorbar_rgba(shown["cmap"], 256, shown["half"])
    assert np.allclose(mappable.cmap(np.linspace(0, 1, 256))[:, :3] * 255, bar[:, :3], atol=0.5)


def test_draw_heatmap_over_the_image_composes_like_the_browser():
    import matplotlib.figure

    from xai_widgets.plotting import draw_heatmap

    heat = _heatmap(np.random.default_rng(3))
    image = np.random.default_rng(4).uniform(size=(8, 10))  # grey
    fig = matplotlib.figure.Figure(figsize=(5, 4), dpi=40)
    ax = fig.add_axes((0, 0, 1, 1))
    draw_heatmap(ax, image, heat, signed=True, opacity=0.6)
    rgba = overlay.colorize(heat, "RdBu", signed=True, fade=True).astype(float)
    scaled = (image - image.min()) / (image.max() - image.min())
    grey = np.minimum(np.floor(scaled * 256), 255)[..., None]  # matplotlib's 256-entry gray
    alpha = 0.6 * rgba[..., 3:] / 255  # the browser: globalAlpha x the pixel's alpha
    expected = grey * (1 - alpha) + rgba[..., :3] * alpha
    got = _cell_centres(_render(fig), *heat.shape)
    assert np.abs(got - expected).max() <= 3  # Agg blends in 8 bits
    assert rgba[1, 2, 3] == 0, "zero is transparent with the fade"


def test_draw_heatmap_rejects_an_unknown_colormap():
    import matplotlib.figure

    from xai_widgets.plotting import draw_heatmap

    ax = matplotlib.figure.Figure().add_subplot()
    with pytest.raises(ValueError, match="colormap 'jet' is not one of the overlay's maps"):
        draw_heatmap(ax, None, np.ones((4, 4)), signed=False, colormap="jet")


def test_plot_explanation_draws_overlay_colorize_with_the_sqrt_fade():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from xai_widgets.plotting import plot_explanation

    rng = np.random.default_rng(5)
    heatmaps = np.stack([_heatmap(rng), _heatmap(rng)])
    exp = SimpleNamespace(heatmaps=heatmaps, inputs=rng.uniform(size=(2, 8, 10, 1)),
                          targets=np.array([3, 1]), scores=np.array([0.9, 0.4]), signed=True,
                          method="saliency", params={"score": "logit"})
    fig = plot_explanation(exp, alpha=0.5)
    try:
        for i, ax in enumerate(fig.axes[:2]):
            drawn = ax.images[1]
            expected = overlay.colorize(heatmaps[i], "RdBu", signed=True, fade=True)
            assert (np.asarray(drawn.get_array()) == expected).all()
            assert drawn.get_alpha() == 0.5
        # sqrt, not linear: |v| = vmax / 4 gets alpha 128, not 64
        v = np.nanmax(np.abs(heatmaps[0]))
        assert overlay.colorize(np.float32([v / 4, v]), signed=True, fade=True)[0, 3] == 128
    finally:
        plt.close(fig)


if __name__ == "__main__":
    write_cases()
    print(f"wrote {CASES.relative_to(ROOT)}")
