"""Equations written once as expression strings, evaluated by NumPy and compiled by the engine.

A model that is not conductance-based (FitzHugh–Nagumo, its HH-unit caricature) declares its
right-hand side and its exact Jacobian as an :class:`Equations` object: Python expressions in
the state and parameter names. The *same* strings are

* turned into a NumPy function once per :class:`Equations` object — the model's own
  ``rhs``/``jacobian`` call it (:meth:`Equations.rhs_values`, :meth:`Equations.jacobian_values`);
* pasted into the generated numba kernels by :func:`hhdyn.engine.declare.declare`, with the
  applied stimulus added to the ``stimulus`` parameter (``I_ext``).

So the equations exist once, on the model class. Expressions may use numbers, the names, the
operators ``+ − * / **`` and the functions ``fexp`` (eˣ), ``explin`` (x/(1 − e^(−x)), exact at 0)
and ``logistic`` (1/(1 + e^(−x))); anything else is rejected with a ValueError when the
:class:`Equations` is built. ``definitions`` are helper names evaluated in order before the
equations (e.g. ``("u", "(V - V_mid)/V_scale")``).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import numpy as np

__all__ = ["Equations", "FUNCTIONS"]

#: Functions allowed in expressions (name → what it computes); NumPy versions in _NUMPY_FUNCTIONS.
FUNCTIONS = {
    "fexp": "exp(x)",
    "explin": "x/(1 - exp(-x)), equal to 1 at x = 0",
    "logistic": "1/(1 + exp(-x))",
}

_ALLOWED_NODES = (
    ast.Expression, ast.BinOp, ast.UnaryOp, ast.Constant, ast.Name, ast.Load, ast.Call,
    ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd,
)


def _numpy_functions():
    from scipy.special import expit

    from ..rates import explin

    return {"fexp": np.exp, "explin": explin, "logistic": expit}


def _parse(label: str, text: str, known: set) -> ast.Expression:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"{label}: expected a non-empty expression string, got {text!r}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"{label}: {text!r} is not a valid expression ({exc.msg})") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"{label}: {type(node).__name__} is not allowed in {text!r} "
                             "(only numbers, names, + - * / ** and fexp/explin/logistic)")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise ValueError(f"{label}: constant {node.value!r} in {text!r} is not a number")
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS
                    and len(node.args) == 1 and not node.keywords):
                raise ValueError(f"{label}: only one-argument calls of {', '.join(FUNCTIONS)} are allowed, "
                                 f"got {ast.unparse(node)!r}")
        elif isinstance(node, ast.Name) and node.id not in known and node.id not in FUNCTIONS:
            raise ValueError(f"{label}: unknown name {node.id!r} in {text!r}; known: {', '.join(sorted(known))}")
    return tree


class _Rename(ast.NodeTransformer):
    def __init__(self, mapping: Mapping[str, str]):
        self.mapping = mapping

    def visit_Call(self, node):  # keep function names, rename inside the arguments
        node.args = [self.visit(a) for a in node.args]
        return node

    def visit_Name(self, node):
        if node.id in self.mapping:
            return ast.parse(self.mapping[node.id], mode="eval").body
        return node


@dataclass(frozen=True)
class Equations:
    """A model's right-hand side and exact Jacobian as expression strings.

    Parameters
    ----------
    state_names, param_names : tuple of str
        The model's states (in order) and parameters.
    rhs : mapping state → expression
        ds/dt for every state.
    jacobian : mapping (row state, column state) → expression
        ∂(d row/dt)/∂column; entries left out are 0.
    definitions : sequence of (name, expression)
        Helper quantities evaluated in order before the equations.
    stimulus : str
        The parameter to which an applied (time-dependent) current is added (``I_ext``).
    """

    state_names: tuple
    param_names: tuple
    rhs: Mapping[str, str]
    jacobian: Mapping[tuple, str]
    definitions: tuple = field(default=())
    stimulus: str = "I_ext"

    def __post_init__(self):
        object.__setattr__(self, "state_names", tuple(self.state_names))
        object.__setattr__(self, "param_names", tuple(self.param_names))
        object.__setattr__(self, "definitions", tuple((str(k), str(v)) for k, v in self.definitions))
        names = self.state_names + self.param_names + tuple(k for k, _ in self.definitions)
        for name in names:
            if not name.isidentifier() or name in FUNCTIONS or name.startswith("_"):
                raise ValueError(f"name {name!r} cannot be used in equations (not an identifier, reserved, "
                                 "or starting with '_')")
        if len(set(names)) != len(names):
            raise ValueError(f"states, parameters and definitions must have distinct names, got {names}")
        if set(self.rhs) != set(self.state_names):
            raise ValueError(f"rhs must give every state {self.state_names} exactly once, got {tuple(self.rhs)}")
        if self.stimulus not in self.param_names:
            raise ValueError(f"stimulus parameter {self.stimulus!r} is not among the parameters {self.param_names}")
        known = set(self.state_names + self.param_names)
        for name, text in self.definitions:
            _parse(f"definition {name!r}", text, known)
            known.add(name)
        for s in self.state_names:
            _parse(f"rhs of {s!r}", self.rhs[s], known)
        for key, text in self.jacobian.items():
            if not (isinstance(key, tuple) and len(key) == 2 and all(k in self.state_names for k in key)):
                raise ValueError(f"jacobian keys must be (row state, column state), got {key!r}")
            _parse(f"jacobian entry {key!r}", text, known)

    # ------------------------------------------------------------------ source for other targets
    def lines(self, states: Mapping[str, str], coefs: Mapping[str, str], prefix: str = "ex_") -> tuple[list, dict]:
        """Source lines of the definitions and a renaming function for expressions.

        ``states`` and ``coefs`` map state / parameter names to expressions in the target code;
        definitions become locals ``<prefix><name>_``. Returns (lines, rename) with
        ``rename(text) -> str``.
        """
        mapping = dict(coefs)
        mapping.update(states)

        def rename(text: str) -> str:
            tree = ast.parse(text.strip(), mode="eval")
            return ast.unparse(_Rename(mapping).visit(tree))

        out = []
        for name, text in self.definitions:
            local = f"{prefix}{name}_"
            out.append(f"{local} = {rename(text)}")
            mapping[name] = local
        return out, rename

    @property
    def key(self) -> str:
        """Text identifying the equations (for the kernel cache)."""
        jac = sorted((f"{r},{c}", t) for (r, c), t in self.jacobian.items())
        return repr((self.state_names, self.param_names, self.definitions,
                     sorted(self.rhs.items()), jac, self.stimulus))

    # ------------------------------------------------------------------ NumPy evaluation
    @cached_property
    def _numpy(self):
        states = {s: f"_y_[{i}]" for i, s in enumerate(self.state_names)}
        coefs = {p: f"_p_[{p!r}]" for p in self.param_names}
        defs, rename = self.lines(states, coefs, prefix="_d_")
        n = len(self.state_names)
        rhs_src = ", ".join(rename(self.rhs[s]) for s in self.state_names)
        jac_src = ", ".join(
            rename(self.jacobian[(r, c)]) if (r, c) in self.jacobian else "0.0"
            for r in self.state_names for c in self.state_names
        )
        body = "\n".join("    " + line for line in defs)
        source = (f"def _rhs(_y_, _p_):\n{body}\n    return ({rhs_src},)\n\n"
                  f"def _jac(_y_, _p_):\n{body}\n    return ({jac_src},)\n")
        namespace = dict(_numpy_functions())
        exec(compile(source, f"<equations of {self.state_names}>", "exec"), namespace)
        return namespace["_rhs"], namespace["_jac"], n

    @staticmethod
    def _stack(values, lead, y):
        shape = np.broadcast_shapes(np.shape(y[0]), *(np.shape(v) for v in values))
        out = np.empty(lead + shape)
        flat = out.reshape((-1,) + shape)
        for i, v in enumerate(values):
            flat[i] = v
        return out

    def rhs_values(self, y, params: Mapping) -> np.ndarray:
        """dy/dt at ``y`` (shape (n,) or (n, N)) with parameter values ``params``."""
        y = np.asarray(y, dtype=float)
        f, _, n = self._numpy
        return self._stack(f(y, params), (n,), y)

    def jacobian_values(self, y, params: Mapping) -> np.ndarray:
        """∂f/∂y at ``y``, shape (n, n) or (n, n, N)."""
        y = np.asarray(y, dtype=float)
        _, f, n = self._numpy
        return self._stack(f(y, params), (n, n), y)
