#!/usr/bin/env bash
# Installs tf-keras-vis (for the comparison in bench_explainers.py) into .bench-deps/, a
# directory outside the project's virtualenv and outside its dependencies. The benchmark puts
# .bench-deps/ on sys.path when it exists; delete the directory to remove it again.
#
# tf-keras-vis 0.8.7 declares: scipy, pillow, deprecated, imageio, packaging. The project's
# .venv already has scipy, pillow, imageio and packaging (via matplotlib/scikit-image), so only
# the missing ones are installed, with --no-deps so nothing in .venv is upgraded or shadowed.
# `deprecated` needs `wrapt`, which TensorFlow already brings.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
TARGET=${BENCH_DEPS:-.bench-deps}

"$PY" -m pip install --upgrade --no-deps --target "$TARGET" "tf-keras-vis==0.8.7"
# The wheel also ships a top-level `tests` package; drop it so it can never shadow anything.
if grep -q '^tests/' "$TARGET"/tf_keras_vis-0.8.7.dist-info/RECORD 2>/dev/null; then
    rm -rf "$TARGET/tests"
fi
missing=$("$PY" - <<'PYEOF'
import importlib.util
need = {"scipy": "scipy", "PIL": "pillow", "deprecated": "deprecated",
        "imageio": "imageio", "packaging": "packaging", "wrapt": "wrapt"}
print(" ".join(pkg for mod, pkg in need.items() if importlib.util.find_spec(mod) is None))
PYEOF
)
if [ -n "$missing" ]; then
    echo "installing into $TARGET: $missing"
    # shellcheck disable=SC2086
    "$PY" -m pip install --upgrade --no-deps --target "$TARGET" $missing
fi
PYTHONPATH="$TARGET" "$PY" -c "import tf_keras_vis; print('tf-keras-vis', tf_keras_vis.__version__, 'in', '$TARGET')"
