"""The browser harness proven on a trivial anywidget defined inside the test notebook.

Live JupyterLab: the widget renders, a click reaches Python (Python answers through a trait
the view shows, and the kernel reports the new count), a view-only slider sends nothing to the
kernel, screenshots are saved. Static HTML export: the widget renders from saved state with no
kernel and no network (CDN scripts routed to local npm copies), the canvas has the trait colour.
"""

from __future__ import annotations

import sys

import pytest

from browser_harness import CanvasImage, unexpected_console_errors

pytestmark = pytest.mark.browser

COUNTER_CELL = r'''
import anywidget, traitlets

class Counter(anywidget.AnyWidget):
    _esm = """
    function render({ model, el }) {
      const root = document.createElement('div');
      root.dataset.testid = 'counter';
      root.style.cssText = 'display:flex;gap:12px;align-items:center;padding:8px;height:80px';
      const button = document.createElement('button');
      button.dataset.testid = 'increment';
      button.textContent = 'count +1';
      const count = document.createElement('span');
      count.dataset.testid = 'count';
      const echo = document.createElement('span');
      echo.dataset.testid = 'echo';
      const canvas = document.createElement('canvas');
      canvas.dataset.testid = 'swatch';
      canvas.width = 120; canvas.height = 60;
      // view-only control: changes the view, never the model
      const zoom = document.createElement('input');
      zoom.type = 'range'; zoom.min = '1'; zoom.max = '3'; zoom.step = '0.1'; zoom.value = '1';
      zoom.dataset.testid = 'zoom';
      const draw = () => {
        count.textContent = String(model.get('count'));
        echo.textContent = model.get('echo');
        const ctx = canvas.getContext('2d');
        ctx.fillStyle = model.get('color');
        ctx.fillRect(0, 0, canvas.width, canvas.height);
      };
      const onClick = () => { model.set('count', model.get('count') + 1); model.save_changes(); };
      const onZoom = () => { canvas.style.width = `${120 * Number(zoom.value)}px`; };
      button.addEventListener('click', onClick);
      zoom.addEventListener('input', onZoom);
      for (const name of ['count', 'echo', 'color']) model.on(`change:${name}`, draw);
      draw();
      root.append(button, count, echo, canvas, zoom);
      el.append(root);
      return () => {
        for (const name of ['count', 'echo', 'color']) model.off(`change:${name}`, draw);
        button.removeEventListener('click', onClick);
        zoom.removeEventListener('input', onZoom);
      };
    }
    export default { render };
    """
    count = traitlets.Int(0).tag(sync=True)
    echo = traitlets.Unicode("python has not seen a click").tag(sync=True)
    color = traitlets.Unicode("#e69f00").tag(sync=True)

    @traitlets.observe("count")
    def _answer(self, change):
        self.echo = f"python saw {change['new']}"

counter = Counter()
counter
'''

# Changed after display: the static export must show the last state, not the first.
RECOLOR_CELL = 'counter.color = "#0072b2"'


def test_lab_counter_roundtrip(open_notebook, page, kernel_ws, screenshot):
    nb = open_notebook("counter.ipynb", [COUNTER_CELL])
    nb.run_all()

    # the kernel Lab started is this venv's python
    assert nb.execute("import sys; print(sys.executable)").strip() == sys.executable

    widget = page.locator("[data-testid=counter]")
    widget.wait_for(state="visible")
    assert page.locator("[data-testid=count]").inner_text() == "0"
    swatch = CanvasImage.read(page.locator("[data-testid=swatch]"))
    assert swatch.pixel(10, 10) == (230, 159, 0, 255)
    screenshot(page, "harness-lab-counter-before", show=widget)

    # nothing happens -> nothing sent to the kernel
    kernel_ws.settle()
    assert kernel_ws.sockets, "no kernel websocket seen"
    idle = kernel_ws.mark()
    page.wait_for_timeout(1000)
    assert kernel_ws.count("comm_msg", since=idle) == 0, kernel_ws.describe(idle)

    # a view-only slider -> the view changes, nothing sent to the kernel
    before = page.locator("[data-testid=swatch]").bounding_box()["width"]
    page.locator("[data-testid=zoom]").fill("2.5")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=swatch]').getBoundingClientRect().width > 250"
    )
    assert page.locator("[data-testid=swatch]").bounding_box()["width"] > before
    kernel_ws.settle()
    assert kernel_ws.count("comm_msg", since=idle) == 0, kernel_ws.describe(idle)
    assert not kernel_ws.requests(since=idle), kernel_ws.describe(idle)

    # a click -> one comm_msg (a trait update), Python answers through another trait
    click = kernel_ws.mark()
    page.locator("[data-testid=increment]").click()
    page.locator("[data-testid=echo]").filter(has_text="python saw 1").wait_for()
    assert page.locator("[data-testid=count]").inner_text() == "1"
    kernel_ws.settle()
    comm = kernel_ws.comm_msgs(since=click)
    assert len(comm) == 1, kernel_ws.describe(click)
    assert comm[0]["data"]["method"] == "update"
    assert comm[0]["data"]["state"] == {"count": 1}
    answers = [c["data"]["state"] for c in kernel_ws.received_comm_msgs(since=click)]
    assert {"echo": "python saw 1"} in answers, answers
    assert kernel_ws.protocols <= {"v1", "json", "legacy-binary"}, kernel_ws.protocols

    # ...and the kernel holds the new value
    assert nb.execute("print(counter.count)").strip() == "1"

    # Python -> browser: a trait set in the kernel repaints the canvas
    nb.execute(RECOLOR_CELL)
    page.wait_for_function(
        """() => {
            const c = document.querySelector('[data-testid=swatch]');
            const p = c.getContext('2d').getImageData(5, 5, 1, 1).data;
            return p[0] === 0 && p[1] === 114 && p[2] === 178;
        }"""
    )
    path = screenshot(page, "harness-lab-counter-after-click", show=widget)
    screenshot(widget, "harness-lab-counter-widget")
    assert path.stat().st_size > 0
    assert not page.page_errors, page.page_errors


def test_static_export_counter(static_export, page, screenshot):
    url = static_export.export([COUNTER_CELL, "counter.count = 3", RECOLOR_CELL], "harness-static-counter")
    log = static_export.open(page, url)

    widget = page.locator("[data-testid=counter]")
    widget.wait_for(state="visible", timeout=60_000)
    assert page.locator("[data-testid=count]").inner_text() == "3"
    assert page.locator("[data-testid=echo]").inner_text() == "python saw 3"
    swatch = CanvasImage.read(page.locator("[data-testid=swatch]"))
    assert swatch.pixel(10, 10) == (0, 114, 178, 255)
    screenshot(page, "harness-static-counter", show=widget)
    screenshot(widget, "harness-static-counter-widget")

    # every script came from the local npm copies; nothing reached the network
    packages = {s["package"] for s in log.served}
    assert {"requirejs", "@jupyter-widgets/html-manager", "anywidget"} <= packages, log.served
    assert not log.missing, log.missing
    import anywidget

    major_minor = ".".join(anywidget.__version__.split(".")[:2])
    assert log.served_version("anywidget").startswith(major_minor + "."), log.served
    assert all(not u.startswith(("https://unpkg", "https://cdn.jsdelivr")) for u in log.blocked)
    assert not unexpected_console_errors(page, log), unexpected_console_errors(page, log)
