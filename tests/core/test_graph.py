"""Graph algorithms on hand-made and seeded random DAGs, checked by brute force."""

from __future__ import annotations

import itertools
import random

import pytest

from orchestrator_tui.domain.errors import CycleError
from orchestrator_tui.domain.graph import (
    build_deps,
    closure,
    critical_path,
    cycle_if_added,
    find_cycle,
    invert,
    longest_path_dense,
    path_between,
    ready_set,
    topological_order,
    unblocked_by,
)

Deps = dict[int, list[int]]
SEEDS = range(60)


def random_dag(rng: random.Random, n: int, p: float) -> Deps:
    """Edges only from later to earlier in a shuffled order: acyclic by construction."""
    order = list(range(n))
    rng.shuffle(order)
    deps: Deps = {v: [] for v in range(n)}
    for i, j in itertools.combinations(range(n), 2):
        if rng.random() < p:
            deps[order[j]].append(order[i])  # order[j] waits for order[i]
    return deps


def random_graph(rng: random.Random, n: int, p: float) -> Deps:
    deps: Deps = {v: [] for v in range(n)}
    for a, b in itertools.permutations(range(n), 2):
        if rng.random() < p:
            deps[a].append(b)
    return deps


def reach(deps: Deps, start: int) -> set[int]:
    """Nodes reachable from start along one or more edges (brute force DFS)."""
    seen: set[int] = set()
    stack = list(deps.get(start, []))
    while stack:
        v = stack.pop()
        if v not in seen:
            seen.add(v)
            stack.extend(deps.get(v, []))
    return seen


def has_cycle(deps: Deps) -> bool:
    return any(v in reach(deps, v) for v in deps)


def assert_real_cycle(deps: Deps, cycle: list[int]) -> None:
    assert len(cycle) >= 2 and cycle[0] == cycle[-1]
    assert len(set(cycle[:-1])) == len(cycle) - 1, "a cycle visits each node once"
    for a, b in itertools.pairwise(cycle):
        assert b in deps.get(a, []), f"{a} -> {b} is not an edge"


def all_paths(deps: Deps) -> list[list[int]]:
    """Every dependency chain (blockers first), by brute force."""
    paths: list[list[int]] = []

    def extend(path: list[int]) -> None:
        paths.append(path)
        for blocker in deps.get(path[0], []):
            extend([blocker, *path])

    for v in deps:
        extend([v])
    return paths


# -- hand-made graphs -----------------------------------------------------------------

DIAMOND = {"b": ["a"], "c": ["a"], "d": ["b", "c"]}


def test_diamond() -> None:
    order = topological_order(DIAMOND)
    assert order[0] == "a" and order[-1] == "d"
    assert find_cycle(DIAMOND) is None
    weights = {"a": 1, "b": 5, "c": 2, "d": 1}
    assert critical_path(DIAMOND, weights.__getitem__) == (["a", "b", "d"], 7)
    done = {"a"}
    assert ready_set(["b", "c", "d"], DIAMOND, done.__contains__) == ["b", "c"]
    dependents = invert(DIAMOND)
    assert sorted(dependents["a"]) == ["b", "c"]
    assert unblocked_by("a", DIAMOND, dependents, lambda n: n != "a", lambda n: False) == [
        "b",
        "c",
    ]
    # d needs b and c; finishing b alone frees nothing, finishing c after b frees d
    assert unblocked_by("b", DIAMOND, dependents, lambda n: True, lambda n: n == "a") == []
    assert unblocked_by("c", DIAMOND, dependents, lambda n: True, {"a", "b"}.__contains__) == ["d"]
    assert cycle_if_added(DIAMOND, "a", "d") == ["a", "d", "b", "a"]
    assert cycle_if_added(DIAMOND, "d", "a") is None  # a second path is no cycle
    assert sorted(closure(DIAMOND, "d")) == ["a", "b", "c"]
    assert sorted(closure(dependents, "a")) == ["b", "c", "d"]


def test_named_cycle() -> None:
    deps = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    cycle = find_cycle(deps)
    assert cycle is not None
    assert_real_cycle(deps, cycle)
    assert set(cycle) == {"a", "b", "c"}
    with pytest.raises(CycleError) as info:
        topological_order(deps)
    assert_real_cycle(deps, info.value.cycle)
    assert " -> ".join(info.value.cycle) in str(info.value)


def test_self_loop_and_isolated_nodes() -> None:
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert topological_order({}, nodes=["x", "y"]) == ["x", "y"]
    assert critical_path({}, lambda n: 1.0) == ([], 0.0)
    assert critical_path({}, lambda n: 2.0, nodes=["x"]) == (["x"], 2.0)


def test_chain_of_100k_does_not_recurse() -> None:
    n = 100_000
    deps = {i: [i - 1] for i in range(1, n)}
    assert topological_order(deps)[:3] == [0, 1, 2]
    path, weight = critical_path(deps, lambda v: 1.0)
    assert len(path) == n and weight == n
    assert find_cycle(deps) is None
    deps[0] = [n - 1]
    assert len(find_cycle(deps) or []) == n + 1


def test_build_deps_and_path_between() -> None:
    deps = build_deps([("b", "a"), ("c", "b"), ("c", "a")])
    assert deps == {"b": ["a"], "c": ["b", "a"]}
    assert path_between(deps, "c", "a") == ["c", "a"]
    assert path_between(deps, "a", "c") is None
    assert path_between(deps, "a", "a") == ["a"]


# -- random graphs against brute force ----------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_random_graph_cycles(seed: int) -> None:
    rng = random.Random(seed)
    deps = random_graph(rng, rng.randint(2, 9), rng.choice([0.05, 0.15, 0.3]))
    cycle = find_cycle(deps)
    assert (cycle is not None) == has_cycle(deps)
    if cycle:
        assert_real_cycle(deps, cycle)
        with pytest.raises(CycleError) as info:
            topological_order(deps)
        assert_real_cycle(deps, [int(v) for v in info.value.cycle])  # named as text
    else:
        order = topological_order(deps)
        assert sorted(order) == sorted(deps)


@pytest.mark.parametrize("seed", SEEDS)
def test_random_dag_orders_and_paths(seed: int) -> None:
    rng = random.Random(1000 + seed)
    n = rng.randint(1, 9)
    deps = random_dag(rng, n, rng.choice([0.2, 0.4, 0.7]))
    weights = {v: rng.choice([0.0, 0.5, 1.0, 2.0, 3.5, 8.0]) for v in deps}

    order = topological_order(deps)
    position = {v: i for i, v in enumerate(order)}
    assert len(order) == n == len(position)
    for task, blockers in deps.items():
        for blocker in blockers:
            assert position[blocker] < position[task]

    path, total = critical_path(deps, weights.__getitem__)
    best = max(sum(weights[v] for v in p) for p in all_paths(deps))
    assert total == pytest.approx(best)
    assert sum(weights[v] for v in path) == pytest.approx(total)
    for blocker, task in itertools.pairwise(path):
        assert blocker in deps[task], "the critical path follows dependency edges"

    finished = {v for v in deps if rng.random() < 0.4}
    pending = [v for v in deps if v not in finished]
    expected = [v for v in pending if all(b in finished for b in deps[v])]
    assert ready_set(pending, deps, finished.__contains__) == expected

    dependents = invert(deps)
    for node in deps:
        freed = unblocked_by(node, deps, dependents, pending.__contains__, finished.__contains__)
        brute = [
            v
            for v in pending
            if node in deps[v] and all(b == node or b in finished for b in deps[v])
        ]
        assert sorted(freed) == sorted(brute)
        assert set(closure(deps, node)) == reach(deps, node)

    for task, blocker in itertools.permutations(deps, 2):
        cycle = cycle_if_added(deps, task, blocker)
        closes = task in reach(deps, blocker)
        assert (cycle is not None) == closes
        if cycle:
            with_edge = {v: [*bs, *([blocker] if v == task else [])] for v, bs in deps.items()}
            assert_real_cycle(with_edge, cycle)
            assert cycle[:2] == [task, blocker]


def test_random_larger_dag_topological_order() -> None:
    rng = random.Random(7)
    deps = random_dag(rng, 400, 0.02)
    order = topological_order(deps)
    position = {v: i for i, v in enumerate(order)}
    assert all(position[b] < position[t] for t, bs in deps.items() for b in bs)


@pytest.mark.parametrize("seed", range(60))
def test_dense_longest_path_matches_brute_force(seed: int) -> None:
    rng = random.Random(5000 + seed)
    n = rng.randint(1, 9)
    deps = random_dag(rng, n, rng.choice([0.2, 0.4, 0.7]))
    weights = [rng.choice([0.0, 0.5, 1.0, 2.0, 3.5, 8.0]) for _ in range(n)]
    edges = [(task, blocker) for task, blockers in deps.items() for blocker in blockers]

    path, total = longest_path_dense(weights, edges)

    best = max(sum(weights[v] for v in p) for p in all_paths(deps))
    assert total == pytest.approx(best)
    assert sum(weights[v] for v in path) == pytest.approx(total)
    for blocker, task in itertools.pairwise(path):
        assert blocker in deps[task], "the path follows dependency edges"


def test_dense_longest_path_refuses_a_cycle_and_handles_empty() -> None:
    assert longest_path_dense([], []) == ([], 0.0)
    with pytest.raises(CycleError):
        longest_path_dense([1.0, 1.0, 1.0], [(0, 1), (1, 2), (2, 1)])


def test_dense_longest_path_on_a_100k_chain() -> None:
    n = 100_000
    path, total = longest_path_dense([1.0] * n, [(i + 1, i) for i in range(n - 1)])
    assert path == list(range(n)) and total == n


def test_blockers_that_come_first_mean_no_cycle_and_anything_else_a_closer_look() -> None:
    from orchestrator_tui.domain.graph import blockers_come_first, find_cycle

    nodes = ["a", "b", "c", "d"]
    # b waits for a; c for nothing; d for a and b
    assert blockers_come_first(nodes, [0, 1, 0, 2], ["a", "a", "b"])
    assert blockers_come_first([], [], [])
    assert not blockers_come_first(nodes, [1, 0, 0, 0], ["b"])  # a waits for a later node
    assert not blockers_come_first(nodes, [0, 1, 0, 0], ["b"])  # b waits for itself
    assert not blockers_come_first(nodes, [0, 0, 1, 0], ["zz"])  # a node not among them
    # the order it vouches for is topological: no cycle is there to find
    deps = {"b": ["a"], "d": ["a", "b"]}
    assert find_cycle(deps) is None
    assert find_cycle({"a": ["b"], "b": ["a"]}) is not None
