"""Text explanations as a static matplotlib figure: the TextExplainer's ``to_png`` and
``TextExplanation.plot``. Words are drawn as text on a colour of the overlay rule's maps."""

from __future__ import annotations

import textwrap

import numpy as np

from .payloads_text import text_row


def text_figure(items, class_names, *, colormap: str = "auto", dpi: int = 120,
                width_chars: int = 90):
    """One block per ``(explanation, index of a text)`` in ``items``: its caption, its words
    coloured by value and a colorbar of the values."""
    import matplotlib.cm
    import matplotlib.colors
    import matplotlib.figure

    from .overlay import is_diverging, matplotlib_colormap, resolve_colormap

    blocks = []  # (exp, index, caption lines, word lines)
    for exp, index in items:
        lines, line, used = [], [], 0
        for word, value in zip(exp.tokens[index], exp.attributions[index]):
            if line and used + len(word) + 1 > width_chars:
                lines.append(line)
                line, used = [], 0
            line.append((word, float(value)))
            used += len(word) + 1
        lines.append(line)
        caption = textwrap.wrap(text_row(exp, class_names, index)["caption"], width_chars + 20)
        blocks.append((exp, index, caption, lines))
    # in text lines: each caption line 0.8, each word line 1.0, the colorbar 2.0
    total = sum(0.8 * len(c) + len(w) + 2.0 for _, _, c, w in blocks) + 0.5
    fig = matplotlib.figure.Figure(figsize=(width_chars * 0.085 + 0.6, 0.3 * total), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.set_xlim(0, width_chars + 2)
    ax.set_ylim(total, 0)
    y = 0.6
    for exp, index, caption, lines in blocks:
        name = resolve_colormap(colormap, exp.signed)
        cmap = matplotlib_colormap(name, half=is_diverging(name) and not exp.signed)
        values = np.asarray(exp.attributions[index], np.float64)
        vmax = float(max(np.abs(values).max() if values.size else 0.0, 1e-12))
        norm = matplotlib.colors.Normalize(-vmax if exp.signed else 0.0, vmax)
        for text in caption:
            ax.text(1, y, text, fontsize=7, va="center")
            y += 0.8
        y += 0.3
        for line in lines:
            x = 1.0
            for word, value in line:
                rgba = cmap(norm(value))
                light = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] > 0.55
                ax.text(x, y, word, family="monospace", fontsize=9, va="center",
                        color="black" if light else "white",
                        bbox={"facecolor": rgba, "edgecolor": "none", "pad": 1.5})
                x += len(word) + 1
            y += 1.0
        bar = fig.add_axes((0.02, 1 - (y + 0.35) / total, 0.28, 0.25 / total))
        fig.colorbar(matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap), cax=bar,
                     orientation="horizontal").ax.tick_params(labelsize=6)
        y += 1.7
    return fig
