#!/usr/bin/env bash
# Build the optional NEURON peer environment (a separate venv; hhdyn never imports NEURON).
#
#   bash tests/peers/setup_neuron.sh            # -> ~/.cache/hhdyn/neuron-peer
#   HHDYN_NEURON_PEER=/some/dir bash tests/peers/setup_neuron.sh
#
# The tests marked `neuron` (tests/peers/test_neuron_peer.py) and the gallery module
# hhdyn.app.gallery.neuron_peer find the venv at the same place and run
# tests/peers/neuron_runner.py in it as a subprocess that returns JSON.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${HHDYN_NEURON_PEER:-$HOME/.cache/hhdyn/neuron-peer}"
python="${PYTHON:-python3}"
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -r "$here/requirements-neuron.txt"
"$venv/bin/python" -c "import neuron; print('NEURON', neuron.__version__, 'installed in $venv')"
