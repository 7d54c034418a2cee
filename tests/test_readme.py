"""Every ```python block of README.md runs verbatim, in order, in one fresh interpreter.

A newcomer copies the README's snippets into a notebook one after another; so does this test,
in a subprocess (a fresh interpreter, no state from other tests) whose working directory is a
temporary folder (``to_png`` writes files there). Widgets are created without a frontend. The
snippets use the demo models, trained once and cached in ``$XAI_WIDGETS_CACHE`` or
``~/.cache/xai-widgets``: slow the first time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
README = REPO_ROOT / "README.md"

# Runs in the subprocess: each block compiled with its README line numbers, so a traceback
# points at the README line that failed.
RUNNER = r"""
import json, sys
blocks = json.loads(sys.stdin.read())
namespace = {"__name__": "__main__"}
for line, source in blocks:
    print(f"--- README.md block from line {line + 1}", flush=True)
    code = compile("\n" * line + source, "README.md", "exec")
    exec(code, namespace)
print("--- all blocks ran", flush=True)
"""


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line of the block's first code line - 1, source) of each ```python fenced block."""
    blocks = []
    for match in re.finditer(r"^```python[ \t]*\n(.*?)^```[ \t]*$", text, re.M | re.S):
        line = text.count("\n", 0, match.start(1))
        blocks.append((line, match.group(1)))
    return blocks


def test_readme_has_python_blocks():
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    assert len(blocks) >= 4, blocks  # Use, ImageExplainer, LayerBrowser, FeatureImportance
    for _, source in blocks:
        compile(source, "README.md", "exec")  # every block is valid Python on its own


@pytest.mark.slow
def test_readme_python_blocks_run_in_order(tmp_path):
    blocks = python_blocks(README.read_text(encoding="utf-8"))
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        MPLBACKEND="Agg",  # exp.plot() with no display
        TF_CPP_MIN_LOG_LEVEL=os.environ.get("TF_CPP_MIN_LOG_LEVEL", "2"),
    )
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER], input=json.dumps(blocks), cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, (
        f"a README snippet failed (exit {proc.returncode}):\n{proc.stdout[-4000:]}\n"
        f"{proc.stderr[-6000:]}"
    )
    assert "--- all blocks ran" in proc.stdout
    # the files the snippets say they write
    written = re.findall(r"to_png\(\"([^\"]+)\"\)", "".join(s for _, s in blocks))
    assert written, "no to_png(...) in the README's snippets: update this test"
    for name in written:
        path = tmp_path / name
        assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
