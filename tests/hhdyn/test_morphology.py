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


# ---------------------------------------------------------------------- SWC as NeuroMorpho and NEURON read it
from pathlib import Path  # noqa: E402

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hhdyn.sections import (  # noqa: E402
    Section,
    discretize,
    lambda_f_um,
    morphology_from_sections,
    nseg_d_lambda,
    sections_from_swc,
)
from hhdyn.swc import read_swc  # noqa: E402

DATA = Path(__file__).parents[1] / "data"
THREE_POINT = ["1 1 3 4 5 10 -1", "2 1 3 -6 5 10 1", "3 1 3 14 5 10 1",
               "4 3 13 4 5 1 1", "5 3 33 4 5 1 4", "6 2 3 -26 5 0.5 2"]


@pytest.mark.parametrize("nseg", [None, 1, 3])
def test_three_point_soma_is_one_sphere(nseg):
    """Issue 16.8: the NeuroMorpho three-point soma of radius 10 µm has area 4πr² = 1256.6 µm²
    (not 2513): the outer two points describe the same sphere."""
    assert read_swc(THREE_POINT).soma_kind == "three-point"
    m = from_swc(THREE_POINT, nseg=nseg)
    soma = m.regions()["soma"]
    area = sum(m.node_data(n)["area_cm2"] for n in soma) * 1e8
    assert area == pytest.approx(4 * math.pi * 10.0**2, rel=1e-9)


def test_single_point_and_contour_somata():
    single = from_swc(["1 1 0 0 0 6 -1", "2 3 6 0 0 1 1", "3 3 16 0 0 1 2"])
    assert single.node_data(1)["area_cm2"] * 1e8 == pytest.approx(4 * math.pi * 36, rel=1e-12)
    # a closed planar outline of radius 5 (16 points on a circle, chained) → sphere of radius 5
    ring = [f"{k + 1} 1 {5 * math.cos(k * math.pi / 8):.12f} {5 * math.sin(k * math.pi / 8):.12f} 0 0.5 "
            f"{k if k else -1}" for k in range(16)]
    lines = ring + ["17 3 5 0 0 1 1", "18 3 15 0 0 1 17"]
    assert read_swc(lines).soma_kind == "contour"
    m = from_swc(lines)
    assert m.node_data(1)["area_cm2"] * 1e8 == pytest.approx(4 * math.pi * 25, rel=1e-9)
    assert m.regions()["soma"] == (1,)
    ms = from_swc(lines, nseg=1)
    assert ms.node_data("soma[0]")["area_cm2"] * 1e8 == pytest.approx(4 * math.pi * 25, rel=1e-9)


def test_frustum_area_and_resistance_are_exact():
    """A tapered compartment: lateral area π(r₁+r₂)√(L²+(r₁−r₂)²), resistance Ra·4L/(π d₁d₂)."""
    m = from_swc(["1 1 0 0 0 5 -1", "2 3 5 0 0 2 1", "3 3 35 0 0 1 2", "4 3 65 0 0 1 3"], Ra_ohm_cm=100.0)
    assert m.node_data(3)["area_cm2"] * 1e8 == pytest.approx(math.pi * 3 * math.sqrt(900 + 1), rel=1e-12)
    # between the centres of 3 (d 4 → 2 over 30 µm) and 4 (cylinder d 2): d(mid of 3) = 3
    R = 100.0 * (4 * 15e-4 / (math.pi * 3e-4 * 2e-4) + 15e-4 / (math.pi * (2e-4) ** 2 / 4))
    assert 1 / m.axial_conductance_mS(3, 4) * 1e3 == pytest.approx(R, rel=1e-12)


@pytest.mark.parametrize(
    "lines,message",
    [
        (["1 1 0 0 0 5 -1", "2 3 1 0 0 1 -5"], r"line 2: parent -5 of point 2 is invalid"),
        (["1 inf 0 0 0 5 -1"], r"line 1: type must be a finite integer"),
        (["1 1 0 0 0 5 -1", "2 1e300 0 0 0 5 1"], r"line 2: type must be a finite integer"),
        (["1 1 0 0 0 5 -1", "2.5 3 0 0 0 5 1"], r"line 2: id must be a finite integer"),
        (["1 1 0 0 0 5 -1", "2 3 1e13 0 0 5 1"], r"line 2: .*below 1e\+12"),
        (["1 1 0 0 0 5 -1", "2 3 0 0 0 1e-9 1"], r"line 2: radius 1e-09"),
        (["1 1 0 0 0 5 -1", "-2 3 1 0 0 1 1"], r"line 2: id must be a non-negative"),
        (["1 1 0 0 0 5 -1", "2 3 1 0 0 1 3", "3 3 1 0 0 1 2"], r"line 2: point 2 is not connected"),
        (["1 1 0 0 0 5 -1", "2 3 1 0 0 1 1 # ok", "3 3 1 0 0 é 1"], r"line 3: .*(non-ASCII|numbers)"),
    ],
)
def test_swc_errors_name_line_and_problem(lines, message):
    with pytest.raises(SWCError, match=message):
        from_swc(lines)


def test_swc_encodings_and_missing_soma(tmp_path):
    bom = tmp_path / "bom.swc"
    bom.write_bytes(b"\xef\xbb\xbf" + SWC.encode())
    assert from_swc(bom).nodes == from_swc(SWC.splitlines()).nodes  # a UTF-8 BOM is skipped
    utf16 = tmp_path / "utf16.swc"
    utf16.write_text(SWC, encoding="utf-16")
    with pytest.raises(SWCError, match=rf"{utf16}: the file is UTF-16"):
        from_swc(utf16)
    binary = tmp_path / "bin.swc"
    binary.write_bytes(b"1 1 0 0 0 5 -1\n\x89PNG\x00\x01")
    with pytest.raises(SWCError, match=rf"{binary}, line 2: a NUL byte"):
        from_swc(binary)
    latin = tmp_path / "latin.swc"
    latin.write_bytes(b"# Sch\xf6n\n1 1 0 0 0 5 -1\n")
    with pytest.raises(SWCError, match=r"line 1: byte 0xf6 is not UTF-8"):
        from_swc(latin)
    nosoma = tmp_path / "axon_only.swc"
    nosoma.write_text("1 2 0 0 0 1 -1\n2 2 10 0 0 1 1\n3 2 20 0 0 1 2\n")
    with pytest.raises(SWCError, match=rf"{nosoma}: no soma .*require_soma=False"):
        from_swc(nosoma)
    m = from_swc(nosoma, require_soma=False)
    assert len(m) == 3 and m.root == 1
    ms = from_swc(nosoma, require_soma=False, nseg=2)
    assert ms.total_area_cm2 * 1e8 == pytest.approx(math.pi * 2 * 20, rel=1e-12)
    with pytest.raises(ValueError, match="reader must be"):
        from_swc(nosoma, reader="magic")


def test_shipped_reconstruction_reads_as_sections():
    path = DATA / "test_neuron.swc"
    data = read_swc(path)
    assert 200 <= len(data) <= 500 and data.soma_kind == "three-point"
    secs = sections_from_swc(data)
    assert secs[0].name == "soma" and sum(s.parent is None for s in secs) == 1
    assert {s.region for s in secs} == {"soma", "axon", "dend", "apic"}
    # total membrane = the 4πr² soma + the frusta between consecutive non-soma points
    # (children of the soma start at their own first point, as NEURON's Import3d does)
    r = data.radius
    area = 4 * math.pi * 8.0**2
    for row in range(len(data)):
        p = data.parent_index[row]
        if data.types[row] != 1 and p >= 0 and data.types[p] != 1:
            L = float(np.linalg.norm(data.xyz[row] - data.xyz[p]))
            area += math.pi * (r[row] + r[p]) * math.sqrt(L * L + (r[row] - r[p]) ** 2)
    for nseg in (1, 3):
        m = from_swc(path, nseg=nseg)
        assert m.total_area_cm2 * 1e8 == pytest.approx(area, rel=1e-12)
    lam = from_swc(path, d_lambda=0.1)
    assert len(lam) > len(secs)


def test_d_lambda_rule_matches_neurons_formula():
    """NEURON's geom_nseg: nseg = 2·int((L/(0.1·λ_100) + 0.9)/2) + 1, λ_f = 1e5·√(d/(4π f Ra cm))."""
    sec = Section.cylinder("d", 1000.0, 2.0)
    lam = 1e5 * math.sqrt(2.0 / (4 * math.pi * 100 * 100.0 * 1.0))
    assert lambda_f_um(sec, 100.0) == pytest.approx(lam, rel=1e-12)
    assert nseg_d_lambda(sec, 100.0) == int((1000.0 / (0.1 * lam) + 0.9) / 2) * 2 + 1 == 25
    assert nseg_d_lambda(sec, 100.0, d_lambda=0.3) % 2 == 1
    tapered = Section("t", [[0, 0, 0, 4], [300, 0, 0, 1]])
    lam_t = 300.0 / (300.0 / math.sqrt(5.0) * math.sqrt(2) * 1e-5 * math.sqrt(4 * math.pi * 100 * 100.0))
    assert lambda_f_um(tapered, 100.0) == pytest.approx(lam_t, rel=1e-12)
    assert [s.nseg for s in discretize([sec, tapered.__class__("u", tapered.points, "d")], 100.0, nseg=4)] == [4, 4]


def test_sections_junction_matches_series_conductances():
    """A Y: the trunk's end is a zero-area junction joined through half segments."""
    trunk = Section.cylinder("trunk", 100.0, 4.0, nseg=2)
    left = Section.cylinder("left", 50.0, 2.0, parent="trunk", nseg=1)
    right = Section.cylinder("right", 50.0, 1.0, parent="trunk", nseg=1)
    m = morphology_from_sections([trunk, left, right], Ra_ohm_cm=100.0)
    assert set(m.graph.neighbors("trunk(1)")) == {"trunk[1]", "left[0]", "right[0]"}
    assert m.node_data("trunk(1)")["area_cm2"] == 0.0
    R = axial_resistance_ohm(100.0, 25.0, 4.0)
    assert 1e3 / m.axial_conductance_mS("trunk[1]", "trunk(1)") == pytest.approx(R, rel=1e-12)
    assert 1e3 / m.axial_conductance_mS("trunk(1)", "right[0]") == pytest.approx(
        axial_resistance_ohm(100.0, 25.0, 1.0), rel=1e-12)
    # an interior attachment joins the segment centre through the child's half segment only
    side = Section.cylinder("side", 40.0, 1.0, parent="trunk", parent_x=0.3)
    m2 = morphology_from_sections([trunk, side], 100.0)
    assert 1e3 / m2.axial_conductance_mS("trunk[0]", "side[0]") == pytest.approx(
        axial_resistance_ohm(100.0, 20.0, 1.0), rel=1e-12)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Section("z", [[0, 0, 0, 1], [0, 0, 0, 1]]), "section 'z' has zero length"),
        (lambda: Section("d", [[0, 0, 0, 1], [5, 0, 0, 0]]), "section 'd' has a zero or negative diameter"),
        (lambda: Section.cylinder("c", 10, 1, nseg=0), "nseg must be an integer >= 1"),
        (lambda: discretize([Section.cylinder("c", 10, 1)], 100.0, d_lambda=0.0), "d_lambda must be a positive"),
        (lambda: discretize([Section.cylinder("c", 10, 1)], 100.0, d_lambda=-1), "d_lambda must be a positive"),
        (lambda: morphology_from_sections([Section.cylinder("a", 10, 1), Section.cylinder("b", 10, 1, parent="x")]),
         "names parent 'x'"),
        (lambda: morphology_from_sections([Section.cylinder("a", 10, 1), Section.cylinder("b", 10, 1)]),
         "exactly one section"),
        (lambda: from_swc(["1 1 0 0 0 5 -1", "2 3 9 0 0 1 1"], nseg=0), "nseg must be an integer >= 1"),
    ],
)
def test_bad_sections_name_the_problem(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_stimulus_at_a_missing_compartment_is_named():
    from hhdyn.cable import CableModel
    from hhdyn.squid import HodgkinHuxley

    model = CableModel(from_swc(THREE_POINT, nseg=1), HodgkinHuxley())
    with pytest.raises(ValueError, match="'dend_7\\[0\\]'"):
        model.run(1.0, 0.025, injections={"dend_7[0]": 1.0})


# random and garbage input: only SWCError (or a morphology), never another exception or a hang
_number = st.one_of(st.integers(-3, 30).map(str), st.floats(allow_nan=True, allow_infinity=True).map(repr),
                    st.sampled_from(["inf", "-inf", "nan", "1e400", "0x10", "1_0", "--1", "", "#", "\u00a0", "é"]),
                    st.text(max_size=4))
_row = st.lists(_number, min_size=0, max_size=9).map(" ".join)
_tree_row = st.tuples(st.integers(0, 12), st.integers(0, 5), st.floats(-50, 50), st.floats(-50, 50),
                      st.floats(-1e13, 1e13), st.floats(-1, 5), st.integers(-6, 12)).map(
    lambda r: " ".join(str(v) for v in r))




@st.composite
def _swc_file(draw):
    """A mostly valid tree (ids 1…n, parents earlier, coincident points likely) with a few
    fields replaced by garbage."""
    n = draw(st.integers(1, 15))
    coord = st.one_of(st.sampled_from([0.0, 1.0, 5.0]), st.floats(-100, 100))
    rows = []
    for i in range(n):
        rows.append([str(i + 1), str(draw(st.sampled_from([1, 1, 2, 3, 4, 7]))),
                     *(repr(draw(coord)) for _ in range(3)), repr(draw(st.floats(0.01, 5.0))),
                     str(-1 if i == 0 else draw(st.integers(1, i)))])
    for _ in range(draw(st.integers(0, 2))):
        rows[draw(st.integers(0, n - 1))][draw(st.integers(0, 6))] = draw(_number)
    return [" ".join(r) for r in rows]


@settings(max_examples=300, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.one_of(_swc_file(), st.lists(st.one_of(_row, _tree_row, st.text(max_size=30)), max_size=25)),
       raw=st.binary(max_size=60), nseg=st.sampled_from([None, 1, 2]))
def test_reader_raises_only_swc_errors_on_garbage(lines, raw, nseg, tmp_path_factory):
    for source in (lines, "\n".join(lines).encode("utf-8", "surrogatepass") if all(
            "\ud800" > c or c > "\udfff" for c in "".join(lines)) else raw, raw):
        try:
            m = from_swc(source, nseg=nseg, require_soma=False)
        except SWCError:
            continue
        assert isinstance(m, Morphology) and np.all(np.isfinite(m.area_cm2)) and np.all(m.g_parent_mS[1:] > 0)


def test_morphio_reader_agrees_with_the_builtin_one():
    pytest.importorskip("morphio", reason="MorphIO is optional (pip install morphio)")
    path = DATA / "test_neuron.swc"
    ours, theirs = from_swc(path, nseg=1), from_swc(path, nseg=1, reader="morphio")
    assert theirs.total_area_cm2 == pytest.approx(ours.total_area_cm2, rel=1e-12)
    assert len(theirs) == len(ours)
    assert read_swc(path).soma_kind == "three-point"
    with pytest.raises(ValueError, match="reads files only"):
        from_swc(THREE_POINT, reader="morphio")


def test_swc_line_endings_name_the_right_line():
    for newline in ("\n", "\r\n", "\r"):
        with pytest.raises(SWCError, match="line 7: parent 99 of point 7 is not defined"):
            read_swc(newline.join(THREE_POINT + ["7 3 0 0 0 1 99"]).encode())
        assert len(read_swc(newline.join(THREE_POINT).encode())) == 6


def test_geometry_from_cylinders_is_recomputed_but_given_geometry_is_kept():
    m = cable(100.0, 2.0, 4, Ra_ohm_cm=100.0)
    g = m.graph.copy()
    g.nodes[1]["length_um"] = 50.0  # edit a copy: derived resistances must follow the new length
    m2 = Morphology(g, 100.0, root=0)
    R = axial_resistance_ohm(100.0, 25.0, 2.0) + axial_resistance_ohm(100.0, 12.5, 2.0)
    assert 1e3 / m2.axial_conductance_mS(1, 2) == pytest.approx(R, rel=1e-12)
    assert m.with_Ra(200.0).axial_conductance_mS(1, 2) == pytest.approx(m.axial_conductance_mS(1, 2) / 2, rel=1e-12)
    tapered = from_swc(["1 1 0 0 0 5 -1", "2 3 5 0 0 2 1", "3 3 35 0 0 1 2"], nseg=3)
    again = tapered.with_Ra(50.0)
    np.testing.assert_allclose(again.g_parent_mS, tapered.g_parent_mS * 2, rtol=1e-12)
    np.testing.assert_allclose(again.area_cm2, tapered.area_cm2, rtol=1e-15)


def _random_tree_swc(n_points: int, seed: int) -> list[str]:
    """A three-point soma (radius 5) and random branches of radius 0.5 in shuffled file order."""
    rng = np.random.default_rng(seed)
    rows = ["1 1 0 0 0 5 -1", "2 1 0 -5 0 5 1", "3 1 0 5 0 5 1"]
    xyz = {1: np.zeros(3)}
    for i in range(4, n_points + 1):
        parent = 1 if i < 8 else int(rng.integers(4, i))
        xyz[i] = xyz[parent] + rng.normal(size=3) * 3
        rows.append("%d %d %.4f %.4f %.4f 0.5 %d" % (i, int(rng.integers(2, 5)), *xyz[i], parent))
    order = rng.permutation(len(rows))
    return [rows[k] for k in order]


def test_hines_order_is_networkx_breadth_first_order():
    g = nx.random_labeled_tree(300, seed=4) if hasattr(nx, "random_labeled_tree") else nx.random_tree(300, seed=4)
    for node in g:
        g.nodes[node].update(length_um=1.0 + node % 7, diameter_um=0.5 + node % 3)
    root = 17
    m = Morphology(g, 70.0, root=root)
    # breadth first over the morphology's own graph (a copy of g: its adjacency order is its own)
    assert m.nodes == (root, *(child for child, _ in nx.bfs_predecessors(m.graph, root)))
    taken = Morphology(g, 70.0, root=root, copy=False)
    assert taken.nodes == (root, *(child for child, _ in nx.bfs_predecessors(g, root)))
    for i, node in enumerate(m.nodes[1:], start=1):
        parent = m.nodes[m.parent_index[i]]
        assert g.has_edge(node, parent)
        # two half cylinders in series, computed independently: Σ Ra·(L/2)/(π d²/4)
        R = sum(axial_resistance_ohm(70.0, g.nodes[w]["length_um"] / 2, g.nodes[w]["diameter_um"])
                for w in (node, parent))
        assert m.g_parent_mS[i] == pytest.approx(1e3 / R, rel=1e-12)


def test_swc_points_from_arrays_equal_the_morphology_of_their_own_graph():
    lines = _random_tree_swc(400, seed=2)
    m = from_swc(lines, Ra_ohm_cm=80.0)
    again = Morphology(m.graph, 80.0, root=m.root)  # the graph path rebuilds order and conductances
    assert again.nodes == m.nodes
    for key in ("parent_index", "length_um", "diameter_um", "area_cm2", "g_parent_mS", "distance_um"):
        np.testing.assert_array_equal(getattr(again, key), getattr(m, key))
    assert again.regions() == m.regions()
    # soma: one sphere of radius 5 (4πr²); every other point the frustum from its parent point,
    # π(d₁+d₂)/2·√(ds² + ((d₂−d₁)/2)²), computed here from the file's numbers
    points = {int(f[0]): (int(f[1]), np.array(f[2:5], dtype=float), float(f[5]), int(f[6]))
              for f in (line.split() for line in lines)}
    area = 4 * math.pi * 25.0
    for kind, xyz, r, parent in points.values():
        if kind != 1:
            _, xyz_p, r_p, _ = points[parent]
            ds = float(np.linalg.norm(xyz - xyz_p))
            area += math.pi * (r + r_p) * math.sqrt(ds * ds + (r - r_p) ** 2)
    assert m.total_area_cm2 == pytest.approx(area * 1e-8, rel=1e-12)
    assert m.graph.nodes[1]["position"] == (0.0, 0.0, 0.0) and m.graph.nodes[1]["swc_line"] == lines.index(
        "1 1 0 0 0 5 -1") + 1
