"""XPPAUT .ode import/export: the files in tests/data against the built-in and hand-written models."""
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from analysis.continuation import continue_equilibria
from analysis.equilibria import fixed_points
from hhdyn import HodgkinHuxley, simulate
from hhdyn.protocol import ODEModel
from hhdyn.xpp import OdeFileError, read_ode, to_ode
from reductions import FitzHughNagumo

DATA = Path(__file__).resolve().parents[1] / "data"


class HandMorrisLecar(ODEModel):
    """Morris–Lecar written out by hand with NumPy (independent of the .ode route)."""

    state_names = ("v", "w")

    def __init__(self, **p):
        base = dict(I_ext=30.0, c=20.0, gca=4.0, gk=8.0, gl=2.0, vca=120.0, vk=-84.0, vl=-60.0,
                    v1=-1.2, v2=18.0, v3=12.0, v4=17.4, phi=0.06666667)
        base.update(p)
        self.name = "hand ML"
        super().__init__(base)

    def rhs(self, y, params=None):
        p = self._resolve(params)
        v, w = np.asarray(y, dtype=float)
        minf = 0.5 * (1 + np.tanh((v - p.v1) / p.v2))
        winf = 0.5 * (1 + np.tanh((v - p.v3) / p.v4))
        lam = p.phi * np.cosh((v - p.v3) / (2 * p.v4))
        dv = (p.I_ext - p.gca * minf * (v - p.vca) - p.gk * w * (v - p.vk) - p.gl * (v - p.vl)) / p.c
        return np.array([dv, lam * (winf - w)])

    def jacobian(self, y, params=None):
        p = self._resolve(params)
        v, w = np.asarray(y, dtype=float)
        minf = 0.5 * (1 + np.tanh((v - p.v1) / p.v2))
        dminf = 0.5 / p.v2 / np.cosh((v - p.v1) / p.v2) ** 2
        winf = 0.5 * (1 + np.tanh((v - p.v3) / p.v4))
        dwinf = 0.5 / p.v4 / np.cosh((v - p.v3) / p.v4) ** 2
        lam = p.phi * np.cosh((v - p.v3) / (2 * p.v4))
        dlam = p.phi * np.sinh((v - p.v3) / (2 * p.v4)) / (2 * p.v4)
        J11 = (-p.gca * (dminf * (v - p.vca) + minf) - p.gk * w - p.gl) / p.c
        J12 = -p.gk * (v - p.vk) / p.c
        return np.array([[J11, J12], [dlam * (winf - w) + lam * dwinf, -lam + 0 * v]])

    def dfdp(self, y, name, params=None):
        if name == "I_ext":
            p = self._resolve(params)
            v = np.asarray(y, dtype=float)[0]
            return np.array([np.ones_like(v) / p.c, np.zeros_like(v)])
        return super().dfdp(y, name, params)


CASES = {
    "fhn": (lambda: FitzHughNagumo(), (-0.5, 2.0)),
    "morris_lecar": (lambda: HandMorrisLecar(), (150.0, -50.0)),  # from the upper branch, past both folds
    "hh": (lambda: HodgkinHuxley(), (-10.0, 200.0)),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def pair(request):
    make, window = CASES[request.param]
    return request.param, read_ode(DATA / f"{request.param}.ode"), make(), window


def test_file_contents_are_read():
    ml = read_ode(DATA / "morris_lecar.ode")
    assert ml.state_names == ("v", "w")
    assert ml.params["phi"] == 0.06666667 and ml.params["v4"] == 17.4
    assert ml.initial == {"v": -60.0, "w": 0.01}
    assert ml.options["total"] == 1000.0 and ml.options["meth"] == "cvode"
    assert ml.state_ranges == {"v": (-80.0, 40.0), "w": (-0.1, 0.6)}
    assert ml.aux_names == ("ica",)
    hh = read_ode(DATA / "hh.ode")
    assert hh.state_names == ("V", "m", "h", "n") and hh.aux_names == ("I_Na", "I_K")


def test_equilibria_match(pair):
    name, model, ref, _ = pair
    kw = {"method": "newton", "box": dict(zip(ref.state_names, [(-100, 60), (0, 1), (0, 1), (0, 1)]))} \
        if name == "hh" else {}
    got = fixed_points(model, **kw)
    want = fixed_points(ref, **({} if name != "morris_lecar" else {"box": {"v": (-80, 40), "w": (-0.1, 0.6)}}))
    assert len(got) == len(want) == (3 if name == "morris_lecar" else 1)
    np.testing.assert_allclose(got.states, want.states, rtol=0, atol=1e-10)
    assert [p.kind for p in got] == [p.kind for p in want]


def test_hopf_points_match(pair):
    name, model, ref, (lo, hi) = pair
    y0 = None if name != "morris_lecar" else fixed_points(ref.with_params(I_ext=lo), box={"v": (-80, 40), "w": (-0.1, 0.6)}).states[-1]
    window, direction = (min(lo, hi), max(lo, hi)), (1 if hi > lo else -1)  # from lo towards hi
    a = continue_equilibria(model, "I_ext", window, y0=y0, direction=direction)
    b = continue_equilibria(ref, "I_ext", window, y0=y0, direction=direction)
    ha, hb = a.points("H"), b.points("H")
    assert len(ha) == len(hb) >= 1
    assert [p.kind for p in a.special_points] == [p.kind for p in b.special_points]
    for p, q in zip(ha, hb):
        assert abs(p.param - q.param) < 1e-8
        np.testing.assert_allclose(p.state, q.state, rtol=0, atol=1e-8)


def test_trajectories_match(pair):
    name, model, ref, _ = pair
    y0 = model.initial_state()
    kw = dict(method="DOP853", rtol=1e-12, atol=1e-12, dt=0.1)
    stim = {"hh": 10.0, "fhn": 0.5, "morris_lecar": 20.0}[name]
    a = simulate(model, 100.0, stimulus=stim, y0=y0, **kw)
    b = simulate(ref, 100.0, stimulus=stim, y0=y0, **kw)
    assert np.max(np.abs(a.y - b.y)) < 1e-8


def test_round_trip_is_exact(tmp_path, pair):
    name, model, ref, _ = pair
    to_ode(model, tmp_path / "m.ode")
    again = read_ode(tmp_path / "m.ode")
    rng = np.random.default_rng(1)
    Y = model.initial_state()[:, None] + rng.normal(size=(model.n_states, 50)) * 0.1
    assert again.params == model.params and again.initial == model.initial
    assert np.array_equal(again.rhs(Y), model.rhs(Y))
    assert np.array_equal(again.jacobian(Y), model.jacobian(Y))
    # the writer adds only what XPPAUT needs to run the file (bounds, and maxstor for long runs)
    assert {k: v for k, v in again.options.items() if k in model.options} == model.options
    assert set(again.options) - set(model.options) <= {"bounds", "maxstor"}
    to_ode(again, tmp_path / "m2.ode")
    assert read_ode(tmp_path / "m2.ode").options == again.options


def test_conductance_model_written_for_xppaut(tmp_path):
    hh = HodgkinHuxley(T=18.5)
    to_ode(hh, tmp_path / "hh.ode")
    text = (tmp_path / "hh.ode").read_text()
    assert "V'=" in text and "par " in text and text.rstrip().endswith("done")
    back = read_ode(tmp_path / "hh.ode")
    V = np.concatenate([np.linspace(-100, 50, 301), [-40.0, -55.0]])
    Y = np.vstack([V, np.full_like(V, 0.3), np.full_like(V, 0.5), np.full_like(V, 0.4)])
    np.testing.assert_allclose(back.rhs(Y), hh.rhs(Y), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(back.jacobian(Y), hh.jacobian(Y), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("line, problem", [
    ("table w % 51 -25 25 w(t)", "tables"),
    ("markov z 2", "Markov"),
    ("wiener nz", "Wiener"),
    ("global 1 x-1 {x=0}", "global"),
    ("y'=delay(x, 1)", "delay"),
    ("z[1..3]'=-z[j]", "arrays"),
    ("x(t+1)=x/2", "difference"),
    ("x'=-x +", "cannot parse"),
    ("x'=-foo(x)", "unknown symbol 'foo'"),
    ("x'=-x*t", "time t"),
])
def test_bad_input_names_file_line_and_construct(tmp_path, line, problem):
    path = tmp_path / "bad.ode"
    path.write_text(f"# a bad file\npar a=1\n{line}\nx'=-a*x\ndone\n" if not line.startswith("x'") else
                    f"# a bad file\npar a=1\n{line}\ndone\n")
    with pytest.raises(OdeFileError) as info:
        read_ode(path)
    msg = str(info.value)
    assert msg.startswith(f"{path}:3:"), msg
    assert problem in msg, msg


def test_to_ode_failure_leaves_nothing(tmp_path):
    with pytest.raises(ValueError):
        to_ode(FitzHughNagumo(), tmp_path / "x.ode")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.xppaut
@pytest.mark.skipif(shutil.which("xppaut") is None, reason="XPPAUT is not installed (apt-get install xppaut)")
@pytest.mark.parametrize("source", ["conductance", "file"])
def test_xppaut_itself_reads_the_written_files(tmp_path, source):
    """XPPAUT (RK4, dt = 0.001 ms) integrates the written HH file to our tight-tolerance trajectory;
    XPPAUT stores single-precision numbers, hence the tolerances."""
    model = HodgkinHuxley(I_ext=10.0) if source == "conductance" else read_ode(DATA / "hh.ode").with_params(I_ext=10.0)
    y0 = np.array([-65.0, 0.05, 0.6, 0.32])
    to_ode(model, tmp_path / "hh.ode", total=20.0, dt=0.001, initial=dict(zip(model.state_names, y0)))
    text = (tmp_path / "hh.ode").read_text()
    text = text.replace("@ total=20.0", "@ total=20.0\n@ meth=rk4")
    (tmp_path / "hh.ode").write_text(text)
    run = subprocess.run(["xppaut", "hh.ode", "-silent"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    out = np.loadtxt(tmp_path / "output.dat")
    assert out.shape[0] == 20001, run.stdout + run.stderr
    ref = simulate(model, 20.0, y0=y0, method="DOP853", rtol=1e-12, atol=1e-12, dt=0.001)
    np.testing.assert_allclose(out[:, 0], ref.t, atol=1e-5)
    assert np.max(np.abs(out[:, 1] - ref.y[0])) < 1e-3
    assert np.max(np.abs(out[:, 2:5] - ref.y[1:].T)) < 1e-5
