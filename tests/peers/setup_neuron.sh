#!/usr/bin/env bash
# Build the optional NEURON peer environment (a separate venv; hhdyn never imports NEURON).
#
#   bash tests/peers/setup_neuron.sh            # -> ~/.cache/hhdyn/neuron-peer
#   HHDYN_NEURON_PEER=/some/dir bash tests/peers/setup_neuron.sh
#
# The tests marked `neuron` (tests/analysis/test_neuron_peer.py) and the gallery figure
# neuron_vs_hhdyn_reconstruction find the venv at the same place and run
# analysis/_neuron_runner.py in it as a subprocess that returns JSON (analysis.neuron_peer).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${HHDYN_NEURON_PEER:-$HOME/.cache/hhdyn/neuron-peer}"
exec bash "$here/setup_peer.sh" "$here/requirements-neuron.txt" "$venv" \
    "import neuron; print('NEURON', neuron.__version__, 'installed in $venv')"
