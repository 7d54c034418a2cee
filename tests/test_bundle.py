"""The committed JS bundle in xai_widgets/static/ must be what js/ builds, and self-contained.

The bundle is shipped as package data so that installing the package never runs npm; these
tests catch a source change that was not rebuilt, and a bundle that would not load from the
Blob URL anywidget uses (no imports left, no CDN).
"""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "js"
STATIC = ROOT / "xai_widgets" / "static"
REBUILD = "rebuild with `npm run build --prefix js` and commit xai_widgets/static/"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    """Directory holding a fresh build of js/ (the same build script, another outdir)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not on PATH: install Node.js >= 18 to check the JS bundle")
    if not (JS / "node_modules" / "esbuild").is_dir():
        pytest.fail("js/node_modules is missing: run `npm ci --prefix js` first")
    out = tmp_path_factory.mktemp("static")
    proc = subprocess.run(
        [node, str(JS / "build.mjs"), "--outdir", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"JS build failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def _files(d):
    return sorted(p.name for p in d.iterdir() if p.is_file())


def test_committed_bundle_is_fresh(fresh):
    built, committed = _files(fresh), _files(STATIC)
    assert built, "the build produced no files"
    assert built == committed, (
        f"xai_widgets/static/ holds {committed} but the build makes {built}; "
        f"delete stale files, {REBUILD}"
    )
    stale = [n for n in built if (fresh / n).read_bytes() != (STATIC / n).read_bytes()]
    assert not stale, f"xai_widgets/static/{', '.join(stale)} differ from a fresh build: {REBUILD}"


# Module syntax that would make the browser fetch something: static imports (`from"x"`,
# `import"x"`, `import{..}`, `import*`), dynamic `import(`, and CommonJS `require(`.
IMPORT_PATTERNS = [
    r"\bfrom\s*[\"'`]",
    r"\bimport\s*[\"'`{*(]",
    r"\bimport\s+[\w$]+\s*(,|from\b)",
    r"\brequire\s*\(",
]
# http(s) URLs except XML namespace identifiers (createElementNS), which are never fetched.
URL_PATTERN = r"https?://(?!www\.w3\.org/)"


def test_bundle_is_self_contained(fresh):
    js_files = sorted(fresh.glob("*.js"))
    assert js_files, "no JS bundle built"
    for path in sorted(fresh.iterdir()):
        text = path.read_text(encoding="utf-8")
        url = re.search(URL_PATTERN, text)
        assert url is None, f"{path.name} refers to a URL: ...{text[url.start():url.start() + 80]}..."
        if path.suffix == ".js":
            for pattern in IMPORT_PATTERNS:
                m = re.search(pattern, text)
                assert m is None, (
                    f"{path.name} still imports something ({pattern!r}): "
                    f"...{text[max(0, m.start() - 40):m.end() + 40]}...; everything must be bundled"
                )
            assert re.search(r"export\s*\{[^}]*\bas default\b", text) or "export default" in text, (
                f"{path.name} has no default export (anywidget needs `export default {{render}}`)"
            )
        elif path.suffix == ".css":
            assert "@import" not in text, f"{path.name} uses @import; inline the CSS instead"
