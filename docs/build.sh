#!/usr/bin/env bash
# Build the documentation into docs/_build/html with warnings treated as errors.
# Needs the docs extra: pip install ".[docs]"  (sphinx, sphinx-gallery, numpydoc, myst-nb, ...).
# Usage: docs/build.sh [extra sphinx-build options]
set -euo pipefail
cd "$(dirname "$0")"
exec "${PYTHON:-python3}" -m sphinx -b html -W --keep-going -j 1 "$@" . _build/html
