"""The application layer: the ``hhdyn`` command line, the catalog of named models and the figure
gallery. It sits on top of the model layer (:mod:`hhdyn`), :mod:`reductions` and :mod:`analysis`
and may import all of them; nothing below imports it (the import-linter contracts in
``pyproject.toml`` enforce this).
"""
