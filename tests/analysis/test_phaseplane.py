"""PhasePlane: field, trajectories, separatrices, limit cycles and the figure."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from scipy.integrate import solve_ivp  # noqa: E402

import hhdyn  # noqa: E402
from analysis.phaseplane import PhasePlane  # noqa: E402
from reductions import FitzHughNagumo, ReductionWarning, h_plus_n  # noqa: E402


@pytest.fixture(scope="module")
def bistable():
    """FitzHugh–Nagumo with two stable foci separated by the stable manifold of a saddle."""
    return PhasePlane(FitzHughNagumo(a=0.0, b=2.0, eps=0.08), "v", "w", (-2.5, 2.5), (-1.5, 1.5), t_max=100.0)


def _final(model, y0, t):
    sol = solve_ivp(lambda _, y: model.rhs(y), (0, t), y0, method="DOP853", rtol=1e-10, atol=1e-12)
    return sol.y[:, -1]


def test_separatrix_divides_the_basins(bistable):
    model = bistable.model
    fps = bistable.fixed_points()
    left, saddle, right = fps
    assert saddle.kind == "saddle"
    stable = [m for m in bistable.separatrices() if m.kind == "stable"]
    assert len(stable) == 2
    # points on the stable manifold, some way from the saddle, pushed off it either side
    for man in stable:
        xy = man.xy
        k = len(xy) // 2
        p, tangent = xy[k], xy[k + 1] - xy[k - 1]
        normal = np.array([-tangent[1], tangent[0]]) / np.linalg.norm(tangent)
        ends = []
        for sign in (1.0, -1.0):
            end = _final(model, p + sign * 1e-3 * normal, 300.0)
            d = [np.linalg.norm(end - fp.state) for fp in (left, right)]
            assert min(d) < 1e-3
            ends.append(int(np.argmin(d)))
        assert sorted(ends) == [0, 1]  # one side to each attractor
        # and the manifold point itself converges to the saddle (forward in time)
        assert np.linalg.norm(_final(model, p, 20.0) - saddle.state) < np.linalg.norm(p - saddle.state)


def test_unstable_manifold_connects_saddle_to_both_attractors(bistable):
    left, _, right = bistable.fixed_points()
    unstable = [m for m in bistable.separatrices(t_max=300.0) if m.kind == "unstable"]
    assert len(unstable) == 2
    ends = sorted(int(np.argmin([np.linalg.norm(m.orbit.y[:, -1] - fp.state) for fp in (left, right)]))
                  for m in unstable)
    assert ends == [0, 1]
    for m in unstable:
        assert min(np.linalg.norm(m.orbit.y[:, -1] - fp.state) for fp in (left, right)) < 1e-3


def test_threshold_separatrix_in_h_plus_n():
    """h = 1 − n: the saddle's stable manifold is the spike threshold from rest."""
    with pytest.warns(ReductionWarning):
        model = h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)
    pp = PhasePlane(model, "V", "n", (-85, 50), (0.2, 0.9), t_max=60.0)
    stable = [m for m in pp.separatrices() if m.kind == "stable"]
    assert stable
    # where the manifold crosses n = 0.45, kick left/right of it and see spike vs no spike
    for man in stable:
        xy = man.xy
        idx = np.flatnonzero(np.diff(np.sign(xy[:, 1] - 0.45)) != 0)
        if idx.size:
            i = idx[0]
            t = (0.45 - xy[i, 1]) / (xy[i + 1, 1] - xy[i, 1])
            V_sep = xy[i, 0] + t * (xy[i + 1, 0] - xy[i, 0])
            break
    else:
        pytest.fail("stable manifold does not cross n = 0.45")
    below = pp.trajectory((V_sep - 0.05, 0.45), 40.0)
    above = pp.trajectory((V_sep + 0.05, 0.45), 40.0)
    assert below.xy[:, 0].max() < -40.0  # returns to rest without a spike
    assert above.xy[:, 0].max() > 20.0  # fires


def test_fhn_limit_cycle_period_matches_independent_integration():
    model = FitzHughNagumo(I_ext=0.5)
    pp = PhasePlane(model, t_max=300.0)
    cycles = pp.limit_cycles()
    assert len(cycles) == 1 and cycles[0].stable
    # independent: long DOP853 run, period from the last upward crossings of v = 0
    sol = solve_ivp(lambda _, y: model.rhs(y), (0, 600), [0.0, 0.0], method="DOP853", rtol=1e-11, atol=1e-12,
                    dense_output=True)
    t = np.linspace(300, 600, 300001)
    v = sol.sol(t)[0]
    up = t[1:][(v[:-1] < 0) & (v[1:] >= 0)]
    assert cycles[0].period == pytest.approx(np.diff(up)[-1], rel=1e-4)
    # the cycle is closed and orbits the unstable focus
    xy = cycles[0].xy
    assert np.linalg.norm(xy[0] - xy[-1]) < 1e-3
    focus = pp.fixed_points()[0]
    assert focus.kind == "unstable focus"
    assert xy[:, 0].min() < focus["v"] < xy[:, 0].max()


def test_h_plus_n_bistability_stable_and_unstable_cycles():
    model = h_plus_n(hhdyn.HodgkinHuxley())
    pp = PhasePlane(model, "V", "n", (-85, 50), (0.25, 0.8), params={"I_ext": 8.0}, t_max=150.0)
    cycles = pp.limit_cycles(seeds=[(-40.0, 0.5)])
    kinds = sorted(c.stable for c in cycles)
    assert kinds == [False, True]
    stable = next(c for c in cycles if c.stable)
    unstable = next(c for c in cycles if not c.stable)
    rest = pp.fixed_points()[0]
    assert rest.is_stable
    # nested: the unstable cycle surrounds rest, the stable (spiking) cycle surrounds both
    assert unstable.xy[:, 0].min() < rest["V"] < unstable.xy[:, 0].max()
    assert stable.xy[:, 0].min() < unstable.xy[:, 0].min() and stable.xy[:, 0].max() > unstable.xy[:, 0].max()
    # independent check of the stable cycle: simulate from a point on it, measure the ISI
    from hhdyn.simulation import simulate

    traj = simulate(model.with_params(I_ext=8.0), 80.0, y0=stable.y[:, 0])
    assert traj.isis()[-1] == pytest.approx(stable.period, rel=1e-3)


def test_stacked_trajectories_equal_separate_ones():
    pp = PhasePlane(h_plus_n(hhdyn.HodgkinHuxley()), "V", "n", (-85, 50), (0.25, 0.8), params={"I_ext": 3.0})
    starts = [(-70.0, 0.3), (-40.0, 0.5), (0.0, 0.6)]
    together = pp.trajectories(starts, 30.0, n_samples=301)
    for start, orbit in zip(starts, together):
        alone = pp.trajectory(start, 30.0, n_samples=301, stop_outside=None)
        assert np.allclose(orbit.xy[0], start)
        assert np.max(np.abs(orbit.y - alone.y) / np.array([[100.0], [1.0]])) < 1e-4


def test_direction_field_is_the_vector_field():
    model = FitzHughNagumo(I_ext=0.2)
    X, Y, U, W = PhasePlane(model).direction_field(20)
    assert X.shape == (20, 20)
    f = model.rhs(np.stack([X.ravel(), Y.ravel()]))
    assert np.allclose(U.ravel(), f[0]) and np.allclose(W.ravel(), f[1])


def test_projection_trajectory_of_hh():
    hh = hhdyn.HodgkinHuxley()
    pp = PhasePlane(hh.with_params(I_ext=10.0), "V", "n", (-85, 50), (0.25, 0.85), others="steady_state")
    rest = hh.resting_state()
    orbit = pp.trajectory(rest, 30.0)  # a full 4D state
    assert orbit.y.shape[0] == 4
    assert np.allclose(orbit.xy[:, 0], orbit.y[0]) and np.allclose(orbit.xy[:, 1], orbit.y[3])
    assert orbit.xy[:, 0].max() > 20.0  # the step from rest fires a spike
    # a plane point is embedded with m, h at steady state
    y0 = pp.initial_state((-60.0, 0.4))
    assert y0[1] == pytest.approx(hh.gates["m"].steady_state(-60.0))
    assert y0[2] == pytest.approx(hh.gates["h"].steady_state(-60.0))


def _gids(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_plot_marks_fixed_points_by_stability():
    with pytest.warns(ReductionWarning):
        model = h_plus_n(hhdyn.HodgkinHuxley(), c=1.0)
    pp = PhasePlane(model, "V", "n", (-85, 50), (0.2, 0.9), t_max=60.0)
    ax = pp.plot(trajectories=[(-62.0, 0.45), (-50.0, 0.45)], t_end=20.0)
    markers = _gids(ax, "fixed_point")
    styles = sorted(m.get_fillstyle() for m in markers)
    assert styles == ["full", "left", "none"]  # stable, saddle, unstable
    assert len(_gids(ax, "trajectory")) == 2
    assert len(_gids(ax, "stable_manifold")) == 2 and len(_gids(ax, "unstable_manifold")) == 2
    assert _gids(ax, "nullcline_V") and _gids(ax, "nullcline_n")
    assert ax.get_xlabel() == "V (mV)" and ax.get_ylabel() == "n"
    assert not _gids(ax, "projection_label")
    plt.close(ax.figure)


def test_plot_of_projection_is_labelled():
    pp = PhasePlane(hhdyn.HodgkinHuxley(I_ext=10.0), "V", "n", others="steady_state")
    ax = pp.plot(trajectories=[(-50.0, 0.4)], t_end=10.0, field="streamlines")
    label = _gids(ax, "projection_label")
    assert label and "projection of the 4D model" in label[0].get_text()
    assert any("projection" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(ax.figure)


def test_bad_input():
    model = h_plus_n(hhdyn.HodgkinHuxley())
    with pytest.raises(ValueError, match="x"):
        PhasePlane(model, "Q", "n")
    with pytest.raises(ValueError, match="ylim"):
        PhasePlane(model, "V", "n", ylim=(1.0, 0.0))
    with pytest.raises(ValueError, match="others"):
        PhasePlane(hhdyn.HodgkinHuxley(), "V", "n")
    pp = PhasePlane(model)
    with pytest.raises(ValueError, match="field"):
        pp.plot(field="quiver")
    with pytest.raises(ValueError, match="t_end"):
        pp.trajectory((-60.0, 0.3), -1.0)
    with pytest.raises(ValueError, match="initial state"):
        pp.trajectory((-60.0, 0.3, 1.0), 10.0)
