#!/usr/bin/env bash
# Build the side environment of the whole-run benchmark's peer, xpplab (XPPAUT 8 + AUTO as a
# native library), in its own venv:
#
#   bash benchmarks/setup_xpplab.sh             # -> ~/.cache/hhdyn/xpplab
#   HHDYN_XPPLAB_ENV=/some/dir bash benchmarks/setup_xpplab.sh
#
# xpplab is GPL: it is a benchmark peer only, never a dependency of hhdyn. benchmarks/whole_run.py
# finds the venv at the same place and runs xpplab there as a separate process.
set -euo pipefail
venv="${HHDYN_XPPLAB_ENV:-$HOME/.cache/hhdyn/xpplab}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet xpplab
"$venv/bin/python" -c "import xpplab; print('xpplab', getattr(xpplab, '__version__', '?'), 'installed in $venv')"
