"""TensorFlow's start-up lines (absl, oneDNN, cuda drivers, cuInit) stay out of a notebook
(issue 19): in a kernel, `import xai_widgets` imports TensorFlow with them filtered out."""

import os
import subprocess
import sys

from xai_widgets._startup import is_noise

SCRIPT = """
import sys, types
sys.modules["ipykernel"] = types.ModuleType("ipykernel")   # as in a Jupyter kernel
import xai_widgets as xw
import tensorflow as tf
print(float(tf.constant(1.0) + 1.0))
import sys; sys.stderr.write("a real warning stays\\n")
"""


def test_a_kernel_importing_xai_widgets_prints_no_start_up_noise():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                         env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "2.0"
    for word in ("cuInit", "oneDNN", "absl", "cuda drivers"):
        assert word not in out.stderr, out.stderr
    assert "a real warning stays" in out.stderr


def test_the_filter_keeps_real_errors():
    assert is_noise("WARNING: All log messages before absl::InitializeLog() is called are "
                    "written to STDERR")
    assert is_noise("I0000 00:00:1796019553.575394   16535 port.cc:153] oneDNN custom "
                    "operations are on.")
    assert not is_noise("E0000 00:00:1796019553.575394   16535 model.cc:12] out of memory")
    assert not is_noise("Traceback (most recent call last):")
