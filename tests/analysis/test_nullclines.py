"""Nullclines and quasi-nullclines (analysis.nullclines)."""
from __future__ import annotations

import numpy as np
import pytest

import hhdyn
from analysis.equilibria import fixed_points
from analysis.nullcline_curves import Plane, nullclines
from hhdyn.protocol import ODEModel
from reductions import FitzHughNagumo, ReductionWarning, fast_m, h_plus_n


def _check_points(plane, nc, tol=1e-8):
    """|f_k| at every vertex, relative to max |f_k| on a 60×60 grid of the window."""
    X, Y = np.meshgrid(np.linspace(*plane.xlim, 60), np.linspace(*plane.ylim, 60))
    F = plane.rhs(X, Y)
    for curve in nc:
        k = plane.model.state_names.index(curve.variable)
        scale = np.max(np.abs(F[k][np.isfinite(F[k])]))
        P = curve.points
        assert len(P) > 50
        f = plane.rhs(P[:, 0], P[:, 1])[k]
        assert np.max(np.abs(f)) / scale < tol, curve.variable
        # all points inside the window
        assert np.all((P[:, 0] >= plane.xlim[0] - 1e-9) & (P[:, 0] <= plane.xlim[1] + 1e-9))
        assert np.all((P[:, 1] >= plane.ylim[0] - 1e-9) & (P[:, 1] <= plane.ylim[1] + 1e-9))


CASES = [
    ("h_plus_n I=0", lambda: h_plus_n(hhdyn.HodgkinHuxley()), dict(x="V", y="n", params={"I_ext": 0.0})),
    ("h_plus_n I=8", lambda: h_plus_n(hhdyn.HodgkinHuxley()), dict(x="V", y="n", xlim=(-90, 50), ylim=(0.2, 0.9),
                                                                   params={"I_ext": 8.0})),
    ("h_plus_n n,V swapped", lambda: h_plus_n(hhdyn.HodgkinHuxley()), dict(x="n", y="V")),
    ("fhn", lambda: FitzHughNagumo(I_ext=0.3), dict()),
    ("hh quasi (V,n)", lambda: hhdyn.HodgkinHuxley(), dict(x="V", y="n", others="steady_state")),
    ("hh quasi (V,m)", lambda: hhdyn.HodgkinHuxley(), dict(x="V", y="m", others="steady_state")),
    ("fast_m quasi (V,h)", lambda: fast_m(hhdyn.HodgkinHuxley()), dict(x="V", y="h", others="steady_state")),
    ("hh slice (m,h)", lambda: hhdyn.HodgkinHuxley(), dict(x="m", y="h", xlim=(0, 1), ylim=(0, 1),
                                                          others={"V": -60.0, "n": 0.3})),
]


@pytest.mark.parametrize("name, make, kw", CASES, ids=[c[0] for c in CASES])
def test_nullcline_points_satisfy_f(name, make, kw):
    model = make()
    nc = nullclines(model, **kw)
    plane = Plane(model, kw.get("x"), kw.get("y"), nc.xlim, nc.ylim, kw.get("params"), kw.get("others"))
    _check_points(plane, nc)
    assert all(c.quasi == ("others" in kw) for c in nc)


def test_contoured_gate_nullcline_agrees_with_exact():
    model = h_plus_n(hhdyn.HodgkinHuxley())
    contoured = nullclines(model, "V", "n", exact=False)["n"]
    assert not contoured.exact
    P = contoured.points
    n_inf = model.gates["n"].steady_state(P[:, 0])
    assert np.max(np.abs(P[:, 1] - n_inf)) < 1e-12
    exact = nullclines(model, "V", "n")["n"]
    assert exact.exact
    # the exact curve covers the window's V range
    V = exact.points[:, 0]
    assert V.min() == pytest.approx(nullclines(model).xlim[0]) and V.max() == pytest.approx(nullclines(model).xlim[1])


def test_fhn_nullclines_analytic():
    p = dict(a=0.7, b=0.8, I_ext=0.3)
    nc = nullclines(FitzHughNagumo(**p), xlim=(-2.5, 2.5), ylim=(-1, 2))
    v, w = nc["v"].points.T
    assert np.max(np.abs(w - (v - v**3 / 3 + p["I_ext"]))) < 1e-12
    v, w = nc["w"].points.T
    assert np.max(np.abs(w - (v + p["a"]) / p["b"])) < 1e-12
    # the cubic leaves the window at w = 2 and w = -1: its v-extent is the analytic one
    roots_top = np.roots([-1 / 3, 0, 1, p["I_ext"] - 2.0])
    v_top = roots_top[np.abs(roots_top.imag) < 1e-9].real.min()  # leftmost crossing of w = 2
    assert nc["v"].points[:, 0].min() == pytest.approx(max(v_top, -2.5), abs=2e-2)


def test_fixed_points_lie_on_both_nullclines():
    with pytest.warns(ReductionWarning):
        model = h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)
    nc = nullclines(model, "V", "n", ylim=(0, 1))
    widths = np.array([np.ptp(nc.xlim), np.ptp(nc.ylim)])
    fps = fixed_points(model)
    assert len(fps) == 3
    for fp in fps:
        q = np.array([fp["V"], fp["n"]])
        for curve in nc:
            d = np.min(np.linalg.norm((curve.points - q) / widths, axis=1))
            assert d < 5e-3


def test_branches_of_v_nullcline_in_3d_slice_are_separate():
    nc = nullclines(fast_m(hhdyn.HodgkinHuxley()), "V", "h", others="steady_state")
    assert len(nc["V"].segments) >= 1
    for seg in nc["V"].segments:
        steps = np.linalg.norm(np.diff(seg, axis=0) / [np.ptp(nc.xlim), 1.0], axis=1)
        assert steps.max() < 0.1  # no jumps inside a polyline


def test_csv_export(tmp_path):
    nc = nullclines(FitzHughNagumo())
    nc.to_csv(tmp_path / "nc.csv")
    rows = (tmp_path / "nc.csv").read_text().splitlines()
    assert rows[0].startswith("nullcline_of")
    assert len(rows) - 1 == sum(len(c.points) for c in nc)


@pytest.mark.parametrize("kwargs, name", [
    (dict(x="q"), "x"),
    (dict(x="V", y="zz"), "y"),
    (dict(x="V", y="V"), "y"),
    (dict(xlim=(10, -10)), "xlim"),
    (dict(xlim=(5, 5)), "xlim"),
    (dict(ylim=(1, 0)), "ylim"),
    (dict(ylim=(0, float("nan"))), "ylim"),
    (dict(resolution=3), "resolution"),
])
def test_bad_input_names_the_argument(kwargs, name):
    model = h_plus_n(hhdyn.HodgkinHuxley())
    with pytest.raises(ValueError, match=name):
        nullclines(model, **kwargs)


def test_4d_model_needs_a_projection_choice():
    hh = hhdyn.HodgkinHuxley()
    with pytest.raises(ValueError, match="others"):
        nullclines(hh, "V", "n")
    with pytest.raises(ValueError, match="others"):
        nullclines(hh, "V", "n", others={"m": 0.05})  # h missing
    with pytest.raises(ValueError, match="others"):
        nullclines(hh, "V", "n", others="frozen")
    with pytest.raises(ValueError, match="steady_state"):
        nullclines(hh, "m", "h", xlim=(0, 1), ylim=(0, 1), others="steady_state")  # V not on an axis


class Linear(ODEModel):
    """p' = q, q' = -p: a user model with no default window."""

    state_names = ("p", "q")
    name = "oscillator"

    def __init__(self):
        super().__init__({"I_ext": 0.0})

    def rhs(self, y, params=None):
        p, q = np.asarray(y, dtype=float)
        return np.stack([q, -p])

    def jacobian(self, y, params=None):
        p = np.asarray(y, dtype=float)[0]
        one, zero = np.ones_like(p), np.zeros_like(p)
        return np.array([[zero, one], [-one, zero]])


def test_user_model_window_required_and_nullclines_are_axes():
    with pytest.raises(ValueError, match="xlim"):
        nullclines(Linear())
    nc = nullclines(Linear(), xlim=(-1, 1), ylim=(-1, 1))
    assert np.max(np.abs(nc["p"].points[:, 1])) < 1e-14  # p' = q = 0
    assert np.max(np.abs(nc["q"].points[:, 0])) < 1e-14  # q' = -p = 0
