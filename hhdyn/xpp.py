"""XPPAUT ``.ode`` files: read them into equation models, write models back.

:func:`read_ode` understands the parts of XPPAUT's ODE-file language that describe an autonomous
ODE system (XPPAUT documentation, "ODE File format"):

* ``x' = expr`` and ``dx/dt = expr`` — an equation (``x`` becomes a state);
* ``par``/``param``/``parameter``/``p`` lists (``a=1, b=2`` or ``a = 1 b = 2``); ``number`` and
  ``!name=expr`` (derived) constants; ``init``/``i`` lists and ``x(0)=value``;
* ``aux name=expr``; fixed quantities ``name=expr`` (substituted in order); user functions
  ``f(x, y)=expr``;
* ``#`` comments, ``"`` active comments (ignored), ``\\`` line continuations, ``done``;
* built-ins ``exp ln log log10 sqrt sin cos tan atan … abs heav sign max min`` and
  ``if(c)then(a)else(b)``, ``**`` and ``^``, ``&``/``|`` and comparisons;
* ``@`` options kept on the model (``model.options``) as simulation and plot defaults: total,
  dt, meth/method, bounds, xp, yp, xlo, xhi, ylo, yhi, and others as given.

Refused, with the file name, the line number and the construct: ``table``, ``markov``,
``wiener``, ``global``, delays (``delay(...)``), ``volt``, ``bdry``, ``special``, ``set``, maps
``x(t+1)=``, ``#include``, arrays ``x[1..n]``, and explicit time ``t`` in an equation.

XPPAUT itself is case-insensitive; names are kept as written here, and the written file uses
them unchanged (two names differing only in case are refused by :func:`to_ode`).
"""
from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .equations import EquationError, EquationModel

__all__ = ["read_ode", "to_ode", "OdeFileError"]


class OdeFileError(EquationError):
    """A problem in an .ode file; the message starts with ``file:line:``."""


_NAME = r"[A-Za-z][A-Za-z0-9_]*"
_UNSUPPORTED_KEYWORDS = {
    "table": "tables", "markov": "Markov variables", "wiener": "Wiener (noise) variables",
    "global": "global events", "volt": "Volterra integral equations", "bdry": "boundary conditions",
    "special": "network functions (special)", "set": "named parameter sets", "only": "'only' output lists",
    "export": "'export' to a DLL", "options": "options files", "#include": "include files",
    "0=": "differential-algebraic equations",
}
_LIST_KEYWORDS = {"par": "par", "param": "par", "parameter": "par", "p": "par", "number": "number",
                  "num": "number", "init": "init", "i": "init", "aux": "aux"}
_KNOWN_OPTIONS = {"total", "dt", "meth", "method", "bounds", "xp", "yp", "zp", "xlo", "xhi", "ylo", "yhi",
                  "nplot", "maxstor", "tol", "atol", "rtol", "bound", "nout", "trans", "t0"}


def _err(path, lineno, message):
    return OdeFileError(f"{path}:{lineno}: {message}")


def _logical_lines(text: str) -> list[tuple[int | None, str]]:
    """(line number, text) with comments removed and ``\\`` continuations joined."""
    out: list[tuple[int | None, str]] = []
    buf, start = "", None
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        if buf == "" and (line.lstrip().startswith("#") and not line.lstrip().lower().startswith("#include")):
            continue
        if buf == "" and line.lstrip().startswith('"'):
            continue
        if start is None:
            start = n
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        stripped = buf.strip()
        if stripped:
            out.append((start, stripped))
        buf, start = "", None
    if buf.strip():
        out.append((start, buf.strip()))
    return out


def _assignments(body: str, path, lineno, what):
    """``a=1, b = 2 c=3`` → [("a", "1"), ("b", "2"), ("c", "3")] (values up to the next name=)."""
    body = body.strip()
    pattern = re.compile(rf"({_NAME}|{_NAME}\(0\))\s*=")
    matches = list(pattern.finditer(body))
    if not matches or matches[0].start() != 0:
        raise _err(path, lineno, f"{what}: expected name=value pairs, got {body!r}")
    out = []
    for k, m in enumerate(matches):
        end = matches[k + 1].start() if k + 1 < len(matches) else len(body)
        value = body[m.end():end].strip().rstrip(",").strip()
        if not value:
            raise _err(path, lineno, f"{what}: no value for {m.group(1)!r}")
        out.append((m.group(1), value))
    return out


def _number(value: str, path, lineno, name, numbers):
    try:
        return float(value)
    except ValueError:
        pass
    if value in numbers:
        return numbers[value]
    raise _err(path, lineno, f"the value of {name!r} must be a number, got {value!r}")


_IF = re.compile(r"\bif\s*\(", re.IGNORECASE)


def _balanced(text: str, open_at: int) -> int:
    """Index just past the parenthesis group that opens at ``text[open_at] == '('``."""
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == "(":
            depth += 1
        elif text[k] == ")":
            depth -= 1
            if depth == 0:
                return k + 1
    raise ValueError("unbalanced parentheses")


def translate_expression(text: str) -> str:
    """XPPAUT expression → equation text: ``if(c)then(a)else(b)`` → ``ifelse(c, a, b)``;
    ``flr`` → ``floor`` is not supported (refused by the equation parser as unknown)."""
    out = text
    while True:
        m = _IF.search(out)
        if not m:
            return out
        c0 = m.end() - 1
        c1 = _balanced(out, c0)
        rest = out[c1:]
        mt = re.match(r"\s*then\s*\(", rest, re.IGNORECASE)
        if not mt:
            raise ValueError("if(...) must be followed by then(...)else(...)")
        a0 = c1 + mt.end() - 1
        a1 = _balanced(out, a0)
        me = re.match(r"\s*else\s*\(", out[a1:], re.IGNORECASE)
        if not me:
            raise ValueError("if(...)then(...) must be followed by else(...)")
        b0 = a1 + me.end() - 1
        b1 = _balanced(out, b0)
        out = (out[:m.start()] + f"ifelse({out[c0 + 1:c1 - 1]}, {out[a0 + 1:a1 - 1]}, {out[b0 + 1:b1 - 1]})"
               + out[b1:])


def read_ode(path: str | os.PathLike, name: str | None = None) -> EquationModel:
    """Read an XPPAUT ``.ode`` file into an :class:`~hhdyn.equations.EquationModel`.

    The model's ``options`` hold the file's ``@`` options (numbers where they are numbers);
    ``state_ranges`` come from ``xlo/xhi`` and ``ylo/yhi`` for the states named by ``xp``/``yp``.
    Errors (:class:`OdeFileError`, a ValueError) start with ``file:line:`` and name the problem.
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise OdeFileError(f"{path}: cannot read the file ({exc.strerror})") from None
    rhs_line: dict[str, int | None]
    numbers: dict[str, float]
    rhs, rhs_line, params, numbers, initial, aux, fixed, functions, options = {}, {}, {}, {}, {}, {}, {}, {}, {}
    lines_of = {}
    for lineno, line in _logical_lines(text):
        low = line.lower()
        if low == "done":
            break
        word = low.split(None, 1)[0] if low.split() else ""
        if word in _UNSUPPORTED_KEYWORDS or low.startswith("#include") or low.startswith("0="):
            key = "#include" if low.startswith("#include") else ("0=" if low.startswith("0=") else word)
            raise _err(path, lineno, f"{_UNSUPPORTED_KEYWORDS[key]} ({word!r}) are not supported")
        if re.search(r"\bdelay\s*\(|\bdel_", low):
            raise _err(path, lineno, "delay equations (delay(...)) are not supported")
        if "[" in line or "]" in line:
            raise _err(path, lineno, "arrays (name[i..j]) are not supported; write each equation out")
        if line.startswith("@"):
            for key, value in _assignments(line[1:].strip(), path, lineno, "@ options"):
                try:
                    options[key.lower()] = float(value)
                except ValueError:
                    options[key.lower()] = value
            continue
        if line.startswith("!"):
            for key, value in _assignments(line[1:], path, lineno, "derived parameter"):
                fixed[key] = value
                lines_of[("fixed", key)] = lineno
            continue
        kind = _LIST_KEYWORDS.get(word)
        if kind is not None and not re.match(rf"^{_NAME}\s*(\(|'|=)", line):
            body = line.split(None, 1)[1] if len(line.split(None, 1)) > 1 else ""
            for key, value in _assignments(body, path, lineno, word):
                if kind == "par":
                    params[key] = _number(value, path, lineno, key, numbers)
                elif kind == "number":
                    numbers[key] = _number(value, path, lineno, key, numbers)
                elif kind == "init":
                    initial[key.removesuffix("(0)")] = _number(value, path, lineno, key, numbers)
                else:
                    aux[key] = value
                    lines_of[("aux", key)] = lineno
            continue
        m = (re.match(rf"^({_NAME})\s*'\s*=(.*)$", line) or re.match(rf"^d({_NAME})\s*/\s*dt\s*=(.*)$", line))
        if m:
            s = m.group(1)
            if s in rhs:
                raise _err(path, lineno, f"a second equation for {s!r} (the first is on line {rhs_line[s]})")
            rhs[s], rhs_line[s] = m.group(2).strip(), lineno
            continue
        m = re.match(rf"^({_NAME})\s*\(\s*0\s*\)\s*=(.*)$", line)
        if m:
            initial[m.group(1)] = _number(m.group(2).strip(), path, lineno, m.group(1), numbers)
            continue
        if re.match(rf"^{_NAME}\s*\(\s*t\s*\+\s*1\s*\)\s*=", line):
            raise _err(path, lineno, "difference equations (x(t+1)=...) are not supported")
        m = re.match(rf"^({_NAME})\s*\(([^()]*)\)\s*=(.*)$", line)
        if m:
            functions[f"{m.group(1)}({m.group(2)})"] = m.group(3).strip()
            lines_of[("function", m.group(1))] = lineno
            continue
        m = re.match(rf"^({_NAME})\s*=(.*)$", line)
        if m:
            fixed[m.group(1)] = m.group(2).strip()
            lines_of[("fixed", m.group(1))] = lineno
            continue
        raise _err(path, lineno, f"cannot read {line!r} (not an equation, a declaration or an option)")
    if not rhs:
        raise OdeFileError(f"{path}: no differential equations (x'=... or dx/dt=...) found")
    for s, lineno in rhs_line.items():
        if re.search(r"\bt\b", rhs[s]):
            raise _err(path, lineno, f"the equation for {s!r} depends on time t; only autonomous systems are supported")
    # numbers become fixed quantities first, so everything can use them
    all_fixed = {k: repr(v) for k, v in numbers.items()}
    all_fixed.update(fixed)
    for s in initial:
        if s not in rhs:
            raise OdeFileError(f"{path}: initial value for {s!r}, which has no equation ({s}'=...)")
    ranges: dict[str, tuple[float, float]] = {}
    for axis in ("x", "y"):
        var = options.get(f"{axis}p")
        lo, hi = options.get(f"{axis}lo"), options.get(f"{axis}hi")
        if isinstance(var, str) and var in rhs and isinstance(lo, float) and isinstance(hi, float) and lo < hi:
            ranges[var] = (lo, hi)
    spec: dict[str, Any] = {"name": name or path.stem, "params": params, "initial": initial, "ranges": ranges,
            "options": options}
    try:
        spec["rhs"] = {s: translate_expression(t) for s, t in rhs.items()}
        spec["aux"] = {a: translate_expression(t) for a, t in aux.items()}
        spec["fixed"] = {k: translate_expression(t) for k, t in all_fixed.items()}
        spec["functions"] = {k: translate_expression(t) for k, t in functions.items()}
    except ValueError as exc:
        raise OdeFileError(f"{path}: {exc}") from None
    if "I_ext" not in params:
        spec["stimulus"] = None
    try:
        return EquationModel(spec)
    except EquationError as exc:
        raise OdeFileError(_locate(path, str(exc), rhs_line, lines_of)) from None


def _locate(path, message, rhs_line, lines_of):
    """Prefix an equation error with the file and the line of the equation it names."""
    m = re.search(r"equation for (\w+)'", message)
    if m and m.group(1) in rhs_line:
        return f"{path}:{rhs_line[m.group(1)]}: {message}"
    for (kind, key), lineno in lines_of.items():
        if (kind == "function" and f"function {key}(" in message) or (kind == "fixed" and f"fixed quantity {key}" in message) \
                or (kind == "aux" and f"auxiliary {key}" in message):
            return f"{path}:{lineno}: {message}"
    return f"{path}: {message}"


# --------------------------------------------------------------------------- writing
_NEG_AFTER_OP = re.compile(r"(?<=[*/^])\s*-\s*(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)")


def _xpp_text(expr_text: str) -> str:
    """Equation text → XPPAUT syntax: ``**`` → ``^``; a negative number right after ``* / ^``
    in parentheses (XPPAUT's parser refuses ``x/-18``)."""
    return _NEG_AFTER_OP.sub(r"(-\1)", expr_text.replace("**", "^"))


def _fmt(v: float) -> str:
    return repr(float(v))


def to_ode(model: Any, path: str | os.PathLike, *, total: float | None = None, dt: float | None = None,
           initial: Mapping[str, float] | None = None) -> Path:
    """Write ``model`` as an XPPAUT ``.ode`` file that :func:`read_ode` reads back exactly.

    Names that XPPAUT reserves (``t``/``T``, its function names; it ignores case) get a trailing
    ``_`` (e.g. the temperature ``T`` → ``T_``), noted in a comment; ``@ maxstor`` is raised when
    ``total/dt`` needs more than XPPAUT's default 5000 stored rows, ``@ bounds`` to 1e6 unless
    given. ``initial`` (state → value) overrides the initial values (default: the model's own
    initial values; the resting state for a ConductanceModel).

    ``model`` is an :class:`~hhdyn.equations.EquationModel` (its texts are written as given, with
    ``**`` as ``^``) or a :class:`~hhdyn.model.ConductanceModel` (each gate's α and β written as
    functions of V from the rate families' expressions, the channel currents as ``aux``). The
    file is written to a temporary name and moved into place, so a failure leaves nothing behind.
    """
    import os

    from .model import ConductanceModel

    path = Path(path)
    lines = [f"# {getattr(model, 'name', 'model')} - written by hhdyn"]
    options = dict(getattr(model, "options", {}) or {})
    if isinstance(model, EquationModel):
        spec = model.spec()
        declared = list(spec["fixed"]) + [m.group(1) if (m := _FUNC_NAME.match(k)) else k
                                          for k in spec["functions"]] + list(spec["aux"])
        for k, v in spec["fixed"].items():
            lines.append(f"{k}={_xpp_text(_back(v))}")
        for k, v in spec["functions"].items():
            if isinstance(v, list):
                k, v = f"{k}({','.join(v[0])})", v[1]
            k = re.sub(r"\s+", "", k)
            lines.append(f"{k}={_xpp_text(_back(v))}")
        for s, text in spec["rhs"].items():
            lines.append(f"{s}'={_xpp_text(_back(text))}")
        for a, text in spec["aux"].items():
            lines.append(f"aux {a}={_xpp_text(_back(text))}")
        params = spec["params"]
        init = model.initial
        for s, (lo, hi) in model.state_ranges.items():
            for axis in ("x", "y"):
                if options.get(f"{axis}p") in (None, s) and f"{axis}lo" not in options:
                    options.update({f"{axis}p": s, f"{axis}lo": lo, f"{axis}hi": hi})
                    break
    elif isinstance(model, ConductanceModel):
        lines += _conductance_lines(model)
        declared = []
        params = dict(model.params)
        rest = model.resting_state()
        init = dict(zip(model.state_names, rest))
    else:
        raise ValueError(f"to_ode writes EquationModel and ConductanceModel models, not {type(model).__name__}; "
                         "write the model with hhdyn.equations first")
    if initial is not None:
        unknown = [k for k in dict(initial) if k not in init]
        if unknown:
            raise ValueError(f"initial: {unknown[0]!r} is not a state; states are {', '.join(init)}")
        init = {**init, **{k: float(v) for k, v in dict(initial).items()}}
    names = list(params) + list(init) + declared
    lowered = [n.lower() for n in names]
    clash = {n for n in names if lowered.count(n.lower()) > 1}
    if clash:
        raise ValueError(f"names {sorted(clash)} differ only in case; XPPAUT would not tell them apart")
    renames = {}
    for n in names:  # XPPAUT reserves t (time) and its function names, case-insensitively
        new = n
        while new.lower() in XPP_RESERVED or (new != n and new.lower() in lowered):
            new += "_"
        if new != n:
            renames[n] = new
    if renames:
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, renames)) + r")\b")
        lines = [lines[0]] + [pattern.sub(lambda m: renames[m.group(1)], line) for line in lines[1:]]
        params = {renames.get(k, k): v for k, v in params.items()}
        init = {renames.get(k, k): v for k, v in init.items()}
        options = {k: renames.get(v, v) if isinstance(v, str) else v for k, v in options.items()}
        lines.insert(1, "# renamed for XPPAUT: " + ", ".join(f"{a} -> {b}" for a, b in renames.items()))
    if params:
        lines.append("par " + ", ".join(f"{k}={_fmt(v)}" for k, v in params.items()))
    lines.append("init " + ", ".join(f"{k}={_fmt(v)}" for k, v in init.items()))
    if total is not None:
        options["total"] = total
    if dt is not None:
        options["dt"] = dt
    if isinstance(options.get("total"), (int, float)):
        steps = float(options["total"]) / float(options.get("dt", 0.05)) / float(options.get("nout", 1))
        if steps + 1 > float(options.get("maxstor", 5000)):  # XPPAUT keeps 5000 rows by default
            options["maxstor"] = int(math.ceil(steps)) + 10
    options.setdefault("bounds", 1e6)  # XPPAUT stops at |x| > 100 by default, currents included
    for k, v in options.items():
        if isinstance(v, (int, float)) and float(v).is_integer() and k in ("maxstor", "nout", "bounds"):
            v = str(int(v))
        lines.append(f"@ {k}={_fmt(v) if isinstance(v, (int, float)) else v}")
    lines.append("done")
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)
    return path


#: names XPPAUT reserves (compared in lower case): time and the built-in functions
XPP_RESERVED = frozenset(
    "t pi if then else exp ln log log10 sqrt sin cos tan asin acos atan atan2 sinh cosh tanh abs heav "
    "sign max min mod flr ran normal erf erfc delay shift del_shift ishift besselj bessely besseli "
    "lgamma int sum of not hom_bcs".split())
_FUNC_NAME = re.compile(rf"^\s*({_NAME})\s*\(")


def _back(text: str) -> str:
    """Equation text → XPPAUT: ``ifelse(c, a, b)`` → ``if(c)then(a)else(b)``."""
    out = text
    while True:
        m = re.search(r"\bifelse\s*\(", out)
        if not m:
            return out
        start = m.end() - 1
        end = _balanced(out, start)
        inner = out[start + 1:end - 1]
        parts, depth, last = [], 0, 0
        for k, ch in enumerate(inner):
            depth += ch == "("
            depth -= ch == ")"
            if ch == "," and depth == 0:
                parts.append(inner[last:k])
                last = k + 1
        parts.append(inner[last:])
        if len(parts) != 3:
            raise ValueError(f"ifelse needs three arguments, got {inner!r}")
        c, a, b = (p.strip() for p in parts)
        out = out[:m.start()] + f"if({c})then({a})else({b})" + out[end:]


def _conductance_lines(model) -> list[str]:
    """XPPAUT lines of a ConductanceModel: α/β functions, φ, gate equations, V equation, currents."""
    from .model import Instantaneous, LinearInGate

    lines = []
    for g, gate in model.gates.items():
        lines.append(f"al_{g}(V)={_xpp_text(gate.alpha.expression('V'))}")
        lines.append(f"be_{g}(V)={_xpp_text(gate.beta.expression('V'))}")
    x = {}
    for g, gate in model.gates.items():
        form = model.gate_forms.get(g)
        if form is None:
            x[g] = g
            scale = f"*{gate.rate_scale}" if gate.rate_scale is not None else ""
            lines.append(f"phi_{g}={_fmt(gate.q10)}^((T-{_fmt(gate.T_ref)})/10){scale}")
        elif isinstance(form, Instantaneous):
            lines.append(f"{g}inf=al_{g}(V)/(al_{g}(V)+be_{g}(V))")
            x[g] = f"{g}inf"
        elif isinstance(form, LinearInGate):
            lines.append(f"{g}lin={form.offset_param}+{form.slope_param}*{form.of}")
            x[g] = f"{g}lin"
    currents = []
    for c in model.channels:
        factors = [f"{x[g.name]}^{int(p) if float(p).is_integer() else _fmt(p)}" for g, p in c.gates]
        expr = "*".join([c.g_param] + factors + [f"(V-{c.E_param})"])
        lines.append(f"I_{c.name}={expr}")
        currents.append(f"I_{c.name}")
    lines.append(f"V'=(I_ext-({'+'.join(currents)}))/C")
    for g in model.dynamic_gates:
        lines.append(f"{g}'=phi_{g}*(al_{g}(V)*(1-{g})-be_{g}(V)*{g})")
    for c in model.channels:
        lines.append(f"aux i{c.name.lower()}=I_{c.name}")
    return lines
