#!/usr/bin/env bash
# Installs dice-ml (for the comparison in bench_counterfactuals.py) into .bench-deps/, outside
# the project's virtualenv and dependencies (as setup_tf_keras_vis.sh does). dice-ml 0.12
# declares xgboost and lightgbm (with a 350 MB NCCL wheel), which its model-agnostic "random"
# method does not use: only dice-ml and raiutils are installed, with --no-deps, so nothing in
# .venv is upgraded or shadowed (numpy, pandas, scikit-learn, tqdm and jsonschema are there).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
TARGET=${BENCH_DEPS:-.bench-deps}
"$PY" -m pip install --upgrade --no-deps --target "$TARGET" "dice-ml==0.12" "raiutils==0.4.2"
PYTHONPATH="$TARGET" "$PY" -c "import dice_ml; print('dice-ml 0.12 in', '$TARGET')"
