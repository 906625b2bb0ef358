#!/usr/bin/env bash
# Build the optional environment of the benchmark peers (Brian2) in a separate venv.
#
#   bash benchmarks/setup_peers.sh            # -> ~/.cache/hhdyn/bench-peers
#   HHDYN_BENCH_PEERS=/some/dir bash benchmarks/setup_peers.sh
#
# benchmarks/simulation.py finds the venv at the same place and runs the Brian2 rows in it
# (as a subprocess), so hhdyn's own environment never needs Brian2. Brian2's C++ standalone
# mode needs a C++ compiler (g++) on the PATH. The venv is built by the shared recipe
# tests/peers/setup_peer.sh (requirements file + venv directory).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${HHDYN_BENCH_PEERS:-$HOME/.cache/hhdyn/bench-peers}"
bash "$here/../tests/peers/setup_peer.sh" "$here/requirements-peers.txt" "$venv" \
    "import brian2; print('brian2', brian2.__version__, 'installed in $venv')"
command -v g++ >/dev/null || echo "warning: no g++ found; Brian2 C++ standalone rows will be skipped" >&2
