"""Neuron morphologies as graphs of compartments (networkx).

A :class:`Morphology` is a tree whose **nodes are compartments** — short cylinders — and whose
**edges are axial resistors** joining the centres of neighbouring compartments.

Node attributes (units in the names):

``length_um``, ``diameter_um``
    Cylinder length and diameter, µm (both > 0).
``area_cm2``
    Lateral membrane area π·d·L in cm² (end caps are not membrane). A spherical soma of
    diameter d is represented, as NEURON does, by a cylinder with L = d, which has the
    sphere's area π·d².
``region``
    A label such as ``"soma"``, ``"dend"``, ``"axon"``; parameter overrides can address it.
``mechanism``
    The key of the membrane declaration used in this compartment (default: the region); see
    :class:`hhdyn.cable.CableModel`.
``position``
    Optional (x, y, z) in µm of the compartment centre (SWC import sets it).

Edge attributes: the axial resistance between the two centres runs through half of each
cylinder,

    R_axial = Ra·(L_u/2)/(π d_u²/4) + Ra·(L_v/2)/(π d_v²/4)      (Ω, with Ra in Ω·cm, L, d in cm)

stored as ``R_axial_MOhm`` and the conductance ``g_axial_mS = 1/R`` (mS, so that
g·ΔV in mV is a current in µA — the unit of every current in the solver), with the
Ra-free geometry factor ``axial_geometry_per_cm`` = R/Ra (1/cm). Builders of tapered or
NEURON-style geometry (:func:`from_swc`, :mod:`hhdyn.sections`) give that factor on the edge
(∫ds/(πd²/4) along the path, :mod:`hhdyn.frustum`) and the membrane area as the node
attribute ``area_um2``; a *junction* node (``junction=True``, ``length_um = 0``) is a point
without membrane where several branches meet (NEURON's zero-area node).

Builders: :func:`cable` (uniform cable or axon), :func:`ball_and_stick`, :func:`y_tree`
(a trunk splitting into two daughters of given diameters) and :func:`from_swc` (the standard
SWC reconstruction format). Every morphology is validated: it must be a tree (a cycle or a
disconnected piece is reported with the compartments involved), and lengths and diameters
must be positive and finite.
"""
from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path

import networkx as nx
import numpy as np
from .frustum import frustum_area_um2, frustum_axial_per_cm
from .swc import COINCIDENT_UM, SWC_REGIONS, SWCData, SWCError, read_swc
from .validation import check_number

__all__ = [
    "Morphology",
    "cable",
    "ball_and_stick",
    "y_tree",
    "from_swc",
    "SWCError",
    "SWC_REGIONS",
    "morphology_from_mapping",
    "axial_resistance_ohm",
]

_UM_TO_CM = 1e-4


def _count(what: str, value) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{what} must be a positive integer, got {value!r}")
    return int(value)


def axial_resistance_ohm(Ra_ohm_cm: float, length_um: float, diameter_um: float) -> float:
    """Resistance (Ω) of a cylinder of resistivity Ra (Ω·cm): R = Ra·L/(π d²/4)."""
    L = length_um * _UM_TO_CM
    d = diameter_um * _UM_TO_CM
    return Ra_ohm_cm * L / (math.pi * d * d / 4.0)


class Morphology:
    """A validated tree of cylindrical compartments with axial conductances.

    Parameters
    ----------
    graph : networkx.Graph
        Nodes (any hashable ids) with ``length_um`` and ``diameter_um`` (and optionally
        ``region``, ``mechanism``, ``position``); edges join neighbouring compartments. Areas
        and axial conductances are (re)computed here; the graph is copied.
    Ra_ohm_cm : float
        Axial (cytoplasmic) resistivity, Ω·cm (35.4 for the squid axon).
    root : node, optional
        The compartment at the root of the tree (ordering starts there); default the first
        node with region ``"soma"``, else the first node.
    copy : bool
        False takes the graph over without copying it (its attributes are normalized in
        place) — for builders that made the graph for this morphology only.

    The compartments are kept in *Hines order* (``self.nodes``): every compartment comes after
    its parent, so the tree's linear system can be solved in O(N) by eliminating from the
    leaves toward the root (Hines 1984). ``self.parent_index[i]`` is the index of the parent of
    compartment ``i`` (−1 for the root).

    The arrays (``parent_index``, ``length_um``, ``diameter_um``, ``area_cm2``, ``g_parent_mS``,
    ``distance_um``) are the working representation, computed with numpy over all compartments
    at once; the Hines order is networkx's breadth-first order (neighbours in the graph's
    adjacency order), found with scipy. Large builders (:func:`from_swc`'s point compartments)
    construct the morphology from columns (:meth:`_from_arrays`), and :attr:`graph` is then
    built only when it is first read — equal to the graph the same builder used to pass in.
    """

    def __init__(self, graph: nx.Graph, Ra_ohm_cm: float = 35.4, root: Hashable | None = None, *,
                 copy: bool = True):
        if not isinstance(graph, nx.Graph) or graph.is_directed() or graph.is_multigraph():
            raise ValueError("a morphology must be an undirected networkx.Graph (not directed, not a multigraph)")
        if graph.number_of_nodes() == 0:
            raise ValueError("a morphology needs at least one compartment")
        self.Ra_ohm_cm = check_number("Ra_ohm_cm (axial resistivity, Ω·cm)", Ra_ohm_cm, positive=True)
        pairs = list(graph.nodes(data=True))
        names = [node for node, _ in pairs]
        length, diameter, junction, area_um2 = self._node_arrays(pairs)
        area_cm2 = area_um2 * _UM_TO_CM**2
        g = nx.Graph() if copy else graph
        given_area = [("area_um2" in data) for _, data in pairs]
        normalized, region_of = [], []
        for (node, data), L, d, A, a, j, has_area in zip(pairs, length.tolist(), diameter.tolist(), area_cm2.tolist(),
                                                       area_um2.tolist(), junction.tolist(), given_area):
            attrs = dict(data) if copy else data
            attrs["length_um"] = L
            attrs["diameter_um"] = d
            if j or has_area:
                attrs["area_um2"] = a
            attrs["area_cm2"] = A
            region = attrs.setdefault("region", "default")
            region_of.append(region)
            attrs.setdefault("mechanism", region)
            if copy:
                normalized.append((node, attrs))
        if copy:
            g.add_nodes_from(normalized)
        del normalized
        index = {node: i for i, node in enumerate(names)}
        edges, eu, ev, csr = self._adjacency(graph, index)
        geometry = self._edge_geometry(edges, eu, ev, length, diameter)
        R = self.Ra_ohm_cm * geometry
        given = [("axial_geometry_per_cm" in data and data.get("axial_geometry_source", "given") == "given")
                 for _, _, data in edges]
        for (u, v, data), geo, r, has in zip(edges, geometry.tolist(), R.tolist(), given):
            attrs = {} if copy else data
            attrs["axial_geometry_per_cm"] = geo
            attrs["axial_geometry_source"] = "given" if has else "cylinders"
            attrs["R_axial_MOhm"] = r * 1e-6
            attrs["g_axial_mS"] = 1e3 / r
            if copy:
                g.add_edge(u, v, **attrs)
        if root is None:
            root = next((n for n, r in g.nodes(data="region") if r == "soma"), names[0])
        elif root not in g:
            raise ValueError(f"root compartment {root!r} is not in the morphology")
        # one breadth-first pass gives the Hines order (parents first) and every parent; it
        # reaches every node of a connected graph, and a connected graph is a tree iff E = N − 1.
        # Neighbours are visited in the graph's adjacency order (networkx's bfs order).
        n = len(names)
        if copy:  # the copy's adjacency order is its own
            csr = self._adjacency(g, index)[3]
        order, pred = self._bfs(csr, index[root])
        if order.size != n or len(edges) != n - 1:
            self._check_tree(g)
        self._graph, self._lazy = g, None
        self._finish(names, root, order, pred, length, diameter, area_cm2, eu, ev, R, region_of)

    def _finish(self, names, root, order, pred, length, diameter, area_cm2, eu, ev, R, region_of) -> None:
        """The arrays in Hines order from the breadth-first ``order`` (rows of ``names``) and
        ``pred`` (each row's parent row); edges ``eu``–``ev`` (rows) of axial resistance R (Ω)."""
        n = len(names)
        self.root = root
        self.nodes: tuple = tuple(map(names.__getitem__, order.tolist()))
        self._index = {node: i for i, node in enumerate(self.nodes)}
        self._region = [region_of[i] for i in order.tolist()]
        position = np.empty(n, dtype=np.int64)
        position[order] = np.arange(n)
        self.parent_index = np.full(n, -1, dtype=np.int64)
        self.parent_index[1:] = position[pred[order[1:]]]
        self.length_um = length[order]
        self.diameter_um = diameter[order]
        self.area_cm2 = area_cm2[order]
        #: conductance (mS) between compartment i and its parent (0 for the root)
        g_child = np.zeros(n)
        g_child[np.where(pred[ev] == eu, ev, eu)] = 1e3 / R
        g_child[order[0]] = 0.0
        self.g_parent_mS = g_child[order]
        self.distance_um = self._distances()

    @classmethod
    def _from_arrays(cls, names: list, root_row: int, length_um: np.ndarray, diameter_um: np.ndarray,
                     area_um2: np.ndarray, region: list, extra: dict, eu: np.ndarray, ev: np.ndarray,
                     axial_geometry_per_cm: np.ndarray, Ra_ohm_cm: float) -> "Morphology":
        """A morphology from columns instead of a graph (for builders of large trees): node
        ``names`` with their length, diameter and membrane area (µm, µm²; ``area_um2`` NaN where
        the area is π·d·L and not given), ``region`` labels and ``extra`` attribute columns
        (lists, ``None`` entries are absent attributes, or arrays, rows of a 2-D one becoming
        tuples); edges ``eu[k]``–``ev[k]`` (rows of ``names``, in
        the order a graph would have received them) with their given R/Ra (1/cm). The result
        equals ``Morphology(graph, Ra_ohm_cm, names[root_row], copy=False)`` of that graph,
        which is only built when :attr:`graph` is first read."""
        self = cls.__new__(cls)
        self.Ra_ohm_cm = check_number("Ra_ohm_cm (axial resistivity, Ω·cm)", Ra_ohm_cm, positive=True)
        length = np.asarray(length_um, dtype=float)
        diameter = np.asarray(diameter_um, dtype=float)
        given_area = np.asarray(area_um2, dtype=float)
        has_area = ~np.isnan(given_area)
        geometry = np.asarray(axial_geometry_per_cm, dtype=float)
        with np.errstate(invalid="ignore"):
            bad = ~(np.isfinite(length) & (length > 0) & np.isfinite(diameter) & (diameter > 0)
                    & (~has_area | (np.isfinite(given_area) & (given_area > 0))))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            cls._check_node(names[k], {"length_um": length[k], "diameter_um": diameter[k],
                                       **({"area_um2": given_area[k]} if has_area[k] else {})})
        if not np.all(np.isfinite(geometry) & (geometry > 0)):
            k = int(np.flatnonzero(~(np.isfinite(geometry) & (geometry > 0)))[0])
            check_number(f"axial_geometry_per_cm of the edge ({names[eu[k]]!r}, {names[ev[k]]!r})", geometry[k],
                         positive=True)
        area_cm2 = np.where(has_area, given_area, math.pi * diameter * length) * _UM_TO_CM**2
        n, m = len(names), len(eu)
        # adjacency as networkx would hold it: each node's neighbours in the order of their edges
        rows, cols = np.concatenate([eu, ev]), np.concatenate([ev, eu])
        perm = np.lexsort((np.concatenate([np.arange(m), np.arange(m)]), rows))
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        from scipy.sparse import csr_matrix

        csr = csr_matrix((np.ones(2 * m), cols[perm].astype(np.int32), indptr.astype(np.int32)), shape=(n, n))
        order, pred = cls._bfs(csr, root_row)
        if order.size != n or m != n - 1 or np.any(eu == ev):
            self._graph, self._lazy = None, (names, length, diameter, given_area, area_cm2, region, extra, eu, ev,
                                            geometry)
            self._check_tree(self.graph)
        R = self.Ra_ohm_cm * geometry
        self._graph = None
        self._lazy = (names, length, diameter, given_area, area_cm2, region, extra, eu, ev, geometry)
        self._finish(names, names[root_row], order, pred, length, diameter, area_cm2, eu, ev, R, region)
        return self

    @property
    def graph(self) -> nx.Graph:
        """The compartments as a networkx graph (node and edge attributes in the module doc)."""
        if self._graph is None:
            names, length, diameter, given_area, area_cm2, region, extra, eu, ev, geometry = self._lazy
            g = nx.Graph()
            keys = list(extra)
            columns = [list(map(tuple, c.tolist())) if isinstance(c, np.ndarray) and c.ndim == 2
                       else (c.tolist() if isinstance(c, np.ndarray) else c) for c in (extra[k] for k in keys)]

            def attrs(L, d, a, A, r, values):
                out = {"length_um": L, "diameter_um": d}
                if a == a:  # not NaN: the area was given
                    out["area_um2"] = a
                out["region"] = r
                out.update((k, v) for k, v in zip(keys, values) if v is not None)
                out["area_cm2"] = A
                out["mechanism"] = r
                return out

            g.add_nodes_from((name, attrs(*row)) for name, *row in zip(
                names, length.tolist(), diameter.tolist(), given_area.tolist(), area_cm2.tolist(), region,
                zip(*columns) if columns else ((),) * len(names)))
            R = self.Ra_ohm_cm * geometry
            g.add_edges_from((names[u], names[v], {"axial_geometry_per_cm": G, "axial_geometry_source": "given",
                                                   "R_axial_MOhm": r * 1e-6, "g_axial_mS": 1e3 / r})
                             for u, v, G, r in zip(eu.tolist(), ev.tolist(), geometry.tolist(), R.tolist()))
            self._graph = g
        return self._graph

    @staticmethod
    def _node_arrays(pairs):
        """length, diameter (µm), junction flags and membrane area (µm²) of the nodes, checked
        all at once; the first bad node is reported as :meth:`_check_node` words it."""
        try:
            length = np.array([data["length_um"] for _, data in pairs], dtype=float)
            diameter = np.array([data["diameter_um"] for _, data in pairs], dtype=float)
            junction = np.array([bool(data.get("junction", False)) for _, data in pairs], dtype=bool)
            has_area = np.array([("area_um2" in data) for _, data in pairs], dtype=bool)
            given = np.array([data["area_um2"] if "area_um2" in data else 1.0 for _, data in pairs], dtype=float)
        except (KeyError, TypeError, ValueError):
            ok = False
        else:
            with np.errstate(invalid="ignore"):
                ok = bool(np.all(np.isfinite(length)) and np.all(np.isfinite(diameter)) and np.all(diameter > 0)
                          and np.all(np.where(junction, length == 0.0, length > 0))
                          and np.all(junction | ~has_area | (np.isfinite(given) & (given > 0)))
                          and length.ndim == diameter.ndim == given.ndim == 1)
        if not ok:
            for node, data in pairs:
                Morphology._check_node(node, data)
            raise ValueError("a compartment has an invalid length_um, diameter_um or area_um2")  # not reached
        area = np.where(junction, 0.0, np.where(has_area, given, math.pi * diameter * length))
        return length, diameter, junction, area

    @staticmethod
    def _check_node(node, data) -> None:
        """ValueError naming ``node`` if its attributes are not a valid compartment."""
        for key in ("length_um", "diameter_um"):
            if key not in data:
                raise ValueError(f"compartment {node!r} has no {key!r}")
        junction = bool(data.get("junction", False))
        length = check_number(f"length_um of compartment {node!r}", data["length_um"],
                              positive=not junction, nonnegative=junction)
        check_number(f"diameter_um of compartment {node!r}", data["diameter_um"], positive=True)
        if junction and length != 0.0:
            raise ValueError(f"junction {node!r} must have length_um = 0 (it is a point without membrane), "
                             f"got {length!r}")
        if not junction and "area_um2" in data:
            check_number(f"area_um2 of compartment {node!r}", data["area_um2"], positive=True)

    @staticmethod
    def _edge_geometry(edges, eu, ev, length, diameter) -> np.ndarray:
        """R/Ra (1/cm) of every edge: the given ``axial_geometry_per_cm``, or two half cylinders
        in series, Σ (L/2)/(π d²/4), when it is absent or derived from earlier cylinders."""
        given = np.array([("axial_geometry_per_cm" in data and data.get("axial_geometry_source", "given") == "given")
                          for _, _, data in edges], dtype=bool)
        loops = eu == ev
        try:
            values = np.array([data["axial_geometry_per_cm"] if has else 1.0
                               for (_, _, data), has in zip(edges, given.tolist())], dtype=float)
            ok = values.ndim == 1 and bool(np.all(np.isfinite(values) & (values > 0)))
        except (TypeError, ValueError):
            ok = False
        if not ok or loops.any():
            for (u, v, data), has in zip(edges, given.tolist()):
                if u == v:
                    raise ValueError(f"compartment {u!r} is connected to itself (a cycle of length 1)")
                if has:
                    check_number(f"axial_geometry_per_cm of the edge ({u!r}, {v!r})", data["axial_geometry_per_cm"],
                                 positive=True)
        cylinders = (axial_resistance_ohm(1.0, length[eu] / 2, diameter[eu])
                     + axial_resistance_ohm(1.0, length[ev] / 2, diameter[ev]))
        return np.where(given, values, cylinders) if edges else np.zeros(0)

    @staticmethod
    def _adjacency(g: nx.Graph, index: dict):
        """One pass over the adjacency of ``g``: its edges ``(u, v, data)`` each once, in
        networkx's ``edges()`` order, the rows ``eu``, ``ev`` of their ends (``index``: node →
        row in node order) and the adjacency as a scipy CSR matrix whose rows list the
        neighbours in the graph's order."""
        from scipy.sparse import csr_matrix

        edges, eu, ev, indices, degree = [], [], [], [], []
        for iu, (u, nbrs) in enumerate(g.adjacency()):
            degree.append(len(nbrs))
            for v, data in nbrs.items():
                iv = index[v]
                indices.append(iv)
                if iv >= iu:  # each edge once, from the end that comes first (networkx's order)
                    edges.append((u, v, data))
                    eu.append(iu)
                    ev.append(iv)
        n = len(degree)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(degree, out=indptr[1:])
        csr = csr_matrix((np.ones(len(indices)), np.array(indices, dtype=np.int32), indptr.astype(np.int32)),
                         shape=(n, n))
        return edges, np.array(eu, dtype=np.int64), np.array(ev, dtype=np.int64), csr

    @staticmethod
    def _bfs(csr, start: int) -> tuple[np.ndarray, np.ndarray]:
        """Breadth-first order (node rows) from ``start`` and each row's predecessor (−9999 if
        unreached), visiting the neighbours in the CSR rows' order — networkx's bfs order."""
        from scipy.sparse.csgraph import breadth_first_order

        order, pred = breadth_first_order(csr, start, directed=True, return_predecessors=True)
        return order.astype(np.int64), pred.astype(np.int64)

    # ------------------------------------------------------------------ validation
    @staticmethod
    def _check_tree(g: nx.Graph) -> None:
        if not nx.is_connected(g):
            parts = sorted(nx.connected_components(g), key=len, reverse=True)
            stray = sorted(parts[1], key=repr)[:5]
            raise ValueError(
                f"a morphology must be a connected tree; it has {len(parts)} separate pieces "
                f"(e.g. compartments {stray} are not connected to {next(iter(parts[0]))!r})"
            )
        if g.number_of_edges() != g.number_of_nodes() - 1:
            cycle = nx.find_cycle(g)
            nodes = [u for u, _ in cycle]
            raise ValueError(f"a morphology must be a tree, but compartments {nodes} form a cycle")

    # ------------------------------------------------------------------ access
    def __len__(self) -> int:
        return len(self.nodes)

    def __contains__(self, node) -> bool:
        return node in self._index

    def __iter__(self):
        return iter(self.nodes)

    def __repr__(self) -> str:
        regions = ", ".join(f"{r}: {len(n)}" for r, n in self.regions().items())
        return f"Morphology({len(self)} compartments; {regions}; Ra = {self.Ra_ohm_cm:g} Ω·cm)"

    def index(self, node) -> int:
        """Position of ``node`` in Hines order; ValueError naming it if it does not exist."""
        try:
            return self._index[node]
        except (KeyError, TypeError):
            sample = ", ".join(repr(n) for n in self.nodes[:4])
            more = ", ..." if len(self) > 4 else ""
            raise ValueError(
                f"compartment {node!r} does not exist in this morphology (compartments: {sample}{more})"
            ) from None

    def indices(self, nodes) -> np.ndarray:
        return np.array([self.index(n) for n in nodes], dtype=np.int64)

    def node_data(self, node) -> dict:
        """The attributes of compartment ``node`` (a copy)."""
        return dict(self.graph.nodes[self.nodes[self.index(node)]])

    def regions(self) -> dict:
        """region name → tuple of its compartments (Hines order)."""
        out: dict = {}
        for n, region in zip(self.nodes, self._region):
            out.setdefault(region, []).append(n)
        return {k: tuple(v) for k, v in out.items()}

    @property
    def total_area_cm2(self) -> float:
        return float(self.area_cm2.sum())

    def parent(self, node):
        """The parent compartment (toward the root), or None for the root."""
        p = self.parent_index[self.index(node)]
        return None if p < 0 else self.nodes[p]

    def _distances(self) -> np.ndarray:
        """Path distance (µm) from the root's centre to each compartment's centre."""
        step = np.zeros(len(self))
        par = self.parent_index[1:]
        step[1:] = 0.5 * (self.length_um[1:] + self.length_um[par])
        dist = step.tolist()
        for i, p in enumerate(par.tolist(), start=1):  # parents come first (Hines order)
            dist[i] += dist[p]
        return np.array(dist)

    def distance_um_of(self, node) -> float:
        """Path distance (µm) from the root's centre to the centre of ``node``."""
        return float(self.distance_um[self.index(node)])

    def nearest(self, distance_um: float, region: str | None = None):
        """The compartment whose centre is closest to a path distance from the root."""
        candidates = range(len(self)) if region is None else self.indices(self.regions().get(region, ()))
        candidates = list(candidates)
        if not candidates:
            raise ValueError(f"region {region!r} has no compartments")
        best = min(candidates, key=lambda i: abs(self.distance_um[i] - distance_um))
        return self.nodes[best]

    def path_to(self, node) -> tuple:
        """The compartments from the root to ``node`` (inclusive), in order."""
        i = self.index(node)
        out = []
        while i >= 0:
            out.append(self.nodes[i])
            i = self.parent_index[i]
        return tuple(reversed(out))

    def axial_conductance_mS(self, u, v) -> float:
        """Axial conductance (mS) between neighbouring compartments ``u`` and ``v``."""
        self.index(u), self.index(v)
        if not self.graph.has_edge(u, v):
            raise ValueError(f"compartments {u!r} and {v!r} are not neighbours")
        return float(self.graph.edges[u, v]["g_axial_mS"])

    def with_Ra(self, Ra_ohm_cm: float) -> "Morphology":
        """The same geometry with another axial resistivity (Ω·cm)."""
        return Morphology(self.graph, Ra_ohm_cm, self.root)

    def laplacian_mS(self):
        """The axial conductance matrix L (mS, scipy sparse): (L·V)_i = Σ_j g_ij (V_i − V_j),
        rows and columns in Hines order."""
        from scipy.sparse import coo_matrix

        n = len(self)
        child = np.arange(1, n)
        par = self.parent_index[1:]
        g = self.g_parent_mS[1:]
        rows = np.concatenate([child, par, child, par])
        cols = np.concatenate([par, child, child, par])
        vals = np.concatenate([-g, -g, g, g])
        return coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()


# ---------------------------------------------------------------------- builders
def _chain(graph: nx.Graph, names: Sequence, length_um: float, diameter_um: float, region: str, previous=None):
    for name in names:
        graph.add_node(name, length_um=length_um, diameter_um=diameter_um, region=region)
        if previous is not None:
            graph.add_edge(previous, name)
        previous = name
    return previous


def cable(length_um: float, diameter_um: float, n_segments: int, Ra_ohm_cm: float = 35.4,
          region: str = "axon") -> Morphology:
    """A uniform unbranched cable of ``n_segments`` equal compartments, named 0 … n−1.

    Compartment i spans [i·h, (i+1)·h] with h = length/n (µm); its centre lies at
    (i + ½)·h from the end x = 0. The ends are sealed (no current leaves through them).
    """
    length_um = check_number("length_um", length_um, positive=True)
    diameter_um = check_number("diameter_um", diameter_um, positive=True)
    n = _count("n_segments", n_segments)
    g = nx.Graph()
    _chain(g, range(n), length_um / n, diameter_um, region)
    for i in range(n):
        g.nodes[i]["position"] = ((i + 0.5) * length_um / n, 0.0, 0.0)
    return Morphology(g, Ra_ohm_cm, root=0)


def ball_and_stick(soma_diameter_um: float = 20.0, dendrite_length_um: float = 500.0,
                   dendrite_diameter_um: float = 2.0, n_segments: int = 50,
                   Ra_ohm_cm: float = 100.0) -> Morphology:
    """A spherical soma (compartment ``"soma"``, a cylinder with L = d) with one dendrite of
    ``n_segments`` compartments ``"dend[0]"`` … ``"dend[n-1]"`` (dend[0] touches the soma)."""
    soma_diameter_um = check_number("soma_diameter_um", soma_diameter_um, positive=True)
    dendrite_length_um = check_number("dendrite_length_um", dendrite_length_um, positive=True)
    dendrite_diameter_um = check_number("dendrite_diameter_um", dendrite_diameter_um, positive=True)
    n = _count("n_segments", n_segments)
    g = nx.Graph()
    g.add_node("soma", length_um=soma_diameter_um, diameter_um=soma_diameter_um, region="soma")
    _chain(g, [f"dend[{i}]" for i in range(n)], dendrite_length_um / n, dendrite_diameter_um, "dend", "soma")
    return Morphology(g, Ra_ohm_cm, root="soma")


def y_tree(trunk_length_um: float = 200.0, trunk_diameter_um: float = 4.0,
           daughter_lengths_um: float | Sequence[float] = 200.0,
           daughter_diameters_um: Sequence[float] = (2.52, 2.52), n_segments: int | Sequence[int] = 20,
           Ra_ohm_cm: float = 100.0, region: str = "dend") -> Morphology:
    """A Y-shaped tree: a trunk (``"trunk[i]"``) that splits into two daughters
    (``"left[i]"`` and ``"right[i]"``) of the given diameters.

    ``n_segments`` is one count for every branch or three (trunk, left, right). With daughter
    diameters d₁, d₂ satisfying Rall's rule d₁^{3/2} + d₂^{3/2} = d_trunk^{3/2} (the default
    2.52 µm for a 4 µm trunk) and equal electrotonic daughter lengths the tree is equivalent
    to a single cylinder.
    """
    trunk_length_um = check_number("trunk_length_um", trunk_length_um, positive=True)
    trunk_diameter_um = check_number("trunk_diameter_um", trunk_diameter_um, positive=True)
    if np.ndim(daughter_lengths_um) == 0:
        daughter_lengths_um = (daughter_lengths_um, daughter_lengths_um)
    if len(daughter_lengths_um) != 2 or len(daughter_diameters_um) != 2:
        raise ValueError("daughter_lengths_um and daughter_diameters_um must each give two values (left, right)")
    lengths = [check_number(f"daughter_lengths_um[{i}]", v, positive=True) for i, v in enumerate(daughter_lengths_um)]
    diameters = [check_number(f"daughter_diameters_um[{i}]", v, positive=True) for i, v in enumerate(daughter_diameters_um)]
    counts = [n_segments] * 3 if np.ndim(n_segments) == 0 else list(n_segments)
    if len(counts) != 3:
        raise ValueError(f"n_segments must be one count or three (trunk, left, right), got {n_segments!r}")
    nt, nl, nr = (_count(f"n_segments[{i}]", c) for i, c in enumerate(counts))
    g = nx.Graph()
    last = _chain(g, [f"trunk[{i}]" for i in range(nt)], trunk_length_um / nt, trunk_diameter_um, region)
    _chain(g, [f"left[{i}]" for i in range(nl)], lengths[0] / nl, diameters[0], region, last)
    _chain(g, [f"right[{i}]" for i in range(nr)], lengths[1] / nr, diameters[1], region, last)
    return Morphology(g, Ra_ohm_cm, root="trunk[0]")


# ---------------------------------------------------------------------- SWC import
def from_swc(source, Ra_ohm_cm: float = 100.0, *, nseg: int | None = None, d_lambda: float | None = None,
             reader: str = "builtin", require_soma: bool = True, cm_uF_per_cm2: float = 1.0) -> Morphology:
    """Read a morphology in the SWC format (Cannon et al. 1998; NeuroMorpho.Org).

    Each non-comment line holds seven fields ``id type x y z radius parent`` (µm; parent −1
    for the root); :func:`hhdyn.swc.read_swc` parses and checks them, and classifies the soma
    (single point, NeuroMorpho's three-point soma, a contour, or cylinders) as NEURON and
    NeuroMorpho do. Two discretizations:

    * default (``nseg`` and ``d_lambda`` both None) — one compartment per sample point: every
      point except the soma becomes the frustum from its parent point to itself (length the
      distance, ``diameter_um`` the mean of the two ends, membrane area the frustum's lateral
      area, axial resistance Ra·∫ds/(πd²/4)), placed at the midpoint. The soma is one
      compartment: a sphere of radius r (a cylinder with L = d = 2r, area 4πr²) for a single
      or three-point soma (the two outer points of the three are part of that sphere, not
      extra membrane); the equivalent sphere of a contour. A cylinder soma (a chain of soma
      points) keeps a sphere at its root point and frusta for the others — use ``nseg`` for
      NEURON's frusta-only reading. A point at the same position as its parent is merged into
      the parent. Unlike NEURON's Import3d, the first point of a branch leaving the soma gets
      the frustum from the soma centre to it (so this discretization has more membrane).
    * ``nseg=n`` (every section) or ``d_lambda=0.1`` (NEURON's d_lambda rule at 100 Hz with
      ``cm_uF_per_cm2``) — NEURON's own discretization of the unbranched sections
      (:func:`hhdyn.sections.sections_from_swc`, :func:`hhdyn.sections.morphology_from_sections`):
      compartments ``"<section>[j]"``, zero-area junctions where sections branch.

    Node ids of the default discretization are the SWC ids; regions follow the type column
    (1 soma, 2 axon, 3 dend, 4 apic). ``source`` is a path or an iterable of lines. Any
    malformed input raises :class:`SWCError` (a ValueError) naming the file and line; a file
    without a soma is refused unless ``require_soma=False``. ``reader="morphio"`` reads the
    file with MorphIO (when installed) instead of the built-in reader.
    """
    if reader == "builtin":
        data = read_swc(source, require_soma=require_soma)
    elif reader == "morphio":
        from .swc_morphio import read_swc_morphio

        data = read_swc_morphio(source, require_soma=require_soma)
    else:
        raise ValueError(f"reader must be 'builtin' or 'morphio', got {reader!r}")
    if nseg is not None or d_lambda is not None:
        from .sections import discretize, morphology_from_sections, sections_from_swc

        secs = discretize(sections_from_swc(data), Ra_ohm_cm, nseg=nseg, d_lambda=d_lambda, cm_uF_per_cm2=cm_uF_per_cm2)
        try:
            return morphology_from_sections(secs, Ra_ohm_cm)
        except SWCError:
            raise
        except ValueError as err:  # geometry too degenerate to discretize (names the section)
            raise SWCError(f"{data.source}: cannot discretize the sections: {err}") from None
    return _points_morphology(data, Ra_ohm_cm)


def _points_morphology(data: SWCData, Ra_ohm_cm: float) -> Morphology:
    """One compartment per sample point (see :func:`from_swc`)."""
    n = len(data)
    ids, lines, xyz, radius, par = data.ids, data.lines, data.xyz, data.radius, data.parent_index
    root = data.root
    kind = data.soma_kind
    soma_rows = np.flatnonzero(data.types == 1)
    # compartment row of every point (itself, or the compartment it is merged into)
    comp = np.arange(n)
    merged = np.zeros(n, dtype=bool)
    if kind in ("three-point", "contour"):
        merged[soma_rows[soma_rows != root]] = True
    seg_len = np.zeros(n)
    has_parent = par >= 0
    seg_len[has_parent] = np.linalg.norm(xyz[has_parent] - xyz[par[has_parent]], axis=1)
    merged |= has_parent & (seg_len < COINCIDENT_UM)
    merged[root] = False
    for row in data.order[1:]:  # parents come first, so comp[parent] is final
        if merged[row]:
            comp[row] = comp[par[row]]
    d_parent = np.where(has_parent, 2 * radius[np.maximum(par, 0)], 2 * radius)
    d_self = 2 * radius
    d_mid = 0.5 * (d_parent + d_self)
    area = frustum_area_um2(d_parent, d_self, seg_len)
    proximal = frustum_axial_per_cm(d_parent, d_mid, 0.5 * seg_len)
    distal = frustum_axial_per_cm(d_mid, d_self, 0.5 * seg_len)
    mid = np.where(has_parent[:, None], 0.5 * (xyz + xyz[np.maximum(par, 0)]), xyz)
    if kind == "contour":
        centre = xyz[soma_rows].mean(axis=0)
        r_root = float(np.linalg.norm(xyz[soma_rows] - centre, axis=1).mean())
        root_pos = tuple(centre.tolist())
    else:
        r_root = float(radius[root])
        root_pos = tuple(xyz[root].tolist())
    labels = {int(t): SWC_REGIONS.get(int(t), f"type{int(t)}") for t in np.unique(data.types)}
    keep = np.flatnonzero(~merged)
    keep = keep[keep != root]
    rows = np.concatenate([[root], keep])  # compartments: the root, then the kept points in file order
    slot = np.full(n, -1, dtype=np.int64)
    slot[rows] = np.arange(rows.size)
    length = np.concatenate([[2 * r_root], seg_len[keep]])
    diameter = np.concatenate([[2 * r_root], d_mid[keep]])
    area_um2 = np.concatenate([[np.nan], area[keep]])  # the root's area is π·d·L = 4πr²
    types = data.types[rows].tolist()
    region = [labels[t] for t in types]
    position = np.concatenate([[root_pos], mid[keep]])
    attach = comp[par[keep]]
    # the parent compartment's distal half (none for a spherical soma: it is one point)
    geometry = np.where(attach == root, 0.0, distal[attach]) + proximal[keep]
    return Morphology._from_arrays(ids[rows].tolist(), 0, length, diameter, area_um2, region,
                                   {"position": position, "swc_line": lines[rows]},
                                   slot[attach], slot[keep], geometry, Ra_ohm_cm)


def morphology_from_mapping(compartments: Mapping, edges: Sequence, Ra_ohm_cm: float = 35.4, root=None) -> Morphology:
    """A morphology from ``{node: {"length_um": ..., "diameter_um": ..., ...}}`` and an edge list."""
    g = nx.Graph()
    for node, attrs in compartments.items():
        g.add_node(node, **attrs)
    for u, v in edges:
        for w in (u, v):
            if w not in g:
                raise ValueError(f"edge ({u!r}, {v!r}) names compartment {w!r}, which is not declared")
        g.add_edge(u, v)
    return Morphology(g, Ra_ohm_cm, root)
