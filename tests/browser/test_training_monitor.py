"""TrainingMonitor in a real browser (DOM contract: js/CONTRACT.md).

Live JupyterLab: while the cell with ``model.fit`` runs, the view updates at each epoch (the
kernel's messages arrive during the cell); Stop reaches the kernel during fit (jupyter-ui-poll)
and ends training early; after fit the scrubber moves through the epochs with no request to the
kernel and nothing coming back. Static HTML export: the scrubber works offline. Screenshots go
to test-artifacts/browser/training-monitor-*.png.
"""

from __future__ import annotations

import json
import time

import pytest

from browser_harness import _PANEL_JS, CanvasImage, unexpected_console_errors

pytestmark = pytest.mark.browser

ROOT = "[data-testid=training-monitor]"
OVERLAY = "[data-testid=probe][data-index='0'] canvas[data-testid=probe-overlay]"

SETUP_CELL = """
import os
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras
from keras import layers
import xai_widgets as xw
(x, y), (xt, yt), names = xw.demo.digits_data()
names = [f"<i>{n}</i>" for n in names]  # user text with markup: must show as text
keras.utils.set_random_seed(0)
model = keras.Sequential([keras.Input((8, 8, 1)),
    layers.Conv2D(16, 3, padding="same", activation="relu", name="conv1"),
    layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2"),
    layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")])
model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
mon = xw.TrainingMonitor(xt[:8], yt[:8], class_names=names)
mon
"""


def _start_run_all(page, path: str):
    """Lab's run-all-cells, not awaited: the test watches the view while the cells run."""
    page.evaluate(
        f"""(path) => {{
            const panel = ({_PANEL_JS})(path);
            window.jupyterapp.shell.activateById(panel.id);
            window.jupyterapp.commands.execute('notebook:run-all-cells');
        }}""",
        path,
    )


def _fit_running(page, path: str) -> bool:
    """The fit cell (the last code cell) still shows [*]. (Not the kernel's status: the
    subshell that handles the widget's messages during fit reports idle after each.)"""
    return page.evaluate(
        f"""(path) => {{
            const cells = ({_PANEL_JS})(path).content.widgets.filter((c) => c.model.type === 'code');
            const prompt = cells[cells.length - 1].node.querySelector('.jp-InputArea-prompt');
            return !!prompt && prompt.textContent.includes('*');
        }}""", path)


def _kernel_status(page, path: str) -> str:
    return page.evaluate(f"(path) => ({_PANEL_JS})(path).sessionContext.session.kernel.status", path)


def _recorded(page) -> int:
    value = page.locator(ROOT).get_attribute("data-recorded")
    return int(value or 0)


def watch_live_fit(page, path: str, recorded: int):
    """While the fit cell of the notebook at ``path`` runs, until ``recorded`` epochs are
    recorded: every value the view's data-recorded takes (a MutationObserver: no sampling
    gaps) must step 1 (epoch 0), 2, 3, ...; the view's state line must say it trains; and
    the front end's kernel indicator must read busy at every sample. JupyterLab takes the
    kernel's state from every status message, so the monitor's subshell must publish none
    inside fit before Stop (once its control request's late "idle" made Lab read idle for
    a whole run)."""
    page.evaluate(f"""() => {{
        const root = document.querySelector('{ROOT}');
        window.__recorded = [root.dataset.recorded];
        new MutationObserver(() => window.__recorded.push(root.dataset.recorded))
          .observe(root, {{attributes: true, attributeFilter: ['data-recorded']}});
    }}""")
    page.wait_for_function(f"() => Number(document.querySelector('{ROOT}')?.dataset.recorded || 0) >= 2",
                           timeout=180_000, polling=100)
    states = [page.locator(f"{ROOT} [data-testid=state]").inner_text()]
    statuses = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and _recorded(page) < recorded:
        assert _fit_running(page, path), "the fit cell ended before the test could watch it"
        states.append(page.locator(f"{ROOT} [data-testid=state]").inner_text())
        statuses.append(_kernel_status(page, path))
        page.wait_for_timeout(100)
    assert statuses and set(statuses) == {"busy"}, statuses
    counts = sorted({int(v or 0) for v in page.evaluate("() => window.__recorded")} - {0})
    assert counts[:recorded] == list(range(1, recorded + 1)), counts  # every=1: each epoch
    assert any(text.startswith("Training: epoch") for text in states), states


def test_lab_training_monitor(open_notebook, page, kernel_ws, screenshot):
    fit = "model.fit(x, y, epochs=300, batch_size=32, callbacks=[mon], verbose=0)"
    nb = open_notebook("training_monitor.ipynb", [SETUP_CELL, fit])
    _start_run_all(page, nb.path)
    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=180_000)

    # -- live: the view follows the epochs while the fit cell runs
    watch_live_fit(page, nb.path, recorded=6)
    assert _fit_running(page, nb.path)
    live = CanvasImage.wait_painted(page.locator(f"{ROOT} {OVERLAY}"))
    assert not live.is_blank()
    # every probe card is in view: the view grows to fit them (no inner scrollbar)
    hidden = root.evaluate("(el) => el.scrollHeight - el.clientHeight")
    assert hidden <= 1, f"{hidden} px of the probe cards are hidden behind a scrollbar"
    screenshot(page, "training-monitor-lab-training", show=root)

    # -- Stop: its message reaches the kernel while fit runs, training ends early
    assert _fit_running(page, nb.path)
    page.locator(f"{ROOT} button[data-testid=stop]").click()
    page.locator(f"{ROOT}[data-state=stopped]").wait_for(timeout=60_000)
    nb.wait_cells_done(timeout=60)
    assert not nb.errors(), nb.errors()
    done = int(nb.execute("print(mon.epochs_done)").strip())
    assert 3 <= done < 300, done
    assert nb.execute("print(mon.state, len(model.history.epoch))").split() == ["stopped", str(done)]
    assert "Stopped by the Stop button" in page.locator(f"{ROOT} [data-testid=state]").inner_text()
    assert page.locator(f"{ROOT} i").count() == 0  # class names with markup stay text
    assert "<i>" in page.locator(f"{ROOT} [data-testid=probe-label]").first.inner_text()

    # -- after fit: the scrubber moves through the epochs in the browser alone
    kernel_ws.settle()
    mark = kernel_ws.mark()
    overlay = page.locator(f"{ROOT} {OVERLAY}")
    scrubber = page.locator(f"{ROOT} input[data-testid=scrubber]")
    recorded = _recorded(page)
    assert recorded == done + 1  # epoch 0 (the initial weights) and every epoch
    previous = CanvasImage.read(overlay)
    changed = 0
    positions = [0, 1, recorded // 2, recorded - 2]
    for i in positions:
        scrubber.fill(str(i))
        epoch = root.get_attribute("data-epoch")
        assert epoch == str(i), (i, epoch)  # drawn at once, before any message could return
        now = CanvasImage.read(overlay)
        changed += now.diff(previous) > 0.0
        previous = now
    assert changed >= 2, "scrubbing did not change the probe's picture"
    screenshot(page, "training-monitor-lab-scrubbed", show=root)
    kernel_ws.settle()
    sent = kernel_ws.comm_msgs(since=mark)
    # only the debounced sync of the view-only `epoch` (fewer messages than moves), no request
    assert len(sent) < len(positions), kernel_ws.describe(mark)
    assert all(set(c["data"].get("state", {})) <= {"epoch"} for c in sent), kernel_ws.describe(mark)
    # nothing comes back but ipywidgets' echo of that sync: no data, no computation
    back = kernel_ws.received_comm_msgs(since=mark)
    assert all(c["data"].get("method") == "echo_update" and set(c["data"]["state"]) <= {"epoch"}
               for c in back), kernel_ws.describe(mark)
    assert nb.execute("print(mon.epoch)").strip() == str(recorded - 2)
    assert not page.page_errors, page.page_errors


def test_static_training_monitor(static_export, page, screenshot):
    cells = [SETUP_CELL, "model.fit(x[:400], y[:400], epochs=4, batch_size=50, callbacks=[mon], verbose=0);"]
    url = static_export.export(cells, "training-monitor-static")
    log = static_export.open(page, url)
    root = page.locator(ROOT)
    root.wait_for(state="visible", timeout=60_000)
    assert root.get_attribute("data-recorded") == "5"
    assert root.get_attribute("data-state") == "finished"
    overlay = page.locator(f"{ROOT} {OVERLAY}")
    last = CanvasImage.wait_painted(overlay)
    screenshot(page, "training-monitor-static", show=root)
    page.locator(f"{ROOT} input[data-testid=scrubber]").fill("0")
    assert root.get_attribute("data-epoch") == "0"
    assert CanvasImage.read(overlay).diff(last) > 0.0, "scrubbing offline did not redraw"
    page.wait_for_timeout(600)  # the debounced (kernel-less) save must not throw
    assert not log.missing, log.missing
    errors = unexpected_console_errors(page, log)
    assert not errors, json.dumps(errors, indent=1)
