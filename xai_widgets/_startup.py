"""TensorFlow's start-up log lines, kept out of notebooks (issue 19).

Importing TensorFlow writes, from C++ straight to file descriptor 2, lines that say nothing
to a learner: absl's "All log messages before absl::InitializeLog()", oneDNN's INFO line,
"Could not find cuda drivers", and on a machine without an NVIDIA GPU a "failed call to
cuInit" error. TF_CPP_MIN_LOG_LEVEL does not hide them (they come before it applies).
ipykernel forwards descriptor 2 into the notebook: a pink block under the first cell.

In a Jupyter kernel, ``import xai_widgets`` therefore imports TensorFlow once with
descriptor 2 captured, drops those lines (the same rule as ``./dev``'s filter) and writes any
other line back to stderr. Outside a kernel nothing changes. ``TF_CPP_MIN_LOG_LEVEL=0`` shows
everything.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile


def _noise_patterns() -> list[re.Pattern]:
    patterns = [
        r"^WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR$",
        r"^[IW][0-9]{4} [0-9:.]+ +[0-9]+ [^ ]+:[0-9]+\] ",  # absl INFO/WARNING lines
        r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+: [IW] [^ ]+:[0-9]+\] ",  # TF <= 2.16
        r"^To enable the following instructions: .*rebuild TensorFlow with the appropriate "
        r"compiler flags\.$",
    ]
    if not (os.path.exists("/dev/nvidiactl") or os.path.exists("/dev/nvidia0")):
        # no NVIDIA device: TensorFlow runs on the CPU, as intended; the error is noise
        patterns.append(r"^E[0-9]{4} [0-9:.]+ +[0-9]+ [^ ]+:[0-9]+\] failed call to cuInit: ")
        patterns.append(r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:.]+: E [^ ]+:[0-9]+\] failed call "
                        r"to cuInit: ")
    return [re.compile(p) for p in patterns]


def is_noise(line: str) -> bool:
    return any(p.search(line) for p in _noise_patterns())


def import_tensorflow_quietly() -> bool:
    """Import TensorFlow (and let it look for devices, where cuInit's error comes from) with
    descriptor 2 captured; write back the lines that are not start-up noise. Returns False
    when nothing was done (already imported, TF_CPP_MIN_LOG_LEVEL=0, no descriptor 2)."""
    if "tensorflow" in sys.modules or os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "0":
        return False
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no INFO/WARNING lines after start-up
    try:
        saved = os.dup(2)
    except OSError:
        return False
    with tempfile.TemporaryFile() as captured:
        try:
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - a closed or odd stderr: nothing to flush
            pass
        os.dup2(captured.fileno(), 2)
        failed = False
        try:
            import tensorflow as tf

            tf.config.list_physical_devices()
        except BaseException:
            failed = True
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            if failed and text:  # the import failed: every line may matter, none is dropped
                sys.stderr.write(text)
    kept = [line for line in text.splitlines() if line.strip() and not is_noise(line)]
    if kept:
        sys.stderr.write("\n".join(kept) + "\n")
    return True


def quiet_in_kernel():
    """In a Jupyter kernel (ipykernel loaded), import TensorFlow without its start-up noise."""
    if "ipykernel" in sys.modules:
        try:
            import_tensorflow_quietly()
        except ImportError:  # TensorFlow missing: the error comes where it is used
            pass
