"""Two-parameter curves of period doublings (PD) of HH in (I_ext, gK).

References, each independent of the curve's defining system (the anti-periodic bordered BVP):
* the one-parameter PDs of HH at gK = 36, T = 6.3 °C on the cycle branch from the first Hopf point,
  7.8453373989 and 7.9177776757 µA/cm² (AUTO-07p, see tests/analysis/test_auto_peer.py);
* Floquet multipliers from the monodromy matrix integrated with scipy's DOP853 on an HH written out
  in ``tests/hh_reference.py`` (fixture ``hh_reference``), from each orbit's mesh values;
* re-location of the PD by the one-parameter cycle continuation at other values of gK
  (continue_equilibria → first Hopf point → continue_cycles → its PD points).
"""
from __future__ import annotations

import numpy as np
import pytest

import hhdyn
from analysis.branch import CodimTwoCurve
from analysis.continuation import continue_equilibria
from analysis.cycles import continue_cycles
from analysis.cycles.pd_curves import continue_pd


PD_36 = (7.8453373989, 7.9177776757)  # µA/cm², AUTO-07p, HH at gK = 36 mS/cm², T = 6.3 °C
OTHER_GK = (30.0, 40.0, 45.0)
NTST, NCOL = 80, 6

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hh():
    return hhdyn.HodgkinHuxley()


@pytest.fixture(scope="module")
def cycles(hh):
    eq = continue_equilibria(hh, "I_ext", (-10.0, 200.0))
    h1 = sorted(eq.points("H"), key=lambda p: p.param)[0]
    return continue_cycles(h1, hh, window=(-10.0, 9.8))


@pytest.fixture(scope="module")
def pds(cycles):
    pts = sorted(cycles.points("PD"), key=lambda p: p.param)
    assert len(pts) == 2, cycles
    return pts


@pytest.fixture(scope="module")
def curve(hh, pds, cycles):
    """The PD curve from the PD at 7.845 in gK: a closed curve (isola) through both PDs at gK = 36."""
    return continue_pd(hh, pds[0], "gK", branch=cycles, window=(-10.0, 150.0), window2=(15.0, 80.0),
                       values2=(36.0,) + OTHER_GK, ntst=NTST, ncol=NCOL)


def _uz(curve, value):
    return [p for p in curve.special_points if p.kind == "UZ" and abs(p.info["gK"] - value) < 1e-9]


def test_the_one_parameter_pds_are_the_auto_values(pds):
    for p, ref in zip(pds, PD_36):
        assert abs(p.param - ref) < 1e-6, (p.param, ref)


def test_pd_curve_passes_through_both_one_parameter_pds(curve):
    """Started from the PD at 7.845, the curve comes back through the other one, 7.918, at gK = 36 (a
    point it was not started from), and closes on itself."""
    assert isinstance(curve, CodimTwoCurve) and curve.kind == "PD"
    assert curve.status == 2, curve.message  # CLOSED
    at = [curve.param[0]] + [p.param for p in _uz(curve, 36.0)]
    for ref in PD_36:
        assert min(abs(a - ref) for a in at) < 1e-5, (ref, at)


def test_points_agree_with_one_parameter_relocation(hh, curve):
    errors = []
    for value in OTHER_GK:
        uz = _uz(curve, value)
        assert uz, value
        model = hh.with_params(gK=value)
        eq = continue_equilibria(model, "I_ext", (-10.0, 200.0))
        h1 = sorted(eq.points("H"), key=lambda p: p.param)[0]
        # the branch from the (subcritical) Hopf point turns back at its folds below h1: the stable
        # large cycles beyond h1 + 1 carry no PD (a PD missed there would fail the match below)
        branch = continue_cycles(h1, model, window=(-10.0, h1.param + 1.0), ntst=NTST, ncol=NCOL)
        found = branch.points("PD")
        assert found, branch.message
        errors += [min(abs(p.param - pt.param) for p in found) for pt in uz]
    assert len(errors) >= 3 and max(errors) < 1e-5, errors


def test_every_point_has_a_multiplier_at_minus_one(curve, hh_reference):
    """Integrated monodromy (independent HH, DOP853) at every fourth point: a multiplier at −1 to 1e-5.

    Excepted: points where a second multiplier is within 0.1 of −1 (the 1:2 resonances R2, where two
    multipliers meet at −1 and the orbit's error splits them by its square root) — the curve must
    carry an R2 point within two points there; and points whose largest multiplier exceeds 1e3, where
    the integrated monodromy itself is off by ~|μ|·rtol."""
    K = len(curve.param)
    sample = list(range(0, K, 4))   # every fourth point, evenly along the curve (the integration is slow)
    Ms, mismatch = hh_reference.monodromies(curve, curve.param, curve.param2, np.full(K, 6.3), only=sample)
    assert mismatch < 1e-4
    r2 = [p.index for p in curve.special_points if p.kind == "R2"]
    worst, where, checked = 0.0, None, 0
    for i, M in zip(sample, Ms):
        mu = np.linalg.eigvals(M)
        if np.sort(np.abs(mu + 1.0))[1] < 0.1:
            assert any(abs(i - j) <= 2 for j in r2), (i, mu, r2)
            continue
        if np.max(np.abs(mu)) > 1e3:
            continue
        err = abs(hh_reference.flip_multiplier(M) + 1.0)
        if err > 1e-6:
            err = abs(hh_reference.flip_multiplier(hh_reference.monodromies(curve, curve.param, curve.param2, np.full(K, 6.3), rtol=1e-13,
                                                  only=[i])[0][0]) + 1.0)
        if err > worst:
            worst, where = err, (i, curve.param[i], curve.param2[i], mu)
        checked += 1
    assert worst < 1e-5, (worst, where)
    assert checked >= 12


def test_codim2_points_and_extrema(curve):
    """R2 points: two multipliers of the curve's orbit at −1 (collocation multipliers); the extrema of
    gK and I_ext along the (closed) curve are LP_p2 / LP_p1 points, each at least as extreme as every point of it."""
    r2 = [p for p in curve.special_points if p.kind == "R2"]
    assert r2 and all(p.converged for p in r2)
    for p in r2:
        mu = np.asarray(curve.multipliers[p.index])
        assert np.sort(np.abs(mu + 1.0))[1] < 1e-3, mu
    lp = [p for p in curve.special_points if p.kind in ("LP_p1", "LP_p2")]
    assert {p.info["extremum_of"] for p in lp} == {"I_ext", "gK"}
    for p in lp:
        values = curve.param2 if p.info["extremum_of"] == "gK" else curve.param
        v = p.info["gK"] if p.info["extremum_of"] == "gK" else p.param
        assert v >= values.max() - 1e-12 or v <= values.min() + 1e-12, (p, values.min(), values.max())


def test_pd_coefficient_changes_sign_only_through_the_poles_at_r2(hh, curve):
    """HH's PD isola: the normal-form coefficient c is subcritical (> 0) at both PDs of gK = 36 and
    changes sign only across the R2 points (where the flip eigenfunction's normalization
    degenerates: c passes through ±∞, not 0). The sign changes of c between consecutive rows lie
    exactly at the R2 rows — found from the multipliers, not from c — and no GPD is reported."""
    from analysis.cycles.normal_form import pd_coefficient

    assert not [p for p in curve.special_points if p.kind == "GPD"]
    r2_rows = sorted(p.index for p in curve.special_points if p.kind == "R2")
    assert len(r2_rows) == 2
    rows = sorted({0, 1, len(curve.param) - 1} | {i + d for i in r2_rows for d in (-2, -1, 0, 1, 2)})
    c = {i: pd_coefficient(hh.with_params(gK=float(curve.param2[i])), "I_ext", curve.profiles[i], curve.period[i],
                           curve.param[i], curve.meshes[i], curve.ncol) for i in rows}
    assert c[0] > 0 and c[len(curve.param) - 1] > 0
    for i in r2_rows:
        assert np.sign(c[i - 2]) == np.sign(c[i - 1]) != np.sign(c[i + 1]) == np.sign(c[i + 2]), (i, c)
        assert abs(c[i]) > 100.0 * max(abs(c[i - 2]), abs(c[i + 2])), (i, c)  # at the located R2: a pole


def test_bad_input_names_the_problem(hh, cycles):
    lpc = cycles.points("LPC")[0]
    with pytest.raises(ValueError, match="LPC"):
        continue_pd(hh, lpc, "gK", branch=cycles)
    pd = cycles.points("PD")[0]
    with pytest.raises(ValueError, match="gX"):
        continue_pd(hh, pd, "gX", branch=cycles)
    with pytest.raises(ValueError, match="R3"):
        continue_pd(hh, pd, "gK", branch=cycles, detect=("R3",))


def test_curve_exports_like_every_branch(curve, tmp_path):
    path = tmp_path / "pd.csv"
    curve.to_csv(path)
    lines = path.read_text().splitlines()
    assert "I_ext,gK,period" in lines[0] and len(lines) == len(curve.param) + 1
    assert all(",PD," in line for line in lines[1:])
    d = curve.to_dict()
    assert d["kind"] == "PD"
