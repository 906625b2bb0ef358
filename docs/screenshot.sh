#!/usr/bin/env bash
# Headless-Chromium screenshots of the built site (docs/_build/html) into docs/_build/screenshots:
# the gallery index and one tutorial page (to check by eye that pictures and equations render).
# Usage: docs/screenshot.sh [chromium binary]   (apt-get install -y chromium)
set -euo pipefail
cd "$(dirname "$0")"
browser="${1:-$(command -v chromium || command -v chromium-browser || command -v google-chrome)}"
html="$PWD/_build/html"
out="$PWD/_build/screenshots"
mkdir -p "$out"
shot() {  # page, png, height
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,"$3" \
        --virtual-time-budget=15000 --screenshot="$out/$2" "file://$html/$1" 2>/dev/null
    test -s "$out/$2" && echo "$out/$2"
}
shot auto_gallery/index.html gallery_index.png 2400
shot tutorials/03_bifurcations.html tutorial_bifurcations.png 2400
shot tutorials/01_hh_model.html tutorial_hh_model.png 1600
