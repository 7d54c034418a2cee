"""Fixtures for real-browser tests: Debian's chromium driven by Playwright, a JupyterLab server,
a kernel websocket spy, screenshots, and the static HTML export served offline.

Run:  .venv/bin/python -m pytest tests/browser -q -p no:cacheprovider
Needs: Debian's chromium (apt-get install -y chromium) and the static-export npm deps
(npm ci --prefix tests/browser/static-deps --ignore-scripts --no-audit --no-fund).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_harness import (  # noqa: E402
    ARTIFACTS_DIR,
    CHROMIUM_ARGS,
    CHROMIUM_INSTALL,
    KernelWebSocketSpy,
    LabNotebook,
    LabServer,
    Notebook7,
    NotebookServer,
    StaticExport,
    screenshot as _screenshot,
)


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = shutil.which("chromium")
    if not path:
        pytest.fail(
            "Debian's chromium is not installed (the browser tests never download a browser).\n"
            f"Install it with:  {CHROMIUM_INSTALL}\n(./dev test installs it.)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="session")
def browser(playwright_driver, chromium_executable):
    # launch() gives a fresh temporary profile (user-data-dir) every time
    browser = playwright_driver.chromium.launch(
        executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS, timeout=60_000
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    """A page in a fresh context (1280x900). ``page.console_errors`` ({text, url} dicts) and
    ``page.page_errors`` (uncaught exceptions) collect what went wrong in the page."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.console_errors = []
    page.page_errors = []
    page.console_log = []

    def on_console(msg):
        page.console_log.append(f"{msg.type}: {msg.text}")
        if msg.type == "error":
            page.console_errors.append({"text": msg.text, "url": (msg.location or {}).get("url", "")})

    page.on("console", on_console)
    page.on("pageerror", lambda exc: page.page_errors.append(str(exc)))
    yield page
    context.close()


@pytest.fixture
def kernel_ws(page) -> KernelWebSocketSpy:
    """Spy on the frames the page sends to kernels; request it before opening a notebook."""
    return KernelWebSocketSpy(page)


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory):
    """One JupyterLab for the session: yields a LabServer (``.base_url``, ``.root``,
    ``.write_notebook(name, cells)``)."""
    root = tmp_path_factory.mktemp("lab-root")
    home = tmp_path_factory.mktemp("lab-home")
    server = LabServer.start(root, home, timeout=120)
    yield server
    server.stop()


@pytest.fixture
def lab(lab_server):
    """The session's Lab server; kernels started by the test are shut down after it."""
    yield lab_server
    lab_server.shutdown_kernels()


@pytest.fixture
def open_notebook(page, lab):
    """open_notebook(name, cells) -> LabNotebook: write the notebook into Lab's root, open it in
    a fresh workspace and wait for an idle kernel. Then ``.run_all()``, ``.execute(code)``."""

    def _open(name: str, cells: list[str], timeout: float = 120) -> LabNotebook:
        lab.write_notebook(name, cells)
        return LabNotebook.open(page, lab, name, timeout=timeout)

    return _open


@pytest.fixture(scope="session")
def notebook7_server(tmp_path_factory):
    """One Jupyter Notebook 7 server for the session (a NotebookServer: ``.base_url``,
    ``.root``, ``.write_notebook(name, cells)``)."""
    root = tmp_path_factory.mktemp("nb7-root")
    home = tmp_path_factory.mktemp("nb7-home")
    server = NotebookServer.start(root, home, timeout=120)
    yield server
    server.stop()


@pytest.fixture
def open_notebook7(page, notebook7_server):
    """open_notebook7(name, cells) -> Notebook7: write the notebook, open it in Notebook 7
    (``/notebooks/<name>``) and wait for an idle kernel. Then ``.run_all()`` (the menu's Run >
    Run All Cells), ``.execute(code)``. The test's kernels are shut down after it."""

    def _open(name: str, cells: list[str], timeout: float = 120) -> Notebook7:
        notebook7_server.write_notebook(name, cells)
        return Notebook7.open(page, notebook7_server, name, timeout=timeout)

    yield _open
    notebook7_server.shutdown_kernels()


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def screenshot(artifacts_dir):
    """screenshot(page_or_locator, name, show=locator, full_page=False) -> Path under
    test-artifacts/browser/ (``show`` is scrolled into view first)."""
    return _screenshot


@pytest.fixture(scope="session")
def static_export(tmp_path_factory):
    """StaticExport: ``.export(cells, name) -> url`` (nbclient with store_widget_state, nbconvert
    HTML, served on 127.0.0.1) and ``StaticExport.open(page, url) -> StaticRequestLog`` (CDN
    scripts routed to tests/browser/static-deps, everything else external aborted)."""
    export = StaticExport(tmp_path_factory.mktemp("static-export"))
    yield export
    export.stop()
