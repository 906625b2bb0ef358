#!/usr/bin/env bash
# Build (or update) one optional peer environment: a separate venv with a requirements file.
#
#   bash tests/peers/setup_peer.sh REQUIREMENTS VENV [CHECK]
#
# REQUIREMENTS: a pip requirements file; VENV: the venv's directory (created if missing);
# CHECK: Python code run in the venv afterwards (e.g. "import neuron; print(...)").
# The per-peer scripts (setup_neuron.sh, setup_auto.sh, benchmarks/setup_peers.sh) call this one
# with their requirements file and their default place under ~/.cache/hhdyn. hhdyn never imports
# a peer: the tests run a runner script in the peer's venv as a subprocess (JSON in, JSON out).
set -euo pipefail
if [ "$#" -lt 2 ]; then
    echo "usage: $0 REQUIREMENTS VENV [CHECK]" >&2
    exit 2
fi
requirements="$1"
venv="$2"
check="${3:-}"
python="${PYTHON:-python3}"
if [ ! -f "$requirements" ]; then
    echo "$0: no requirements file $requirements" >&2
    exit 2
fi
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$requirements"
if [ -n "$check" ]; then
    "$venv/bin/python" -c "$check"
fi
