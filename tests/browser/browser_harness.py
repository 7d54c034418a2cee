"""Helpers for real-browser widget tests (JupyterLab + static HTML export, headless Chromium).

The fixtures in ``conftest.py`` wrap these; tests normally use the fixtures, and import
``CanvasImage`` / ``notebook_cells`` style helpers from here when they need them.

Pieces:

- ``LabServer``: a JupyterLab server (this venv's python, isolated config/data/settings dirs, no
  token, app exposed as ``window.jupyterapp``) started on a free port and stopped by its pid.
- ``LabNotebook``: opens a notebook in a fresh workspace, waits for the kernel, runs all cells
  through Lab's own command (``notebook:run-all-cells``), runs extra code in the kernel.
- ``NotebookServer`` / ``Notebook7``: the same for Jupyter Notebook 7 (``python -m notebook``,
  ``/notebooks/<path>``); run all cells through its menu bar, Run > Run All Cells.
- ``KernelWebSocketSpy``: records the frames the page SENDS on the kernel websocket and decodes
  them (Lab 4.6 speaks the binary ``v1.kernel.websocket.jupyter.org`` subprotocol; the JSON text
  protocol and the legacy binary-buffer format are decoded too), so a test can count
  ``comm_msg`` messages.
- ``StaticExport``: executes a notebook with nbclient (``store_widget_state=True``), converts it
  with nbconvert's ``HTMLExporter``, serves it from 127.0.0.1, and opens it with the CDN scripts
  (require.js, the widgets HTML manager, the anywidget frontend) routed to local npm copies in
  ``tests/browser/static-deps``; every other non-local request is aborted (proves it works
  offline).
- ``CanvasImage``: canvas pixels read with ``getImageData``.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import http.server
import json
import mimetypes
import os
import re
import signal
import socket
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts" / "browser"
STATIC_DEPS_DIR = HERE / "static-deps"
STATIC_DEPS_INSTALL = "npm ci --prefix tests/browser/static-deps --ignore-scripts --no-audit --no-fund"
CHROMIUM_INSTALL = "apt-get update && apt-get install -y chromium"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


@contextlib.contextmanager
def lab_and_browser(prefix: str):
    """For benchmarks run as scripts: yields (LabServer, Playwright browser) on Debian's
    chromium, in a temporary folder; everything is stopped and removed on exit. Exits the
    program with the install command when chromium is missing."""
    import shutil
    import tempfile

    chromium = shutil.which("chromium")
    if not chromium:
        sys.exit(f"Debian's chromium is not installed; install it with: {CHROMIUM_INSTALL}")
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    lab = pw = browser = None
    try:
        lab = LabServer.start(tmp / "root", tmp / "home", timeout=120)
        pw = sync_playwright().start()
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_ARGS,
                                     timeout=60_000)
        yield lab, browser
    finally:
        if browser is not None:
            browser.close()
        if pw is not None:
            pw.stop()
        if lab is not None:
            lab.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def artifact_path(name: str) -> Path:
    """test-artifacts/browser/<name> (directories created)."""
    path = ARTIFACTS_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def screenshot(target, name: str, show=None, full_page: bool = False) -> Path:
    """Screenshot a Page or a Locator to test-artifacts/browser/<name>.png; returns the path.

    ``show``: a Locator scrolled into view first (for a Page screenshot that should show the
    widget rather than the top of the notebook)."""
    path = artifact_path(name if name.endswith(".png") else f"{name}.png")
    if show is not None:
        show.scroll_into_view_if_needed()
    if full_page:
        target.screenshot(path=str(path), full_page=True)
    else:
        target.screenshot(path=str(path))
    return path


# --------------------------------------------------------------------------------------------
# Notebooks


def make_notebook(cells: list[str]):
    """A notebook of code cells with python3 kernelspec metadata (so Lab opens no kernel dialog)."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return nb


def write_notebook(path: Path, cells: list[str]) -> Path:
    import nbformat

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(make_notebook(cells), str(path))
    return path


# --------------------------------------------------------------------------------------------
# JupyterLab server


def _children(pid: int) -> list[int]:
    """All descendant pids of pid (Linux /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still answers kill(0); treat it as gone
    with contextlib.suppress(OSError):
        if (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return False
    return True


class LabServer:
    """``python -m jupyterlab`` on a free port in ``root``; stop() kills it and its kernels."""

    MODULE = "jupyterlab"  # python -m MODULE
    READY_PATH = "/lab"  # answers 200 once the frontend can be served
    APP_ARGS = (
        "--LabApp.expose_app_in_browser=True",  # window.jupyterapp, to run Lab commands
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
    )

    def __init__(self, root: Path, home: Path, port: int, proc, log_path: Path):
        self.root = Path(root)
        self.home = Path(home)
        self.port = port
        self.proc = proc
        self.log_path = log_path
        self.base_url = f"http://127.0.0.1:{port}"

    @classmethod
    def start(cls, root: Path, home: Path, timeout: float = 120) -> "LabServer":
        import subprocess

        root, home = Path(root), Path(home)
        root.mkdir(parents=True, exist_ok=True)
        dirs = {
            # isolated from the user's ~/.jupyter and ~/.local/share/jupyter: the python3
            # kernelspec then comes from this venv (sys.prefix/share/jupyter/kernels) and runs
            # sys.executable (jupyter_client maps argv[0] "python" to it).
            "JUPYTER_CONFIG_DIR": home / "config",
            "JUPYTER_DATA_DIR": home / "data",
            "JUPYTER_RUNTIME_DIR": home / "runtime",
            "JUPYTERLAB_SETTINGS_DIR": home / "lab-settings",
            "JUPYTERLAB_WORKSPACES_DIR": home / "lab-workspaces",
            "IPYTHONDIR": home / "ipython",
        }
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        # No "would you like to get Jupyter news?" toast over the screenshots.
        labconfig = dirs["JUPYTER_CONFIG_DIR"] / "labconfig"
        labconfig.mkdir(exist_ok=True)
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
        )
        env = dict(os.environ, PYTHONUNBUFFERED="1", **{k: str(v) for k, v in dirs.items()})
        env.pop("JUPYTER_TOKEN", None)
        port = free_port()
        cmd = [
            sys.executable, "-m", cls.MODULE,
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.root_dir={root}",
            "--IdentityProvider.token=",
            "--PasswordIdentityProvider.hashed_password=",
            "--ServerApp.disable_check_xsrf=True",
            "--ServerApp.allow_root=True",
            "--ServerApp.terminals_enabled=False",
            *cls.APP_ARGS,
        ]
        log_path = home / f"{cls.MODULE}.log"
        log = open(log_path, "wb")
        proc = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        log.close()
        server = cls(root, home, port, proc, log_path)
        try:
            server._wait_ready(timeout)
        except BaseException:
            server.stop()
            raise
        return server

    def log_tail(self, chars: int = 4000) -> str:
        with contextlib.suppress(OSError):
            return self.log_path.read_text(errors="replace")[-chars:]
        return ""

    def _wait_ready(self, timeout: float):
        deadline = time.monotonic() + timeout
        last_error = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.MODULE} exited with code {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/api/status", timeout=5) as r:
                    if r.status == 200:
                        with urllib.request.urlopen(f"{self.base_url}{self.READY_PATH}", timeout=30) as r2:
                            if r2.status == 200:
                                return
            except (urllib.error.URLError, ConnectionError, OSError) as e:
                last_error = e
            time.sleep(0.5)
        raise TimeoutError(
            f"{self.MODULE} did not answer on {self.base_url} within {timeout} s ({last_error}):\n"
            f"{self.log_tail()}"
        )

    def api(self, method: str, path: str, timeout: float = 30):
        req = urllib.request.Request(f"{self.base_url}{path}", method=method)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def kernels(self) -> list[dict]:
        return self.api("GET", "/api/kernels")

    def shutdown_kernels(self):
        """Shut down every kernel (and session) of this server; best effort."""
        with contextlib.suppress(Exception):
            for session in self.api("GET", "/api/sessions"):
                with contextlib.suppress(Exception):
                    self.api("DELETE", f"/api/sessions/{session['id']}")
        with contextlib.suppress(Exception):
            for kernel in self.kernels():
                with contextlib.suppress(Exception):
                    self.api("DELETE", f"/api/kernels/{kernel['id']}")

    def write_notebook(self, name: str, cells: list[str]) -> Path:
        return write_notebook(self.root / name, cells)

    def stop(self, timeout: float = 20):
        """SIGTERM the server's process group, wait, then SIGKILL whatever is left of it and of
        its descendants (kernels run in their own sessions, so they are killed by pid/group)."""
        if self.proc.poll() is not None:
            return
        self.shutdown_kernels()
        descendants = _children(self.proc.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout)
        except Exception:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        deadline = time.monotonic() + 5
        while any(_alive(p) for p in descendants) and time.monotonic() < deadline:
            time.sleep(0.2)
        for pid in descendants:
            if _alive(pid):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)  # a kernel leads its own process group
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)


class NotebookServer(LabServer):
    """Jupyter Notebook 7 (``python -m notebook``), isolated like LabServer. It is built from
    JupyterLab's pieces: the same notebook panel and commands, exposed as window.jupyterapp."""

    MODULE = "notebook"
    READY_PATH = "/tree"
    APP_ARGS = ("--JupyterNotebookApp.expose_app_in_browser=True",)


# --------------------------------------------------------------------------------------------
# A notebook open in Lab

_PANEL_JS = """
(path) => {
  const app = window.jupyterapp;
  if (!app || !app.shell) return null;
  for (const w of Array.from(app.shell.widgets('main'))) {
    if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
  }
  return null;
}
"""


class LabNotebook:
    """A notebook opened in a fresh Lab workspace (``/lab/workspaces/<unique>/tree/<path>?reset``)."""

    def __init__(self, page, lab: LabServer, path: str):
        self.page = page
        self.lab = lab
        self.path = path

    @classmethod
    def open(cls, page, lab: LabServer, path: str, timeout: float = 120) -> "LabNotebook":
        nb = cls(page, lab, path)
        workspace = f"test-{uuid.uuid4().hex[:12]}"
        url = f"{lab.base_url}/lab/workspaces/{workspace}/tree/{urllib.parse.quote(path)}?reset"
        page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
        nb.wait_kernel_idle(timeout)
        return nb

    def _eval_panel(self, body: str, arg=None, timeout: float | None = None):
        """Evaluate ``async (panel, arg) => {body}`` for this notebook's NotebookPanel."""
        script = f"async ([path, arg]) => {{ const panel = ({_PANEL_JS})(path); {body} }}"
        return self.page.evaluate(script, [self.path, arg])

    def wait_kernel_idle(self, timeout: float = 120):
        """Kernel connected and idle, and the toolbar's execution indicator says idle."""
        self.page.wait_for_function(
            f"""(path) => {{
                const panel = ({_PANEL_JS})(path);
                if (!panel) return false;
                const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
                return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle';
            }}""",
            arg=self.path,
            timeout=timeout * 1000,
            polling=250,
        )
        self.page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").first.wait_for(
            state="attached", timeout=timeout * 1000
        )

    def run_all(self, timeout: float = 120) -> None:
        """Run every cell with Lab's ``notebook:run-all-cells`` and wait until all finished.

        Raises AssertionError with the error outputs when a cell raised."""
        self._run_all_cells()
        self.wait_cells_done(timeout)
        errors = self.errors()
        assert not errors, "notebook cells raised:\n" + "\n".join(errors)

    def _run_all_cells(self):
        self.page.evaluate(
            f"""async (path) => {{
                const app = window.jupyterapp;
                const panel = ({_PANEL_JS})(path);
                app.shell.activateById(panel.id);
                await app.commands.execute('notebook:run-all-cells');
            }}""",
            self.path,
        )

    def wait_cells_done(self, timeout: float = 120):
        """Every code cell has an execution count, none shows [*], kernel idle."""
        self.page.wait_for_function(
            f"""(path) => {{
                const panel = ({_PANEL_JS})(path);
                if (!panel) return false;
                const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
                if (!kernel || kernel.status !== 'idle') return false;
                for (const cell of panel.content.widgets) {{
                    if (cell.model.type !== 'code') continue;
                    if (cell.model.executionCount === null) return false;
                    const prompt = cell.node.querySelector('.jp-InputArea-prompt');
                    if (prompt && prompt.textContent.includes('*')) return false;
                }}
                return true;
            }}""",
            arg=self.path,
            timeout=timeout * 1000,
            polling=250,
        )

    def errors(self) -> list[str]:
        """Error outputs of all cells ('ename: evalue')."""
        return self._eval_panel(
            """
            const out = [];
            for (const cell of panel.content.widgets) {
              if (cell.model.type !== 'code') continue;
              for (const o of cell.model.outputs.toJSON()) {
                if (o.output_type === 'error') out.push(`${o.ename}: ${o.evalue}`);
              }
            }
            return out;
            """
        )

    def execute(self, code: str, timeout: float = 60) -> str:
        """Run code in this notebook's kernel (not as a cell); return its stdout and results.

        Raises AssertionError if the code raised."""
        result = self.page.evaluate(
            f"""async ([path, code, timeoutMs]) => {{
                const panel = ({_PANEL_JS})(path);
                const kernel = panel.sessionContext.session.kernel;
                const future = kernel.requestExecute({{code, store_history: false}});
                let out = '', error = null;
                future.onIOPub = (msg) => {{
                  const t = msg.header.msg_type, c = msg.content;
                  if (t === 'stream') out += c.text;
                  else if (t === 'execute_result') out += (c.data['text/plain'] || '') + '\\n';
                  else if (t === 'error') error = `${{c.ename}}: ${{c.evalue}}`;
                }};
                const timer = new Promise((_, reject) =>
                  setTimeout(() => reject(new Error('kernel execute timed out')), timeoutMs));
                await Promise.race([future.done, timer]);
                return {{out, error}};
            }}""",
            [self.path, code, timeout * 1000],
        )
        assert result["error"] is None, f"kernel raised {result['error']}\n{result['out']}"
        return result["out"]


class Notebook7(LabNotebook):
    """A notebook open in Jupyter Notebook 7 (``/notebooks/<path>``, one notebook per page, no
    workspace). Waiting, errors and ``execute`` work as in Lab (same panel, same kernel status
    indicator); ``run_all`` goes through Notebook 7's menu bar, Run > Run All Cells."""

    @classmethod
    def open(cls, page, server: NotebookServer, path: str, timeout: float = 120) -> "Notebook7":
        nb = cls(page, server, path)
        url = f"{server.base_url}/notebooks/{urllib.parse.quote(path)}"
        page.goto(url, wait_until="domcontentloaded", timeout=timeout * 1000)
        nb.wait_kernel_idle(timeout)
        return nb

    def _run_all_cells(self):
        self.page.locator(".lm-MenuBar-itemLabel").get_by_text("Run", exact=True).click()
        item = self.page.locator(".lm-Menu .lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True)
        item.click()
        item.wait_for(state="detached")  # the menu closed: the command was issued


# --------------------------------------------------------------------------------------------
# Kernel websocket spy


def decode_kernel_frame(payload) -> dict | None:
    """Decode one kernel websocket frame into {protocol, channel, header, content, buffers}.

    - str: the JSON text protocol (no subprotocol; buffers would travel separately).
    - bytes, ``v1.kernel.websocket.jupyter.org`` (what JupyterLab 4.x and jupyter_server 2.x
      negotiate): uint64-LE count n, n uint64-LE offsets, then channel, header, parent_header,
      metadata, content, buffers... (offsets[0] = start of channel, last offset = end).
    - bytes, legacy (no subprotocol, message with buffers): uint32-BE nbufs, nbufs uint32-BE
      offsets, the JSON message then the buffers.
    Returns None for frames it cannot read.
    """
    if isinstance(payload, str):
        with contextlib.suppress(ValueError):
            msg = json.loads(payload)
            return {
                "protocol": "json",
                "channel": msg.get("channel"),
                "header": msg.get("header") or {},
                "content": msg.get("content") or {},
                "buffers": [],
            }
        return None
    data = bytes(payload)
    if len(data) >= 16:
        n = int.from_bytes(data[:8], "little")
        if 2 <= n <= 10_000 and len(data) >= 8 * (n + 1):
            offsets = [int.from_bytes(data[8 * (i + 1) : 8 * (i + 2)], "little") for i in range(n)]
            if offsets[0] == 8 * (n + 1) and offsets == sorted(offsets) and offsets[-1] <= len(data):
                bounds = offsets if offsets[-1] == len(data) else offsets + [len(data)]
                parts = [data[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]
                if len(parts) >= 5:
                    with contextlib.suppress(ValueError, UnicodeDecodeError):
                        return {
                            "protocol": "v1",
                            "channel": parts[0].decode(),
                            "header": json.loads(parts[1]),
                            "content": json.loads(parts[4]) if parts[4] else {},
                            "buffers": parts[5:],
                        }
    if len(data) >= 8:
        nbufs = int.from_bytes(data[:4], "big")
        if 1 <= nbufs <= 10_000 and len(data) >= 4 * (nbufs + 1):
            offsets = [int.from_bytes(data[4 * (i + 1) : 4 * (i + 2)], "big") for i in range(nbufs)]
            bounds = offsets + [len(data)]
            with contextlib.suppress(ValueError, UnicodeDecodeError):
                msg = json.loads(data[bounds[0] : bounds[1]])
                return {
                    "protocol": "legacy-binary",
                    "channel": msg.get("channel"),
                    "header": msg.get("header") or {},
                    "content": msg.get("content") or {},
                    "buffers": [data[bounds[i] : bounds[i + 1]] for i in range(1, nbufs)],
                }
    return None


@dataclass
class KernelFrame:
    time: float
    url: str
    size: int
    message: dict | None  # decode_kernel_frame(payload)

    @property
    def msg_type(self) -> str | None:
        return self.message["header"].get("msg_type") if self.message else None


# What JupyterLab itself sends to a kernel now and then (kernel info, the debugger's
# debugInfo, subshells, comm listing, history): not work asked for by a widget.
HOUSEKEEPING_MSG_TYPES = frozenset({
    "kernel_info_request", "debug_request", "create_subshell_request",
    "delete_subshell_request", "list_subshell_request", "comm_info_request", "history_request",
})


@dataclass(frozen=True)
class SpyMark:
    sent: int
    received: int


@dataclass
class KernelWebSocketSpy:
    """Records the frames on kernel websockets (``/api/kernels/<id>/channels``): what the page
    SENDS to the kernel (``sent``) and what it receives (``received``), decoded.

    Attach before navigating (the ``kernel_ws`` fixture does). Playwright's sync API delivers
    events only while it runs a call, so the helpers pump with ``page.wait_for_timeout``.
    Note: when a kernel connects, Lab's widget manager itself sends a ``comm_open``
    (jupyter.widget.control) and a ``comm_msg`` (request_states); take a ``mark()`` after
    ``settle()`` and count from there.
    """

    page: object
    sent: list[KernelFrame] = field(default_factory=list)
    received: list[KernelFrame] = field(default_factory=list)
    sockets: list[str] = field(default_factory=list)

    def __post_init__(self):
        self.page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws):
        if "/api/kernels/" not in ws.url or "/channels" not in ws.url:
            return
        self.sockets.append(ws.url)
        url = ws.url

        def frame(payload):
            size = len(payload.encode() if isinstance(payload, str) else payload)
            return KernelFrame(time.monotonic(), url, size, decode_kernel_frame(payload))

        ws.on("framesent", lambda payload: self.sent.append(frame(payload)))
        ws.on("framereceived", lambda payload: self.received.append(frame(payload)))

    # -- reading
    def mark(self) -> SpyMark:
        """Position to pass as ``since`` later (pumps pending events first)."""
        self.page.wait_for_timeout(50)
        return SpyMark(len(self.sent), len(self.received))

    @staticmethod
    def _start(since, attr: str) -> int:
        return getattr(since, attr) if isinstance(since, SpyMark) else int(since)

    def messages(self, since=0, msg_type: str | None = None) -> list[KernelFrame]:
        """Frames SENT by the page since ``since`` (a mark), optionally of one msg_type."""
        self.page.wait_for_timeout(50)
        return [f for f in self.sent[self._start(since, "sent"):]
                if msg_type is None or f.msg_type == msg_type]

    def requests(self, since=0) -> list[KernelFrame]:
        """Frames sent since ``since`` that are not Lab's housekeeping (HOUSEKEEPING_MSG_TYPES):
        comm messages, execute requests, input replies..."""
        return [f for f in self.messages(since) if f.msg_type not in HOUSEKEEPING_MSG_TYPES]

    def received_messages(self, since=0, msg_type: str | None = None) -> list[KernelFrame]:
        """Frames the page RECEIVED from the kernel since ``since``."""
        self.page.wait_for_timeout(50)
        return [f for f in self.received[self._start(since, "received"):]
                if msg_type is None or f.msg_type == msg_type]

    def comm_msgs(self, since=0) -> list[dict]:
        """comm_msg contents sent since ``since`` (each has comm_id and data, e.g.
        {"method": "update", "state": {...}, "buffer_paths": []} for a widget trait sync)."""
        return [f.message["content"] for f in self.messages(since, "comm_msg")]

    def received_comm_msgs(self, since=0) -> list[dict]:
        """comm_msg contents the kernel sent (e.g. {"method": "update", "state": {...}})."""
        return [f.message["content"] for f in self.received_messages(since, "comm_msg")]

    def count(self, msg_type: str = "comm_msg", since=0) -> int:
        return len(self.messages(since, msg_type))

    @property
    def protocols(self) -> set[str]:
        return {f.message["protocol"] if f.message else "undecoded" for f in self.sent}

    def settle(self, quiet_ms: int = 600, timeout_ms: int = 15_000):
        """Wait until nothing was sent or received for ``quiet_ms`` (or timeout)."""
        deadline = time.monotonic() + timeout_ms / 1000
        last = (len(self.sent), len(self.received))
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            self.page.wait_for_timeout(100)
            now = (len(self.sent), len(self.received))
            if now != last:
                last, quiet_since = now, time.monotonic()
            elif (time.monotonic() - quiet_since) * 1000 >= quiet_ms:
                return

    def describe(self, since=0) -> str:
        """The sent messages since ``since``, one a line, for assertion messages."""
        lines = []
        for f in self.sent[self._start(since, "sent"):]:
            content = f.message["content"] if f.message else None
            lines.append(f"{f.msg_type} {json.dumps(content)[:200] if content else ''}")
        return "\n".join(lines) or "(nothing sent)"


# --------------------------------------------------------------------------------------------
# Canvas pixels


@dataclass
class CanvasImage:
    width: int
    height: int
    rgba: np.ndarray  # (H, W, 4) uint8

    @classmethod
    def read(cls, locator) -> "CanvasImage":
        """Pixels of a <canvas> element (a Playwright Locator) via getImageData."""
        result = locator.evaluate(
            """(canvas) => {
                const ctx = canvas.getContext('2d');
                const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
                let s = '';
                const bytes = img.data;
                for (let i = 0; i < bytes.length; i += 0x8000)
                  s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
                return {width: canvas.width, height: canvas.height, data: btoa(s)};
            }"""
        )
        data = np.frombuffer(base64.b64decode(result["data"]), dtype=np.uint8)
        return cls(result["width"], result["height"], data.reshape(result["height"], result["width"], 4))

    @staticmethod
    def wait_painted(locator, timeout: float = 60) -> "CanvasImage":
        """Wait until the canvas has a size and is not one flat colour; return its pixels."""
        locator.wait_for(state="attached", timeout=timeout * 1000)
        locator.page.wait_for_function(
            """(canvas) => {
                if (!canvas || !canvas.width || !canvas.height) return false;
                const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                for (let i = 4; i < d.length; i += 4)
                  if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3]) return true;
                return false;
            }""",
            arg=locator.element_handle(),
            timeout=timeout * 1000,
            polling=200,
        )
        return CanvasImage.read(locator)

    def pixel(self, x: int, y: int) -> tuple[int, int, int, int]:
        return tuple(int(v) for v in self.rgba[y, x])

    def is_blank(self) -> bool:
        """True when the canvas is empty or one flat colour."""
        if self.rgba.size == 0 or not self.rgba[..., 3].any():
            return True
        flat = self.rgba.reshape(-1, 4)
        return bool((flat == flat[0]).all())

    def distinct_colors(self) -> int:
        return len(np.unique(self.rgba.reshape(-1, 4), axis=0))

    def diff(self, other: "CanvasImage") -> float:
        """Fraction of pixels that differ (1.0 when the sizes differ)."""
        if self.rgba.shape != other.rgba.shape:
            return 1.0
        return float((self.rgba != other.rgba).any(axis=-1).mean())


# --------------------------------------------------------------------------------------------
# Static HTML export


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep pytest output clean
        pass


class LocalHttpServer:
    """Serves a directory on 127.0.0.1:<free port> from a daemon thread."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        handler = functools.partial(_QuietHandler, directory=str(self.directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


# CDN URL -> (npm package, file inside it). The HTML from nbconvert's default ("lab") template
# loads require.js from cdnjs and the widgets HTML manager from unpkg
# (https://unpkg.com/@jupyter-widgets/html-manager@*/dist/embed-amd.js); the HTML manager then
# asks require.js for each model module and, when the page does not define it, falls back to
# https://cdn.jsdelivr.net/npm/<module>@<model_module_version>/dist/index.js
# (e.g. anywidget@~0.11.*/dist/index.js), and loads its fonts from unpkg next to embed-amd.js.
_CDN_PATTERNS = [
    # https://cdnjs.cloudflare.com/ajax/libs/require.js/2.1.10/require.min.js
    (
        "cdnjs.cloudflare.com",
        re.compile(r"^/ajax/libs/require\.js/(?P<version>[^/]+)/require(\.min)?\.js$"),
        lambda m: ("requirejs", "require.js"),
    ),
    # https://unpkg.com/<@scope/name or name>@<range>/<file>
    (
        "unpkg.com",
        re.compile(r"^/(?P<pkg>(@[^/@]+/)?[^/@]+)@(?P<version>[^/]+)/(?P<file>.+)$"),
        lambda m: (m["pkg"], m["file"]),
    ),
    # https://cdn.jsdelivr.net/npm/<@scope/name or name>@<range>/<file>
    (
        "cdn.jsdelivr.net",
        re.compile(r"^/npm/(?P<pkg>(@[^/@]+/)?[^/@]+)@(?P<version>[^/]+)/(?P<file>.+)$"),
        lambda m: (m["pkg"], m["file"]),
    ),
]


@dataclass
class StaticRequestLog:
    served: list[dict] = field(default_factory=list)  # {url, package, version_requested, version_installed, file}
    blocked: list[str] = field(default_factory=list)  # non-local URLs aborted
    missing: list[str] = field(default_factory=list)  # CDN URLs with no local copy (aborted)
    local: list[str] = field(default_factory=list)  # 127.0.0.1 requests

    def served_version(self, package: str) -> str | None:
        for s in self.served:
            if s["package"] == package:
                return s["version_installed"]
        return None


def _installed_version(package: str) -> str | None:
    with contextlib.suppress(OSError, ValueError):
        meta = json.loads((STATIC_DEPS_DIR / "node_modules" / package / "package.json").read_text())
        return meta.get("version")
    return None


def route_cdn_to_local(page, log: StaticRequestLog):
    """Route every request of ``page``: 127.0.0.1/localhost pass, known CDN files are served
    from tests/browser/static-deps/node_modules, everything else is aborted (and logged)."""
    modules = STATIC_DEPS_DIR / "node_modules"

    def handle(route):
        url = route.request.url
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme in ("data", "blob") or parsed.hostname in ("127.0.0.1", "localhost"):
            if parsed.hostname:
                log.local.append(url)
            route.continue_()
            return
        path = urllib.parse.unquote(parsed.path)
        for host, pattern, target in _CDN_PATTERNS:
            if parsed.hostname != host:
                continue
            m = pattern.match(path)
            if not m:
                continue
            package, file = target(m)
            local = (modules / package / file).resolve()
            if modules.resolve() in local.parents and local.is_file():
                log.served.append({
                    "url": url,
                    "package": package,
                    "version_requested": m["version"],
                    "version_installed": _installed_version(package),
                    "file": str(local),
                })
                ctype = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
                if local.suffix == ".js":
                    ctype = "application/javascript"
                route.fulfill(path=str(local), content_type=ctype,
                              headers={"Access-Control-Allow-Origin": "*"})
                return
            log.missing.append(url)
            route.abort()
            return
        log.blocked.append(url)
        route.abort("blockedbyclient")

    page.route("**/*", handle)


class StaticExport:
    """Execute a notebook with nbclient, export it to HTML, serve it, open it offline."""

    def __init__(self, workdir: Path):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.server = LocalHttpServer(self.workdir)

    def stop(self):
        self.server.stop()

    def execute(self, cells: list[str], name: str, timeout: float = 180):
        """Run the cells in a fresh python3 kernel of this venv; returns the executed notebook
        with the widget state stored in its metadata."""
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager
        from nbclient import NotebookClient

        nb = make_notebook(cells)
        # the venv's own python3 kernelspec (or ipykernel's native one = sys.executable), never
        # a user-level spec that might point at another python
        ksm = KernelSpecManager(kernel_dirs=[str(Path(sys.prefix) / "share" / "jupyter" / "kernels")])
        km = KernelManager(kernel_name="python3", kernel_spec_manager=ksm)
        client = NotebookClient(
            nb, km=km, timeout=timeout, kernel_name="python3", store_widget_state=True,
            resources={"metadata": {"path": str(self.workdir)}},
        )
        client.execute()
        import nbformat

        nbformat.write(nb, str(self.workdir / f"{name}.ipynb"))
        return nb

    def to_html(self, nb, name: str) -> str:
        """nbconvert HTMLExporter (default template); writes <name>.html into the served dir
        (and a copy to test-artifacts/browser/); returns its URL."""
        from nbconvert import HTMLExporter

        body, _ = HTMLExporter().from_notebook_node(nb)
        (self.workdir / f"{name}.html").write_text(body, encoding="utf-8")
        artifact_path(f"{name}.html").write_text(body, encoding="utf-8")
        return f"{self.server.base_url}/{urllib.parse.quote(name)}.html"

    def export(self, cells: list[str], name: str, timeout: float = 180) -> str:
        return self.to_html(self.execute(cells, name, timeout), name)

    @staticmethod
    def open(page, url: str, timeout: float = 60) -> StaticRequestLog:
        """Open an exported page with CDN requests routed to local copies; returns the log."""
        missing = [p for p in ("requirejs", "@jupyter-widgets/html-manager", "anywidget")
                   if not (STATIC_DEPS_DIR / "node_modules" / p / "package.json").is_file()]
        if missing:
            raise RuntimeError(
                f"static export deps missing ({', '.join(missing)}); install them with:\n"
                f"    {STATIC_DEPS_INSTALL}"
            )
        log = StaticRequestLog()
        route_cdn_to_local(page, log)
        page.goto(url, wait_until="load", timeout=timeout * 1000)
        return log


def unexpected_console_errors(page, log: StaticRequestLog | None = None) -> list[str]:
    """Console and page errors, minus resource-load failures that are expected: URLs we
    blocked on purpose and the html manager's first, local probe for a module
    (require.js asks ``<page dir>/<module>.js`` before falling back to the CDN)."""
    ignored = set(log.blocked) if log else set()
    out = list(getattr(page, "page_errors", []))
    for entry in getattr(page, "console_errors", []):
        url = entry.get("url") or ""
        if entry["text"].startswith("Failed to load resource"):
            if url in ignored:
                continue
            if log and url in log.local and url.endswith(".js"):
                continue  # require.js local probe, 404, then CDN fallback
        out.append(f"{entry['text']} ({url})")
    return out
