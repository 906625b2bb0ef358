"""``python -m hhdyn``: the same command line as the ``hhdyn`` script."""
import sys

from hhdyn.app.cli import main

sys.exit(main())
