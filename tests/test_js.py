"""The frontend's unit tests (colormaps, thresholds, decoding, ticks), run with node's own
test runner so that `./dev test` is the one command for every test."""

import re
import shutil
import subprocess
from pathlib import Path

JS = Path(__file__).resolve().parent.parent / "js"


def test_js_unit_tests_pass():
    node = shutil.which("node")
    assert node, "Node.js is needed for the frontend tests (Debian: apt-get install nodejs)"
    tests = sorted(str(p.relative_to(JS)) for p in (JS / "test").glob("*.test.mjs"))
    assert tests, "no JS test files found in js/test/"
    result = subprocess.run([node, "--test", *tests], cwd=JS, capture_output=True, text=True,
                            timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    passed = re.search(r"^# pass (\d+)", result.stdout, re.M)
    failed = re.search(r"^# fail (\d+)", result.stdout, re.M)
    assert passed and int(passed.group(1)) > 0, output
    assert failed and int(failed.group(1)) == 0, output
    print(f"JS tests: {passed.group(1)} passed")
