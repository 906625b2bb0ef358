"""Sub-commands of the ``hhdyn`` command line, one module each (see :mod:`hhdyn.app.cli`)."""
