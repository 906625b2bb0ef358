"""Morphologies: geometry, axial conductances, Hines order, validation, SWC import."""
import math

import networkx as nx
import numpy as np
import pytest

from hhdyn.morphology import (
    Morphology,
    SWCError,
    axial_resistance_ohm,
    ball_and_stick,
    cable,
    from_swc,
    morphology_from_mapping,
    y_tree,
)


def test_cable_geometry_and_axial_conductance():
    m = cable(1000.0, 2.0, 10, Ra_ohm_cm=100.0)
    assert len(m) == 10 and m.nodes == tuple(range(10))
    h_cm, d_cm = 100e-4, 2e-4
    np.testing.assert_allclose(m.area_cm2, math.pi * d_cm * h_cm, rtol=1e-14)
    # two half-cylinders in series: R = Ra·h/(π d²/4) (Ω), g = 1/R in mS
    R = 100.0 * h_cm / (math.pi * d_cm**2 / 4)
    assert m.axial_conductance_mS(3, 4) == pytest.approx(1e3 / R, rel=1e-12)
    assert m.graph.edges[3, 4]["R_axial_MOhm"] == pytest.approx(R * 1e-6, rel=1e-12)
    np.testing.assert_allclose(m.distance_um, np.arange(10) * 100.0)
    assert m.parent(0) is None and m.parent(5) == 4
    assert m.total_area_cm2 == pytest.approx(math.pi * d_cm * 0.1)
    assert m.graph.nodes[2]["position"] == (250.0, 0.0, 0.0)


def test_ball_and_stick_soma_is_a_sphere_of_equal_area():
    m = ball_and_stick(soma_diameter_um=20.0, dendrite_length_um=500.0, dendrite_diameter_um=2.0, n_segments=5,
                       Ra_ohm_cm=150.0)
    assert m.root == "soma" and m.nodes[1] == "dend[0]"
    assert m.node_data("soma")["area_cm2"] == pytest.approx(math.pi * (20e-4) ** 2, rel=1e-12)
    R = axial_resistance_ohm(150.0, 10.0, 20.0) + axial_resistance_ohm(150.0, 50.0, 2.0)
    assert m.axial_conductance_mS("soma", "dend[0]") == pytest.approx(1e3 / R, rel=1e-12)
    assert set(m.regions()) == {"soma", "dend"} and len(m.regions()["dend"]) == 5


def test_y_tree_branches_and_hines_order():
    m = y_tree(100.0, 4.0, (80.0, 120.0), (2.0, 3.0), n_segments=(4, 3, 5))
    assert len(m) == 12
    assert set(m.graph.neighbors("trunk[3]")) == {"trunk[2]", "left[0]", "right[0]"}
    assert m.node_data("left[1]")["diameter_um"] == 2.0 and m.node_data("right[4]")["length_um"] == 24.0
    assert np.all(m.parent_index[1:] < np.arange(1, len(m)))
    assert m.distance_um_of("left[0]") == pytest.approx(3 * 25.0 + 12.5 + 80.0 / 6)


def test_hines_order_of_random_trees():
    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(2, 60))
        g = nx.Graph()
        for i in range(n):
            g.add_node(f"c{i}", length_um=float(rng.uniform(1, 50)), diameter_um=float(rng.uniform(0.5, 5)))
        for i in range(1, n):
            g.add_edge(f"c{i}", f"c{int(rng.integers(0, i))}")
        root = f"c{int(rng.integers(0, n))}"
        m = Morphology(g, 100.0, root=root)
        assert m.nodes[0] == root and m.parent_index[0] == -1
        assert np.all(m.parent_index[1:] < np.arange(1, n))
        for i in range(1, n):
            assert g.has_edge(m.nodes[i], m.nodes[m.parent_index[i]])
        L = m.laplacian_mS().toarray()
        np.testing.assert_allclose(L.sum(axis=1), 0.0, atol=1e-9 * np.abs(L).max())
        np.testing.assert_allclose(L, L.T)


# ---------------------------------------------------------------------- validation
def _graph(edges, **overrides):
    g = nx.Graph()
    nodes = {u for e in edges for u in e} or {"a"}
    for n in sorted(nodes):
        g.add_node(n, length_um=10.0, diameter_um=1.0)
    for n, attrs in overrides.items():
        g.nodes[n].update(attrs)
    g.add_edges_from(edges)
    return g


def test_cycle_is_rejected_naming_the_compartments():
    with pytest.raises(ValueError, match=r"cycle") as err:
        Morphology(_graph([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]))
    for name in ("'a'", "'b'", "'c'"):
        assert name in str(err.value)
    with pytest.raises(ValueError, match="itself"):
        Morphology(_graph([("a", "b"), ("b", "b")]))


def test_disconnected_is_rejected():
    with pytest.raises(ValueError, match="separate pieces"):
        Morphology(_graph([("a", "b"), ("c", "d")]))


@pytest.mark.parametrize("key,value", [("diameter_um", 0.0), ("diameter_um", -2.0), ("length_um", 0.0),
                                       ("length_um", float("nan")), ("diameter_um", "thick")])
def test_bad_geometry_names_compartment_and_value(key, value):
    with pytest.raises(ValueError, match=rf"{key} of compartment 'b'"):
        Morphology(_graph([("a", "b")], b={key: value}))


def test_other_bad_input():
    with pytest.raises(ValueError, match="Ra_ohm_cm"):
        cable(100, 1, 3, Ra_ohm_cm=0)
    with pytest.raises(ValueError, match="n_segments"):
        cable(100, 1, 0)
    with pytest.raises(ValueError, match="diameter_um"):
        cable(100, -1, 3)
    with pytest.raises(ValueError, match="no 'diameter_um'"):
        g = nx.Graph()
        g.add_node("x", length_um=1.0)
        Morphology(g)
    with pytest.raises(ValueError, match="compartment 'nope' does not exist"):
        cable(100, 1, 3).index("nope")
    with pytest.raises(ValueError, match="root compartment 7"):
        Morphology(_graph([("a", "b")]), root=7)
    with pytest.raises(ValueError, match="'z', which is not declared"):
        morphology_from_mapping({"a": {"length_um": 1, "diameter_um": 1}}, [("a", "z")])


# ---------------------------------------------------------------------- SWC
SWC = """\
# a toy neuron: soma, a two-point axon, a dendrite that branches
1 1 0 0 0 5 -1
2 2 0 -5 0 0.5 1
3 2 0 -25 0 0.5 2
4 3 5 0 0 1.0 1
5 3 15 0 0 0.8 4
6 3 15 0 0 0.8 5   # same point as 5: merged into it
7 3 20 5 0 0.4 6
8 3 20 -5 0 0.6 6
"""


def test_swc_import(tmp_path):
    path = tmp_path / "toy.swc"
    path.write_text(SWC)
    m = from_swc(path, Ra_ohm_cm=120.0)
    assert m.root == 1 and len(m) == 7 and 6 not in m
    assert m.node_data(1)["region"] == "soma"
    assert m.node_data(1)["length_um"] == pytest.approx(10.0) and m.node_data(1)["diameter_um"] == pytest.approx(10.0)
    assert m.node_data(3)["region"] == "axon" and m.node_data(3)["length_um"] == pytest.approx(20.0)
    assert m.node_data(5)["length_um"] == pytest.approx(10.0)
    assert m.node_data(5)["diameter_um"] == pytest.approx(1.8)  # mean of the two end diameters
    assert m.node_data(5)["position"] == pytest.approx((10.0, 0.0, 0.0))
    assert set(m.graph.neighbors(5)) == {4, 7, 8}  # 6 merged: its children hang on 5
    assert m.node_data(7)["length_um"] == pytest.approx(math.hypot(5, 5))
    assert m.Ra_ohm_cm == 120.0
    assert from_swc(SWC.splitlines()).nodes == m.nodes


@pytest.mark.parametrize(
    "bad_line,message",
    [
        ("9 3 1 2 3 0.5", "expected 7 fields"),
        ("9 3 1 two 3 0.5 8", "must be numbers"),
        ("9 3 1 2 3 0 8", "radius must be positive"),
        ("9 3 1 2 3 -1 8", "radius must be positive"),
        ("7 3 1 2 3 0.5 6", "already defined on line 8"),
        ("9 3 1 2 3 0.5 42", "parent 42 of point 9 is not defined"),
        ("9 1 1 2 3 0.5 -1", "second root"),
        ("9 3 1 2 3 0.5 9", "its own parent"),
        ("9 3 1 2 3 inf 8", "finite"),
    ],
)
def test_swc_malformed_line_names_line_number(tmp_path, bad_line, message):
    path = tmp_path / "bad.swc"
    path.write_text(SWC + bad_line + "\n")
    with pytest.raises(SWCError, match=rf"line 10: .*{message}") as err:
        from_swc(path)
    assert str(path) in str(err.value)
    assert isinstance(err.value, ValueError)


def test_swc_cycle_and_missing_file(tmp_path):
    lines = ["1 1 0 0 0 5 -1", "2 3 1 0 0 1 3", "3 3 2 0 0 1 2"]
    with pytest.raises(SWCError, match=r"line 2: .*not connected to the root"):
        from_swc(lines)
    with pytest.raises(ValueError, match="cannot read SWC file"):
        from_swc(tmp_path / "missing.swc")
    with pytest.raises(SWCError, match="no sample points"):
        from_swc(["# only a comment"])
