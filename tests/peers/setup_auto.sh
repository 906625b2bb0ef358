#!/usr/bin/env bash
# Build the optional AUTO-07p peer environment (a separate venv with bifpy; hhdyn never imports it).
#
#   bash tests/peers/setup_auto.sh            # -> ~/.cache/hhdyn/auto-peer
#   HHDYN_AUTO_PEER=/some/dir bash tests/peers/setup_auto.sh
#
# bifpy compiles AUTO-07p's Fortran sources when pip installs it: gfortran and GNU make must be on
# the PATH (installed here with apt-get when missing and run as root). The tests marked `auto`
# (tests/analysis/test_auto_peer.py) find the venv at the same place and run
# analysis/_auto_runner.py in it as a subprocess (JSON in, JSON out; analysis.auto_peer).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${HHDYN_AUTO_PEER:-$HOME/.cache/hhdyn/auto-peer}"
if ! command -v gfortran >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "setup_auto: installing gfortran (apt-get install gfortran make)"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gfortran make >/dev/null
    else
        echo "setup_auto: bifpy needs gfortran (e.g. apt-get install gfortran make)" >&2
        exit 1
    fi
fi
exec bash "$here/setup_peer.sh" "$here/requirements-auto.txt" "$venv" \
    "import bifpy.auto as a; print('bifpy (AUTO-07p)', __import__('importlib.metadata').metadata.version('bifpy'), 'installed in $venv')"
