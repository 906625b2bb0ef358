"""Generate, cache and load the numba kernels of one model structure.

:func:`kernels_for` turns a :class:`~hhdyn.engine.declare.Declaration` into the source of a
Python module with ``@njit(cache=True)`` kernels, writes it once into the kernel cache folder
(``$HHDYN_KERNEL_CACHE``, default ``~/.cache/hhdyn/kernels``) under a name made of the
structure's hash, and imports it. numba then keeps the machine code next to it in
``__pycache__``, so a second process loads compiled kernels instead of compiling again; within a
process each structure is generated and imported once.

Layout of every kernel (the batch of N members is split into blocks of ``BLOCK`` lanes; a kernel
``<method>_blocks(lo_start, lo_stop, ...)`` integrates the blocks starting in [lo_start, lo_stop)
and releases the GIL (``nogil``), so :func:`hhdyn.engine.blocks.run_blocks` spreads blocks over a
thread pool; within a block the loop over lanes is straight-line code that LLVM vectorizes, and a
second scalar loop per step handles events — spikes, recording, failures). One kernel per method
(``rk4_blocks``, ``rl_blocks``, ``dopri5_blocks``) serves runs with and without a stimulus, and
numba compiles each on its first call only, so a run compiles what it uses and nothing else:

* ``rhs_batch`` and ``jac_batch`` (when the declaration has a Jacobian) evaluate dy/dt and the
  exact ∂f/∂y for every column, for Newton-type analysis tools (:func:`hhdyn.engine.compiled_rhs`,
  :func:`hhdyn.engine.compiled_jacobian`);
* states ``Y`` (n_states, N), per-member coefficients ``K`` (n_coef, N), both float64;
* stimulus ``stim_tab`` sampled every 1/``stim_inv_dt`` ms from 0, linearly interpolated; an
  empty table means no stimulus (then ``stim`` is 0.0 and no table is read);
* spikes: upward crossings of ``thr`` by state 0 while armed, re-armed below ``thr − hyst``,
  located within the step on the cubic Hermite interpolant (state and derivative at both ends);
* outputs ``spk_t`` (N, cap), ``spk_n`` (N,) (counts keep counting past ``cap``), ``rec``
  (N, n_states, n_rec), ``status`` (N,) (0 ok, 1 non-finite state, 2 step size underflow,
  3 too many steps), ``t_fail`` (N,) and step counters.

What keeps the lane loops vectorized (each was measured; breaking one costs 3–5×):

* no calls inside them — rate shapes are written out inline (:mod:`.declare`), only the small
  :func:`~.mathlib.fexp` is called and LLVM inlines it;
* loads and stores indexed by the loop variable only (``K[j, lo + i]`` compiles to gathers,
  so coefficients are copied into block-local rows first);
* for Dormand–Prince, whose accept/reject logic touches ~20 arrays, all lane state lives in one
  flat array indexed with literal offsets (``W[64 + i]``), because LLVM gives up on loops that
  need too many run-time alias checks; every store there is a select of unconditionally loaded
  values; the stimulus at the stage times is looked up before that loop (a table lookup inside
  it costs 4×), into rows of the same array.
"""
from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import sys
import threading
from pathlib import Path

from .declare import Declaration

__all__ = ["kernels_for", "load_source", "cache_dir", "ENGINE_VERSION", "BLOCK", "STATUS"]

#: Bumped whenever the generated code changes meaning (part of every kernel module's hash).
ENGINE_VERSION = "2"
#: Lanes per block (a multiple of the SIMD width; small enough for per-block lock-step of
#: adaptive steps to waste little).
BLOCK = 32
#: Member status codes of the kernels.
STATUS = {
    0: "ok",
    1: "state became non-finite (blow-up)",
    2: "step size underflow (stiffness or blow-up)",
    3: "maximum number of steps reached",
}

_LOCK = threading.Lock()
_LOADED: dict[str, object] = {}


def cache_dir() -> Path:
    """The kernel cache folder: ``$HHDYN_KERNEL_CACHE`` or ``~/.cache/hhdyn/kernels``."""
    env = os.environ.get("HHDYN_KERNEL_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "hhdyn" / "kernels"


def _mathlib_digest() -> str:
    """Hash of the helpers the kernels import (mathlib, and rates.py whose series mathlib
    compiles), so a change there gives new kernel module names."""
    here = Path(__file__)
    data = here.with_name("mathlib.py").read_bytes() + here.parent.parent.joinpath("rates.py").read_bytes()
    return hashlib.sha256(data + __file__.encode()).hexdigest()[:12]


def kernels_for(decl: Declaration):
    """The imported kernel module of ``decl``'s structure (generated and cached on first use)."""
    return load_source(generate(decl), "hhdyn_kernel")


def load_source(source: str, prefix: str):
    """Import the generated module ``source`` from the kernel cache folder, writing it there
    first under ``<prefix>_<hash of ENGINE_VERSION, the helpers and the source>`` (so any change
    of the generated text gives a new name); each module is imported once per process."""
    digest = hashlib.sha256((ENGINE_VERSION + _mathlib_digest() + source).encode()).hexdigest()[:20]
    modname = f"{prefix}_{digest}"
    with _LOCK:
        if modname in _LOADED:
            return _LOADED[modname]
        folder = cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{modname}.py"
        if not path.exists() or path.read_text() != source:
            # The name is a digest of the source, so an existing file already holds it. Never replace
            # a file another process may have compiled from: a new mtime would invalidate numba's
            # on-disk cache for every later process. Link the finished temporary in only if absent.
            tmp = folder / f".{modname}.{os.getpid()}.tmp"
            tmp.write_text(source)
            try:
                if path.exists():  # a stale or partial file (should not happen): replace it
                    os.replace(tmp, path)
                else:
                    os.link(tmp, path)
            except FileExistsError:
                pass  # another process created it first, with the same content
            finally:
                tmp.unlink(missing_ok=True)
        spec = importlib.util.spec_from_file_location(modname, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        spec.loader.exec_module(module)
        _LOADED[modname] = module
        return module


# --------------------------------------------------------------------------- source generation
def _flat_rows(lines, n_coef, n, n_stim):
    """Rewrite row-view accesses (``yb_2[i]``, ``tb[i]``, ``sb_0[i]``...) as ``W[<offset> + i]`` of the
    flat block array (rows: coefficients, 4 × states, t, h, t_old, h_used, stimulus per stage time)."""
    rows = {f"kb_{j}": j for j in range(n_coef)}
    for r, prefix in enumerate(("yb", "fb", "yo", "fo")):
        for k in range(n):
            rows[f"{prefix}_{k}"] = n_coef + r * n + k
    for r, name in enumerate(("tb", "hb", "tob", "hused")):
        rows[name] = n_coef + 4 * n + r
    for r in range(n_stim):
        rows[f"sb_{r}"] = n_coef + 4 * n + 4 + r
    pattern = re.compile(r"\b(" + "|".join(sorted(rows, key=len, reverse=True)) + r")\[i\]")
    return [pattern.sub(lambda m: f"W[{rows[m.group(1)] * BLOCK} + i]", line) for line in lines]


def _indent(lines, level):
    pad = "    " * level
    return "\n".join(pad + line for line in lines)


def generate(decl: Declaration) -> str:
    """The full source of the kernel module for ``decl``."""
    S = decl.state_names
    n = len(S)
    coef_loads = [f"c_{name} = K[{j}, col]" for j, name in enumerate(decl.coef_names)]
    # inside the lane loops: a block-local contiguous copy, indexed by the loop variable only
    # (``K[j, lo + i]`` would compile to gathers because numba wraps negative indices)
    block_loads = [f"c_{name} = kb_{j}[i]" for j, name in enumerate(decl.coef_names)]
    # 1-D row views of the block arrays for the vectorized loop (2-D indexing there compiles
    # to gathers/scatters)
    views = [f"kb_{j} = Kb[{j}]" for j in range(len(decl.coef_names))]
    views += [f"{a.lower()}_{k} = {a}[{k}]" for a in ("Yb", "Fb", "Yo", "Fo") for k in range(n)]
    views_fixed = [v for v in views if not v.startswith(("fb_", "yo_", "fo_"))]

    def names(prefix):
        return {s: f"{prefix}_{k}" for k, s in enumerate(S)}

    def rhs(states, out):
        return decl.rhs(states, out)

    parts = [HEADER.format(digest=decl.digest, n=n, block=BLOCK, states=", ".join(S))]

    # ---- rhs over a batch and the scalar derivative of state 0 at block storage
    y = {s: f"Y[{k}, col]" for k, s in enumerate(S)}
    d = names("d")
    body = coef_loads + ["stim = stim_arr[col]"] + rhs(y, d) + [f"out[{k}, col] = d_{k}" for k in range(n)]
    parts.append(RHS_BATCH.format(body=_indent(body, 2)))
    if decl.jacobian is not None:
        J = {(i, j): f"J_{i}_{j}" for i in range(n) for j in range(n)}
        body = (coef_loads + ["stim = stim_arr[col]"] + decl.jacobian(y, J)
                + [f"out[{i}, {j}, col] = J_{i}_{j}" for i in range(n) for j in range(n)])
        parts.append(JAC_BATCH.format(body=_indent(body, 2)))
    yb = {s: f"Yb[{k}, i]" for k, s in enumerate(S)}
    body = coef_loads + rhs(yb, d) + ["return d_0"]
    parts.append(DV_SCALAR.format(body=_indent(body, 1)))

    # ---- RK4 (one kernel with and without a stimulus: the stimulus is looked up once per step,
    # outside the lane loop, and is 0.0 when there is none)
    s0, k1, k2, k3, k4 = names("s0"), names("k1"), names("k2"), names("k3"), names("k4")
    s1, s2, s3 = names("s1"), names("s2"), names("s3")
    lines = block_loads + [f"s0_{k} = yb_{k}[i]" for k in range(n)]
    lines += ["stim = st0"] + rhs(s0, k1)
    lines += [f"s1_{k} = s0_{k} + hdt*k1_{k}" for k in range(n)] + ["stim = st1"] + rhs(s1, k2)
    lines += [f"s2_{k} = s0_{k} + hdt*k2_{k}" for k in range(n)] + rhs(s2, k3)
    lines += [f"s3_{k} = s0_{k} + dt*k3_{k}" for k in range(n)] + ["stim = st2"] + rhs(s3, k4)
    lines += ["v_old[i] = s0_0", "d_old[i] = k1_0"]
    lines += [f"yb_{k}[i] = s0_{k} + dt6*(k1_{k} + 2.0*k2_{k} + 2.0*k3_{k} + k4_{k})" for k in range(n)]
    stim_lines = ["if has_stim:",
                  "    st0 = table_lookup(stim_tab, stim_inv_dt, t)",
                  "    st1 = table_lookup(stim_tab, stim_inv_dt, t + hdt)",
                  "    st2 = table_lookup(stim_tab, stim_inv_dt, t + dt)"]
    parts.append(FIXED.format(method="rk4", stim=_indent(stim_lines, 3), body=_indent(lines, 4),
                              views=_indent(views_fixed, 2)))
    # ---- Rush–Larsen / exponential Euler
    if decl.linear is not None:
        inf, rate = names("inf"), names("rate")
        lines = block_loads + [f"s0_{k} = yb_{k}[i]" for k in range(n)] + ["stim = st0"]
        lines += decl.linear(s0, inf, rate)
        lines += ["v_old[i] = s0_0", "d_old[i] = rate_0*(inf_0 - s0_0)"]
        lines += [f"yb_{k}[i] = inf_{k} + (s0_{k} - inf_{k})*fexp(-rate_{k}*dt)" for k in range(n)]
        parts.append(FIXED.format(method="rl", stim=_indent(stim_lines, 3), body=_indent(lines, 4),
                                  views=_indent(views_fixed, 2)))
    # ---- Dormand–Prince 5(4). The stimulus at each stage time is looked up in a scalar loop
    # before the vectorized lanes loop (a table lookup inside it would stop vectorization) into
    # rows sb_<r> of the flat block array, which stay 0.0 without a stimulus.
    step_lines = ["t = tb[i]", "h_prop = hb[i]", "h = h_prop if h_prop < h_max else h_max",
                  "rem = t_end - t", "last = h >= rem", "h = rem if last else h"]
    lines = block_loads + step_lines
    lines += [f"s0_{k} = yb_{k}[i]" for k in range(n)] + [f"k1_{k} = fb_{k}[i]" for k in range(n)]
    stages = [
        ("k2", "1.0/5.0", [("k1", "1.0/5.0")]),
        ("k3", "3.0/10.0", [("k1", "3.0/40.0"), ("k2", "9.0/40.0")]),
        ("k4", "4.0/5.0", [("k1", "44.0/45.0"), ("k2", "-56.0/15.0"), ("k3", "32.0/9.0")]),
        ("k5", "8.0/9.0", [("k1", "19372.0/6561.0"), ("k2", "-25360.0/2187.0"),
                           ("k3", "64448.0/6561.0"), ("k4", "-212.0/729.0")]),
        ("k6", "1.0", [("k1", "9017.0/3168.0"), ("k2", "-355.0/33.0"), ("k3", "46732.0/5247.0"),
                       ("k4", "49.0/176.0"), ("k5", "-5103.0/18656.0")]),
        ("k7", "1.0", [("k1", "35.0/384.0"), ("k3", "500.0/1113.0"), ("k4", "125.0/192.0"),
                       ("k5", "-2187.0/6784.0"), ("k6", "11.0/84.0")]),
    ]
    stage_times = list(dict.fromkeys(c for _, c, _ in stages))  # distinct stage fractions c
    for kname, c, coeffs in stages:
        ys = names(f"y{kname}")
        for k in range(n):
            combo = " + ".join(f"({a})*{src}_{k}" for src, a in coeffs)
            lines.append(f"y{kname}_{k} = s0_{k} + h*({combo})")
        lines.append(f"stim = sb_{stage_times.index(c)}[i]")
        lines += rhs(ys, names(kname))
    errc = [("k1", "71.0/57600.0"), ("k3", "-71.0/16695.0"), ("k4", "71.0/1920.0"),
            ("k5", "-17253.0/339200.0"), ("k6", "22.0/525.0"), ("k7", "-1.0/40.0")]
    lines += ["en = 0.0", "nan_acc = 0.0"]
    for k in range(n):
        combo = " + ".join(f"({a})*{src}_{k}" for src, a in errc)
        lines += [
            f"e_{k} = abs(h*({combo}))",
            f"a0_{k} = abs(s0_{k})",
            f"a1_{k} = abs(yk7_{k})",
            f"sc_{k} = atol + rtol*(a0_{k} if a0_{k} > a1_{k} else a1_{k})",
            f"r_{k} = e_{k}/sc_{k}",
            f"en = en if en >= r_{k} else r_{k}",
            f"nan_acc = nan_acc + (r_{k} - r_{k})",  # NaN when r_k is NaN or inf
        ]
    lines += [
        "en = en + nan_acc",
        "ok = en <= 1.0",
        # fac = 0.9·en^(−1/5), with log2(en) from the IEEE bits (inline: a call would stop
        # vectorization; see mathlib.step_factor for the same formula)
        "eb_ = float_bits_as_int(en)",
        "ee_ = np.float64((eb_ >> 52) & 0x7FF) - 1023.0",
        "em_ = int_bits_as_float((eb_ & 0xFFFFFFFFFFFFF) | 0x3FF0000000000000) - 1.0",
        "el_ = ee_ + em_*(1.4425449 + em_*(-0.7181452 + em_*(0.4575485 + em_*(-0.2779042 + em_*0.0959898))))",
        "fac = 0.9*fexp(-0.2*0.6931471805599453*el_)",
        "fac = fac if en > 0.0 else 5.0",
        "fac = fac if en == en else 0.2",
        "fac = fac if fac == fac else 0.2",  # NaN error (overflow in a stage): shrink
        "fac = fac if fac < 5.0 else 5.0",
        "fac = fac if fac > 0.2 else 0.2",
        "fac = fac if (ok or fac < 1.0) else 1.0",
    ]
    # every load is unconditional and every store a select, so LLVM can if-convert the
    # accept/reject logic and vectorize the loop
    for k in range(n):
        lines += [
            f"yo_old_{k} = yo_{k}[i]",
            f"fo_old_{k} = fo_{k}[i]",
            f"yo_{k}[i] = s0_{k} if ok else yo_old_{k}",
            f"fo_{k}[i] = k1_{k} if ok else fo_old_{k}",
            f"yb_{k}[i] = yk7_{k} if ok else s0_{k}",
            f"fb_{k}[i] = k7_{k} if ok else k1_{k}",
        ]
    lines += [
        "tob_old = tob[i]",
        "tob[i] = t if ok else tob_old",
        "tnew = t_end if last else t + h",
        "tb[i] = tnew if ok else t",
        "hused[i] = h if ok else 0.0",
        "keep = last & ok",
        "hb[i] = h_prop if keep else h*fac",
    ]
    n_coef, n_st = len(decl.coef_names), len(stage_times)
    stage_stim = step_lines + [f"sb_{r}[i] = table_lookup(stim_tab, stim_inv_dt, t + ({c})*h)"
                               for r, c in enumerate(stage_times)]
    parts.append(DOPRI_LANES.format(body=_indent(_flat_rows(lines, n_coef, n, n_st), 2)))
    parts.append(DOPRI.format(n_stim_rows=n_st,
                              stage_stim=_indent(_flat_rows(stage_stim, n_coef, n, n_st), 5),
                              init=_indent(block_loads + [f"s0_{k} = yb_{k}[i]" for k in range(n)]
                                           + rhs(s0, k1) + [f"fb_{k}[i] = k1_{k}" for k in range(n)], 3),
                              views=_indent(views, 2)))
    return "\n".join(parts)


HEADER = '''\
# Generated by hhdyn.engine for one model structure ({digest}); do not edit.
# States: {states}
import numpy as np
from numba import njit
from hhdyn.engine.mathlib import (fexp, explin, logistic, step_factor, table_lookup, hermite,
                                  hermite_crossing, float_bits_as_int, int_bits_as_float)

N_STATES = {n}
BLOCK = {block}
'''

RHS_BATCH = '''
@njit(cache=True, error_model="numpy")
def rhs_batch(Y, K, stim_arr, out):
    """dy/dt for every column of Y (n_states, N) with coefficients K and stimulus stim_arr (N,)."""
    for col in range(Y.shape[1]):
{body}
'''

JAC_BATCH = '''
@njit(cache=True, error_model="numpy")
def jac_batch(Y, K, stim_arr, out):
    """Exact Jacobian ∂f/∂y, out (n_states, n_states, N), for every column of Y (n_states, N)."""
    for col in range(Y.shape[1]):
{body}
'''

DV_SCALAR = '''
@njit(cache=True, error_model="numpy")
def dv_scalar(Yb, i, K, col, stim):
{body}
'''

_EVENTS = '''
                # ---- events: failures, spikes (Hermite-located), recording. Only state 0 is
                # checked: a non-finite state reaches it through dy0/dt within one step.
                if not (abs(Yb[0, i]) <= 1.7e308):
                    if status[col] == 0:
                        status[col] = 1
                        t_fail[col] = {t_new}
                    continue
'''

FIXED = '''
@njit(nogil=True, cache=True, error_model="numpy")
def {method}_blocks(lo_start, lo_stop, Y, K, dt, n_steps, stim_tab, stim_inv_dt, thr, hyst, spk_t, spk_n,
                 armed, rec, rec_every, status, t_fail):
    """Fixed steps for the members of the blocks starting at lo_start, lo_start + BLOCK, … < lo_stop
    (stimulus table stim_tab, empty for none)."""
    N = Y.shape[1]
    cap = spk_t.shape[1]
    n_rec = rec.shape[2]
    hdt = 0.5*dt
    dt6 = dt/6.0
    has_stim = stim_tab.shape[0] > 0
    st0 = 0.0
    st1 = 0.0
    st2 = 0.0
    for lo in range(lo_start, lo_stop, BLOCK):
        nb = min(N, lo + BLOCK) - lo
        Kb = np.empty((K.shape[0], BLOCK))
        for j in range(K.shape[0]):
            for i in range(nb):
                Kb[j, i] = K[j, lo + i]
        Yb = np.empty((N_STATES, BLOCK))
        v_old = np.empty(BLOCK)
        d_old = np.empty(BLOCK)
{views}
        for k in range(N_STATES):
            for i in range(nb):
                Yb[k, i] = Y[k, lo + i]
        if n_rec > 0:
            for i in range(nb):
                for k in range(N_STATES):
                    rec[lo + i, k, 0] = Yb[k, i]
        for step in range(n_steps):
            t = step*dt
{stim}
            for i in range(nb):
                col = lo + i
{body}
            for i in range(nb):
                col = lo + i
                if status[col] != 0:
                    continue
''' + _EVENTS.format(t_new="t + dt") + '''
                v0 = v_old[i]
                v1 = Yb[0, i]
                if armed[col]:
                    if v0 < thr and v1 >= thr:
                        d1 = dv_scalar(Yb, i, K, col, st2)
                        c = spk_n[col]
                        if c < cap:
                            spk_t[col, c] = hermite_crossing(t, dt, v0, v1, d_old[i], d1, thr)
                        spk_n[col] = c + 1
                        armed[col] = False
                elif v1 < thr - hyst:
                    armed[col] = True
            if n_rec > 0 and (step + 1) % rec_every == 0:
                r = (step + 1)//rec_every
                if r < n_rec:
                    for i in range(nb):
                        for k in range(N_STATES):
                            rec[lo + i, k, r] = Yb[k, i]
        for k in range(N_STATES):
            for i in range(nb):
                Y[k, lo + i] = Yb[k, i]
'''

DOPRI_LANES = '''
@njit(nogil=True, cache=True, error_model="numpy")
def dopri5_lanes(nb, W, t_end, rtol, atol, h_max):
    """One Dormand–Prince attempt for every lane of a block (the vectorized loop)."""
    for i in range(nb):
{body}
'''

DOPRI = '''
@njit(nogil=True, cache=True, error_model="numpy")
def dopri5_blocks(lo_start, lo_stop, Y, K, t_end, rtol, atol, h0, h_max, max_steps, stim_tab, stim_inv_dt, thr,
                  hyst, spk_t, spk_n, armed, rec, rec_dt, status, t_fail, n_acc, n_rej):
    """Adaptive steps for the members of the blocks starting at lo_start, lo_start + BLOCK, … < lo_stop
    (stimulus table stim_tab, empty for none)."""
    N = Y.shape[1]
    cap = spk_t.shape[1]
    n_rec = rec.shape[2]
    has_stim = stim_tab.shape[0] > 0
    for lo in range(lo_start, lo_stop, BLOCK):
        nb = min(N, lo + BLOCK) - lo
        # all per-lane block state in one flat array: the lanes loop indexes it with literal
        # row offsets, so LLVM sees constant dependence distances and needs no alias checks
        NC = K.shape[0]
        W = np.zeros((NC + 4*N_STATES + 4 + {n_stim_rows})*BLOCK)
        Kb = W[0:NC*BLOCK].reshape((NC, BLOCK))
        Yb = W[NC*BLOCK:(NC + N_STATES)*BLOCK].reshape((N_STATES, BLOCK))
        Fb = W[(NC + N_STATES)*BLOCK:(NC + 2*N_STATES)*BLOCK].reshape((N_STATES, BLOCK))
        Yo = W[(NC + 2*N_STATES)*BLOCK:(NC + 3*N_STATES)*BLOCK].reshape((N_STATES, BLOCK))
        Fo = W[(NC + 3*N_STATES)*BLOCK:(NC + 4*N_STATES)*BLOCK].reshape((N_STATES, BLOCK))
        base = (NC + 4*N_STATES)*BLOCK
        tb = W[base:base + BLOCK]
        hb = W[base + BLOCK:base + 2*BLOCK]
        tob = W[base + 2*BLOCK:base + 3*BLOCK]
        hused = W[base + 3*BLOCK:base + 4*BLOCK]
        for j in range(NC):
            for i in range(nb):
                Kb[j, i] = K[j, lo + i]
        for i in range(BLOCK):
            hb[i] = h0
        next_rec = np.zeros(BLOCK, dtype=np.int64)
{views}
        for k in range(N_STATES):
            for i in range(nb):
                Yb[k, i] = Y[k, lo + i]
                Yo[k, i] = Yb[k, i]
        stim = table_lookup(stim_tab, stim_inv_dt, 0.0) if has_stim else 0.0
        for i in range(nb):
            col = lo + i
{init}
        for k in range(N_STATES):
            for i in range(nb):
                Fo[k, i] = Fb[k, i]
        if n_rec > 0:
            for i in range(nb):
                for k in range(N_STATES):
                    rec[lo + i, k, 0] = Yb[k, i]
                next_rec[i] = 1
        active = nb
        while active > 0:
            if has_stim:
                for i in range(nb):
{stage_stim}
            dopri5_lanes(nb, W, t_end, rtol, atol, h_max)
            active = 0
            for i in range(nb):
                col = lo + i
                if status[col] != 0 or (tb[i] >= t_end and hused[i] == 0.0):
                    continue
                h = hused[i]
                if h > 0.0:
                    n_acc[col] += 1
                    ok_state = True
                    for k in range(N_STATES):
                        if not (abs(Yb[k, i]) <= 1.7e308):
                            ok_state = False
                    if not ok_state:
                        status[col] = 1
                        t_fail[col] = tb[i]
                        tb[i] = t_end
                        hb[i] = 0.0
                        hused[i] = 0.0
                        continue
                    v0 = Yo[0, i]
                    v1 = Yb[0, i]
                    if armed[col]:
                        if v0 < thr and v1 >= thr:
                            c = spk_n[col]
                            if c < cap:
                                spk_t[col, c] = hermite_crossing(tob[i], h, v0, v1, Fo[0, i], Fb[0, i], thr)
                            spk_n[col] = c + 1
                            armed[col] = False
                    elif v1 < thr - hyst:
                        armed[col] = True
                    while next_rec[i] < n_rec and next_rec[i]*rec_dt <= tb[i] + 1e-9*rec_dt:
                        s = (next_rec[i]*rec_dt - tob[i])/h
                        s = s if s < 1.0 else 1.0
                        for k in range(N_STATES):
                            rec[lo + i, k, next_rec[i]] = hermite(s, h, Yo[k, i], Yb[k, i], Fo[k, i], Fb[k, i])
                        next_rec[i] += 1
                    hused[i] = 0.0
                else:
                    n_rej[col] += 1
                if tb[i] < t_end:
                    if hb[i] < 1e-13*(1.0 + tb[i]):
                        status[col] = 2
                        t_fail[col] = tb[i]
                        tb[i] = t_end
                        hb[i] = 0.0
                    elif n_acc[col] + n_rej[col] >= max_steps:
                        status[col] = 3
                        t_fail[col] = tb[i]
                        tb[i] = t_end
                        hb[i] = 0.0
                    else:
                        active += 1
        for k in range(N_STATES):
            for i in range(nb):
                Y[k, lo + i] = Yb[k, i]
'''
