"""Models from equations written as text: parsed by sympy, differentiated exactly, compiled.

>>> fhn = equations({"v": "v - v**3/3 - w + I_ext", "w": "eps*(v + a - b*w)"},
...                 params={"a": 0.7, "b": 0.8, "eps": 0.08, "I_ext": 0.0})
>>> fhn.rhs([0.0, 0.0]), fhn.jacobian([0.0, 0.0])

Each right-hand side f_i(y; p) is parsed once into a sympy expression (with
:func:`sympy.parsing.sympy_parser.parse_expr`, after every token of the text has been checked
against the declared names: no Python is evaluated from user text). From the same expressions

* the exact Jacobian ∂f_i/∂y_j and the parameter derivatives ∂f_i/∂p are derived symbolically;
* NumPy functions are generated (:func:`sympy.lambdify`) for ``rhs``, ``jacobian``, ``dfdp`` and
  the auxiliary quantities, vectorized over ``y`` of shape (n,) or (n, N);
* the numba kernels of :func:`hhdyn.simulate_batch` are generated (the model registers an engine
  declaration through :func:`hhdyn.engine.register`).

Removable singularities of the HH exp-linear form are found and made exact: every product
``R/(c·(1 − exp(B))`` or ``R/(c·(exp(B) − 1))`` where R/B, after cancelling, has no denominator
vanishing with B (R is a multiple of B, e.g. B = (V − V½)/k and R = A·(V − V½)) is rewritten as ``(R/(−c·B))·explin(−B)`` resp. ``(R/(c·B))·explin(−B)`` with
explin(x) = x/(1 − e^(−x)), exact (equal to 1) at x = 0. So ``0.1*(V+40)/(1-exp(-(V+40)/10))``
is finite at V = −40 mV and its derivative there is exact.

Functions available in the text: ``exp ln log log10 sqrt sin cos tan asin acos atan atan2 sinh
cosh tanh abs sign heav min max ifelse explin`` (heav(x) = 1 for x ≥ 0, else 0; ifelse(c, a, b)
= a where the condition c holds, else b), the constant ``pi``, ``**`` or ``^`` for powers,
comparisons and ``&``/``|`` inside conditions, plus the user's own ``functions``.
"""
from __future__ import annotations

import io
import keyword
import math
import re
import tokenize
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .protocol import ODEModel
from .rates import explin as explin_value
from .rates import explin_deriv, explin_deriv_source, explin_source

__all__ = ["EquationModel", "equations", "EquationError", "BUILTIN_FUNCTIONS"]


class EquationError(ValueError):
    """Bad equation text or declaration; the message names the equation and the problem."""


#: names of the functions the text may call (besides the user's own)
BUILTIN_FUNCTIONS = (
    "exp", "ln", "log", "log10", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2",
    "sinh", "cosh", "tanh", "abs", "sign", "heav", "min", "max", "ifelse", "explin",
)
_CONSTANTS = ("pi",)
_ALLOWED_OPS = {"+", "-", "*", "/", "**", "^", "(", ")", ",", "<", ">", "<=", ">=", "==", "!=", "&", "|", "~"}


# --------------------------------------------------------------------------- sympy pieces
@lru_cache(maxsize=1)
def _sympy():
    import sympy

    class explin(sympy.Function):
        """x/(1 − e^(−x)), with explin(0) = 1."""

        nargs = 1

        def fdiff(self, argindex=1):
            return dexplin(self.args[0])

        @classmethod
        def eval(cls, x):
            if x.is_zero:
                return sympy.Integer(1)

    class dexplin(sympy.Function):
        """d/dx explin(x), with value 1/2 at x = 0."""

        nargs = 1

        @classmethod
        def eval(cls, x):
            if x.is_zero:
                return sympy.Rational(1, 2)

    return sympy, explin, dexplin


def _builtins():
    sympy, explin, _ = _sympy()

    def heav(x):
        return sympy.Piecewise((sympy.Integer(1), x >= 0), (sympy.Integer(0), True))

    def sign(x):
        return sympy.Piecewise((sympy.Integer(1), x > 0), (sympy.Integer(-1), x < 0), (sympy.Integer(0), True))

    def ifelse(c, a, b):
        if c is sympy.true or c is sympy.false or not isinstance(c, sympy.logic.boolalg.Boolean):
            c = sympy.Ne(c, 0)  # a number used as a condition: true when non-zero (as in XPPAUT)
        return sympy.Piecewise((a, c), (b, True))

    def minimum(a, b):
        return sympy.Piecewise((a, a <= b), (b, True))

    def maximum(a, b):
        return sympy.Piecewise((a, a >= b), (b, True))

    return {
        "exp": sympy.exp, "ln": sympy.log, "log": sympy.log, "log10": lambda x: sympy.log(x) / sympy.log(10),
        "sqrt": sympy.sqrt, "sin": sympy.sin, "cos": sympy.cos, "tan": sympy.tan, "asin": sympy.asin,
        "acos": sympy.acos, "atan": sympy.atan, "atan2": sympy.atan2, "sinh": sympy.sinh,
        "cosh": sympy.cosh, "tanh": sympy.tanh, "abs": sympy.Abs, "sign": sign, "heav": heav,
        "min": minimum, "max": maximum, "ifelse": ifelse, "explin": explin, "pi": sympy.pi,
    }


def _check_tokens(label: str, text: str, known: set[str]) -> list[str]:
    """The names in ``text``; EquationError for any token that is not a number, a known name or
    an arithmetic/comparison operator."""
    if not isinstance(text, str) or not text.strip():
        raise EquationError(f"{label}: expected a non-empty expression, got {text!r}")
    names = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text.strip()).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError) as exc:
        raise EquationError(f"{label}: {text!r} is not a valid expression ({exc})") from None
    for tok in tokens:
        if tok.type in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT):
            continue
        if tok.type == tokenize.NUMBER:
            if re.search(r"[jJ]$|^0[xXoObB]|_", tok.string):
                raise EquationError(f"{label}: number {tok.string!r} in {text!r} is not a real decimal number")
            continue
        if tok.type == tokenize.NAME:
            if keyword.iskeyword(tok.string) or tok.string.startswith("_"):
                raise EquationError(f"{label}: {tok.string!r} cannot be used in an expression ({text!r})")
            if tok.string not in known:
                raise EquationError(
                    f"{label}: unknown symbol {tok.string!r} in {text!r}; declare it as a state, a parameter, "
                    f"a fixed quantity or a function (known: {', '.join(sorted(known - set(BUILTIN_FUNCTIONS)))})"
                )
            names.append(tok.string)
            continue
        if tok.type == tokenize.OP and tok.string in _ALLOWED_OPS:
            continue
        raise EquationError(f"{label}: {tok.string!r} is not allowed in an expression ({text!r}); "
                            "use numbers, names, + - * / ** ^, comparisons and function calls")
    return names


def parse(label: str, text: str, namespace: Mapping[str, object]):
    """Parse ``text`` into a sympy expression over ``namespace`` (name → sympy object or function).

    Every token is checked first (:func:`_check_tokens`); then sympy's parser builds the
    expression with only ``namespace`` and sympy's number classes in scope.
    """
    sympy, _, _ = _sympy()
    from sympy.parsing.sympy_parser import auto_number, convert_xor, parse_expr, rationalize

    _check_tokens(label, text, set(namespace))
    scope = {"Integer": sympy.Integer, "Float": sympy.Float, "Rational": sympy.Rational, "__builtins__": {}}
    try:
        expr = parse_expr(text.strip(), local_dict=dict(namespace), global_dict=scope,
                          transformations=(auto_number, rationalize, convert_xor), evaluate=True)
    except (SyntaxError, TypeError, ValueError, AttributeError, NameError, ZeroDivisionError) as exc:
        raise EquationError(f"{label}: cannot parse {text!r} ({type(exc).__name__}: {exc})") from None
    if isinstance(expr, (tuple, list)) or not isinstance(expr, sympy.Basic):
        raise EquationError(f"{label}: {text!r} is not a single expression")
    return sympy.sympify(expr)


def regularize(expr, variables):
    """Rewrite removable singularities R/(c(1 − e^B)) as (R/(−cB))·explin(−B) (see module docstring)."""
    sympy, explin, _ = _sympy()

    def visit(e):
        if not e.args:
            return e
        e = e.func(*[visit(a) for a in e.args])
        if not isinstance(e, sympy.Mul):
            return e
        factors = list(e.args)
        for i, f in enumerate(factors):
            if not (isinstance(f, sympy.Pow) and f.exp == -1):
                continue
            found = _one_minus_exp(f.base)
            if found is None:
                continue
            c, B = found  # base = c·(e^B − 1)
            rest = sympy.Mul(*(factors[:i] + factors[i + 1:]))
            vars_B = B.free_symbols & variables
            if not vars_B:
                continue
            ratio = sympy.cancel(sympy.together(rest / B))
            if ratio.has(sympy.exp) or not _no_common_zero(ratio, B):
                continue
            return (ratio / c) * explin(-B)
        return e

    return visit(expr)


def _no_common_zero(ratio, B) -> bool:
    """True when the denominator of the (cancelled) ratio R/B does not vanish with B, so that
    R/(e^B − 1) = (R/B)·B/(e^B − 1) is finite where B = 0."""
    sympy, _, _ = _sympy()
    _, den = ratio.as_numer_denom()
    if not den.free_symbols:
        return True
    num_B, _ = B.as_numer_denom()
    try:
        return not sympy.gcd(den, num_B).free_symbols
    except (sympy.PolynomialError, NotImplementedError, TypeError):
        return False


def _one_minus_exp(base):
    """(c, B) with base = c·(e^B − 1), or None."""
    sympy, _, _ = _sympy()
    base = sympy.expand(base, deep=False)
    if not isinstance(base, sympy.Add) or len(base.args) != 2:
        return None
    exps = [a for a in base.args if a.has(sympy.exp)]
    consts = [a for a in base.args if not a.has(sympy.exp)]
    if len(exps) != 1 or len(consts) != 1:
        return None
    coeff, term = exps[0].as_independent(sympy.exp, as_Add=False)
    if not isinstance(term, sympy.exp):
        return None
    if sympy.simplify(consts[0] + coeff) != 0:
        return None
    return coeff, term.args[0]


# --------------------------------------------------------------------------- code for the kernels
class KernelPrinter:
    """Scalar Python source for numba from sympy expressions (straight-line, vectorizable).

    ``exp`` becomes the engine's vectorizable ``fexp``; ``explin`` and its derivative are written
    out inline with their series branches (as the engine does for the rate families); Piecewise
    becomes nested selects; small integer powers become products.
    """

    _NP = {"log": "np.log", "sqrt": "np.sqrt", "sin": "np.sin", "cos": "np.cos", "tan": "np.tan",
           "asin": "np.arcsin", "acos": "np.arccos", "atan": "np.arctan", "sinh": "np.sinh",
           "cosh": "np.cosh", "tanh": "np.tanh"}

    def __init__(self, names: Mapping[str, str], prefix: str):
        self.names = dict(names)
        self.prefix = prefix
        self.lines: list[str] = []
        self._count = 0

    def assign(self, src: str) -> str:
        self._count += 1
        name = f"{self.prefix}{self._count}_"
        self.lines.append(f"{name} = {src}")
        return name

    def __call__(self, e) -> str:
        sympy, explin, dexplin = _sympy()
        p = self
        if isinstance(e, sympy.Symbol):
            return self.names[e.name]
        if e is sympy.true:
            return "True"
        if e is sympy.false:
            return "False"
        if isinstance(e, sympy.Number) or e is sympy.pi or e is sympy.E:
            value = float(e)
            if not math.isfinite(value):
                raise EquationError(f"non-finite constant {e} in an equation")
            return f"({value!r})"
        if isinstance(e, sympy.Add):
            return "(" + " + ".join(p(a) for a in e.args) + ")"
        if isinstance(e, sympy.Mul):
            num, den = [], []
            for a in e.args:
                if isinstance(a, sympy.Pow) and a.exp.is_Integer and a.exp < 0:
                    den.append(a.base if a.exp == -1 else sympy.Pow(a.base, -a.exp, evaluate=False))
                else:
                    num.append(a)
            top = "*".join(p(a) for a in num) if num else "1.0"
            return f"({top}/({'*'.join(p(a) for a in den)}))" if den else f"({top})"
        if isinstance(e, sympy.Pow):
            b, x = e.args
            if x.is_Integer and 1 <= int(x) <= 8:
                base = self.assign(p(b))
                return "(" + "*".join([base] * int(x)) + ")"
            if x.is_Integer and -8 <= int(x) <= -1:
                base = self.assign(p(b))
                return "(1.0/(" + "*".join([base] * -int(x)) + "))"
            if x == sympy.Rational(1, 2):
                return f"np.sqrt({p(b)})"
            return f"({p(b)}**{p(x)})"
        if isinstance(e, sympy.exp):
            return f"fexp({p(e.args[0])})"
        if isinstance(e, explin):  # the one exp-linear series of hhdyn.rates
            return explin_source(self.assign(p(e.args[0])), self)
        if isinstance(e, dexplin):
            return explin_deriv_source(self.assign(p(e.args[0])), self)
        if isinstance(e, sympy.Abs):
            return f"abs({p(e.args[0])})"
        if isinstance(e, sympy.sign):
            x = self.assign(p(e.args[0]))
            return f"(1.0 if {x} > 0.0 else (-1.0 if {x} < 0.0 else 0.0))"
        if isinstance(e, sympy.atan2):
            return f"np.arctan2({p(e.args[0])}, {p(e.args[1])})"
        if isinstance(e, sympy.Function) and e.func.__name__ in self._NP:
            return f"{self._NP[e.func.__name__]}({p(e.args[0])})"
        if isinstance(e, sympy.Piecewise):
            out = "0.0"
            for value, cond in reversed(e.args):
                if cond is sympy.true:
                    out = f"({p(value)})"
                else:
                    c = self.assign(p(cond))
                    out = f"(({p(value)}) if {c} else {out})"
            return out
        if isinstance(e, sympy.core.relational.Relational):
            return f"({p(e.lhs)} {e.rel_op} {p(e.rhs)})"
        if isinstance(e, sympy.And):
            return "(" + " and ".join(p(a) for a in e.args) + ")"
        if isinstance(e, sympy.Or):
            return "(" + " or ".join(p(a) for a in e.args) + ")"
        if isinstance(e, sympy.Not):
            return f"(not {p(e.args[0])})"
        if isinstance(e, (sympy.Heaviside,)):
            x = self.assign(p(e.args[0]))
            return f"(1.0 if {x} > 0.0 else (0.5 if {x} == 0.0 else 0.0))"
        if isinstance(e, sympy.DiracDelta):
            return "0.0"
        raise EquationError(f"{e} ({type(e).__name__}) cannot be compiled")


def kernel_lines(exprs, names: Mapping[str, str], outs, prefix: str) -> list[str]:
    """Source lines setting the locals ``outs[k]`` to ``exprs[k]`` (common subexpressions shared)."""
    sympy, _, _ = _sympy()
    reps, reduced = sympy.cse(list(exprs), symbols=sympy.numbered_symbols(f"_{prefix}cse"), optimizations=None)
    printer = KernelPrinter(names, prefix)
    for sym, value in reps:
        printer.names[sym.name] = printer.assign(printer(value))
    for out, e in zip(outs, reduced):
        printer.lines.append(f"{out} = {printer(e)}")
    return printer.lines


# --------------------------------------------------------------------------- NumPy functions
def _numpy_heaviside(x, h0=0.5):
    return np.heaviside(x, 0.5)


def _lambdify(args, exprs):
    sympy, _, _ = _sympy()
    modules = [{"explin": explin_value, "dexplin": explin_deriv, "Heaviside": _numpy_heaviside,
                "DiracDelta": lambda *a: 0.0}, "numpy"]
    return sympy.lambdify(args, list(exprs), modules=modules, cse=True)


def _stack(values, lead, y_shape):
    tail = y_shape[1:]
    out = np.empty(lead + tail)
    flat = out.reshape((-1,) + tail)
    for i, v in enumerate(values):
        flat[i] = v
    return out


# --------------------------------------------------------------------------- the model
def _ordered(mapping, what):
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise EquationError(f"{what} must be a mapping name → value, got {type(mapping).__name__}")
    return dict(mapping)


_FUNC_KEY = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*$")


def _function_spec(key, value):
    """(name, args, body) from ``"f(x, y)": "body"`` or ``"f": (("x", "y"), "body")``."""
    m = _FUNC_KEY.match(key)
    if m:
        args = tuple(a.strip() for a in m.group(2).split(",") if a.strip())
        return m.group(1), args, value
    if isinstance(value, (tuple, list)) and len(value) == 2:
        args = value[0].split(",") if isinstance(value[0], str) else value[0]
        return key, tuple(a.strip() for a in args), value[1]
    raise EquationError(f"function {key!r}: write it as 'name(x, y)': 'expression' or name: (args, expression)")


class _Compiled:
    """The symbolic system and its generated NumPy functions (shared by copies of a model)."""

    def __init__(self, spec: dict):
        sympy, _, _ = _sympy()
        self.spec = spec
        states = tuple(spec["rhs"])
        params = tuple(spec["params"])
        label = spec["name"]
        for what, names in (("state", states), ("parameter", params)):
            for n in names:
                if not (isinstance(n, str) and n.isidentifier()) or keyword.iskeyword(n) or n.startswith("_"):
                    raise EquationError(f"{label}: {what} name {n!r} is not an identifier (or starts with '_')")
                if n in BUILTIN_FUNCTIONS or n in _CONSTANTS:
                    raise EquationError(f"{label}: {what} name {n!r} is a built-in function; rename it")
        if not states:
            raise EquationError(f"{label}: no equations given")
        both = [p for p in params if p in states]
        if both:
            raise EquationError(f"{label}: {both[0]!r} is declared both as a parameter and as a state; "
                                "rename one of them")
        for what in ("initial", "ranges", "units"):
            for n in spec[what]:
                if n not in states:
                    raise EquationError(f"{label}: {what} given for {n!r}, which is not a state with an equation "
                                        f"(states: {', '.join(states)}); add an equation for it")
        self.symbols = {n: sympy.Symbol(n, real=True) for n in states + params}
        ns = dict(_builtins())
        ns.update(self.symbols)
        taken = set(ns)
        # user functions, in order (later ones may call earlier ones)
        for key, body in spec["functions"].items():
            fname, args, text = _function_spec(key, body)
            if fname in taken:
                raise EquationError(f"{label}: function {fname!r} clashes with a state, parameter or built-in")
            local = dict(ns)
            arg_syms = [sympy.Symbol(f"{fname}__{a}", real=True) for a in args]
            local.update({a: s for a, s in zip(args, arg_syms)})
            fexpr = parse(f"{label}: function {fname}({', '.join(args)})", str(text), local)
            ns[fname] = sympy.Lambda(tuple(arg_syms), fexpr) if arg_syms else fexpr
            taken.add(fname)
        # fixed quantities, in order, substituted into everything after them
        for fname, text in spec["fixed"].items():
            if not str(fname).isidentifier() or fname in taken:
                raise EquationError(f"{label}: fixed quantity {fname!r} is not an identifier or clashes with "
                                    "another name")
            ns[fname] = parse(f"{label}: fixed quantity {fname}", str(text), ns)
            taken.add(fname)
        variables = set(self.symbols.values())  # states and parameters
        self.states, self.params = states, params
        self.rhs = [regularize(parse(f"{label}: equation for {s}'", str(spec["rhs"][s]), ns), variables)
                    for s in states]
        self.aux_names = tuple(spec["aux"])
        for a in self.aux_names:
            if a in taken and a not in spec["fixed"]:
                raise EquationError(f"{label}: auxiliary quantity {a!r} clashes with a state, parameter or function")
        self.aux = [regularize(parse(f"{label}: auxiliary {a}", str(spec["aux"][a]), ns), variables)
                    for a in self.aux_names]
        for expr, s in zip(self.rhs + self.aux, states + self.aux_names):
            extra = [f for f in expr.atoms(sympy.Function) if isinstance(f, sympy.core.function.AppliedUndef)]
            if extra:
                raise EquationError(f"{label}: equation for {s}: unknown function {extra[0].func}")
        ys = [self.symbols[s] for s in states]
        self.jac = [[sympy.diff(f, y) for y in ys] for f in self.rhs]
        self.args = ys + [self.symbols[p] for p in params]
        self._f = _lambdify(self.args, self.rhs)
        self._J = _lambdify(self.args, [e for row in self.jac for e in row])
        self._dfdp: dict[str, object] = {}
        self._aux = _lambdify(self.args, self.aux) if self.aux else None

    def values(self, fn, y, p):
        y = np.asarray(y, dtype=float)
        return fn(*y, *(p[name] for name in self.params))

    def dfdp_fn(self, name):
        if name not in self._dfdp:
            sympy, _, _ = _sympy()
            sym = self.symbols[name]
            self._dfdp[name] = _lambdify(self.args, [sympy.diff(f, sym) for f in self.rhs])
        return self._dfdp[name]


@lru_cache(maxsize=64)
def _compile(key: str):
    import json

    return _Compiled(json.loads(key))


class EquationModel(ODEModel):
    """A model whose right-hand side is given as text (see :func:`equations`).

    Attributes beyond the model protocol: ``initial`` (state → value), ``state_ranges`` (state →
    (lo, hi), used by :func:`analysis.fixed_points` and phase planes), ``units`` (state → unit
    text), ``aux_names`` and :meth:`aux` (auxiliary quantities), ``stimulus`` (the parameter to
    which an applied current is added, or None), ``options`` (simulation and plot defaults, e.g.
    from an XPPAUT file's ``@`` lines), :meth:`spec` (the text declaration, for saving).
    """

    def __init__(self, spec: Mapping):
        import json

        raw = spec
        spec = {
            "name": str(spec.get("name", "equations")),
            "rhs": _ordered(spec.get("rhs"), "rhs"),
            "params": {k: float(v) for k, v in _ordered(spec.get("params"), "params").items()},
            "initial": {k: float(v) for k, v in _ordered(spec.get("initial"), "initial").items()},
            "functions": {k: (list(v) if isinstance(v, (tuple, list)) else str(v))
                          for k, v in _ordered(spec.get("functions"), "functions").items()},
            "fixed": {k: str(v) for k, v in _ordered(spec.get("fixed"), "fixed").items()},
            "aux": {k: str(v) for k, v in _ordered(spec.get("aux"), "aux").items()},
            "ranges": {k: [float(v[0]), float(v[1])] for k, v in _ordered(spec.get("ranges"), "ranges").items()},
            "units": {k: str(v) for k, v in _ordered(spec.get("units"), "units").items()},
            "stimulus": spec.get("stimulus", "I_ext"),
            "options": dict(spec.get("options") or {}),
        }
        spec["rhs"] = {k: str(v) for k, v in spec["rhs"].items()}
        for k, (lo, hi) in spec["ranges"].items():
            if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
                raise EquationError(f"{spec['name']}: range of {k!r} must be finite with low < high, got {(lo, hi)}")
        stim = spec["stimulus"]
        if stim is not None and stim not in spec["params"]:
            if "stimulus" in raw:
                raise EquationError(f"{spec['name']}: stimulus parameter {stim!r} is not a parameter "
                                    f"({', '.join(spec['params']) or 'none'})")
            spec["stimulus"] = None
        # the symbolic work depends on the texts and the names, not on the numbers
        structure = dict(spec, params={k: 0.0 for k in spec["params"]},
                         initial={k: 0.0 for k in spec["initial"]}, options={})
        self._sys = _compile(json.dumps(structure, sort_keys=False))
        self._spec = spec
        self.name = spec["name"]
        self.state_names = self._sys.states
        self.aux_names = self._sys.aux_names
        self.initial = {s: spec["initial"].get(s, 0.0) for s in self.state_names}
        self.state_ranges = {k: tuple(v) for k, v in spec["ranges"].items()}
        self.units = dict(spec["units"])
        self.stimulus = spec["stimulus"]
        self.options = dict(spec["options"])
        super().__init__(spec["params"])
        self._check_initial()

    def _check_initial(self):
        y0 = self.initial_state()
        with np.errstate(all="ignore"):
            f = np.asarray(self._sys.values(self._sys._f, y0, self.params), dtype=float)
            J = np.asarray(self._sys.values(self._sys._J, y0, self.params), dtype=float)
        for i, s in enumerate(self.state_names):
            if not np.isfinite(f[i]):
                raise EquationError(f"{self.name}: the equation for {s}' = {self._spec['rhs'][s]} is undefined "
                                    f"(division by zero or overflow) at the initial state "
                                    f"{dict(zip(self.state_names, y0))}; change the initial values or the equation")
        if not np.all(np.isfinite(J)):
            i = int(np.argwhere(~np.isfinite(J.reshape(self.n_states, -1)))[0][0])
            raise EquationError(f"{self.name}: the derivative of {self.state_names[i]}' is undefined at the "
                                f"initial state {dict(zip(self.state_names, y0))}; change the initial values")

    # ------------------------------------------------------------------ protocol
    def __reduce__(self):
        # the generated functions do not pickle; the declaration does (process-pool sweeps)
        return (EquationModel, (self.spec(),))

    def spec(self) -> dict:
        """The declaration as plain data (texts and numbers), with the current parameter values."""
        import copy

        out = copy.deepcopy(self._spec)
        out["params"] = dict(self.params)
        return out

    def initial_state(self) -> np.ndarray:
        """The declared initial values (0 for states without one), in state order."""
        return np.array([self.initial[s] for s in self.state_names], dtype=float)

    def rhs(self, y: ArrayLike, params: Mapping[str, float] | None = None) -> np.ndarray:
        """dy/dt from the parsed equations; ``y`` of shape (n,) or (n, N)."""
        y = np.asarray(y, dtype=float)
        self._check_shape(y)
        vals = self._sys.values(self._sys._f, y, self._resolve(params))
        return _stack(vals, (self.n_states,), y.shape)

    def jacobian(self, y: ArrayLike, params: Mapping[str, float] | None = None) -> np.ndarray:
        """The symbolic ∂f/∂y, shape (n, n) or (n, n, N)."""
        y = np.asarray(y, dtype=float)
        self._check_shape(y)
        vals = self._sys.values(self._sys._J, y, self._resolve(params))
        return _stack(vals, (self.n_states, self.n_states), y.shape)

    def dfdp(self, y: ArrayLike, name: str, params: Mapping[str, float] | None = None) -> np.ndarray:
        """The symbolic ∂f/∂(parameter ``name``), shape like ``y``."""
        p = self._resolve(params)
        if name not in p:
            raise ValueError(f"unknown parameter {name!r}; known parameters: {', '.join(p)}")
        y = np.asarray(y, dtype=float)
        self._check_shape(y)
        vals = self._sys.values(self._sys.dfdp_fn(name), y, p)
        return _stack(vals, (self.n_states,), y.shape)

    def aux(self, y: ArrayLike, params: Mapping[str, float] | None = None) -> dict:
        """The auxiliary quantities at ``y`` (name → array shaped like one state)."""
        if not self.aux_names:
            return {}
        y = np.asarray(y, dtype=float)
        self._check_shape(y)
        vals = self._sys.values(self._sys._aux, y, self._resolve(params))
        return {a: np.broadcast_to(np.asarray(v, dtype=float), y.shape[1:]).copy()
                for a, v in zip(self.aux_names, vals)}

    def plot_aux(self, trajectory: Any, names: Sequence[str] | None = None, ax: Any = None,
                 **line_kwargs: Any) -> Any:
        """Draw auxiliary quantities (default: all) along a :class:`~hhdyn.simulation.Trajectory`
        of this model against time on ``ax`` (created if None); returns the Axes."""
        import matplotlib.pyplot as plt

        names = tuple(self.aux_names if names is None else names)
        unknown = [n for n in names if n not in self.aux_names]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not an auxiliary quantity of {self.name}; "
                             f"they are {', '.join(self.aux_names) or 'none'}")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
        values = self.aux(trajectory.y)
        for n in names:
            ax.plot(trajectory.t, values[n], label=n, **line_kwargs)
        ax.set_xlabel("time")
        if len(names) > 1:
            ax.legend(frameon=False)
        ax.set_title(self.name)
        return ax

    def resting_state(self, params: Mapping[str, float] | None = None) -> np.ndarray:
        """An equilibrium near the initial state: the one damped Newton of :mod:`hhdyn.newton`
        (exact Jacobian) from the initial state, else from where the flow takes it after 2000
        time units (:func:`hhdyn.simulate`, LSODA); the initial state itself when neither
        converges to |f| < 1e-9·(1 + max|y|)."""
        from .newton import solve_equilibria
        from .simulation import SimulationError, simulate

        p = self._resolve(params)
        y0 = self.initial_state()

        def newton(start):
            x = solve_equilibria(self, start, p).y
            with np.errstate(all="ignore"):
                ok = np.all(np.isfinite(x)) and np.max(np.abs(self.rhs(x, p))) < 1e-9 * (1.0 + np.max(np.abs(x)))
            return np.asarray(x, dtype=float) if ok else None

        found = newton(y0)
        if found is None:
            try:
                flow = simulate(self.with_params(**dict(p)), 2000.0, y0=y0, method="LSODA", rtol=1e-8, atol=1e-10,
                                t_eval=[2000.0])
                found = newton(flow.y_final)
            except SimulationError:
                pass
        return y0 if found is None else found

    def _check_shape(self, y):
        if y.ndim not in (1, 2) or y.shape[0] != self.n_states:
            raise ValueError(f"y must have shape ({self.n_states},) or ({self.n_states}, N) for states "
                             f"{self.state_names}, got {y.shape}")

    # ------------------------------------------------------------------ engine
    def engine_declaration(self):
        """The :class:`hhdyn.engine.Declaration` generated from the same sympy expressions."""
        from .engine.declare import Declaration

        sys_ = self._sys
        states, params = sys_.states, sys_.params
        coefs = {p: f"c_{p}" for p in params}
        if self.stimulus is not None:
            coefs[self.stimulus] = f"(c_{self.stimulus} + stim)"

        def rhs(state_locals, out):
            names = dict(coefs)
            names.update(state_locals)
            return kernel_lines(sys_.rhs, names, [out[s] for s in states], "eq")

        def jacobian(state_locals, out):
            names = dict(coefs)
            names.update(state_locals)
            n = len(states)
            return kernel_lines([e for row in sys_.jac for e in row], names,
                                [out[i, j] for i in range(n) for j in range(n)], "eqj")

        probe = {s: f"s_{s}" for s in states}
        key = "\n".join(["equations", repr(states), repr(params), repr(self.stimulus)]
                        + rhs(probe, {s: f"d_{s}" for s in states}))
        return Declaration(name=self.name, state_names=states, coef_names=params, derive=lambda p: {},
                           rhs=rhs, linear=None, key=key, param_names=params, jacobian=jacobian)


def _declare(model):
    return model.engine_declaration()


def equations(rhs: Mapping[str, str], params: Mapping[str, float] | None = None,
              initial: Mapping[str, float] | None = None, *, functions: Mapping | None = None,
              fixed: Mapping[str, str] | None = None, aux: Mapping[str, str] | None = None,
              ranges: Mapping[str, tuple] | None = None, units: Mapping[str, str] | None = None,
              stimulus: str | None = "I_ext", name: str = "equations",
              options: Mapping | None = None) -> EquationModel:
    """A model from its equations as text.

    Parameters
    ----------
    rhs : mapping state → expression
        dy/dt of each state, in state order (e.g. ``{"v": "v - v**3/3 - w + I_ext", ...}``).
    params : mapping name → float
        Parameters and their values. A parameter may not share a name with a state.
    initial : mapping state → float
        Initial values (default 0); :meth:`EquationModel.resting_state` starts Newton there.
    functions : mapping
        User functions, ``{"f(x, y)": "x*exp(-y)"}``; later ones may call earlier ones.
    fixed : mapping name → expression
        Derived quantities substituted into the equations (XPPAUT's ``name = expr``), in order.
    aux : mapping name → expression
        Auxiliary quantities to record and plot (e.g. a current); :meth:`EquationModel.aux`.
    ranges, units : mapping state → (lo, hi) / unit text
        The region of interest of each state (equilibrium search box, phase-plane window).
    stimulus : str or None
        The parameter an applied current is added to (default ``I_ext`` when it is a parameter).
    name : str
        Label for plots and messages.
    options : mapping
        Simulation and plot defaults (``total``, ``dt``, ``method``, ``xlo`` …), kept as given.

    Raises :class:`EquationError` (a ValueError) naming the equation and the problem for unknown
    symbols, syntax errors, a parameter that is also a state, initial values or ranges for a
    state without an equation, and equations undefined at the initial state.
    """
    spec: dict[str, Any] = {"name": name, "rhs": rhs, "params": params or {}, "initial": initial or {},
            "functions": functions or {}, "fixed": fixed or {}, "aux": aux or {}, "ranges": ranges or {},
            "units": units or {}, "options": options or {}}
    if stimulus != "I_ext":
        spec["stimulus"] = stimulus
    return EquationModel(spec)


def _register():
    from .engine.declare import register

    register(EquationModel, _declare)


_register()
